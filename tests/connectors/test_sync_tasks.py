"""The sync tasks: retry policy and its routing, the dispatcher, and queuing a run."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from celery.exceptions import Retry

from config.schedules import SCHEDULES
from connectors.base import AuthError, ConnectorError, RateLimited, TransientError
from connectors.models import (
    AccountStatus,
    SocialAccount,
    SyncCursor,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    Workspace,
)
from connectors.sync import accounts_due, accounts_sync_dispatch, sync_interval, sync_run_request
from connectors.sync.dispatch import stale_after
from connectors.tasks import (
    RETRY_WAIT_MAX_SECONDS,
    SYNC_MAX_RETRIES,
    account_sync_task,
    accounts_sync_dispatch_task,
    sync_retry_countdown,
)
from tests.connectors.fakes import NOW, FakeScript, connected_account, fake_connector_install
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> FakeScript:
    script = FakeScript()
    fake_connector_install(monkeypatch, script)
    return script


class Bounds:
    """Any number in [low, high]: a jittered back-off is compared with its range."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int | float) and self.low <= other <= self.high

    def __repr__(self) -> str:
        return f"[{self.low}, {self.high}]"


@pytest.mark.parametrize(
    ("error", "retries", "expected"),
    [
        (TransientError("503"), 0, Bounds(15, 30)),
        (TransientError("timeout"), 2, Bounds(60, 120)),
        (TransientError("timeout"), 4, Bounds(240, 480)),
        (TransientError("503"), SYNC_MAX_RETRIES, None),
        (RateLimited("429", retry_after=7), 0, 7),
        (RateLimited("429", retry_after=7), 3, 7),
        (RateLimited("429", retry_after=0.2), 0, 1.0),
        (RateLimited("429"), 1, Bounds(30, 60)),
        (RateLimited("429", retry_after=RETRY_WAIT_MAX_SECONDS + 1), 0, None),
        (RateLimited("quota", retry_after=60, daily_quota=True), 0, None),
        (RateLimited("429", retry_after=7), SYNC_MAX_RETRIES, None),
        (AuthError("401"), 0, None),
        (ConnectorError("400"), 0, None),
    ],
)
def test_retry_policy(error: ConnectorError, retries: int, expected: Any) -> None:
    for seed in range(20):
        assert sync_retry_countdown(error, retries=retries, rng=random.Random(seed)) == expected


def test_backoff_never_exceeds_the_longest_wait() -> None:
    waits = [sync_retry_countdown(TransientError("x"), retries=n) for n in range(SYNC_MAX_RETRIES)]
    assert all(w is not None and 0 < w <= RETRY_WAIT_MAX_SECONDS for w in waits)


def run_task_as_worker(
    run: SyncRun, monkeypatch: pytest.MonkeyPatch, *, retries: int = 0
) -> list[dict[str, Any]]:
    """Run the task body as a worker would (not eagerly); return the retries it asked for."""
    asked: list[dict[str, Any]] = []

    def retry(**options: Any) -> Retry:
        asked.append(options)
        return Retry("retry asked", when=options.get("countdown"))

    task: Any = account_sync_task  # the stubs type push_request after the task's own arguments
    monkeypatch.setattr(task, "retry", retry)
    task.push_request(retries=retries, is_eager=False, id="task-1")
    try:
        task.run(run.pk)
    except Retry:
        pass
    finally:
        task.pop_request()
    return asked


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    return connected_account(workspace)


def new_run(account: SocialAccount) -> SyncRun:
    return SyncRun.objects.create(account=account, trigger=SyncTrigger.SCHEDULE)


def test_transient_error_is_retried_with_backoff(
    account: SocialAccount, script: FakeScript, monkeypatch: pytest.MonkeyPatch
) -> None:
    script.account_error = TransientError("YouTube server error (503).")
    run = new_run(account)

    asked = run_task_as_worker(run, monkeypatch, retries=1)

    assert len(asked) == 1 and asked[0]["countdown"] == Bounds(30, 60)
    run.refresh_from_db()
    assert run.status == SyncStatus.QUEUED and "503" in run.error


def test_rate_limit_is_retried_after_retry_after(
    account: SocialAccount, script: FakeScript, monkeypatch: pytest.MonkeyPatch
) -> None:
    script.account_error = RateLimited("YouTube rate limit reached.", retry_after=7)
    run = new_run(account)

    asked = run_task_as_worker(run, monkeypatch)

    assert [a["countdown"] for a in asked] == [7]


@pytest.mark.parametrize(
    ("error", "in_message"),
    [
        (
            RateLimited("YouTube's daily quota is used up.", retry_after=3600, daily_quota=True),
            "daily API quota is used up. The next scheduled sync will try again around",
        ),
        (AuthError("YouTube refused the credentials (401)."), "reconnect this account"),
        (TransientError("YouTube server error (502)."), "next scheduled sync will try again"),
    ],
)
def test_errors_not_retried_fail_the_run(
    account: SocialAccount,
    script: FakeScript,
    monkeypatch: pytest.MonkeyPatch,
    error: ConnectorError,
    in_message: str,
) -> None:
    script.account_error = error
    run = new_run(account)
    retries = SYNC_MAX_RETRIES if isinstance(error, TransientError) else 0

    asked = run_task_as_worker(run, monkeypatch, retries=retries)

    assert asked == []
    run.refresh_from_db()
    assert run.status == SyncStatus.FAILED
    assert in_message in run.error, run.error
    assert str(error) in run.error


def test_daily_quota_message_says_when_the_schedule_retries(
    account: SocialAccount, script: FakeScript, monkeypatch: pytest.MonkeyPatch
) -> None:
    script.account_error = RateLimited("Quota used up.", daily_quota=True)
    run = new_run(account)

    run_task_as_worker(run, monkeypatch)

    run.refresh_from_db()
    # Attempted at 12:00 Paris time; one failure: due again SYNC_EVERY_HOURS later.
    assert "2026-03-10 18:00 (Europe/Paris)" in run.error


def test_without_a_broker_nothing_is_retried(account: SocialAccount, script: FakeScript) -> None:
    script.account_error = TransientError("YouTube server error (503).")
    run = new_run(account)

    result = account_sync_task.apply(args=(run.pk,))

    assert result.get() == SyncStatus.FAILED
    run.refresh_from_db()
    assert run.status == SyncStatus.FAILED and run.attempts == 1


def test_task_runs_the_sync(account: SocialAccount, script: FakeScript) -> None:
    run = new_run(account)

    assert account_sync_task.apply(args=(run.pk,)).get() == SyncStatus.SUCCEEDED


def cursor_at(account: SocialAccount, *, hours_ago: float, failures: int = 0) -> None:
    SyncCursor.objects.update_or_create(
        account=account,
        defaults={
            "last_attempt_at": NOW - dt.timedelta(hours=hours_ago),
            "consecutive_failures": failures,
        },
    )


@pytest.fixture
def accounts(workspace: Workspace, settings: Any) -> dict[str, SocialAccount]:
    settings.SYNC_EVERY_HOURS = 6
    made: dict[str, SocialAccount] = {}

    def make(name: str, **fields: Any) -> SocialAccount:
        account = SocialAccountFactory.create(workspace=workspace, display_name=name, **fields)
        if account.platform not in ("demo", "import") and "no credentials" not in name:
            account.credentials = {"access_token": f"token-of-{account.pk}"}
            account.save()
        made[name] = account
        return made[name]

    make("never synced", platform="youtube")
    cursor_at(make("synced 7 h ago", platform="x"), hours_ago=7)
    cursor_at(make("synced 1 h ago", platform="facebook"), hours_ago=1)
    cursor_at(
        make("failing 3 times, 13 h ago", platform="tiktok", status=AccountStatus.ERROR),
        hours_ago=13,
        failures=3,
    )
    cursor_at(
        make("failing 3 times, 25 h ago", platform="tiktok", status=AccountStatus.ERROR),
        hours_ago=25,
        failures=3,
    )
    cursor_at(
        make("failed once, 7 h ago", platform="linkedin", status=AccountStatus.ERROR),
        hours_ago=7,
        failures=1,
    )
    make("needs reauth", platform="instagram", status=AccountStatus.NEEDS_REAUTH)
    make("paused", platform="instagram", status=AccountStatus.PAUSED)
    make("demo", platform="demo")
    make("imported, no credentials", platform="youtube")
    make("imported", platform="import")
    queued = make("already queued", platform="youtube")
    SyncRun.objects.create(account=queued, trigger=SyncTrigger.MANUAL)
    return made


DUE = {"never synced", "synced 7 h ago", "failing 3 times, 25 h ago", "failed once, 7 h ago"}


def test_dispatcher_picks_exactly_the_due_accounts(accounts: dict[str, SocialAccount]) -> None:
    due = set(accounts_due(now=NOW).values_list("display_name", flat=True))

    assert due == DUE


def test_failing_accounts_back_off_up_to_a_day(settings: Any) -> None:
    settings.SYNC_EVERY_HOURS = 6
    hours = [sync_interval(consecutive_failures=n) / dt.timedelta(hours=1) for n in range(6)]
    assert hours == [6, 6, 12, 24, 24, 24]


def test_dispatch_queues_one_run_per_due_account_and_is_idempotent(
    accounts: dict[str, SocialAccount],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks() as sent:
        created = accounts_sync_dispatch(now=NOW)
    with django_capture_on_commit_callbacks() as sent_again:
        again = accounts_sync_dispatch(now=NOW)

    assert {run.account.display_name for run in created} == DUE
    assert {run.trigger for run in created} == {SyncTrigger.SCHEDULE}
    assert {run.status for run in created} == {SyncStatus.QUEUED}
    assert len(sent) == len(DUE)
    assert again == [] and sent_again == []


def test_dispatch_task_returns_the_count(
    accounts: dict[str, SocialAccount],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks():
        assert accounts_sync_dispatch_task.apply().get() == len(DUE)


def test_lost_runs_are_abandoned_and_their_accounts_queued_again(
    account: SocialAccount, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    lost = new_run(account)
    SyncRun.objects.filter(pk=lost.pk).update(
        status=SyncStatus.RUNNING, started_at=NOW - stale_after() - dt.timedelta(minutes=1)
    )
    recent = connected_account(account.workspace, display_name="Recent")
    in_retry_wait = SyncRun.objects.create(
        account=recent, trigger=SyncTrigger.SCHEDULE, started_at=NOW - dt.timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks():
        created = accounts_sync_dispatch(now=NOW)

    lost.refresh_from_db()
    assert lost.status == SyncStatus.FAILED and "stopped without finishing" in lost.error
    assert [run.account_id for run in created] == [account.pk]
    in_retry_wait.refresh_from_db()
    assert in_retry_wait.status == SyncStatus.QUEUED


def test_stale_bound_outlasts_a_task_and_its_longest_retry_wait(settings: Any) -> None:
    task_and_wait = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + RETRY_WAIT_MAX_SECONDS)
    assert stale_after() > task_and_wait


def test_sync_run_request_queues_and_runs_in_process(
    account: SocialAccount,
    script: FakeScript,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as sent:
        run = sync_run_request(account=account, trigger=SyncTrigger.MANUAL)
        assert run.status == SyncStatus.QUEUED

    assert len(sent) == 1
    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCEEDED and run.trigger == SyncTrigger.MANUAL


def test_sync_run_request_does_not_queue_twice(
    account: SocialAccount, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as sent:
        first = sync_run_request(account=account, trigger=SyncTrigger.MANUAL)
        second = sync_run_request(account=account, trigger=SyncTrigger.MANUAL)
        backfill = sync_run_request(
            account=account,
            trigger=SyncTrigger.MANUAL,
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 1, 31),
        )

    assert second == first and backfill != first
    assert (backfill.window_start, backfill.window_end) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 31),
    )
    assert len(sent) == 2


def test_sync_run_request_replaces_a_lost_run(
    account: SocialAccount, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    lost = new_run(account)
    SyncRun.objects.filter(pk=lost.pk).update(
        status=SyncStatus.RUNNING, started_at=NOW - stale_after() - dt.timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks() as sent:
        run = sync_run_request(account=account, trigger=SyncTrigger.MANUAL)

    assert run != lost and len(sent) == 1
    lost.refresh_from_db()
    assert lost.status == SyncStatus.FAILED


def test_sync_run_request_refuses_an_inverted_window(account: SocialAccount) -> None:
    with pytest.raises(ValueError, match="falls after"):
        sync_run_request(
            account=account, trigger="manual", start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1)
        )


def test_dispatcher_is_on_the_beat_schedule() -> None:
    schedule = next(s for s in SCHEDULES if s.task == accounts_sync_dispatch_task.name)

    assert schedule.crontab.minute == "*/15" and schedule.crontab.hour == "*"
    assert schedule.expire_seconds < 15 * 60
    assert account_sync_task.name == "connectors.account_sync"


def test_longest_retry_wait_stays_below_the_visibility_timeout(settings: Any) -> None:
    # A message the broker holds past its visibility timeout is delivered to a second worker.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > RETRY_WAIT_MAX_SECONDS + settings.CELERY_TASK_TIME_LIMIT
