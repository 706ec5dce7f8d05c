"""A worker SIGKILLed in the middle of an account sync: the message comes back, and the facts
end exactly as an uninterrupted sync leaves them.

The worker talks real HTTP to ``FakeGoogle`` (tests/test_sync_e2e.py), which holds the sync's
video request open until the test has killed the worker: by then the run is ``running``, holds
the account's lease and has fetched the channel's daily analytics. The broker's visibility
timeout is shortened through the environment, as an operator would, so that Redis hands the
unacknowledged message out again within seconds instead of an hour.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from connectors.models import (
    AccountMetric,
    PostMetric,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
)
from connectors.tasks import account_sync_task
from tests.factories import SocialAccountFactory, WorkspaceFactory
from tests.processes import (
    REDIS_URL,
    broker_for_tests,
    celery_worker,
    require_postgres,
    send,
    wait_for,
    worker_database_url,
)
from tests.test_sync_e2e import ACCESS_TOKEN, CHANNEL, LA, FakeGoogle

pytestmark = pytest.mark.worker

VISIBILITY_TIMEOUT = 6


class StallingGoogle(FakeGoogle):
    """FakeGoogle whose first video request hangs until ``released`` (the worker is killed)."""

    stalled = threading.Event()
    released = threading.Event()

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/youtube/v3/videos" and not self.released.is_set():
            self.stalled.set()
            self.released.wait(timeout=120)
            return  # the worker that asked is dead: nobody reads this answer
        super().do_GET()


@pytest.fixture
def google() -> Iterator[str]:
    # A non-empty log: FakeGoogle answers its very first request with a 429, not wanted here.
    StallingGoogle.requests_seen = ["(no 429 in this test)"]
    StallingGoogle.started = dt.datetime.now(dt.UTC)
    StallingGoogle.stalled.clear()
    StallingGoogle.released.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StallingGoogle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        StallingGoogle.released.set()
        server.shutdown()
        server.server_close()


def channel_account(slug: str) -> SocialAccount:
    workspace = WorkspaceFactory.create(slug=slug, timezone=LA)
    account: SocialAccount = SocialAccountFactory.create(
        workspace=workspace, platform="youtube", external_id=CHANNEL, timezone=LA
    )
    account.credentials = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": "1//faults-refresh-token-Pq81",
        "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
    }
    account.save()
    return account


def fact_table(account: SocialAccount) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact of the account, sorted, duplicates kept (a list, not a set)."""
    return {
        "account": sorted(
            AccountMetric.objects.filter(account=account).values_list("day", "metric", "value")
        ),
        "posts": sorted(
            PostMetric.objects.filter(post__account=account).values_list(
                "post__external_id", "day", "metric", "value"
            )
        ),
    }


def finished(run: SyncRun) -> SyncRun | None:
    run.refresh_from_db()
    return run if run.status not in (SyncStatus.QUEUED, SyncStatus.RUNNING) else None


def test_worker_killed_mid_sync_redelivers_and_loses_or_doubles_nothing(
    transactional_db: None, google: str
) -> None:
    require_postgres()
    env = {
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_SOFT_TIME_LIMIT": "4",
        "CELERY_TASK_TIME_LIMIT": "5",
        # Every hard limit, the report render's too (1 s + 2 s), stays below the visibility
        # timeout, or the worker would refuse to start.
        "RAPPORT_REPORT_RENDER_TIMEOUT": "1",
        "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "YOUTUBE_API_BASE": google,
        "YOUTUBE_CLIENT_ID": "",
        "YOUTUBE_CLIENT_SECRET": "",
    }
    killed = channel_account("killed")
    reference = channel_account("reference")
    with broker_for_tests():
        first = celery_worker(env, name="first worker")
        second = None
        try:
            run = SyncRun.objects.create(account=killed, trigger=SyncTrigger.MANUAL)
            send(account_sync_task.name, run.pk)
            wait_for(
                "the sync to reach its video request",
                StallingGoogle.stalled.is_set,
                processes=[first],
            )
            run.refresh_from_db()
            assert run.status == SyncStatus.RUNNING and run.attempts == 1
            assert "/youtubeAnalytics/v2/reports" in StallingGoogle.requests_seen
            assert killed.sync_cursor.claimed_by == str(run.pk)
            first.kill()
            killed_at = time.monotonic()
            StallingGoogle.released.set()
            assert not AccountMetric.objects.filter(account=killed).exists(), "half-written"

            # The message was taken before the stall: past the visibility timeout from now,
            # Redis gives it to the next worker that asks (a worker looks at start-up).
            time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
            second = celery_worker(env, name="second worker")
            done = wait_for("the redelivered sync", lambda: finished(run), processes=[second])
            assert done.status == SyncStatus.SUCCEEDED, f"{done.error}\n{second.tail()}"
            assert done.attempts == 2, "the same run, taken up again with its own lease"
            assert list(killed.sync_runs.values_list("pk", flat=True)) == [run.pk]

            control = SyncRun.objects.create(account=reference, trigger=SyncTrigger.MANUAL)
            send(account_sync_task.name, control.pk)
            control = wait_for("the reference sync", lambda: finished(control), processes=[second])
            assert control.status == SyncStatus.SUCCEEDED and control.attempts == 1
        finally:
            first.stop()
            if second is not None:
                second.stop()

    after_kill = fact_table(killed)
    assert after_kill["account"] and after_kill["posts"]
    assert after_kill == fact_table(reference), "no gap, no extra row, the same values"
    assert (done.window_start, done.window_end) == (control.window_start, control.window_end)
    cursor = SocialAccount.objects.get(pk=killed.pk).sync_cursor
    assert (cursor.claimed_by, cursor.claimed_until) == ("", None)
    assert cursor.synced_through == done.window_end and cursor.consecutive_failures == 0
