"""TikTok: the Display API v2 (Login Kit), whose lifetime counters are snapshotted daily.

The Display API keeps no history, so ``account_metrics_are_snapshots``: the account's counters
are read as they are now and dated ``end``, and each video's counters are dated ``today``.

Mapping, version 1. Account (``user/info``): ``follower_count`` → followers. ``likes_count``
(likes received over the account's life), ``video_count`` and ``following_count`` are lifetime
totals with no canonical metric and are not stored. Videos (``video/list``, format ``video``):
``view_count`` → video_views, ``like_count`` → likes, ``comment_count`` → comments,
``share_count`` → shares. A counter TikTok leaves out is not stored, never zero.

TikTok answers errors in the body, with a 200 or a 4xx: ``{"error": {"code", "message",
"log_id"}}`` where ``"ok"`` means success (``classify``). The token endpoint answers
OAuth-style ``{"error": "invalid_grant", …}`` instead, read by ``connectors.platforms.oauth2``.

Tokens: the access token lasts a day (TikTok now documents shorter: ``expires_in`` is read, not
assumed); the refresh token lasts up to a year and rotates: every refresh returns a new one and
the old one stops working, so the credentials ``refresh_credentials`` returns must be saved.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from django.utils.translation import gettext as _

from connectors.base import (
    AccountMetricRow,
    AuthError,
    Connector,
    ConnectorError,
    DiscoveredAccount,
    OAuthSpec,
    PostMetricRow,
    PostRow,
    RateLimited,
    TransientError,
)
from connectors.http import request_json, retry_after_seconds
from connectors.platforms.oauth2 import (
    credentials_refreshed,
    exchange_code,
    expires_soon,
    refresh_access_token,
)

PLATFORM = "TikTok"
DEFAULT_BASE = "https://open.tiktokapis.com/v2"
REFRESH_MARGIN = dt.timedelta(minutes=10)
VIDEOS_PER_PAGE = 20  # the Display API's maximum
# TikTok counts its rate limits over a sliding minute.
RATE_LIMIT_WAIT_SECONDS = 60.0

VIDEO_FIELDS = (
    "id,create_time,title,video_description,duration,share_url,"
    "view_count,like_count,comment_count,share_count"
)
VIDEO_COUNTERS: dict[str, str] = {
    "view_count": "video_views",
    "like_count": "likes",
    "comment_count": "comments",
    "share_count": "shares",
}
# user/info fields by the scope that unlocks them; asking for a field whose scope the user did
# not grant fails the whole request, and users may untick scopes on the consent screen.
USER_FIELDS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    "user.info.basic": ("open_id", "union_id", "display_name"),
    "user.info.profile": ("username",),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
AUTH_CODES = frozenset({"access_token_invalid", "scope_not_authorized", "scope_permission_missed"})


class TikTokConnector(Connector):
    """A TikTok account. Credentials: the token set of ``connectors.platforms.oauth2``
    (``access_token``, ``refresh_token``, ``expires_at``, ``refresh_token_expires_at``,
    ``open_id`` and the granted ``scope``)."""

    key = "tiktok"
    label = "TikTok"
    metrics = frozenset({"followers", *VIDEO_COUNTERS.values()})
    oauth = OAuthSpec(
        authorize_url="https://www.tiktok.com/v2/auth/authorize/",
        token_url=f"{DEFAULT_BASE}/oauth/token/",
        # user.info.profile holds the @username, shown as the account's handle.
        scopes=("user.info.basic", "user.info.profile", "user.info.stats", "video.list"),
        pkce=True,
        scope_separator=",",
        client_id_param="client_key",
    )
    default_base_url = DEFAULT_BASE
    account_metrics_are_snapshots = True

    @classmethod
    def oauth_exchange(
        cls,
        *,
        code: str,
        redirect_uri: str,
        client_id: str,
        client_secret: str,
        code_verifier: str | None,
        session: requests.Session,
        base_url: str | None = None,
    ) -> dict[str, Any]:
        return exchange_code(
            token_url=f"{_base(base_url)}/oauth/token/",
            code=code,
            redirect_uri=redirect_uri,
            client_id=client_id,
            client_secret=client_secret,
            code_verifier=code_verifier,
            session=session,
            platform=PLATFORM,
            client_id_param="client_key",
        )

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        fields = user_fields(token.get("scope"), wanted=("user.info.basic", "user.info.profile"))
        user = _user(None, fields, token=token, session=session, base=_base(base_url))
        open_id = str(user.get("open_id") or token.get("open_id") or "")
        if not open_id:
            return []
        username = str(user.get("username") or "")
        return [
            DiscoveredAccount(
                external_id=open_id,
                display_name=str(user.get("display_name") or username or open_id),
                handle=f"@{username}" if username else "",
                credentials=dict(token),
            )
        ]

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        """Refresh when under ten minutes remain (or the expiry is unknown). The answer holds
        a new refresh token that replaces the old one: the caller must save the result."""
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token or not expires_soon(
            self.credentials, margin=REFRESH_MARGIN, unknown=True
        ):
            return None
        fresh = refresh_access_token(
            token_url=f"{self.base_url}/oauth/token/",
            refresh_token=str(refresh_token),
            client_id=client_id,
            client_secret=client_secret,
            session=self.session,
            platform=PLATFORM,
            client_id_param="client_key",
        )
        self.credentials = credentials_refreshed(self.credentials, fresh)
        return dict(self.credentials)

    def check(self) -> None:
        user = self._user(("open_id",))
        if user.get("open_id") != self.external_id:
            raise AuthError(
                _(
                    "This TikTok authorisation is for another account. Reconnect the account "
                    "while logged in to TikTok as its owner."
                )
            )

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        if end < start:
            return
        user = self._user(USER_FIELDS_BY_SCOPE["user.info.stats"])
        followers = number(user.get("follower_count"))
        if followers is None:
            self.notes.warn(
                _(
                    "TikTok did not return the follower count. Reconnect the account and allow "
                    "Rapport to read its statistics."
                )
            )
            return
        yield AccountMetricRow(day=end, metric="followers", value=followers)

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        cursor: Any = None
        seen: set[str] = set()
        while True:
            request: dict[str, Any] = {"max_count": VIDEOS_PER_PAGE}
            if cursor is not None:
                request["cursor"] = cursor
            body = self._call("POST", "/video/list/", params={"fields": VIDEO_FIELDS}, json=request)
            data = body.get("data") or {}
            parsed = [
                row
                for video in data.get("videos") or []
                if isinstance(video, Mapping) and (row := video_parse(video, today=today))
            ]
            for post, counters in parsed:
                if post.published_at.date() >= since:
                    yield post, counters
            # Newest first: the page's last video tells whether older pages can still matter
            # (its first one may be a pinned, older video).
            reached_since = bool(parsed) and parsed[-1][0].published_at.date() < since
            cursor = data.get("cursor")
            if reached_since or not data.get("has_more") or cursor is None or str(cursor) in seen:
                return
            seen.add(str(cursor))

    def _user(self, fields: tuple[str, ...]) -> Mapping[str, Any]:
        return _user(self, fields, token=self.credentials, session=self.session, base=self.base_url)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any],
        json: Any = None,
    ) -> Mapping[str, Any]:
        return api_call(
            self,
            method,
            f"{self.base_url}{path}",
            params=params,
            json_body=json,
            token=self.credentials,
            session=self.session,
        )


def classify(response: requests.Response, body: Any) -> ConnectorError | None:
    """TikTok's verdict from the body, whatever the status: ``ok`` is success;
    ``access_token_invalid``/``scope_not_authorized``/``scope_permission_missed`` →
    ``AuthError``; ``rate_limit_exceeded`` → ``RateLimited``; ``internal_error`` →
    ``TransientError``. Other codes, and bodies without a verdict, are left to the status
    (``connectors.http``), except in a 200, where they are a ``ConnectorError``."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None
    code = str(error.get("code") or "")
    if code in ("", "ok"):
        return None
    reference = {"code": code, "log_id": str(error.get("log_id") or "-")}
    if code in AUTH_CODES:
        return AuthError(
            _(
                "TikTok refused Rapport's access to the account (%(code)s, log %(log_id)s). "
                "Reconnect the account and allow every permission Rapport asks for."
            )
            % reference
        )
    if code == "rate_limit_exceeded":
        return RateLimited(
            _("TikTok asked Rapport to slow down; the sync will be retried shortly."),
            retry_after=retry_after_seconds(response) or RATE_LIMIT_WAIT_SECONDS,
        )
    if code == "internal_error":
        return TransientError(
            _("TikTok had an internal error (log %(log_id)s); it will be retried.") % reference
        )
    if response.status_code >= 400:
        return None
    return ConnectorError(
        _("TikTok rejected the request (%(code)s: %(detail)s, log %(log_id)s).")
        % {**reference, "detail": str(error.get("message") or code)}
    )


def api_call(
    connector: Connector | None,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any],
    token: Mapping[str, Any],
    session: requests.Session,
    json_body: Any = None,
) -> Mapping[str, Any]:
    """Call the Display API with the bearer token; an empty answer reads as ``{}``."""
    access_token = token.get("access_token")
    if not access_token:
        raise AuthError(_("Rapport holds no access token for this TikTok account. Reconnect it."))
    body = request_json(
        connector,
        method,
        url,
        session=session,
        platform=PLATFORM,
        params=params,
        headers={"Authorization": f"Bearer {access_token}"},
        json_body=json_body,
        classify=classify,
    )
    return body if isinstance(body, Mapping) else {}


def _user(
    connector: Connector | None,
    fields: tuple[str, ...],
    *,
    token: Mapping[str, Any],
    session: requests.Session,
    base: str,
) -> Mapping[str, Any]:
    body = api_call(
        connector,
        "GET",
        f"{base}/user/info/",
        params={"fields": ",".join(fields)},
        token=token,
        session=session,
    )
    user = (body.get("data") or {}).get("user")
    return user if isinstance(user, Mapping) else {}


def user_fields(scope: Any, *, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The ``user/info`` fields of the ``wanted`` scopes the user granted (``scope`` is TikTok's
    comma-separated list; when unknown, only the basic fields are asked for)."""
    granted = {s.strip() for s in str(scope or "user.info.basic").split(",")} | {"user.info.basic"}
    return tuple(f for s in wanted if s in granted for f in USER_FIELDS_BY_SCOPE.get(s, ()))


def video_parse(
    video: Mapping[str, Any], *, today: dt.date
) -> tuple[PostRow, list[PostMetricRow]] | None:
    """A ``video/list`` item as a post and its lifetime counters read ``today``."""
    video_id = video.get("id")
    created = number(video.get("create_time"))
    if not video_id or created is None:
        return None
    post = PostRow(
        external_id=str(video_id),
        published_at=dt.datetime.fromtimestamp(created, dt.UTC),
        format="video",
        text=str(video.get("video_description") or video.get("title") or ""),
        permalink=str(video.get("share_url") or ""),
    )
    counters = []
    for name, metric in VIDEO_COUNTERS.items():
        value = number(video.get(name))
        if value is not None:
            counters.append(
                PostMetricRow(post_external_id=str(video_id), day=today, metric=metric, value=value)
            )
    return post, counters


def number(raw: Any) -> float | None:
    """A counter as a float; absent, unreadable or infinite means unknown."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _base(base_url: str | None) -> str:
    return (base_url or DEFAULT_BASE).rstrip("/")
