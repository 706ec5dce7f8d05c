"""What a sync leaves for people to read: raw responses (kept for the last runs, without
secrets), errors without tokens, and the admin's read-only pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from connectors.base import ConnectorError, RecordedResponse
from connectors.models import (
    RawResponse,
    SocialAccount,
    SyncCursor,
    SyncRun,
    SyncStatus,
    User,
    Workspace,
)
from tests.connectors.fakes import (
    ACCESS_TOKEN,
    NOW,
    REFRESH_TOKEN,
    FakeScript,
    connected_account,
    daily_rows,
    fake_connector_install,
    run_sync,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> FakeScript:
    script = FakeScript(account_rows=daily_rows())
    fake_connector_install(monkeypatch, script)
    return script


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    return connected_account(workspace, display_name="Acme Channel")


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = cast(User, UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def synced(account: SocialAccount, script: FakeScript) -> SyncRun:
    script.recorded = [
        RecordedResponse(
            "/youtube/v3/channels", {"part": "statistics"}, 200, {"items": [{"id": "UC1"}]}
        )
    ]
    return run_sync(account)


@pytest.mark.parametrize("model", ["syncrun", "synccursor", "rawresponse"])
def test_sync_pages_show_no_credentials_and_allow_no_edits(
    staff_client: Client, synced: SyncRun, model: str
) -> None:
    obj = {
        "syncrun": synced,
        "synccursor": SyncCursor.objects.get(account=synced.account),
        "rawresponse": RawResponse.objects.get(sync_run=synced),
    }[model]
    listing = staff_client.get(reverse(f"admin:connectors_{model}_changelist"))
    detail = staff_client.get(reverse(f"admin:connectors_{model}_change", args=[obj.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    for html in (listing.content.decode(), detail.content.decode()):
        assert "Acme Channel" in html
        assert ACCESS_TOKEN not in html and REFRESH_TOKEN not in html
        assert synced.account.credentials_encrypted not in html
    assert 'name="_save"' not in detail.content.decode()
    assert staff_client.get(reverse(f"admin:connectors_{model}_add")).status_code == 403


def test_raw_response_body_is_shown_as_json(staff_client: Client, synced: SyncRun) -> None:
    raw = RawResponse.objects.get(sync_run=synced)

    html = staff_client.get(reverse("admin:connectors_rawresponse_change", args=[raw.pk]))

    assert "&quot;id&quot;: &quot;UC1&quot;" in html.content.decode()


def test_raw_responses_are_kept_for_the_last_runs_only(
    account: SocialAccount, script: FakeScript, settings: Any
) -> None:
    settings.SYNC_RAW_RESPONSES_KEEP = 2
    script.recorded = [RecordedResponse("/youtubeAnalytics/v2/reports", {"ids": "x"}, 200, {})]
    runs = [run_sync(account) for _ in range(3)]

    kept = set(RawResponse.objects.values_list("sync_run_id", flat=True))

    assert kept == {runs[1].pk, runs[2].pk}
    raw = RawResponse.objects.filter(sync_run=runs[2]).get()
    assert (raw.endpoint, raw.params, raw.status_code) == (
        "/youtubeAnalytics/v2/reports",
        {"ids": "x"},
        200,
    )
    assert raw.account == account and raw.mapping_version == "1"


def test_tokens_never_reach_run_errors_or_raw_responses(
    account: SocialAccount, script: FakeScript
) -> None:
    script.recorded = [
        RecordedResponse(
            "/youtube/v3/channels",
            {"key": ACCESS_TOKEN, "refresh_token": "anything", "part": "id"},
            200,
            {"items": [{"note": f"Bearer {ACCESS_TOKEN}"}], "access_token": "ya29.other-token"},
        )
    ]
    run_sync(account)
    raw = RawResponse.objects.get()
    stored = f"{raw.params} {raw.body}"
    assert ACCESS_TOKEN not in stored and "anything" not in stored and "ya29.other" not in stored
    assert raw.params["part"] == "id"

    script.posts_error = ConnectorError(
        f"Bad request for https://x.test/?access_token={ACCESS_TOKEN}"
    )
    failed = run_sync(account)

    assert failed.status == SyncStatus.FAILED
    assert ACCESS_TOKEN not in failed.error and "[redacted]" in failed.error
    assert ACCESS_TOKEN not in SyncCursor.objects.get(account=account).last_error


def test_unexpected_errors_are_logged_without_tokens(
    account: SocialAccount, script: FakeScript, caplog: pytest.LogCaptureFixture
) -> None:
    script.account_error = RuntimeError(f"GET https://x.test/?access_token={ACCESS_TOKEN} broke")

    run = run_sync(account)

    assert run.status == SyncStatus.FAILED and "RuntimeError" in run.error
    assert "broke" in caplog.text and "fetch_account_metrics" in caplog.text
    for text in (run.error, caplog.text):
        assert ACCESS_TOKEN not in text
