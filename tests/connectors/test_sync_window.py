"""The days a sync asks for, and when a post's counters are read again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from connectors.models import Post, PostMetric, SyncCursor, SyncStatus, Workspace
from connectors.sync import post_snapshot_due, sync_window
from tests.connectors.fakes import (
    NOW,
    TODAY,
    YESTERDAY,
    FakeScript,
    connected_account,
    daily_rows,
    fake_connector_install,
    post_pair,
    run_sync,
)
from tests.factories import PostFactory, PostMetricFactory

D = dt.date


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("synced_through", "snapshots", "start", "end", "expected"),
    [
        # First sync: a 90-day backfill to yesterday (to today for snapshot connectors).
        (None, False, None, None, (days_ago(90), YESTERDAY)),
        (None, True, None, None, (days_ago(89), TODAY)),
        # Later syncs re-read the lookback before the last synced day.
        (days_ago(1), False, None, None, (days_ago(4), YESTERDAY)),
        (days_ago(8), False, None, None, (days_ago(11), YESTERDAY)),
        (TODAY, True, None, None, (days_ago(3), TODAY)),
        # A cursor ahead of the window (clock or timezone change) still gives a valid window.
        (TODAY + dt.timedelta(days=5), False, None, None, (YESTERDAY, YESTERDAY)),
        # After a long pause, one run catches up a year at most.
        (D(2023, 1, 1), False, None, None, (YESTERDAY - dt.timedelta(days=365), YESTERDAY)),
        # Backfills: explicit days, never past the last complete day.
        (days_ago(1), False, D(2025, 1, 1), D(2025, 1, 31), (D(2025, 1, 1), D(2025, 1, 31))),
        (None, False, D(2025, 6, 1), None, (D(2025, 6, 1), YESTERDAY)),
        (None, False, None, D(2026, 2, 1), (D(2026, 2, 1) - dt.timedelta(days=89), D(2026, 2, 1))),
        (None, False, days_ago(5), TODAY, (days_ago(5), YESTERDAY)),
        # Snapshot counters are read now: their day is today whatever was asked.
        (None, True, D(2025, 1, 1), D(2025, 1, 31), (D(2025, 1, 1), TODAY)),
    ],
)
def test_sync_window(
    synced_through: dt.date | None,
    snapshots: bool,
    start: dt.date | None,
    end: dt.date | None,
    expected: tuple[dt.date, dt.date],
) -> None:
    window = sync_window(
        today=TODAY,
        synced_through=synced_through,
        lookback_days=3,
        snapshots=snapshots,
        start=start,
        end=end,
    )

    assert (window.start, window.end) == expected
    assert window.today == TODAY
    assert window.posts_since == min(window.start, days_ago(90))
    assert window.capped is (synced_through == D(2023, 1, 1))


def test_window_refuses_a_start_after_the_end() -> None:
    with pytest.raises(ValueError, match="starts on 2026-03-05"):
        sync_window(
            today=TODAY,
            synced_through=None,
            lookback_days=3,
            snapshots=False,
            start=D(2026, 3, 5),
            end=D(2026, 3, 1),
        )


@pytest.mark.parametrize(
    ("age", "last_snapshot_ago", "due"),
    [
        (0, None, True),
        (2, 0, True),
        (3, 0, False),
        (3, 1, True),
        (29, 0, False),
        (29, 1, True),
        (30, 6, False),
        (30, 7, True),
        (89, 7, True),
        (90, 7, False),
        (90, 400, False),
        (400, None, True),
    ],
)
def test_post_snapshot_cadence(age: int, last_snapshot_ago: int | None, due: bool) -> None:
    last = None if last_snapshot_ago is None else days_ago(last_snapshot_ago)
    assert post_snapshot_due(published=days_ago(age), last_snapshot=last, today=TODAY) is due


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_snapshot_connector_reads_counters_as_of_today(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = FakeScript(account_rows=daily_rows(1, end=TODAY))
    fake_connector_install(monkeypatch, script, snapshots=True)
    account = connected_account(workspace)

    run = run_sync(account)

    assert run.status == SyncStatus.SUCCEEDED
    assert script.called("account")[0]["end"] == TODAY
    assert SyncCursor.objects.get(account=account).synced_through == TODAY


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_backfill_asks_for_its_days_and_keeps_the_cursor_ahead(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = FakeScript(account_rows=daily_rows(2, end=D(2025, 1, 31)))
    fake_connector_install(monkeypatch, script, lookback_days=4)
    account = connected_account(workspace)
    SyncCursor.objects.create(account=account, synced_through=YESTERDAY)

    run = run_sync(account, start=D(2025, 1, 1), end=D(2025, 1, 31))

    assert run.status == SyncStatus.SUCCEEDED, run.error
    call = script.called("account")[0]
    assert (call["start"], call["end"]) == (D(2025, 1, 1), D(2025, 1, 31))
    assert script.called("posts")[0]["since"] == D(2025, 1, 1)
    assert run.account_rows_written == 4
    assert SyncCursor.objects.get(account=account).synced_through == YESTERDAY

    later = run_sync(account)

    assert later.window_start == YESTERDAY - dt.timedelta(days=4)


@pytest.mark.parametrize(
    ("age_days", "last_snapshot_days_ago", "written"),
    [
        (1, 0, True),  # young: every sync, even when read today already
        (10, 0, False),  # daily: already read today
        (10, 1, True),
        (45, 6, False),  # weekly
        (45, 7, True),
        (120, 30, False),  # old: no more snapshots
        (120, None, True),  # ...except a first one
    ],
)
@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_post_counters_are_refreshed_less_often_as_posts_age(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    age_days: int,
    last_snapshot_days_ago: int | None,
    written: bool,
) -> None:
    account = connected_account(workspace)
    pair = post_pair("v9", age_days=age_days, views=777)
    script = FakeScript(posts=[pair])
    fake_connector_install(monkeypatch, script)
    if last_snapshot_days_ago is not None:
        post = PostFactory.create(
            account=account, external_id="v9", published_at=pair[0].published_at
        )
        PostMetricFactory.create(
            post=post,
            metric="video_views",
            day=TODAY - dt.timedelta(days=last_snapshot_days_ago),
            value=1.0,
        )

    run = run_sync(account)

    assert run.status == SyncStatus.SUCCEEDED
    today_views = PostMetric.objects.filter(post__external_id="v9", day=TODAY, metric="video_views")
    assert today_views.filter(value=777).exists() is written
    assert Post.objects.filter(account=account, external_id="v9").exists()
    # Posts older than the refresh age are not even asked for, unless the window reaches back.
    assert script.called("posts")[0]["since"] == TODAY - dt.timedelta(days=90)
