"""The connector contract: what every platform module and file importer produces.

A connector does HTTP, pagination and field mapping only: no ORM, no Celery, no settings. Its
credentials and ``requests.Session`` are injected, so it is tested against recorded responses.
It yields frozen dataclasses in the canonical vocabulary (``connectors.metrics``); the sync
service upserts them. File importers produce the same dataclasses.

Errors are a small taxonomy that decides what the caller does:
``AuthError`` (permanent: flag the account ``needs_reauth``, never retry), ``RateLimited``
(retry after ``retry_after`` seconds, or not at all when ``daily_quota``), ``TransientError``
(5xx, timeouts: retry with backoff), ``ConnectorError`` (anything else: record, do not retry).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests


class ConnectorError(Exception):
    """A failure a person should read: the message is shown on the sync run as it is."""


class AuthError(ConnectorError):
    """The credentials are expired, revoked or lack a permission."""


class RateLimited(ConnectorError):
    def __init__(
        self, message: str, *, retry_after: float | None = None, daily_quota: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.daily_quota = daily_quota


class TransientError(ConnectorError):
    """A server error, a timeout or a malformed answer that may succeed on a later try."""


@dataclass(frozen=True)
class AccountMetricRow:
    """One account's value of a canonical metric on one day (in the account's timezone)."""

    day: dt.date
    metric: str
    value: float


@dataclass(frozen=True)
class PostRow:
    external_id: str
    published_at: dt.datetime  # aware
    format: str = "other"
    text: str = ""
    permalink: str = ""
    is_paid: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostMetricRow:
    """A post's lifetime counter as read on ``day``."""

    post_external_id: str
    day: dt.date
    metric: str
    value: float


@dataclass(frozen=True)
class OAuthSpec:
    """How a platform's OAuth 2.0 consent and token endpoints are reached."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool = False
    scope_separator: str = " "
    client_id_param: str = "client_id"  # TikTok calls it client_key
    extra_authorize_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DiscoveredAccount:
    """An account the authorising user may add: a Facebook Page, an Instagram account, …"""

    external_id: str
    display_name: str
    handle: str
    credentials: Mapping[str, Any]
    timezone: str | None = None


@dataclass(frozen=True)
class RecordedResponse:
    """A response as received, for the raw-response archive (re-parsing after a mapping fix)."""

    endpoint: str
    params: Mapping[str, Any]
    status_code: int
    body: Any


@dataclass
class FetchNotes:
    """What a fetch could not do without failing: skipped metrics and their reasons."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


class Connector(ABC):
    """One platform. Subclasses set the class attributes and implement the fetch methods."""

    key: ClassVar[str]
    label: ClassVar[str]
    metrics: ClassVar[frozenset[str]]
    oauth: ClassVar[OAuthSpec]
    default_base_url: ClassVar[str]
    # Bump when the mapping of platform metric names to canonical keys changes, so archived raw
    # responses say which mapping their facts were parsed with.
    mapping_version: ClassVar[str] = "1"
    # Platforms revise recent numbers for days after the fact: always re-fetch this window.
    lookback_days: ClassVar[int] = 3
    # True where the platform has no daily history (X, TikTok Display API): the account's
    # counters are read as they are now and stored on the day they were read.
    account_metrics_are_snapshots: ClassVar[bool] = False

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any],
        external_id: str,
        session: requests.Session | None = None,
        base_url: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.external_id = external_id
        self.session = session or requests.Session()
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.notes = FetchNotes()
        self.recorded: list[RecordedResponse] = []

    @classmethod
    @abstractmethod
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
        """Trade an authorisation code for a token set (``access_token``, ``refresh_token``,
        ``expires_at`` as an ISO timestamp, …), long-lived where the platform allows."""

    @classmethod
    @abstractmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        """The accounts the authorised user can add, each with the credentials to sync it."""

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        """Return new credentials when the token is near expiry and can be refreshed (save them:
        some platforms rotate refresh tokens), or None when nothing needed doing."""
        return None

    @abstractmethod
    def check(self) -> None:
        """Raise ``AuthError`` when the credentials cannot be used."""

    @abstractmethod
    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        """Yield daily account metrics for ``start``..``end`` inclusive (days in the account's
        timezone). A snapshot connector yields the current counters dated ``end``."""

    @abstractmethod
    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        """Yield posts published since ``since`` with their lifetime counters read ``today``."""
