"""When a report schedule is due: pure functions of the schedule and the current instant.

A schedule has one due moment per period (week, month or quarter): its day at ``send_time`` in
the workspace's timezone. The dispatcher asks for the most recent due moment and sends it once
(the run is unique per schedule and report period). Daylight-saving rules:

- a local time that does not exist (the clocks jump from 02:00 to 03:00) fires at the first
  instant after the jump, 03:00, rather than an hour late or not at all;
- a local time that happens twice (the clocks go back) fires at its first occurrence (fold=0),
  and only then, since there is one due moment per day.

A due moment missed by an outage is still sent when the dispatcher runs again, within
``CATCH_UP_GRACE`` and before the next due moment; a report older than that would be stale news,
and the next period's report covers the gap. A schedule created after its period's due moment
starts with the next period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from reporting.report_models import ReportSchedule, ScheduleFrequency

# Long enough to cover a weekend outage, short enough that a weekly report is never sent twice
# in the same week by a catch-up (a week is 7 days).
CATCH_UP_GRACE = dt.timedelta(days=3)

UTC = dt.UTC


@dataclass(frozen=True)
class Occurrence:
    due_at: dt.datetime  # aware, UTC
    local_date: dt.date  # the day the report is "made": its rolling period is computed from it


def local_instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at wall-clock time ``at`` in ``tz``, as an aware UTC datetime.

    An ambiguous wall time resolves to its first occurrence; a wall time inside a gap to the
    first instant after the gap (the transition itself)."""
    wall = dt.datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap, zoneinfo maps fold=0 with the offset before the jump (an instant after the
    # transition) and fold=1 with the offset after it (an instant before). The transition lies
    # between: find it to the second.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after_offset = first.astimezone(tz).utcoffset()
    low, high = before, first
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def cycle_day(schedule: ReportSchedule, *, anchor: dt.date, offset: int) -> dt.date:
    """The schedule's day in the period containing ``anchor``, moved by ``offset`` periods."""
    if schedule.frequency == ScheduleFrequency.WEEKLY:
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return monday + dt.timedelta(days=schedule.weekday % 7 + 7 * offset)
    day = min(max(schedule.day_of_month, 1), 28)  # the model allows 1–28: every month has it
    if schedule.frequency == ScheduleFrequency.QUARTERLY:
        first_month = (anchor.month - 1) // 3 * 3 + 1
        year, month = _add_months(anchor.year, first_month, 3 * offset)
    else:
        year, month = _add_months(anchor.year, anchor.month, offset)
    return dt.date(year, month, day)


def _due(schedule: ReportSchedule, tz: ZoneInfo, anchor: dt.date, offset: int) -> Occurrence:
    day = cycle_day(schedule, anchor=anchor, offset=offset)
    return Occurrence(due_at=local_instant(day, schedule.send_time, tz), local_date=day)


def schedule_timezone(schedule: ReportSchedule) -> ZoneInfo:
    return ZoneInfo(schedule.workspace.timezone or "UTC")


def schedule_last_due(schedule: ReportSchedule, *, now: dt.datetime) -> Occurrence:
    """The most recent due moment at or before ``now`` (whether it may still be sent or not)."""
    tz = schedule_timezone(schedule)
    anchor = now.astimezone(tz).date()
    current = _due(schedule, tz, anchor, 0)
    return current if current.due_at <= now else _due(schedule, tz, anchor, -1)


def schedule_next_due(schedule: ReportSchedule, *, now: dt.datetime) -> Occurrence:
    """The first due moment strictly after ``now``."""
    tz = schedule_timezone(schedule)
    anchor = now.astimezone(tz).date()
    current = _due(schedule, tz, anchor, 0)
    return current if current.due_at > now else _due(schedule, tz, anchor, 1)


def schedule_occurrence(schedule: ReportSchedule, *, now: dt.datetime) -> Occurrence | None:
    """The due moment the dispatcher should send now, or None.

    It is the most recent due moment at or before ``now`` (so never one of an earlier period:
    after a long outage only the latest period is sent), provided it is no older than
    ``CATCH_UP_GRACE`` and not earlier than the schedule's creation."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    occurrence = schedule_last_due(schedule, now=now)
    if now - occurrence.due_at > CATCH_UP_GRACE:
        return None
    if schedule.created_at is not None and occurrence.due_at < schedule.created_at:
        return None
    return occurrence
