"""When a report schedule is due: weekly, monthly and quarterly moments in the workspace's
timezone, daylight-saving changes, a schedule created late, catch-up after an outage."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.models import Workspace
from dashboards.reports.periods import last_week
from dashboards.reports.schedules import (
    CATCH_UP_GRACE,
    local_instant,
    schedule_next_due,
    schedule_occurrence,
)
from reporting.report_models import ReportSchedule, ScheduleFrequency

UTC = dt.UTC
PARIS = "Europe/Paris"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


LONG_AGO = utc(2020, 1, 1)


def schedule(
    frequency: str,
    *,
    at: dt.time = dt.time(8, 0),
    weekday: int = 0,
    day: int = 1,
    tz: str = PARIS,
    created: dt.datetime = LONG_AGO,
) -> ReportSchedule:
    # Unsaved: the timing functions read the schedule and its workspace only.
    return ReportSchedule(
        workspace=Workspace(slug="acme", timezone=tz),
        frequency=frequency,
        weekday=weekday,
        day_of_month=day,
        send_time=at,
        created_at=created,
    )


@pytest.mark.parametrize(
    ("frequency", "weekday", "day", "now", "due", "local_date"),
    [
        # Monday 2 November 2026, 08:00 in Paris (UTC+1) is 07:00 UTC.
        (
            ScheduleFrequency.WEEKLY,
            0,
            1,
            utc(2026, 11, 2, 7, 0),
            utc(2026, 11, 2, 7, 0),
            "2026-11-02",
        ),
        (ScheduleFrequency.WEEKLY, 0, 1, utc(2026, 11, 4, 12), utc(2026, 11, 2, 7), "2026-11-02"),
        # Friday's moment of this week is still ahead: last week's Friday, past the grace.
        (ScheduleFrequency.WEEKLY, 4, 1, utc(2026, 11, 4, 12), None, None),
        (
            ScheduleFrequency.MONTHLY,
            0,
            1,
            utc(2026, 11, 1, 7, 1),
            utc(2026, 11, 1, 7),
            "2026-11-01",
        ),
        # Summer time: 08:00 in Paris is 06:00 UTC.
        (ScheduleFrequency.MONTHLY, 0, 15, utc(2026, 7, 15, 6), utc(2026, 7, 15, 6), "2026-07-15"),
        (ScheduleFrequency.MONTHLY, 0, 15, utc(2026, 7, 15, 5, 59), None, None),
        # Quarterly on the 2nd: January, April, July, October only.
        (ScheduleFrequency.QUARTERLY, 0, 2, utc(2026, 4, 3, 12), utc(2026, 4, 2, 6), "2026-04-02"),
        (ScheduleFrequency.QUARTERLY, 0, 2, utc(2026, 5, 2, 12), None, None),
        (ScheduleFrequency.QUARTERLY, 0, 2, utc(2027, 1, 2, 7), utc(2027, 1, 2, 7), "2027-01-02"),
    ],
)
def test_due_moment_in_the_workspace_timezone(
    frequency: str,
    weekday: int,
    day: int,
    now: dt.datetime,
    due: dt.datetime | None,
    local_date: str | None,
) -> None:
    occurrence = schedule_occurrence(schedule(frequency, weekday=weekday, day=day), now=now)

    if due is None:
        assert occurrence is None
    else:
        assert occurrence is not None
        assert occurrence.due_at == due
        assert occurrence.local_date.isoformat() == local_date


def test_monthly_on_the_first_reports_the_previous_month_from_its_local_date() -> None:
    # 1 December 00:30 in Paris is still 30 November in UTC: the local day decides.
    monthly = schedule(ScheduleFrequency.MONTHLY, at=dt.time(0, 30), day=1)

    occurrence = schedule_occurrence(monthly, now=utc(2026, 11, 30, 23, 45))

    assert occurrence is not None
    assert occurrence.local_date == dt.date(2026, 12, 1)
    assert occurrence.due_at == utc(2026, 11, 30, 23, 30)


def test_weekly_on_monday_reports_the_week_before() -> None:
    occurrence = schedule_occurrence(schedule(ScheduleFrequency.WEEKLY), now=utc(2026, 11, 9, 7, 5))

    assert occurrence is not None
    assert last_week(occurrence.local_date) == (dt.date(2026, 11, 2), dt.date(2026, 11, 8))


def test_spring_forward_gap_fires_at_the_first_valid_instant_after() -> None:
    # Sunday 29 March 2026 in Paris: 02:00 jumps to 03:00; 02:30 does not exist.
    sunday = schedule(ScheduleFrequency.WEEKLY, weekday=6, at=dt.time(2, 30))

    assert schedule_occurrence(sunday, now=utc(2026, 3, 29, 0, 59)) is None
    occurrence = schedule_occurrence(sunday, now=utc(2026, 3, 29, 1, 0))

    assert occurrence is not None
    assert occurrence.due_at == utc(2026, 3, 29, 1, 0)  # 03:00 summer time
    assert occurrence.local_date == dt.date(2026, 3, 29)
    # The week after, 02:30 exists again (00:30 UTC).
    following = schedule_next_due(sunday, now=utc(2026, 3, 29, 1, 0))
    assert following.due_at == utc(2026, 4, 5, 0, 30)


def test_fall_back_ambiguous_time_fires_once_at_its_first_occurrence() -> None:
    # Sunday 25 October 2026 in Paris: 03:00 goes back to 02:00; 02:30 happens twice,
    # at 00:30 UTC (summer time) and 01:30 UTC (winter time).
    sunday = schedule(ScheduleFrequency.WEEKLY, weekday=6, at=dt.time(2, 30))

    assert schedule_occurrence(sunday, now=utc(2026, 10, 25, 0, 29)) is None
    first = schedule_occurrence(sunday, now=utc(2026, 10, 25, 0, 30))
    second = schedule_occurrence(sunday, now=utc(2026, 10, 25, 1, 35))

    assert first is not None and second is not None
    assert first.due_at == second.due_at == utc(2026, 10, 25, 0, 30)
    assert schedule_next_due(sunday, now=utc(2026, 10, 25, 1, 35)).due_at == utc(2026, 11, 1, 1, 30)


def test_local_instant_outside_transitions_is_the_plain_conversion() -> None:
    from zoneinfo import ZoneInfo

    assert local_instant(dt.date(2026, 1, 5), dt.time(9, 15), ZoneInfo(PARIS)) == utc(
        2026, 1, 5, 8, 15
    )
    # New York springs forward at 02:00 too, to UTC-4: 02:15 fires at 03:00 EDT.
    assert local_instant(dt.date(2026, 3, 8), dt.time(2, 15), ZoneInfo("America/New_York")) == (
        utc(2026, 3, 8, 7, 0)
    )


def test_schedule_created_after_the_due_moment_starts_next_period() -> None:
    created = utc(2026, 11, 2, 8, 0)  # Monday 09:00 in Paris, an hour after 08:00
    weekly = schedule(ScheduleFrequency.WEEKLY, created=created)

    assert schedule_occurrence(weekly, now=utc(2026, 11, 2, 8, 5)) is None
    occurrence = schedule_occurrence(weekly, now=utc(2026, 11, 9, 7, 0))
    assert occurrence is not None
    assert occurrence.local_date == dt.date(2026, 11, 9)


def test_two_hour_outage_is_caught_up() -> None:
    occurrence = schedule_occurrence(
        schedule(ScheduleFrequency.MONTHLY), now=utc(2026, 11, 1, 9, 0)
    )

    assert occurrence is not None
    assert occurrence.due_at == utc(2026, 11, 1, 7, 0)


def test_outage_past_the_grace_sends_nothing_of_that_period() -> None:
    monthly = schedule(ScheduleFrequency.MONTHLY)
    due = utc(2026, 11, 1, 7, 0)

    assert schedule_occurrence(monthly, now=due + CATCH_UP_GRACE) is not None
    assert schedule_occurrence(monthly, now=due + CATCH_UP_GRACE + dt.timedelta(minutes=1)) is None


def test_outage_longer_than_the_period_catches_up_only_the_latest_period() -> None:
    weekly = schedule(ScheduleFrequency.WEEKLY)

    # Down from Sunday 1 November to Tuesday 10 November: the 2 November moment is gone, the
    # 9 November one is sent.
    occurrence = schedule_occurrence(weekly, now=utc(2026, 11, 10, 12))

    assert occurrence is not None
    assert occurrence.local_date == dt.date(2026, 11, 9)


def test_next_due_is_shown_in_the_next_period_after_a_send() -> None:
    quarterly = schedule(ScheduleFrequency.QUARTERLY, day=5, at=dt.time(7, 30))

    upcoming = schedule_next_due(quarterly, now=utc(2026, 10, 5, 6, 30))  # 08:30 in Paris

    assert upcoming.due_at == utc(2027, 1, 5, 6, 30)
    assert upcoming.local_date == dt.date(2027, 1, 5)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        schedule_occurrence(schedule(ScheduleFrequency.WEEKLY), now=dt.datetime(2026, 11, 2, 8))
