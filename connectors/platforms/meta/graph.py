"""Authenticated Graph requests, pagination, OAuth and the ``MetaConnector`` base class."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import requests
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from connectors.base import AuthError, Connector, ConnectorError
from connectors.http import Classifier, request_json
from connectors.platforms.meta.errors import meta_classifier
from connectors.platforms.meta.insights import MAPPING_VERSION, Capabilities, data_items, number

GRAPH_API_VERSION = "v25.0"
GRAPH_BASE_URL = f"https://graph.facebook.com/{GRAPH_API_VERSION}"
LOGIN_DIALOG_URL = f"https://www.facebook.com/{GRAPH_API_VERSION}/dialog/oauth"
TOKEN_URL = f"{GRAPH_BASE_URL}/oauth/access_token"
# Long-lived user tokens last about 60 days; renew them a week ahead so a missed sync or two
# does not let one lapse. Page tokens obtained from a long-lived user token never expire.
REFRESH_BEFORE = dt.timedelta(days=7)
LONG_LIVED_TOKEN_LIFETIME = dt.timedelta(days=60)


def next_request(next_url: str, base_url: str) -> tuple[str, dict[str, str]]:
    """The path (relative to ``base_url``) and parameters of a ``paging.next`` URL.

    Meta copies ``access_token`` into these URLs; it is dropped (the token travels in a header),
    and the host and version are replaced by ``base_url`` so every call goes to the same API.
    """
    parts = urlsplit(next_url)
    params = {
        k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    }
    if next_url.startswith(base_url + "/"):
        path = urlsplit(base_url + "/").path
        return parts.path.removeprefix(path.rstrip("/")), params
    return re.sub(r"^/v\d+(\.\d+)?(?=/)", "", parts.path), params


def graph_get(
    connector: Connector | None,
    path: str,
    *,
    session: requests.Session,
    base_url: str,
    platform: str,
    classify: Classifier,
    token: str | None,
    params: Mapping[str, Any] | None = None,
) -> Any:
    """GET a Graph path with the token in the ``Authorization`` header, never in the URL, so it
    reaches neither recorded parameters nor server logs."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return request_json(
        connector,
        "GET",
        f"{base_url.rstrip('/')}/{path.lstrip('/')}",
        session=session,
        platform=platform,
        params=params,
        headers=headers,
        classify=classify,
    )


def token_exchange(
    *,
    session: requests.Session,
    base_url: str,
    platform: str,
    classify: Classifier,
    client_id: str,
    client_secret: str,
    token: str,
) -> dict[str, Any]:
    """Trade a user token for a long-lived one (``grant_type=fb_exchange_token``)."""
    body = graph_get(
        None,
        "oauth/access_token",
        session=session,
        base_url=base_url,
        platform=platform,
        classify=classify,
        token=None,
        params={
            "grant_type": "fb_exchange_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "fb_exchange_token": token,
        },
    )
    long_lived = _token_from(body, platform)
    # Meta sometimes leaves out expires_in on long-lived tokens; they last 60 days.
    expires_in = number(body.get("expires_in"))
    lifetime = dt.timedelta(seconds=expires_in) if expires_in else LONG_LIVED_TOKEN_LIFETIME
    return {
        "access_token": long_lived,
        "token_type": "user",
        "expires_at": (dt.datetime.now(dt.UTC) + lifetime).isoformat(),
    }


def _token_from(body: Any, platform: str) -> str:
    token = body.get("access_token") if isinstance(body, Mapping) else None
    if not isinstance(token, str) or not token:
        raise ConnectorError(
            _("%(platform)s answered the sign-in without an access token; connect again.")
            % {"platform": platform}
        )
    return token


class MetaConnector(Connector):
    """What the Facebook and Instagram connectors share. Credentials hold ``access_token`` (a
    Page token, which does not expire, or a user token with ``expires_at``)."""

    default_base_url: ClassVar[str] = GRAPH_BASE_URL
    mapping_version: ClassVar[str] = MAPPING_VERSION
    # Meta revises the last two or three days of insights; Instagram may lag up to 48 hours.
    lookback_days: ClassVar[int] = 3
    # "Page" or "Instagram account": what an admin reconnects.
    thing: ClassVar[str | Promise]

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any],
        external_id: str,
        session: requests.Session | None = None,
        base_url: str | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials, external_id=external_id, session=session, base_url=base_url
        )
        self._capabilities: dict[str, Capabilities] = {}

    @classmethod
    def classify(cls, *, sign_in: bool = False) -> Classifier:
        return meta_classifier(cls.label, cls.thing, sign_in=sign_in)

    def capabilities(self, kind: str) -> Capabilities:
        return self._capabilities.setdefault(kind, Capabilities())

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        token = self.credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthError(
                _("No %(platform)s access is saved for this %(thing)s: reconnect it.")
                % {"platform": self.label, "thing": self.thing}
            )
        return graph_get(
            self,
            path,
            session=self.session,
            base_url=self.base_url,
            platform=self.label,
            classify=self.classify(),
            token=token,
            params=params,
        )

    def pages(self, path: str, params: Mapping[str, Any]) -> Iterator[list[Mapping[str, Any]]]:
        """The ``data`` of each page of a Graph list, following ``paging.next`` to the end."""
        request: tuple[str, Mapping[str, Any]] | None = (path, params)
        seen: set[str] = set()
        while request is not None:
            body = self.get(*request)
            items = data_items(body)
            if not items:
                return
            yield items
            paging = body.get("paging") if isinstance(body, Mapping) else None
            next_url = paging.get("next") if isinstance(paging, Mapping) else None
            if not isinstance(next_url, str) or next_url in seen:
                return
            seen.add(next_url)
            request = next_request(next_url, self.base_url)

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
        """Code → short-lived user token → long-lived user token (about 60 days)."""
        base = (base_url or cls.default_base_url).rstrip("/")
        body = graph_get(
            None,
            "oauth/access_token",
            session=session,
            base_url=base,
            platform=cls.label,
            classify=cls.classify(sign_in=True),
            token=None,
            params={
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        return token_exchange(
            session=session,
            base_url=base,
            platform=cls.label,
            classify=cls.classify(sign_in=True),
            client_id=client_id,
            client_secret=client_secret,
            token=_token_from(body, cls.label),
        )

    @classmethod
    def owned_pages(
        cls,
        *,
        token: Mapping[str, Any],
        session: requests.Session,
        base_url: str | None,
        fields: str,
    ) -> Iterator[Mapping[str, Any]]:
        """The Pages the authorising user manages (``/me/accounts``), every page of them."""
        connector = cls(credentials=token, external_id="me", session=session, base_url=base_url)
        for items in connector.pages("me/accounts", {"fields": fields, "limit": 100}):
            yield from items

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        """Exchange a user token again in its last week; Page tokens need nothing."""
        raw = self.credentials.get("expires_at")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            expires_at = dt.datetime.fromisoformat(raw)
        except ValueError:
            return None
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if expires_at - dt.datetime.now(dt.UTC) > REFRESH_BEFORE:
            return None
        token = token_exchange(
            session=self.session,
            base_url=self.base_url,
            platform=self.label,
            classify=self.classify(sign_in=True),
            client_id=client_id,
            client_secret=client_secret,
            token=str(self.credentials.get("access_token") or ""),
        )
        return {**self.credentials, **token}

    def check(self) -> None:
        """A cheap read of the account itself; the classifier turns a bad token into AuthError."""
        self.get(self.external_id, {"fields": "id,name"})
