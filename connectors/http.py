"""The one place HTTP responses become connector errors.

Every platform module calls ``request_json``: it applies a timeout, turns network failures and
malformed bodies into ``TransientError``, records the response for the raw archive, and maps
status codes to the error taxonomy of ``connectors.base``. A platform whose errors hide in the
body (Meta answers 400 with ``code: 190`` for an expired token) passes a ``classify`` callback
that is asked first.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable, Mapping
from typing import Any

import requests
from django.utils.translation import gettext as _

from connectors.base import (
    AuthError,
    Connector,
    ConnectorError,
    RateLimited,
    RecordedResponse,
    TransientError,
)

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read
USER_AGENT = "Rapport/0.1 (+self-hosted social media reporting)"

Classifier = Callable[[requests.Response, Any], ConnectorError | None]


def retry_after_seconds(response: requests.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or X's rate-limit reset."""
    raw = response.headers.get("Retry-After")
    if raw:
        raw = raw.strip()
        if raw.isdigit():
            return float(raw)
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    reset = response.headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - dt.datetime.now(dt.UTC).timestamp())
    return None


def _message(body: Any, response: requests.Response) -> str:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            text = error.get("message") or error.get("error_user_msg") or error.get("code")
            if text:
                return str(text)
        elif isinstance(error, str):
            return str(body.get("error_description") or error)
        for key in ("message", "detail", "title", "error_description"):
            if body.get(key):
                return str(body[key])
    return response.reason or f"HTTP {response.status_code}"


def response_raise(
    response: requests.Response, body: Any, *, platform: str, classify: Classifier | None = None
) -> None:
    """Raise the connector error a response means, or return when it is a success."""
    if classify is not None:
        error = classify(response, body)
        if error is not None:
            raise error
    status = response.status_code
    if status < 400:
        return
    detail = _message(body, response)
    if status in (401, 403):
        raise AuthError(
            _("%(platform)s refused the credentials (%(status)s): %(detail)s")
            % {"platform": platform, "status": status, "detail": detail}
        )
    if status == 429:
        raise RateLimited(
            _("%(platform)s rate limit reached: %(detail)s")
            % {"platform": platform, "detail": detail},
            retry_after=retry_after_seconds(response),
        )
    if status >= 500:
        raise TransientError(
            _("%(platform)s server error (%(status)s): %(detail)s")
            % {"platform": platform, "status": status, "detail": detail}
        )
    raise ConnectorError(
        _("%(platform)s rejected the request (%(status)s): %(detail)s")
        % {"platform": platform, "status": status, "detail": detail}
    )


def request_json(
    connector: Connector | None,
    method: str,
    url: str,
    *,
    session: requests.Session,
    platform: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    json_body: Any = None,
    classify: Classifier | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> Any:
    """Send a request and return its JSON body, or raise a ``ConnectorError`` subclass.

    ``connector`` (None for class-level calls such as the OAuth exchange) receives the response
    in its ``recorded`` list. Credentials in ``params`` are not recorded.
    """
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    try:
        response = session.request(
            method,
            url,
            params=params,
            headers=all_headers,
            data=data,
            json=json_body,
            timeout=timeout,
        )
    except requests.Timeout as exc:
        raise TransientError(
            _("%(platform)s did not answer in time (%(url)s).")
            % {"platform": platform, "url": url.split("?")[0]}
        ) from exc
    except requests.ConnectionError as exc:
        raise TransientError(
            _("%(platform)s could not be reached: %(error)s.")
            % {"platform": platform, "error": exc.__class__.__name__}
        ) from exc
    try:
        body = response.json() if response.content else None
    except (ValueError, json.JSONDecodeError):
        body = None
        if response.status_code < 400:
            raise TransientError(
                _("%(platform)s answered with a body that is not JSON (%(status)s).")
                % {"platform": platform, "status": response.status_code}
            ) from None
    if connector is not None:
        safe_params = {
            k: v for k, v in (params or {}).items() if "token" not in k and "secret" not in k
        }
        connector.recorded.append(
            RecordedResponse(
                endpoint=url.split("?")[0].removeprefix(connector.base_url),
                params=safe_params,
                status_code=response.status_code,
                body=body,
            )
        )
    response_raise(response, body, platform=platform, classify=classify)
    return body
