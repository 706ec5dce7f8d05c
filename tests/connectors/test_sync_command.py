"""``manage.py sync_account``: finding the account, running the sync, saying what happened."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from connectors.base import AuthError, TransientError
from connectors.models import (
    AccountMetric,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    Workspace,
)
from tests.connectors.fakes import (
    NOW,
    YESTERDAY,
    FakeScript,
    connected_account,
    daily_rows,
    fake_connector_install,
    post_pair,
)
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> FakeScript:
    script = FakeScript(account_rows=daily_rows(), posts=[post_pair("v1", age_days=1)])
    fake_connector_install(monkeypatch, script)
    return script


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    return connected_account(workspace, display_name="Acme Channel", handle="@acmetube")


def sync_account(*args: str) -> str:
    out = StringIO()
    call_command("sync_account", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["Acme Channel", "acme channel", "@acmetube", "ACMETUBE"])
def test_syncs_the_account_named_and_prints_what_it_wrote(
    account: SocialAccount, script: FakeScript, name: str
) -> None:
    output = sync_account("--workspace", "acme", "--account", name)

    run = SyncRun.objects.get(account=account)
    assert run.trigger == SyncTrigger.COMMAND and run.status == SyncStatus.SUCCEEDED
    assert "Acme Channel (YouTube)" in output and "Succeeded" in output
    assert f"days           {YESTERDAY - dt.timedelta(days=89)} to {YESTERDAY}" in output
    assert "account rows          6 written" in output
    assert "posts                 1 written" in output
    assert "post rows             2 written" in output


def test_backfill_dates_are_passed_to_the_sync(account: SocialAccount, script: FakeScript) -> None:
    script.account_rows = daily_rows(2, end=dt.date(2025, 1, 31))

    output = sync_account(
        "--workspace",
        "acme",
        "--account",
        "Acme Channel",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-31",
    )

    call = script.called("account")[0]
    assert (call["start"], call["end"]) == (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert "2025-01-01 to 2025-01-31" in output
    assert (
        AccountMetric.objects.filter(account=account).exclude(metric="posts_published").count() == 4
    )


def test_warnings_are_printed(account: SocialAccount, script: FakeScript) -> None:
    script.warnings = ["YouTube did not report the metric shares."]

    output = sync_account("--workspace", "acme", "--account", "Acme Channel")

    assert "Succeeded with warnings" in output
    assert "warning: YouTube did not report the metric shares." in output


def test_a_server_error_is_retried_after_a_wait(
    account: SocialAccount, script: FakeScript, monkeypatch: pytest.MonkeyPatch
) -> None:
    script.account_error = TransientError("YouTube server error (503).")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        script.account_error = None

    monkeypatch.setattr("connectors.management.commands.sync_account.time.sleep", sleep)

    output = sync_account("--workspace", "acme", "--account", "Acme Channel")

    assert len(waits) == 1 and 15 <= waits[0] <= 30
    assert "Attempt 1 did not succeed: YouTube server error (503). Trying again in" in output
    run = SyncRun.objects.get(account=account)
    assert run.status == SyncStatus.SUCCEEDED and run.attempts == 2


def test_a_failed_sync_is_an_error_with_its_reason(
    account: SocialAccount, script: FakeScript
) -> None:
    script.account_error = AuthError("YouTube refused the credentials (401).")

    with pytest.raises(CommandError, match=r"Sync failed: YouTube refused the credentials \(401\)"):
        sync_account("--workspace", "acme", "--account", "Acme Channel")


def test_ambiguous_name_lists_the_candidates(workspace: Workspace, script: FakeScript) -> None:
    connected_account(workspace, display_name="Acme", handle="@acme_yt")
    SocialAccountFactory.create(
        workspace=workspace, display_name="Acme", handle="@acme_x", platform="x"
    )

    with pytest.raises(CommandError) as raised:
        sync_account("--workspace", "acme", "--account", "acme")

    message = str(raised.value)
    assert "2 accounts" in message and "Acme (X, @acme_x)" in message
    assert "Acme (YouTube, @acme_yt)" in message
    assert SyncRun.objects.count() == 0


def test_unknown_account_lists_the_workspace_accounts(
    account: SocialAccount, script: FakeScript
) -> None:
    with pytest.raises(
        CommandError, match=r"No account .* 'Nope'.*\n  Acme Channel \(YouTube, @acmetube\)"
    ):
        sync_account("--workspace", "acme", "--account", "Nope")


def test_unknown_workspace(account: SocialAccount) -> None:
    with pytest.raises(CommandError, match=r"No workspace has the slug 'nope'\. Known: acme"):
        sync_account("--workspace", "nope", "--account", "Acme Channel")


def test_inverted_dates_are_refused(account: SocialAccount) -> None:
    with pytest.raises(CommandError, match="falls after"):
        sync_account(
            "--workspace",
            "acme",
            "--account",
            "Acme Channel",
            "--start",
            "2025-02-01",
            "--end",
            "2025-01-01",
        )
