"""Standard OAuth 2.0 token requests, shared by the platform modules.

The two grants every platform uses, as RFC 6749 describes them: the authorisation code grant
(``exchange_code``, with the RFC 7636 PKCE ``code_verifier`` when the consent URL carried a
challenge) and the refresh token grant (``refresh_access_token``). Both return a *token set*:
the provider's JSON body with each ``*expires_in`` lifetime (seconds) turned into an
``*expires_at`` ISO timestamp (``expires_in`` → ``expires_at``, ``refresh_token_expires_in``
and TikTok's ``refresh_expires_in`` → ``refresh_token_expires_at``); every other field
(``open_id``, ``scope``, …) is kept as it came.

``credentials_refreshed`` lays a refreshed token set over the stored credentials: a provider
that does not rotate refresh tokens (Google) omits ``refresh_token`` from the answer, and the
stored one is kept; one that rotates them (X, TikTok) sends a new one, which replaces it and
must be saved. ``expires_soon`` tells whether a token is worth refreshing.

Client authentication: ``ClientAuth.BODY`` sends ``client_id``/``client_secret`` as form fields
(LinkedIn, Google, TikTok with ``client_id_param="client_key"``); ``ClientAuth.BASIC`` sends
them in an HTTP Basic header and only the client id in the form (X's confidential clients).

Requests go through ``connectors.http.request_json`` without a connector, so token bodies are
never recorded in the raw-response archive; the codes, tokens and secrets travel in the form
body or headers only, never in a URL, a log line or an error message. Errors map to the
connector taxonomy: ``invalid_grant`` (code used or expired, refresh token revoked) is an
``AuthError`` (reconnect), a refused client id or secret a ``ConnectorError`` (configuration),
5xx a ``TransientError``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import requests
from django.utils.translation import gettext as _

from connectors.base import AuthError, ConnectorError
from connectors.http import Classifier, request_json

# The lifetime fields providers send, and the timestamp each one becomes.
_LIFETIMES: dict[str, str] = {
    "expires_in": "expires_at",
    "refresh_token_expires_in": "refresh_token_expires_at",
    "refresh_expires_in": "refresh_token_expires_at",  # TikTok's name
}
_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


class ClientAuth(StrEnum):
    """Where the client id and secret go in a token request (RFC 6749 §2.3.1)."""

    BODY = "body"
    BASIC = "basic"


def exchange_code(
    *,
    token_url: str,
    code: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
    session: requests.Session,
    platform: str,
    code_verifier: str | None = None,
    client_auth: ClientAuth = ClientAuth.BODY,
    client_id_param: str = "client_id",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Trade an authorisation code (and its PKCE verifier) for a token set."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    body = _token_request(
        token_url=token_url,
        form=form,
        client_id=client_id,
        client_secret=client_secret,
        session=session,
        platform=platform,
        client_auth=client_auth,
        client_id_param=client_id_param,
    )
    return token_set(body, now=now)


def refresh_access_token(
    *,
    token_url: str,
    refresh_token: str,
    client_id: str,
    client_secret: str,
    session: requests.Session,
    platform: str,
    client_auth: ClientAuth = ClientAuth.BODY,
    client_id_param: str = "client_id",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Use a refresh token; return the new token set (with a rotated refresh token if any)."""
    body = _token_request(
        token_url=token_url,
        form={"grant_type": "refresh_token", "refresh_token": refresh_token},
        client_id=client_id,
        client_secret=client_secret,
        session=session,
        platform=platform,
        client_auth=client_auth,
        client_id_param=client_id_param,
    )
    return token_set(body, now=now)


def token_set(body: Mapping[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A token response with its lifetimes turned into ISO ``*_expires_at`` timestamps."""
    now = now or dt.datetime.now(dt.UTC)
    tokens: dict[str, Any] = {}
    for field, value in body.items():
        if field in _LIFETIMES:
            seconds = _seconds(value)
            if seconds is not None:
                tokens[_LIFETIMES[field]] = (now + dt.timedelta(seconds=seconds)).isoformat()
        else:
            tokens[field] = value
    return tokens


def credentials_refreshed(
    credentials: Mapping[str, Any], tokens: Mapping[str, Any]
) -> dict[str, Any]:
    """The stored ``credentials`` updated with a refreshed token set.

    Fields the refresh did not return (the refresh token of a provider that does not rotate it,
    its expiry when the provider does not repeat it) keep their stored values.
    """
    merged = dict(credentials)
    merged.update({key: value for key, value in tokens.items() if value not in (None, "")})
    if "expires_at" not in tokens:
        # An answer without a lifetime must not leave the old, passed expiry in place.
        merged.pop("expires_at", None)
    return merged


def expiry(credentials: Mapping[str, Any], field: str = "expires_at") -> dt.datetime | None:
    """The aware timestamp stored under ``field``, or None when missing or unreadable."""
    raw = credentials.get(field)
    if not isinstance(raw, str) or not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def expires_soon(
    credentials: Mapping[str, Any],
    *,
    margin: dt.timedelta,
    field: str = "expires_at",
    now: dt.datetime | None = None,
    unknown: bool = False,
) -> bool:
    """Whether the token expires within ``margin``; ``unknown`` when no expiry is stored."""
    when = expiry(credentials, field)
    if when is None:
        return unknown
    return when - (now or dt.datetime.now(dt.UTC)) <= margin


def token_classifier(platform: str, *, refresh: bool = False) -> Classifier:
    """A ``request_json`` classifier for ``platform``'s OAuth token endpoint (RFC 6749 §5.2).

    Some providers answer errors with a 200 status, so the body decides first. For a refresh
    (``refresh=True``) any refusal other than of the client credentials is an ``AuthError``:
    the refresh token is all the request carries, and X, for one, answers ``invalid_request``
    rather than ``invalid_grant`` for a revoked one.
    """
    return functools.partial(_token_classify, platform, refresh)


def _token_classify(
    platform: str, refresh: bool, response: requests.Response, body: Any
) -> ConnectorError | None:
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if not isinstance(error, str) or not error or body.get("access_token"):
        return None
    names = {"platform": platform}
    if error in _CLIENT_ERRORS:
        return ConnectorError(
            _(
                "%(platform)s refused Rapport's app credentials (client id or secret). Check "
                "the client id and secret configured for %(platform)s, then try again."
            )
            % names
        )
    if error == "invalid_grant" or refresh:
        return AuthError(
            _(
                "%(platform)s no longer accepts this authorisation: it was revoked, it expired "
                "or it was already used. Connect the account again."
            )
            % names
        )
    return ConnectorError(
        _("%(platform)s refused the authorisation request: %(reason)s")
        % {**names, "reason": str(body.get("error_description") or error)}
    )


def _token_request(
    *,
    token_url: str,
    form: Mapping[str, str],
    client_id: str,
    client_secret: str,
    session: requests.Session,
    platform: str,
    client_auth: ClientAuth,
    client_id_param: str,
) -> Mapping[str, Any]:
    data = {**form, client_id_param: client_id}
    headers: dict[str, str] = {}
    if client_auth is ClientAuth.BASIC:
        pair = f"{client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    elif client_secret:
        data["client_secret"] = client_secret
    body = request_json(
        None,
        "POST",
        token_url,
        session=session,
        platform=platform,
        data=data,
        headers=headers,
        classify=token_classifier(platform, refresh=form["grant_type"] == "refresh_token"),
    )
    if not isinstance(body, Mapping) or not body.get("access_token"):
        raise ConnectorError(
            _("%(platform)s answered the authorisation request without an access token.")
            % {"platform": platform}
        )
    return body


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().isdigit():
        return float(value)
    return None
