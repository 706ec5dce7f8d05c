"""How Meta's error bodies become connector errors.

Meta answers most failures with HTTP 400 and ``{"error": {"code": …, "error_subcode": …}}``: the
code, not the status, says whether the token expired, a limit was hit or a metric was removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import requests
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from connectors.base import AuthError, ConnectorError, RateLimited, TransientError
from connectors.http import Classifier, retry_after_seconds

_AUTH_CODES = frozenset({102, 190, 463, 467})
_AUTH_SUBCODES = frozenset({458, 459, 460, 463, 464, 467})
_PERMISSION_CODES = frozenset({10, *range(200, 300)})
_RATE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80007)})
_TRANSIENT_CODES = frozenset({1, 2})
_INVALID_PARAMETER = 100
_OBJECT_UNREADABLE_SUBCODE = 33
_POSTED_BEFORE_BUSINESS_SUBCODE = 2108006
_USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage")
_TOKEN_PATTERNS = (
    re.compile(r"(access_token=)[^&\s\"']+"),
    re.compile(r"\b(?:EAA|IG)[A-Za-z0-9_-]{20,}"),
)


class InvalidMetricError(ConnectorError):
    """Meta's ``(#100)``: a metric or field in the request is unknown or no longer reported.

    One such name fails the whole request, so insights calls catch this and retry the metrics
    one by one (``insights_fetch``)."""


class InsightsUnavailable(ConnectorError):
    """Meta has no insights for this object: too few viewers, posted before the account became
    a business account, or an object type without an insights edge."""


def token_scrub(text: str) -> str:
    """``text`` without anything that looks like a Meta access token."""
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[hidden]", text)
    return text


def regain_access_seconds(response: requests.Response) -> float | None:
    """Seconds until Meta lifts throttling, from ``estimated_time_to_regain_access`` (minutes)
    in the usage headers, else from ``Retry-After``."""
    minutes: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            estimate = value.get("estimated_time_to_regain_access")
            if isinstance(estimate, int | float) and not isinstance(estimate, bool):
                minutes.append(float(estimate))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for header in _USAGE_HEADERS:
        raw = response.headers.get(header)
        if raw:
            try:
                walk(json.loads(raw))
            except ValueError:
                continue
    waiting = [m for m in minutes if m > 0]
    return max(waiting) * 60 if waiting else retry_after_seconds(response)


def meta_classifier(platform: str, thing: str | Promise, *, sign_in: bool = False) -> Classifier:
    """The ``classify`` callback for ``request_json``: Meta's error codes hide in the body.

    ``sign_in`` is for the token endpoint, where a ``(#100)`` is a refused code, not a metric.
    """

    def classify(response: requests.Response, body: Any) -> ConnectorError | None:
        status = response.status_code
        if status < 400:
            return None
        error = body.get("error") if isinstance(body, Mapping) else None
        names = {"platform": platform, "thing": thing}
        if not isinstance(error, Mapping):
            if status in (401, 403):
                return AuthError(
                    _("%(platform)s refused the saved access: reconnect the %(thing)s.") % names
                )
            return None
        code, subcode = _as_int(error.get("code")), _as_int(error.get("error_subcode"))
        detail = token_scrub(str(error.get("message") or error.get("error_user_msg") or status))
        if code in _AUTH_CODES or subcode in _AUTH_SUBCODES:
            return AuthError(
                _(
                    "The %(platform)s access has expired or was revoked (for example after a "
                    "password change): reconnect the %(thing)s."
                )
                % names
            )
        if code in _RATE_CODES:
            return RateLimited(
                _("%(platform)s is limiting how often Rapport may call it; the sync will retry.")
                % names,
                retry_after=regain_access_seconds(response),
            )
        if code == 10 and "enough viewers" in detail.lower():
            return InsightsUnavailable(detail)
        if code in _PERMISSION_CODES:
            return AuthError(
                _(
                    "%(platform)s refused a permission Rapport needs: reconnect the %(thing)s and "
                    "accept every permission asked."
                )
                % names
            )
        if code in _TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
            return TransientError(
                _("%(platform)s had a temporary problem; the sync will retry.") % names
            )
        if subcode == _POSTED_BEFORE_BUSINESS_SUBCODE:
            return InsightsUnavailable(detail)
        if sign_in:
            return ConnectorError(
                _("%(platform)s did not accept the sign-in (%(detail)s); connect again.")
                % {**names, "detail": detail}
            )
        if code == _INVALID_PARAMETER:
            if subcode == _OBJECT_UNREADABLE_SUBCODE:
                return AuthError(
                    _(
                        "%(platform)s no longer lets Rapport read this %(thing)s: check that it "
                        "still exists and that you still manage it, then reconnect it."
                    )
                    % names
                )
            if "nonexisting field (insights)" in detail or "nonexisting field (video_insights)" in (
                detail
            ):
                return InsightsUnavailable(detail)
            return InvalidMetricError(
                _("%(platform)s rejected a metric or field: %(detail)s")
                % {**names, "detail": detail}
            )
        if status in (401, 403):
            return AuthError(
                _("%(platform)s refused the saved access: reconnect the %(thing)s.") % names
            )
        return ConnectorError(
            _("%(platform)s rejected the request: %(detail)s") % {**names, "detail": detail}
        )

    return classify


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
