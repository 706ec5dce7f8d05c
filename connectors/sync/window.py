"""What one sync fetches: the window of days, and which posts get a new snapshot.

Pure functions of dates, so the rules are tested without a database or a clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# A new account's first sync reaches this far back; older days need an explicit backfill.
DEFAULT_BACKFILL_DAYS = 90
# A scheduled sync never fetches more than a year at once: after a long pause the older days
# are left to a backfill (sync_account --start), so one run stays within the task time limit.
MAX_CATCHUP_DAYS = 366
# Posts older than this are not asked for any more (their counters have settled), unless a
# backfill reaches further back.
POST_REFRESH_MAX_AGE_DAYS = 90
# Post age (days) → minimum days between two snapshots of its counters. Young posts move fast,
# old ones barely: refreshing them less often saves API quota without losing anything visible.
POST_SNAPSHOT_CADENCE: tuple[tuple[int, int], ...] = (
    (3, 0),  # under 3 days old: at every sync
    (30, 1),  # to 30 days: daily
    (POST_REFRESH_MAX_AGE_DAYS, 7),  # to 90 days: weekly
)


@dataclass(frozen=True)
class SyncWindow:
    """The days a sync asks for, in the account's timezone.

    ``start``..``end`` (inclusive) bound the daily account metrics; ``posts_since`` is passed
    to ``fetch_posts`` and ``today`` is the day post counters are read on.
    """

    start: dt.date
    end: dt.date
    today: dt.date
    posts_since: dt.date
    capped: bool = False  # the catch-up was limited to MAX_CATCHUP_DAYS


def account_today(*, tz: str, now: dt.datetime) -> dt.date:
    """The current day in the account's reporting timezone."""
    return now.astimezone(ZoneInfo(tz)).date()


def sync_window(
    *,
    today: dt.date,
    synced_through: dt.date | None,
    lookback_days: int,
    snapshots: bool,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> SyncWindow:
    """The window of a sync that runs on ``today``.

    Without ``start``/``end``: from ``synced_through`` minus the connector's lookback (platforms
    revise recent days), or ``DEFAULT_BACKFILL_DAYS`` back on a first sync, to yesterday; to
    today for a snapshot connector, whose counters can only be read as they are now. An explicit
    ``start``/``end`` (a backfill) replaces either bound, but never reaches past that last day,
    and a snapshot connector's end is always today: dating today's counters on a past day would
    be wrong. Raises ``ValueError`` when the explicit start falls after the end.
    """
    last_day = today if snapshots else today - dt.timedelta(days=1)
    window_end = last_day if end is None or snapshots else min(end, last_day)
    capped = False
    if start is not None:
        window_start = start
        if window_start > window_end:
            raise ValueError(f"The window starts on {start} but ends on {window_end}.")
    else:
        if synced_through is None:
            window_start = window_end - dt.timedelta(days=DEFAULT_BACKFILL_DAYS - 1)
        else:
            window_start = min(synced_through - dt.timedelta(days=lookback_days), window_end)
        earliest = window_end - dt.timedelta(days=MAX_CATCHUP_DAYS - 1)
        if window_start < earliest:
            window_start, capped = earliest, True
    posts_since = min(window_start, today - dt.timedelta(days=POST_REFRESH_MAX_AGE_DAYS))
    return SyncWindow(
        start=window_start, end=window_end, today=today, posts_since=posts_since, capped=capped
    )


def post_snapshot_due(*, published: dt.date, last_snapshot: dt.date | None, today: dt.date) -> bool:
    """Whether a post published on ``published`` gets a new snapshot of its counters today.

    A post never snapshotted gets one whatever its age (a backfill reads old posts once).
    """
    if last_snapshot is None:
        return True
    age = (today - published).days
    for max_age, min_gap in POST_SNAPSHOT_CADENCE:
        if age < max_age:
            return (today - last_snapshot).days >= min_gap
    return False
