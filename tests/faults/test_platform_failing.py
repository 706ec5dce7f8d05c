"""A platform that keeps answering 429, 5xx, nothing (timeouts) or broken JSON: the sync retries
a bounded number of times, the account shows the error, the other accounts of the same dispatch
are synced, and the facts already stored do not change.

In-process: the retry bound and the isolation between accounts are the task's and the
dispatcher's logic, not the worker's (tests/faults/test_worker_killed.py covers a real one). The
real YouTube connector talks to ``responses`` mocks answering in YouTube's recorded shapes
(``FakeGoogle.answer``); a retry asked by the task is run at once instead of after its countdown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import responses
from celery.exceptions import Retry
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from connectors.models import (
    AccountStatus,
    Role,
    SocialAccount,
    SyncCursor,
    SyncRun,
    SyncStatus,
    User,
    Workspace,
)
from connectors.sync import accounts_sync_dispatch
from connectors.tasks import SYNC_MAX_RETRIES, account_sync_task
from tests.connectors.fakes import facts
from tests.factories import SocialAccountFactory, WorkspaceFactory
from tests.test_sync_e2e import ACCESS_TOKEN, CHANNEL, LA, FakeGoogle

pytestmark = pytest.mark.django_db

BASE = "https://youtube.faults.invalid"
BROKEN_TOKEN = "ya29.token-of-the-account-whose-platform-fails"

Failure = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], str]]


def too_many_requests(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    body = {"error": {"code": 429, "message": "Too many requests", "status": "RESOURCE_EXHAUSTED"}}
    return 429, {"Retry-After": "2"}, json.dumps(body)


def server_error(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    return 503, {}, '{"error": {"code": 503, "message": "The service is unavailable."}}'


def no_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    raise requests.ReadTimeout("Read timed out. (read timeout=30.0)")


def broken_json(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    return 200, {}, '{"kind": "youtubeAnalytics#resultTable", "columnHeaders": [{"name": "d'


class Platform:
    """YouTube as ``FakeGoogle`` answers it, except for the broken account while ``failure``."""

    def __init__(self) -> None:
        self.failure: Failure | None = None
        self.failed_requests = 0

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        authorization = request.headers.get("Authorization")
        if authorization == f"Bearer {BROKEN_TOKEN}":
            if self.failure is not None:
                self.failed_requests += 1
                return self.failure(request)
            authorization = f"Bearer {ACCESS_TOKEN}"
        status, body = FakeGoogle.answer(str(request.path_url), authorization)
        return status, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def platform(settings: Any) -> Iterator[Platform]:
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "youtube": {"client_id": "", "client_secret": "", "api_base": BASE},
    }
    FakeGoogle.started = dt.datetime.now(dt.UTC)
    handler = Platform()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(re.escape(BASE) + ".*"), callback=handler)
        yield handler


def channel_account(name: str, token: str) -> SocialAccount:
    workspace: Workspace = WorkspaceFactory.create(slug=name, timezone=LA)
    account: SocialAccount = SocialAccountFactory.create(
        workspace=workspace,
        platform="youtube",
        external_id=CHANNEL,
        timezone=LA,
    )
    account.credentials = {
        "access_token": token,
        "refresh_token": "1//faults-refresh-token-Zx40",
        "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)).isoformat(),
    }
    account.save()
    return account


def run_like_a_worker(run_id: int, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Run the task as a worker would, and each retry it asks for at once; the countdowns."""
    countdowns: list[float] = []

    def retry(**options: Any) -> Retry:
        countdowns.append(options["countdown"])
        return Retry("retry asked", when=options["countdown"])

    task: Any = account_sync_task
    monkeypatch.setattr(task, "retry", retry)
    for retries in range(SYNC_MAX_RETRIES + 10):  # far more than the policy may ask for
        task.push_request(retries=retries, is_eager=False, id=f"sync-{run_id}")
        try:
            task.run(run_id)
        except Retry:
            continue
        finally:
            task.pop_request()
        return countdowns
    pytest.fail(f"The sync was still retrying after {len(countdowns)} retries.")


def dispatch_and_run(monkeypatch: pytest.MonkeyPatch, capture: Any) -> list[SyncRun]:
    # The dispatcher sends each account's task when its transaction commits: collect them and
    # run them one after the other, the failing account first (its pk is lower).
    with capture(execute=False):
        runs = accounts_sync_dispatch()
    for run in runs:
        run_like_a_worker(run.pk, monkeypatch)
        run.refresh_from_db()
    return runs


@pytest.mark.parametrize(
    ("failure", "in_error"),
    [
        (too_many_requests, "rate limit"),
        (server_error, "503"),
        (no_answer, "did not answer in time"),
        (broken_json, "not json"),
    ],
    ids=["429", "503", "timeout", "malformed-json"],
)
def test_a_failing_platform_is_retried_a_bounded_number_of_times_and_hurts_no_other_account(
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    member_factory: Callable[..., User],
    client: Client,
    failure: Failure,
    in_error: str,
) -> None:
    failing = channel_account("failing", BROKEN_TOKEN)
    healthy = channel_account("healthy", ACCESS_TOKEN)
    first = dispatch_and_run(monkeypatch, django_capture_on_commit_callbacks)
    assert [run.status for run in first] == [SyncStatus.SUCCEEDED] * 2
    stored = facts(failing)
    assert stored["account"] and stored["post_metrics"]

    # Hours later both accounts are due again, and the platform now fails for the first one.
    SyncCursor.objects.update(last_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    platform.failure = failure
    failed_run, healthy_run = dispatch_and_run(monkeypatch, django_capture_on_commit_callbacks)

    assert failed_run.account_id == failing.pk and healthy_run.account_id == healthy.pk
    assert failed_run.status == SyncStatus.FAILED
    assert failed_run.attempts == SYNC_MAX_RETRIES + 1
    # Each attempt stops at the platform's first failing answer: one request per attempt.
    assert platform.failed_requests == SYNC_MAX_RETRIES + 1
    assert in_error in failed_run.error.lower(), failed_run.error
    assert f"tried {SYNC_MAX_RETRIES + 1} times" in failed_run.error

    failing.refresh_from_db()
    cursor = failing.sync_cursor
    assert failing.status == AccountStatus.ERROR
    assert cursor.last_error == failed_run.error and cursor.consecutive_failures == 1
    assert (cursor.claimed_by, cursor.claimed_until) == ("", None)
    assert facts(failing) == stored, "a failed sync changes no fact, not even a timestamp"
    # What the workspace's people see on the Accounts page.
    client.force_login(member_factory(failing.workspace, Role.VIEWER))
    page = client.get(reverse("connectors:accounts", args=[failing.workspace.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "The last sync failed." in html and escape(failed_run.error) in html

    assert healthy_run.status == SyncStatus.SUCCEEDED and healthy_run.attempts == 1
    healthy.refresh_from_db()
    assert healthy.status == AccountStatus.ACTIVE and healthy.sync_cursor.last_error == ""

    # The next tick queues nothing for the failing account: it waits out its back-off.
    with django_capture_on_commit_callbacks(execute=False):
        assert accounts_sync_dispatch() == []
