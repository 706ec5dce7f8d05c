from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.test import Client
from django.urls import reverse

from connectors import oauth
from connectors.base import AuthError, DiscoveredAccount, OAuthSpec
from connectors.models import (
    AccountStatus,
    AuditEvent,
    Role,
    SocialAccount,
    SyncTrigger,
    User,
    Workspace,
)
from tests.factories import PASSWORD, SocialAccountFactory

SITE = "https://rapport.example.com"
TOKEN = "secret-access-token-123"


class FakeX:
    """Stands in for a connector class: records the exchange and returns canned accounts."""

    key = "x"
    label = "X"
    oauth = OAuthSpec(
        authorize_url="https://provider.example/authorize",
        token_url="https://provider.example/token",
        scopes=("read", "offline"),
        pkce=True,
    )
    exchanges: ClassVar[list[dict[str, Any]]] = []
    discovered: ClassVar[list[DiscoveredAccount]] = []
    error: ClassVar[Exception | None] = None

    @classmethod
    def oauth_exchange(cls, **kwargs: Any) -> dict[str, Any]:
        cls.exchanges.append(kwargs)
        if cls.error is not None:
            raise cls.error
        return {"access_token": TOKEN, "refresh_token": "refresh-456"}

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        assert token["access_token"] == TOKEN
        return list(cls.discovered)


@pytest.fixture
def platforms(settings: Any) -> None:
    settings.SITE_URL = SITE
    apps = {key: {"client_id": "", "client_secret": "", "api_base": ""} for key in oauth.CONNECTORS}
    for key in ("x", "tiktok", "youtube", "facebook"):
        apps[key] = {"client_id": f"{key}-client", "client_secret": f"{key}-secret", "api_base": ""}
    settings.PLATFORM_APPS = apps


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch, platforms: None) -> type[FakeX]:
    FakeX.exchanges = []
    FakeX.error = None
    FakeX.discovered = [
        DiscoveredAccount(
            external_id="1001",
            display_name="Acme News",
            handle="@acmenews",
            credentials={"access_token": TOKEN, "refresh_token": "refresh-456"},
            timezone="America/New_York",
        ),
        DiscoveredAccount(
            external_id="1002",
            display_name="Acme Careers",
            handle="@acmejobs",
            credentials={"access_token": "other-token"},
            timezone="Not/AZone",
        ),
    ]
    real = oauth.connector_class

    def pick(key: str) -> Any:
        return FakeX if key == "x" else real(key)

    monkeypatch.setattr(oauth, "connector_class", pick)
    return FakeX


@pytest.fixture
def sync_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    calls: list[tuple[int, str]] = []

    def record(*, account: SocialAccount, trigger: str, **kwargs: Any) -> None:
        calls.append((account.pk, trigger))

    monkeypatch.setattr(oauth, "sync_run_request", record)
    return calls


@pytest.fixture
def admin_client(client: Client, admin_member: User) -> Client:
    client.login(username=admin_member.username, password=PASSWORD)
    return client


def account_admin(workspace: Workspace) -> User:
    return User.objects.get(memberships__workspace=workspace, memberships__role=Role.ADMIN)


def start(client: Client, platform: str = "x", workspace: str = "acme") -> dict[str, list[str]]:
    response = client.post(
        reverse(
            "connectors:connect_start", kwargs={"workspace_slug": workspace, "platform": platform}
        )
    )
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" != "http://testserver"
    return parse_qs(location.query)


def callback(client: Client, platform: str = "x", **params: str) -> Any:
    url = reverse("connectors:connect_callback", kwargs={"platform": platform})
    return client.get(url, params)


def test_authorize_url_carries_state_pkce_scopes_and_fixed_redirect(
    admin_client: Client, fake_x: type[FakeX]
) -> None:
    response = admin_client.post(
        reverse("connectors:connect_start", kwargs={"workspace_slug": "acme", "platform": "x"})
    )
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "provider.example",
        "/authorize",
    )
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert params["client_id"] == "x-client"
    assert params["response_type"] == "code"
    assert params["scope"] == "read offline"
    assert params["redirect_uri"] == f"{SITE}/connect/x/callback/"
    assert params["code_challenge_method"] == "S256"
    stored = admin_client.session[oauth.SESSION_STATES][params["state"]]
    verifier = stored["v"]
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert params["code_challenge"] == expected.decode()
    assert "x-secret" not in response["Location"]


def test_real_specs_use_client_key_separators_and_extra_params(
    admin_client: Client, platforms: None
) -> None:
    tiktok = start(admin_client, "tiktok")
    assert tiktok["client_key"] == ["tiktok-client"] and "client_id" not in tiktok
    assert tiktok["scope"] == ["user.info.basic,user.info.profile,user.info.stats,video.list"]
    verifier = admin_client.session[oauth.SESSION_STATES][tiktok["state"][0]]["v"]
    # TikTok's quirk: the hex digest, not base64url.
    assert tiktok["code_challenge"] == [hashlib.sha256(verifier.encode()).hexdigest()]

    youtube = start(admin_client, "youtube")
    assert youtube["access_type"] == ["offline"] and youtube["prompt"] == ["consent"]
    facebook = start(admin_client, "facebook")
    assert "code_challenge" not in facebook
    assert facebook["redirect_uri"] == [f"{SITE}/connect/facebook/callback/"]


def test_connect_exchanges_code_and_picked_accounts_are_saved_encrypted(
    admin_client: Client, fake_x: type[FakeX], sync_requests: list[tuple[int, str]], workspace
) -> None:
    params = start(admin_client)
    state = params["state"][0]
    verifier = admin_client.session[oauth.SESSION_STATES][state]["v"]

    response = callback(admin_client, code="the-code", state=state)
    assert response.status_code == 302
    choose_url = response["Location"]
    assert fake_x.exchanges[0]["code"] == "the-code"
    assert fake_x.exchanges[0]["code_verifier"] == verifier
    assert fake_x.exchanges[0]["redirect_uri"] == f"{SITE}/connect/x/callback/"
    assert fake_x.exchanges[0]["client_secret"] == "x-secret"
    # The discovered tokens wait server-side, encrypted even there; the page never shows them.
    assert TOKEN not in json.dumps(admin_client.session[oauth.SESSION_PENDING])
    page = admin_client.get(choose_url)
    assert page.status_code == 200
    assert b"Acme News" in page.content and b"Acme Careers" in page.content
    assert TOKEN.encode() not in page.content

    response = admin_client.post(choose_url, {"accounts": ["1001"]})
    assert response.status_code == 302
    account = SocialAccount.objects.get()
    assert (account.workspace, account.platform, account.external_id) == (workspace, "x", "1001")
    assert account.display_name == "Acme News" and account.handle == "@acmenews"
    assert account.timezone == "America/New_York"
    assert account.status == AccountStatus.ACTIVE
    assert account.credentials == {"access_token": TOKEN, "refresh_token": "refresh-456"}
    stored = SocialAccount.objects.values_list("credentials_encrypted", flat=True).get()
    assert TOKEN not in stored and "refresh-456" not in stored
    assert sync_requests == [(account.pk, SyncTrigger.CONNECT)]
    # The audit log says who connected which account, and never keeps a token.
    event = AuditEvent.objects.get(action="account.connected")
    assert (event.target_id, event.workspace, event.actor) == (
        str(account.pk),
        workspace,
        account_admin(workspace),
    )
    assert TOKEN not in json.dumps(event.changes) and "refresh-456" not in json.dumps(event.changes)
    # The picker is single use.
    assert admin_client.get(choose_url).status_code == 302
    assert (
        oauth.SESSION_PENDING not in admin_client.session
        or not admin_client.session[oauth.SESSION_PENDING]
    )


def test_reconnect_updates_the_existing_account_and_keeps_its_timezone(
    admin_client: Client, fake_x: type[FakeX], sync_requests: list[tuple[int, str]], workspace
) -> None:
    existing = SocialAccountFactory.create(
        workspace=workspace,
        platform="x",
        external_id="1002",
        display_name="Old name",
        timezone="Europe/Paris",
        status=AccountStatus.NEEDS_REAUTH,
    )
    state = start(admin_client)["state"][0]
    choose_url = callback(admin_client, code="c", state=state)["Location"]
    page = admin_client.get(choose_url)
    # Only the account already here is ticked for a reconnect.
    assert page.context["form"]["accounts"].value() == ["1002"]
    admin_client.post(choose_url, {"accounts": ["1002"]})
    existing.refresh_from_db()
    assert existing.status == AccountStatus.ACTIVE
    assert existing.display_name == "Acme Careers"
    assert existing.timezone == "Europe/Paris"  # "Not/AZone" is not a timezone
    assert existing.credentials == {"access_token": "other-token"}
    assert SocialAccount.objects.count() == 1
    assert sync_requests == [(existing.pk, SyncTrigger.CONNECT)]
    event = AuditEvent.objects.get(action__startswith="account.")
    assert (event.action, event.target_id) == ("account.reauth", str(existing.pk))
    assert "other-token" not in json.dumps([event.changes, event.target_label])


def test_picking_nothing_is_refused(admin_client: Client, fake_x: type[FakeX]) -> None:
    state = start(admin_client)["state"][0]
    choose_url = callback(admin_client, code="c", state=state)["Location"]
    response = admin_client.post(choose_url, {})
    assert response.status_code == 200
    assert "Tick at least one account" in response.content.decode()
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize("state", ["", "forged-state"])
def test_callback_with_unknown_state_is_refused(
    admin_client: Client, fake_x: type[FakeX], state: str
) -> None:
    start(admin_client)
    response = callback(admin_client, code="c", state=state)
    assert response.status_code == 400
    assert "unknown or was already used" in response.content.decode()
    assert fake_x.exchanges == []


def test_callback_state_is_single_use(
    admin_client: Client, fake_x: type[FakeX], sync_requests: list[tuple[int, str]]
) -> None:
    state = start(admin_client)["state"][0]
    assert callback(admin_client, code="c", state=state).status_code == 302
    again = callback(admin_client, code="c", state=state)
    assert again.status_code == 400
    assert len(fake_x.exchanges) == 1


def test_callback_after_ten_minutes_is_refused(admin_client: Client, fake_x: type[FakeX]) -> None:
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        state = start(admin_client)["state"][0]
    with time_machine.travel("2026-03-15 12:10:30+00:00", tick=False):
        response = callback(admin_client, code="c", state=state)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    # The page offers a way back to the workspace the attempt came from.
    assert reverse("connectors:accounts", kwargs={"workspace_slug": "acme"}) in (
        response.content.decode()
    )
    assert fake_x.exchanges == []


def test_callback_for_another_platform_is_refused(
    admin_client: Client, fake_x: type[FakeX]
) -> None:
    state = start(admin_client)["state"][0]
    assert callback(admin_client, "tiktok", code="c", state=state).status_code == 400
    assert fake_x.exchanges == []


def test_access_denied_is_explained_and_nothing_is_connected(
    admin_client: Client, fake_x: type[FakeX]
) -> None:
    state = start(admin_client)["state"][0]
    response = callback(admin_client, error="access_denied", state=state)
    assert response.status_code == 200
    assert "You cancelled the authorisation on X" in response.content.decode()
    assert fake_x.exchanges == [] and not SocialAccount.objects.exists()


def test_exchange_failure_shows_a_plain_message(admin_client: Client, fake_x: type[FakeX]) -> None:
    fake_x.error = AuthError("X refused the credentials (401): invalid_grant")
    state = start(admin_client)["state"][0]
    response = callback(admin_client, code="c", state=state)
    assert response.status_code == 502
    text = response.content.decode()
    assert "X did not complete the connection" in text and "invalid_grant" in text
    assert "x-secret" not in text
    assert not SocialAccount.objects.exists()


def test_no_discovered_account_says_what_to_do(admin_client: Client, fake_x: type[FakeX]) -> None:
    fake_x.discovered = []
    state = start(admin_client)["state"][0]
    response = callback(admin_client, code="c", state=state)
    assert response.status_code == 200
    assert "cannot read any account" in response.content.decode()


def test_state_of_another_users_session_is_refused(
    client: Client,
    fake_x: type[FakeX],
    admin_member: User,
    member_factory: Callable[..., User],
    workspace: Workspace,
) -> None:
    client.login(username=admin_member.username, password=PASSWORD)
    state = start(client)["state"][0]
    entry = client.session[oauth.SESSION_STATES][state]
    other = member_factory(workspace, Role.ADMIN, username="second-admin")
    second = Client()
    second.login(username=other.username, password=PASSWORD)
    session = second.session
    session[oauth.SESSION_STATES] = {state: entry}  # as if the state leaked into their session
    session.save()
    assert callback(second, code="c", state=state).status_code == 400
    assert fake_x.exchanges == []


def test_member_of_another_workspace_gets_404_on_a_state_for_this_one(
    client: Client,
    fake_x: type[FakeX],
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    outsider = member_factory(other_workspace, Role.ADMIN)
    client.login(username=outsider.username, password=PASSWORD)
    session = client.session
    session[oauth.SESSION_STATES] = {
        "s1": {"w": workspace.pk, "p": "x", "u": outsider.pk, "t": time.time(), "v": "v" * 50}
    }
    session.save()
    assert callback(client, code="c", state="s1").status_code == 404
    assert fake_x.exchanges == []
    assert (
        client.post(
            reverse("connectors:connect_start", kwargs={"workspace_slug": "acme", "platform": "x"})
        ).status_code
        == 404
    )


def test_viewer_cannot_start_or_finish_a_connection(
    client: Client, fake_x: type[FakeX], viewer: User, workspace: Workspace
) -> None:
    client.login(username=viewer.username, password=PASSWORD)
    url = reverse("connectors:connect_start", kwargs={"workspace_slug": "acme", "platform": "x"})
    assert client.post(url).status_code == 403
    session = client.session
    session[oauth.SESSION_STATES] = {
        "s1": {"w": workspace.pk, "p": "x", "u": viewer.pk, "t": time.time(), "v": ""}
    }
    session.save()
    assert callback(client, code="c", state="s1").status_code == 403
    assert fake_x.exchanges == []


def test_not_configured_platform_shows_variables_and_no_button(
    admin_client: Client, platforms: None
) -> None:
    page = admin_client.get(reverse("connectors:accounts", kwargs={"workspace_slug": "acme"}))
    text = page.content.decode()
    assert "LINKEDIN_CLIENT_ID" in text and "LINKEDIN_CLIENT_SECRET" in text
    assert "Connecting platforms" in text
    linkedin = reverse(
        "connectors:connect_start", kwargs={"workspace_slug": "acme", "platform": "linkedin"}
    )
    x = reverse("connectors:connect_start", kwargs={"workspace_slug": "acme", "platform": "x"})
    assert f'action="{linkedin}"' not in text
    assert f'action="{x}"' in text
    assert f"{SITE}/connect/linkedin/callback/" in text
    # Posting anyway explains what to set instead of failing.
    response = admin_client.post(linkedin, follow=True)
    assert "LINKEDIN_CLIENT_ID" in response.content.decode()
    assert (
        oauth.SESSION_STATES not in admin_client.session
        or not admin_client.session[oauth.SESSION_STATES]
    )


def test_unknown_platform_is_404(admin_client: Client, platforms: None) -> None:
    url = reverse(
        "connectors:connect_start", kwargs={"workspace_slug": "acme", "platform": "myspace"}
    )
    assert admin_client.post(url).status_code == 404
    assert callback(admin_client, "demo", code="c", state="s").status_code == 404


def test_states_are_bounded_in_the_session(admin_client: Client, fake_x: type[FakeX]) -> None:
    for _ in range(oauth.MAX_STATES + 3):
        start(admin_client)
    assert len(admin_client.session[oauth.SESSION_STATES]) == oauth.MAX_STATES
