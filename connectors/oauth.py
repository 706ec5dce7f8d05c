"""The OAuth connect flow, the same for every platform: authorise, pick accounts, save them.

1. ``authorize_url_build`` stores a random ``state`` (with the workspace, the platform, the user
   and, where the platform wants PKCE, the code verifier) in the server-side session and returns
   the provider's consent URL.
2. The provider sends the browser back to one fixed callback URL per platform
   (``SITE_URL/connect/<platform>/callback/``): the workspace travels in the state, so the URL
   registered with the provider never changes. ``oauth_state_consume`` checks the state (single
   use, ten minutes, same user) and ``oauth_accounts_discover`` trades the code for tokens and
   lists the accounts those tokens can read.
3. The discovered accounts wait in the session, their credentials encrypted, until the admin
   ticks the ones to add; ``accounts_connect`` saves them and requests their first sync.

Tokens never reach the browser, the logs or an error message.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from connectors.base import DiscoveredAccount
from connectors.crypto import credentials_decrypt, credentials_encrypt
from connectors.models import (
    AccountStatus,
    Platform,
    SocialAccount,
    SyncTrigger,
    User,
    Workspace,
    validate_timezone,
)
from connectors.registry import CONNECTORS, connector_class
from connectors.sync import sync_run_request

STATE_TTL_SECONDS = 10 * 60
PENDING_TTL_SECONDS = 30 * 60
# A few flows may be open at once (two tabs, a retry); more only bloats the session row.
MAX_STATES = 8
MAX_PENDING = 4

SESSION_STATES = "rapport_oauth_states"
SESSION_PENDING = "rapport_connect_pending"

# TikTok's Login Kit expects the hex digest of the verifier as its S256 challenge, not the
# base64url encoding RFC 7636 specifies; the other platforms follow the RFC.
_HEX_CHALLENGE_PLATFORMS = frozenset({"tiktok"})


class OAuthFlowError(Exception):
    """A connect attempt that cannot go on; the message is shown to the admin as it is.

    ``workspace_id`` is set when the attempt is known to belong to a workspace, so the page can
    link back to its accounts (once the caller has checked the user is still a member).
    """

    def __init__(self, message: str, *, workspace_id: int | None = None) -> None:
        super().__init__(message)
        self.workspace_id = workspace_id


@dataclass(frozen=True)
class PlatformApp:
    """A platform as the Connect page shows it: configured (client id and secret set) or not."""

    key: str
    label: str
    configured: bool
    client_id_variable: str
    client_secret_variable: str
    redirect_uri: str


@dataclass(frozen=True)
class OAuthState:
    """A pending authorisation, as stored in the session under its random ``state``."""

    workspace_id: int
    platform: str
    user_id: int
    created_at: float
    code_verifier: str | None


@dataclass(frozen=True)
class PendingConnection:
    """Accounts discovered after an authorisation, waiting for the admin to pick them."""

    pending_id: str
    workspace_id: int
    platform: str
    accounts: list[DiscoveredAccount]


def platform_apps() -> list[PlatformApp]:
    """Every platform Rapport can connect, in settings order, with whether its app is set up."""
    return [platform_app(key) for key in settings.PLATFORM_KEYS]


def platform_app(key: str) -> PlatformApp:
    """Raises ``KeyError`` for a key that is not a connectable platform."""
    if key not in settings.PLATFORM_KEYS or key not in CONNECTORS:
        raise KeyError(key)
    app = settings.PLATFORM_APPS.get(key, {})
    return PlatformApp(
        key=key,
        label=str(Platform(key).label),
        configured=bool(app.get("client_id") and app.get("client_secret")),
        client_id_variable=f"{key.upper()}_CLIENT_ID",
        client_secret_variable=f"{key.upper()}_CLIENT_SECRET",
        redirect_uri=callback_url(key),
    )


def callback_url(platform: str) -> str:
    """The redirect URI to register with ``platform``: absolute, fixed, without parameters."""
    path = reverse("connectors:connect_callback", kwargs={"platform": platform})
    return f"{settings.SITE_URL}{path}"


def pkce_challenge(verifier: str, *, platform: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    if platform in _HEX_CHALLENGE_PLATFORMS:
        return digest.hex()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url_build(
    *,
    session: SessionBase,
    user: User,
    workspace: Workspace,
    platform: str,
    now: float | None = None,
) -> str:
    """Remember a new state in ``session`` and return the consent URL of ``platform``.

    Raises ``OAuthFlowError`` when the platform has no client id and secret configured.
    """
    app = platform_app(platform)
    if not app.configured:
        raise OAuthFlowError(
            _("%(platform)s is not configured: set %(id)s and %(secret)s, then restart Rapport.")
            % {
                "platform": app.label,
                "id": app.client_id_variable,
                "secret": app.client_secret_variable,
            }
        )
    spec = connector_class(platform).oauth
    now = time.time() if now is None else now
    state = secrets.token_urlsafe(32)
    # 64 url-safe bytes encode to 86 characters, inside RFC 7636's 43 to 128.
    verifier = secrets.token_urlsafe(64) if spec.pkce else None
    states = _live(session.get(SESSION_STATES, {}), ttl=STATE_TTL_SECONDS, now=now)
    states[state] = {
        "w": workspace.pk,
        "p": platform,
        "u": user.pk,
        "t": now,
        "v": verifier or "",
    }
    session[SESSION_STATES] = _newest(states, MAX_STATES)

    params: dict[str, str] = {
        spec.client_id_param: settings.PLATFORM_APPS[platform]["client_id"],
        "redirect_uri": callback_url(platform),
        "response_type": "code",
        "scope": spec.scope_separator.join(spec.scopes),
        "state": state,
    }
    if verifier:
        params["code_challenge"] = pkce_challenge(verifier, platform=platform)
        params["code_challenge_method"] = "S256"
    params.update(dict(spec.extra_authorize_params))
    separator = "&" if "?" in spec.authorize_url else "?"
    return f"{spec.authorize_url}{separator}{urllib.parse.urlencode(params)}"


def oauth_state_consume(
    *, session: SessionBase, state: str, platform: str, user: User, now: float | None = None
) -> OAuthState:
    """Take ``state`` out of ``session`` (it can be used once) and return what it stood for.

    Raises ``OAuthFlowError`` when the state is unknown, already used, older than ten minutes,
    for another platform or started by another user. Checking that the user may still manage
    the workspace's accounts is the caller's job.
    """
    now = time.time() if now is None else now
    states = dict(session.get(SESSION_STATES, {}))
    entry = states.pop(state, None) if state else None
    session[SESSION_STATES] = _live(states, ttl=STATE_TTL_SECONDS, now=now)
    if not isinstance(entry, Mapping):
        raise OAuthFlowError(
            _(
                "This connection attempt is unknown or was already used. "
                "Start again from the Accounts page."
            )
        )
    if entry.get("p") != platform or entry.get("u") != user.pk:
        raise OAuthFlowError(
            _("This connection was started by someone else or for another platform.")
        )
    parsed = OAuthState(
        workspace_id=int(entry["w"]),
        platform=str(entry["p"]),
        user_id=int(entry["u"]),
        created_at=float(entry["t"]),
        code_verifier=str(entry["v"]) or None,
    )
    if now - parsed.created_at > STATE_TTL_SECONDS:
        raise OAuthFlowError(
            _("The authorisation took more than ten minutes and has expired. Click Connect again."),
            workspace_id=parsed.workspace_id,
        )
    return parsed


def oauth_accounts_discover(
    *,
    platform: str,
    code: str,
    code_verifier: str | None,
    http: requests.Session | None = None,
) -> list[DiscoveredAccount]:
    """Trade the authorisation ``code`` for tokens and list the accounts they can read.

    Raises the connector's ``AuthError``/``ConnectorError`` when the platform refuses.
    """
    cls = connector_class(platform)
    app = settings.PLATFORM_APPS[platform]
    base_url = app.get("api_base") or None
    session = http or requests.Session()
    try:
        token = cls.oauth_exchange(
            code=code,
            redirect_uri=callback_url(platform),
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            code_verifier=code_verifier,
            session=session,
            base_url=base_url,
        )
        return cls.discover_accounts(token=token, session=session, base_url=base_url)
    finally:
        if http is None:
            session.close()


def connect_pending_store(
    *,
    session: SessionBase,
    workspace: Workspace,
    platform: str,
    user: User,
    accounts: Sequence[DiscoveredAccount],
    now: float | None = None,
) -> str:
    """Keep discovered accounts in the session, credentials encrypted; return their key."""
    now = time.time() if now is None else now
    pending = _live(session.get(SESSION_PENDING, {}), ttl=PENDING_TTL_SECONDS, now=now)
    pending_id = secrets.token_urlsafe(12)
    pending[pending_id] = {
        "w": workspace.pk,
        "p": platform,
        "u": user.pk,
        "t": now,
        "accounts": [
            {
                "external_id": account.external_id,
                "display_name": account.display_name,
                "handle": account.handle,
                "timezone": account.timezone or "",
                "credentials": credentials_encrypt(dict(account.credentials)),
            }
            for account in accounts
        ],
    }
    session[SESSION_PENDING] = _newest(pending, MAX_PENDING)
    return pending_id


def connect_pending_get(
    *,
    session: SessionBase,
    pending_id: str,
    workspace: Workspace,
    user: User,
    now: float | None = None,
) -> PendingConnection:
    """The accounts stored by ``connect_pending_store`` for this workspace and user.

    Raises ``OAuthFlowError`` when they are unknown or older than thirty minutes.
    """
    now = time.time() if now is None else now
    pending = _live(session.get(SESSION_PENDING, {}), ttl=PENDING_TTL_SECONDS, now=now)
    entry = pending.get(pending_id)
    if (
        not isinstance(entry, Mapping)
        or entry.get("w") != workspace.pk
        or entry.get("u") != user.pk
    ):
        raise OAuthFlowError(
            _("These accounts are no longer waiting to be added. Click Connect again.")
        )
    return PendingConnection(
        pending_id=pending_id,
        workspace_id=workspace.pk,
        platform=str(entry["p"]),
        accounts=[
            DiscoveredAccount(
                external_id=str(item["external_id"]),
                display_name=str(item["display_name"]),
                handle=str(item["handle"]),
                timezone=str(item["timezone"]) or None,
                credentials=credentials_decrypt(str(item["credentials"])),
            )
            for item in entry["accounts"]
        ],
    )


def connect_pending_drop(*, session: SessionBase, pending_id: str) -> None:
    pending = dict(session.get(SESSION_PENDING, {}))
    if pending.pop(pending_id, None) is not None:
        session[SESSION_PENDING] = pending


def accounts_connect(
    *, workspace: Workspace, platform: str, accounts: Sequence[DiscoveredAccount]
) -> list[SocialAccount]:
    """Create or update ``accounts`` in ``workspace`` and request the first sync of each.

    An account already in the workspace (same platform and external id) is re-authorised: its
    credentials are replaced and it becomes active again; its history is kept.
    """
    saved: list[SocialAccount] = []
    with transaction.atomic():
        for discovered in accounts:
            account = (
                SocialAccount.objects.select_for_update()
                .filter(workspace=workspace, platform=platform, external_id=discovered.external_id)
                .first()
            )
            if account is None:
                account = SocialAccount(
                    workspace=workspace,
                    platform=platform,
                    external_id=discovered.external_id,
                    timezone=_timezone_or(discovered.timezone, workspace.timezone),
                )
            elif discovered.timezone:
                account.timezone = _timezone_or(discovered.timezone, account.timezone)
            account.display_name = discovered.display_name[:200] or discovered.external_id
            account.handle = discovered.handle[:128]
            account.status = AccountStatus.ACTIVE
            account.credentials = dict(discovered.credentials)
            account.save()
            saved.append(account)
        for account in saved:
            sync_run_request(account=account, trigger=SyncTrigger.CONNECT)
    return saved


def _timezone_or(candidate: str | None, fallback: str) -> str:
    if not candidate:
        return fallback
    try:
        validate_timezone(candidate)
    except ValidationError:
        return fallback
    return candidate


def _live(entries: Any, *, ttl: float, now: float) -> dict[str, Any]:
    if not isinstance(entries, Mapping):
        return {}
    return {
        key: value
        for key, value in entries.items()
        if isinstance(value, Mapping) and now - float(value.get("t", 0)) <= ttl
    }


def _newest(entries: dict[str, Any], limit: int) -> dict[str, Any]:
    ordered = sorted(entries.items(), key=lambda item: float(item[1]["t"]), reverse=True)
    return dict(ordered[:limit])
