"""The sync service with a scripted connector: idempotency, failures, claims, windows, secrets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError

from connectors.base import (
    AccountMetricRow,
    AuthError,
    ConnectorError,
    TransientError,
)
from connectors.models import (
    AccountMetric,
    AccountStatus,
    Post,
    PostMetric,
    RawResponse,
    Role,
    SocialAccount,
    SyncCursor,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    User,
    Workspace,
)
from connectors.sync import SyncRetry, account_sync
from connectors.sync.claim import lease_duration, sync_lease_claim
from tests.connectors.fakes import (
    ACCESS_TOKEN,
    NOW,
    REFRESH_TOKEN,
    TODAY,
    YESTERDAY,
    FakeScript,
    connected_account,
    daily_rows,
    facts,
    fake_connector_install,
    post_pair,
    run_sync,
)
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> FakeScript:
    script = FakeScript(
        account_rows=daily_rows(),
        posts=[post_pair("v1", age_days=1), post_pair("v2", age_days=10, views=900)],
    )
    fake_connector_install(monkeypatch, script)
    return script


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    return connected_account(workspace, display_name="Acme Channel")


@pytest.fixture
def youtube_app(settings: Any) -> None:
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "youtube": {
            "client_id": "client-id",
            "client_secret": "client-secret-value",
            "api_base": "",
        },
    }


def reported_facts(account: SocialAccount) -> int:
    """Account facts the platform sent, leaving out the posts_published derived from posts."""
    return AccountMetric.objects.filter(account=account).exclude(metric="posts_published").count()


def test_posts_published_is_derived_for_the_post_window(
    account: SocialAccount, script: FakeScript
) -> None:
    run = run_sync(account)
    derived = AccountMetric.objects.filter(account=account, metric="posts_published")
    assert run.window_start is not None and run.window_end is not None
    assert derived.count() == (run.window_end - run.window_start).days + 1
    assert sum(derived.values_list("value", flat=True)) == account.posts.count()


def test_sync_writes_facts_and_run_counters(account: SocialAccount, script: FakeScript) -> None:
    run = run_sync(account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert (run.account_rows_written, run.posts_written, run.post_rows_written) == (6, 2, 4)
    assert (run.window_start, run.window_end) == (YESTERDAY - dt.timedelta(days=89), YESTERDAY)
    assert run.attempts == 1 and run.started_at and run.finished_at and run.error == ""
    assert AccountMetric.objects.get(account=account, day=YESTERDAY, metric="likes").value == 1.0
    assert PostMetric.objects.get(post__external_id="v2", metric="video_views").value == 900.0
    account.refresh_from_db()
    assert account.last_synced_at is not None and account.status == AccountStatus.ACTIVE
    cursor = SyncCursor.objects.get(account=account)
    assert cursor.synced_through == YESTERDAY and cursor.claimed_by == ""
    assert cursor.claimed_until is None and cursor.consecutive_failures == 0


def test_sync_twice_changes_nothing(account: SocialAccount, script: FakeScript) -> None:
    run_sync(account)
    first = facts(account)
    cursor_first = SyncCursor.objects.values("synced_through").get(account=account)

    again = run_sync(account)

    assert again.status == SyncStatus.SUCCEEDED
    assert (again.account_rows_written, again.posts_written, again.post_rows_written) == (0, 0, 0)
    assert facts(account) == first
    assert SyncCursor.objects.values("synced_through").get(account=account) == cursor_first
    # The second run re-reads the lookback, not the whole first window.
    assert again.window_start == YESTERDAY - dt.timedelta(days=3)


@pytest.mark.parametrize("where", ["account", "posts"])
def test_failure_halfway_writes_nothing(
    account: SocialAccount, script: FakeScript, where: str
) -> None:
    error = ConnectorError("YouTube rejected the request (400): invalid filter.")
    setattr(script, f"{where}_error", error)

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED
    assert run.error.startswith("YouTube rejected the request (400): invalid filter.")
    assert "next scheduled sync" in run.error
    assert facts(account) == {"account": set(), "posts": set(), "post_metrics": set()}
    cursor = SyncCursor.objects.get(account=account)
    assert cursor.synced_through is None and cursor.consecutive_failures == 1
    assert cursor.last_error == run.error and cursor.claimed_by == ""
    account.refresh_from_db()
    assert account.status == AccountStatus.ERROR and account.last_synced_at is None


def test_database_failure_while_writing_writes_nothing(
    account: SocialAccount, script: FakeScript, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_upsert(**kwargs: Any) -> int:
        raise IntegrityError("duplicate key value violates unique constraint")

    # Posts are written first, so their rows must be rolled back with the rest.
    monkeypatch.setattr("connectors.sync.service.account_metrics_upsert", broken_upsert)

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED
    assert "unexpected problem" in run.error and "IntegrityError" in run.error
    assert Post.objects.filter(account=account).count() == 0
    assert facts(account) == {"account": set(), "posts": set(), "post_metrics": set()}
    assert SyncCursor.objects.get(account=account).synced_through is None
    assert RawResponse.objects.count() == 0


def test_failed_run_then_success_is_complete(account: SocialAccount, script: FakeScript) -> None:
    script.posts_error = TransientError("YouTube server error (503).")
    assert run_sync(account).status == SyncStatus.FAILED
    script.posts_error = None

    run = run_sync(account)

    assert run.status == SyncStatus.SUCCEEDED
    # The cursor never moved, so the retry covers the same first-sync window.
    assert run.window_start == YESTERDAY - dt.timedelta(days=89)
    assert reported_facts(account) == 6
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert SyncCursor.objects.get(account=account).consecutive_failures == 0


def test_401_marks_account_needs_reauth_and_emails_admins_once(
    workspace: Workspace,
    account: SocialAccount,
    script: FakeScript,
    member_factory: Callable[..., User],
    mailoutbox: list[mail.EmailMessage],
) -> None:
    admin = member_factory(workspace, Role.ADMIN, username="alice")
    member_factory(workspace, Role.ADMIN, username="bruno")
    User.objects.filter(username="bruno").update(language="fr")
    member_factory(workspace, Role.VIEWER, username="victor")
    script.account_error = AuthError("YouTube refused the credentials (401): Invalid Credentials")

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED
    assert "Invalid Credentials" in run.error and "reconnect" in run.error
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_REAUTH
    assert SyncCursor.objects.get(account=account).last_error == run.error
    assert sorted(m.to[0] for m in mailoutbox) == [admin.email, "bruno@example.com"]
    english = next(m for m in mailoutbox if m.to == [admin.email])
    assert "Acme Channel" in english.subject and "YouTube" in english.subject
    assert "Invalid Credentials" in english.body
    assert f"/w/{workspace.slug}/accounts/{account.pk}/" in english.body
    assert ACCESS_TOKEN not in english.body

    second = run_sync(account)

    assert second.status == SyncStatus.FAILED
    assert len(mailoutbox) == 2


def test_other_accounts_carry_on_after_one_needs_reauth(
    workspace: Workspace, account: SocialAccount, script: FakeScript
) -> None:
    other = connected_account(workspace, display_name="Acme Shorts")
    script.account_error = AuthError("YouTube refused the credentials (401).")
    assert run_sync(account).status == SyncStatus.FAILED
    script.account_error = None

    run = run_sync(other)

    assert run.status == SyncStatus.SUCCEEDED
    other.refresh_from_db()
    assert other.status == AccountStatus.ACTIVE
    assert reported_facts(other) == 6


def test_success_after_reconnect_sets_account_active(
    account: SocialAccount, script: FakeScript
) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)

    assert run_sync(account).status == SyncStatus.SUCCEEDED

    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


def test_second_concurrent_run_is_skipped(account: SocialAccount, script: FakeScript) -> None:
    holder = SyncRun.objects.create(account=account, trigger=SyncTrigger.SCHEDULE)
    assert sync_lease_claim(run=holder, now=NOW) is not None
    SyncRun.objects.filter(pk=holder.pk).update(status=SyncStatus.RUNNING, started_at=NOW)

    run = run_sync(account)

    assert run.status == SyncStatus.SKIPPED
    assert "Another sync of this account" in run.error and "12:00" in run.error
    assert script.calls == [] and facts(account)["account"] == set()
    cursor = SyncCursor.objects.get(account=account)
    assert cursor.claimed_by == str(holder.pk)  # the holder keeps its lease


def test_expired_lease_is_reclaimed(account: SocialAccount, script: FakeScript) -> None:
    lost = SyncRun.objects.create(account=account, trigger=SyncTrigger.SCHEDULE)
    sync_lease_claim(run=lost, now=NOW - lease_duration() - dt.timedelta(seconds=1))

    run = run_sync(account)

    assert run.status == SyncStatus.SUCCEEDED


def test_finished_run_is_not_run_again(account: SocialAccount, script: FakeScript) -> None:
    run = run_sync(account)

    again = account_sync(run_id=run.pk)

    assert again.status == SyncStatus.SUCCEEDED and again.attempts == 1
    assert len(script.called("account")) == 1


def test_retryable_error_requeues_the_run(account: SocialAccount, script: FakeScript) -> None:
    script.account_error = TransientError("YouTube server error (503): backend error")
    run = SyncRun.objects.create(account=account, trigger=SyncTrigger.SCHEDULE)

    with pytest.raises(SyncRetry) as raised:
        account_sync(run_id=run.pk, retry_in=lambda error: 42.0)

    assert raised.value.countdown == 42.0 and raised.value.run_id == run.pk
    run.refresh_from_db()
    assert run.status == SyncStatus.QUEUED and run.attempts == 1
    assert "503" in run.error and "42 s" in run.error
    assert SyncCursor.objects.get(account=account).claimed_by == ""
    assert facts(account)["account"] == set()

    script.account_error = None
    account_sync(run_id=run.pk, retry_in=lambda error: 42.0)

    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCEEDED and run.attempts == 2 and run.error == ""
    starts = {call["start"] for call in script.called("account")}
    assert starts == {YESTERDAY - dt.timedelta(days=89)}  # the same window both times


def test_connector_warnings_make_the_run_partial(
    account: SocialAccount, script: FakeScript
) -> None:
    script.warnings = ["YouTube did not report the metric shares: removed."]

    run = run_sync(account)

    assert run.status == SyncStatus.PARTIAL
    assert run.warnings == ["YouTube did not report the metric shares: removed."]
    assert SyncCursor.objects.get(account=account).synced_through == YESTERDAY


def test_rows_outside_the_window_are_ignored_with_a_warning(
    account: SocialAccount, script: FakeScript
) -> None:
    script.account_rows = [*daily_rows(1), AccountMetricRow(TODAY, "likes", 3.0)]

    run = run_sync(account)

    assert run.status == SyncStatus.PARTIAL and "outside" in run.warnings[0]
    assert not AccountMetric.objects.filter(account=account, day=TODAY).exists()


def test_token_refresh_saves_rotated_credentials_even_if_the_fetch_fails(
    account: SocialAccount, script: FakeScript, youtube_app: None
) -> None:
    rotated = {"access_token": "ya29.rotated-access", "expires_at": "2026-03-10T12:30:00+00:00"}
    script.refreshed = rotated
    script.account_error = TransientError("YouTube server error (500).")

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED
    account.refresh_from_db()
    # Merged: Google leaves the refresh token out of a refresh's answer.
    assert account.credentials == {**rotated, "refresh_token": REFRESH_TOKEN}
    assert script.called("account")[0]["credentials"]["access_token"] == "ya29.rotated-access"
    cursor = SyncCursor.objects.get(account=account)
    assert cursor.token_expires_at == dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)


def test_no_refresh_without_a_configured_app(account: SocialAccount, script: FakeScript) -> None:
    run = run_sync(account)

    assert run.status == SyncStatus.SUCCEEDED
    assert script.called("refresh") == []


def test_refused_refresh_marks_needs_reauth(
    account: SocialAccount, script: FakeScript, youtube_app: None
) -> None:
    script.refresh_error = AuthError("Google no longer accepts this channel's authorisation.")

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED and "no longer accepts" in run.error
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_REAUTH
    assert script.called("account") == []


def test_imported_account_without_credentials_fails_plainly(
    workspace: Workspace, script: FakeScript, mailoutbox: list[mail.EmailMessage]
) -> None:
    account = SocialAccountFactory.create(workspace=workspace, platform="youtube")

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED
    assert "not connected to YouTube" in run.error and "imported files" in run.error
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE and mailoutbox == []
    assert script.calls == []


def test_unreadable_credentials_mark_needs_reauth(
    account: SocialAccount, script: FakeScript, settings: Any
) -> None:
    from connectors.crypto import _fernet

    settings.ENCRYPTION_KEYS = ["A" * 43 + "="]
    _fernet.cache_clear()
    try:
        run = run_sync(account)
    finally:
        _fernet.cache_clear()

    assert run.status == SyncStatus.FAILED and "cannot be read" in run.error
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_REAUTH


def test_missing_connector_fails_plainly(
    account: SocialAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    def connector_class(key: str) -> Any:
        raise ModuleNotFoundError("No module named 'connectors.platforms.youtube'")

    monkeypatch.setattr("connectors.sync.fetch.connector_class", connector_class)

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED
    assert run.error.startswith("Rapport cannot sync YouTube accounts")
    account.refresh_from_db()
    assert account.status == AccountStatus.ERROR


@pytest.mark.parametrize("platform", ["demo", "import"])
def test_accounts_without_an_api_are_not_synced(
    workspace: Workspace, script: FakeScript, platform: str
) -> None:
    account = SocialAccountFactory.create(workspace=workspace, platform=platform)

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED and "not synced from an API" in run.error
    assert script.calls == []
