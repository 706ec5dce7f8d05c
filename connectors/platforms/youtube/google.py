"""How Rapport reaches Google for YouTube: its hosts, and what its errors mean.

Hosts and ``base_url``. With the default base, ``https://www.googleapis.com``, each API is
reached on Google's own host: ``https://www.googleapis.com/youtube/v3``,
``https://youtubeanalytics.googleapis.com/v2`` and ``https://oauth2.googleapis.com/token``.
With any other base (a proxy, a local test server) all three live under it, so that one server
can stand in for Google: ``{base}/youtube/v3/…``, ``{base}/youtubeAnalytics/v2/reports`` and
``{base}/oauth2/v4/token`` (the older Google path of the token endpoint).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import requests
from django.utils.translation import gettext as _

from connectors.base import AuthError, Connector, ConnectorError, RateLimited
from connectors.http import request_json, retry_after_seconds

PLATFORM = "YouTube"
GOOGLE_BASE = "https://www.googleapis.com"
# YouTube Analytics counts days, and the Data API resets its daily quota, in Pacific time.
PACIFIC = ZoneInfo("America/Los_Angeles")

DAILY_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
SHORT_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
)
API_DISABLED_REASONS = frozenset({"accessNotConfigured", "SERVICE_DISABLED"})
SHORT_LIMIT_WAIT_SECONDS = 60.0
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Endpoints:
    data: str
    analytics: str
    token: str


def endpoints(base_url: str | None) -> Endpoints:
    """Where each Google API lives for ``base_url`` (the rule is in the module docstring)."""
    base = (base_url or GOOGLE_BASE).rstrip("/")
    if base == GOOGLE_BASE:
        return Endpoints(
            data=f"{base}/youtube/v3",
            analytics="https://youtubeanalytics.googleapis.com/v2",
            token="https://oauth2.googleapis.com/token",  # noqa: S106 (a URL, not a secret)
        )
    return Endpoints(
        data=f"{base}/youtube/v3",
        analytics=f"{base}/youtubeAnalytics/v2",
        token=f"{base}/oauth2/v4/token",
    )


class NoUploads(ConnectorError):
    """The channel has no uploads playlist (it never uploaded a video)."""


def classify(response: requests.Response, body: Any) -> ConnectorError | None:
    """Google's errors by their reasons: a 403 may be a quota, not a refused authorisation.

    ``quotaExceeded``/``dailyLimitExceeded`` (or a per-day quota limit) → ``RateLimited`` with
    ``daily_quota`` until midnight Pacific time; ``rateLimitExceeded``/``userRateLimitExceeded``
    → a short ``RateLimited``; any other 401/403 → ``AuthError``. The rest is left to
    ``connectors.http`` (429, 5xx, other 4xx).
    """
    status = response.status_code
    if status < 400:
        return None
    reasons, detail = _google_error(body)
    if reasons & DAILY_QUOTA_REASONS:
        return RateLimited(
            _(
                "YouTube's daily quota for Rapport is used up. Syncing resumes after midnight "
                "Pacific time; if this happens often, ask Google for more quota."
            ),
            retry_after=seconds_until_pacific_midnight(),
            daily_quota=True,
        )
    if reasons & SHORT_LIMIT_REASONS:
        return RateLimited(
            _("YouTube asked Rapport to slow down; the sync will be retried shortly."),
            retry_after=retry_after_seconds(response) or SHORT_LIMIT_WAIT_SECONDS,
        )
    if reasons & API_DISABLED_REASONS:
        return ConnectorError(
            _(
                "The YouTube Data API or YouTube Analytics API is not enabled for Rapport's "
                "Google Cloud project. Enable both in the Google Cloud console."
            )
        )
    if "playlistNotFound" in reasons:
        return NoUploads(detail)
    if status in (401, 403):
        return AuthError(
            _("YouTube refused access to the channel (%(status)s: %(detail)s). Reconnect it.")
            % {"status": status, "detail": detail or response.reason}
        )
    return None


def _google_error(body: Any) -> tuple[set[str], str]:
    """The reasons of a Google error (``errors[].reason``, ``details[].reason``) and its
    message without markup. A per-day quota limit counts as ``dailyLimitExceeded``."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return set(), ""
    message = _TAGS.sub("", str(error.get("message") or error.get("status") or ""))
    reasons: set[str] = set()
    for entry in [*(error.get("errors") or []), *(error.get("details") or [])]:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("reason"):
            reasons.add(str(entry["reason"]))
        metadata = entry.get("metadata")
        quota_limit = (
            str(metadata.get("quota_limit") or "") if isinstance(metadata, Mapping) else ""
        )
        if "PerDay" in quota_limit:
            reasons.add("dailyLimitExceeded")
    # Newer Google answers name the exhausted limit only in the message
    # ("… limit 'Queries per day' …", "FreeQuotaRequestsPerDayPerProject").
    if reasons & SHORT_LIMIT_REASONS and ("PerDay" in message or "per day" in message):
        reasons.add("dailyLimitExceeded")
    return reasons, message


def api_get(
    connector: Connector | None,
    url: str,
    *,
    params: Mapping[str, Any],
    token: Mapping[str, Any],
    session: requests.Session,
) -> Mapping[str, Any]:
    """GET a Google API with the bearer token; an empty or non-object answer reads as ``{}``."""
    access_token = token.get("access_token")
    if not access_token:
        raise AuthError(_("Rapport holds no access token for this channel. Reconnect it."))
    body = request_json(
        connector,
        "GET",
        url,
        session=session,
        platform=PLATFORM,
        params=params,
        headers={"Authorization": f"Bearer {access_token}"},
        classify=classify,
    )
    return body if isinstance(body, Mapping) else {}


def seconds_until_pacific_midnight(now: dt.datetime | None = None) -> float:
    """When YouTube's daily quota resets. Computed in UTC: subtracting two datetimes that share
    a zone ignores a daylight-saving change between them."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone(PACIFIC)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=PACIFIC)
    return (midnight.astimezone(dt.UTC) - local.astimezone(dt.UTC)).total_seconds()
