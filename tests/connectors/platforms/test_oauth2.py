from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs

import pytest
import requests
import responses

from connectors.base import AuthError, ConnectorError, TransientError
from connectors.platforms import oauth2

TOKEN_URL = "https://auth.example/oauth/token"
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
SECRET = "client-secret-value"


def form_of(call: responses.Call) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return {key: values[0] for key, values in parse_qs(text).items()}


@responses.activate(assert_all_requests_are_fired=True)
def test_exchange_code_sends_the_pkce_verifier_and_turns_lifetimes_into_timestamps() -> None:
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "at-1",
            "expires_in": 3600,
            "refresh_token": "rt-1",
            "refresh_expires_in": 86400,
            "open_id": "user-7",
            "token_type": "Bearer",
        },
    )
    tokens = oauth2.exchange_code(
        token_url=TOKEN_URL,
        code="the-code",
        redirect_uri="https://rapport.example/connect/tiktok/callback/",
        client_id="client-1",
        client_secret=SECRET,
        code_verifier="verifier-43-characters-long-xxxxxxxxxxxxxxx",
        session=requests.Session(),
        platform="TikTok",
        client_id_param="client_key",
        now=NOW,
    )
    assert tokens == {
        "access_token": "at-1",
        "expires_at": "2026-03-15T13:00:00+00:00",
        "refresh_token": "rt-1",
        "refresh_token_expires_at": "2026-03-16T12:00:00+00:00",
        "open_id": "user-7",
        "token_type": "Bearer",
    }
    form = form_of(responses.calls[0])
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://rapport.example/connect/tiktok/callback/",
        "code_verifier": "verifier-43-characters-long-xxxxxxxxxxxxxxx",
        "client_key": "client-1",
        "client_secret": SECRET,
    }
    assert "Authorization" not in responses.calls[0].request.headers
    assert "the-code" not in str(responses.calls[0].request.url)


@responses.activate
def test_basic_client_auth_puts_the_secret_in_the_header_only() -> None:
    responses.post(TOKEN_URL, json={"access_token": "at-2", "expires_in": 7200})
    oauth2.refresh_access_token(
        token_url=TOKEN_URL,
        refresh_token="rt-1",
        client_id="client-1",
        client_secret=SECRET,
        session=requests.Session(),
        platform="X",
        client_auth=oauth2.ClientAuth.BASIC,
        now=NOW,
    )
    request = responses.calls[0].request
    expected = base64.b64encode(f"client-1:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert form_of(responses.calls[0]) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "client-1",
    }


def test_credentials_refreshed_keeps_a_refresh_token_the_provider_did_not_repeat() -> None:
    stored = {
        "access_token": "old",
        "refresh_token": "rt-keep",
        "expires_at": "2026-03-15T12:01:00+00:00",
        "refresh_token_expires_at": "2027-01-01T00:00:00+00:00",
    }
    merged = oauth2.credentials_refreshed(
        stored, {"access_token": "new", "expires_at": "2026-03-15T13:00:00+00:00"}
    )
    assert merged == {
        "access_token": "new",
        "refresh_token": "rt-keep",
        "expires_at": "2026-03-15T13:00:00+00:00",
        "refresh_token_expires_at": "2027-01-01T00:00:00+00:00",
    }
    rotated = oauth2.credentials_refreshed(stored, {"access_token": "new", "refresh_token": "rt-2"})
    assert rotated["refresh_token"] == "rt-2"
    assert "expires_at" not in rotated  # the passed expiry must not stay


@pytest.mark.parametrize(
    ("stored", "margin_minutes", "unknown", "expected"),
    [
        ({"expires_at": "2026-03-15T12:10:00+00:00"}, 15, False, True),
        ({"expires_at": "2026-03-15T12:30:00+00:00"}, 15, False, False),
        ({"expires_at": "2026-03-15T11:00:00"}, 0, False, True),  # naive means UTC
        ({}, 15, False, False),
        ({}, 15, True, True),
        ({"expires_at": "not a date"}, 15, True, True),
    ],
)
def test_expires_soon(stored: dict, margin_minutes: int, unknown: bool, expected: bool) -> None:
    assert (
        oauth2.expires_soon(
            stored, margin=dt.timedelta(minutes=margin_minutes), now=NOW, unknown=unknown
        )
        is expected
    )


@pytest.mark.parametrize(
    ("status", "body", "refresh", "error"),
    [
        (400, {"error": "invalid_grant", "error_description": "expired"}, False, AuthError),
        (400, {"error": "invalid_request", "error_description": "bad token"}, True, AuthError),
        (400, {"error": "invalid_request", "error_description": "bad uri"}, False, ConnectorError),
        (401, {"error": "invalid_client"}, True, ConnectorError),
        (200, {"error": "invalid_grant"}, True, AuthError),  # an error answered with a 200
        (200, {"token_type": "bearer"}, False, ConnectorError),  # no access token
        (503, None, True, TransientError),
    ],
)
@responses.activate
def test_token_errors_map_to_the_taxonomy_without_leaking_secrets(
    status: int, body: dict | None, refresh: bool, error: type[Exception]
) -> None:
    if body is None:
        responses.post(TOKEN_URL, status=status, body="")
    else:
        responses.post(TOKEN_URL, status=status, json=body)
    kwargs = {
        "token_url": TOKEN_URL,
        "client_id": "client-1",
        "client_secret": SECRET,
        "session": requests.Session(),
        "platform": "Example",
    }
    with pytest.raises(error) as raised:
        if refresh:
            oauth2.refresh_access_token(refresh_token="rt-secret", **kwargs)  # type: ignore[arg-type]
        else:
            oauth2.exchange_code(code="code-secret", redirect_uri="https://r.example/", **kwargs)  # type: ignore[arg-type]
    assert type(raised.value) is error
    message = str(raised.value)
    assert "Example" in message
    for secret in (SECRET, "rt-secret", "code-secret"):
        assert secret not in message
