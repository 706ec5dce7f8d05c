from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
import time_machine
from responses import matchers

from connectors.base import (
    AccountMetricRow,
    AuthError,
    ConnectorError,
    RateLimited,
    TransientError,
)
from connectors.metrics import METRICS
from connectors.platforms.tiktok import TikTokConnector, user_fields
from connectors.registry import connector_class

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tiktok"
BASE = "https://open.tiktokapis.com/v2"
USER_INFO = f"{BASE}/user/info/"
VIDEO_LIST = f"{BASE}/video/list/"
TOKEN_URL = f"{BASE}/oauth/token/"
OPEN_ID = "-000Q7tRapportDemoOpenId4b1f2c9e8d"
ACCESS = "act.test-stored-access-m3n4b5v6c7"
REFRESH = "rft.test-stored-refresh-x1z2c3v4b5"
NOW = dt.datetime(2026, 3, 6, 6, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 6)
SINCE = dt.date(2026, 2, 20)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def connector(**credentials: Any) -> TikTokConnector:
    return TikTokConnector(
        credentials={"access_token": ACCESS, "refresh_token": REFRESH, **credentials},
        external_id=OPEN_ID,
    )


def fields_sent(call: Any) -> list[str]:
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(call.request.url).query))
    return query["fields"].split(",")


def test_registry_resolves_tiktok() -> None:
    assert connector_class("tiktok") is TikTokConnector
    assert TikTokConnector.account_metrics_are_snapshots is True
    assert TikTokConnector.metrics <= set(METRICS)
    assert TikTokConnector.oauth.pkce is True
    assert TikTokConnector.oauth.client_id_param == "client_key"
    assert TikTokConnector.oauth.scope_separator == ","


def test_followers_are_a_snapshot_dated_end(api: responses.RequestsMock) -> None:
    call = api.get(USER_INFO, json=load("user_info__stats"))

    rows = list(connector().fetch_account_metrics(start=dt.date(2026, 3, 2), end=TODAY))

    assert rows == [AccountMetricRow(TODAY, "followers", 48213.0)]
    assert "follower_count" in fields_sent(call.calls[0])
    assert call.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS}"


def test_withheld_follower_count_is_missing_not_zero(api: responses.RequestsMock) -> None:
    api.get(USER_INFO, json=load("user_info__stats_withheld"))
    tiktok = connector()

    assert list(tiktok.fetch_account_metrics(start=TODAY, end=TODAY)) == []
    assert tiktok.notes.warnings


def test_posts_follow_the_cursor_and_stop_at_since(api: responses.RequestsMock) -> None:
    first = api.post(
        VIDEO_LIST,
        json=load("video_list__page_1"),
        match=[matchers.json_params_matcher({"max_count": 20})],
    )
    second = api.post(
        VIDEO_LIST,
        json=load("video_list__page_2"),
        match=[matchers.json_params_matcher({"max_count": 20, "cursor": 1772557200000})],
    )

    fetched = list(connector().fetch_posts(since=SINCE, today=TODAY))

    # Page 2 ends before `since`: no third page although has_more is true.
    assert len(api.calls) == 2
    assert "view_count" in fields_sent(first.calls[0])
    assert second.calls
    posts = [post for post, _rows in fetched]
    assert [p.external_id for p in posts] == [
        "7478123456789012345",
        "7477654321098765432",
        "7476000011112222333",
    ]
    assert posts[0].published_at == dt.datetime(2026, 3, 5, 17, 0, tzinfo=dt.UTC)
    assert posts[0].format == "video"
    assert posts[0].text == "4 a.m. at the bakery ☕️ #bread #sourdough"
    assert posts[1].text == "Croissant cross-section"
    assert posts[0].permalink.startswith("https://www.tiktok.com/@rapport.bakery/video/7478")


def test_video_counters_dated_today_and_missing_ones_left_out(
    api: responses.RequestsMock,
) -> None:
    api.post(VIDEO_LIST, json=load("video_list__page_1"))
    api.post(VIDEO_LIST, json=load("video_list__page_2"))

    fetched = list(connector().fetch_posts(since=SINCE, today=TODAY))
    counters = {post.external_id: {r.metric: r.value for r in rows} for post, rows in fetched}

    assert counters["7478123456789012345"] == {
        "video_views": 15230.0,
        "likes": 1203.0,
        "comments": 45.0,
        "shares": 67.0,
    }
    # No comment_count in the answer: no comments row, not a zero.
    assert counters["7476000011112222333"] == {
        "video_views": 4410.0,
        "likes": 390.0,
        "shares": 12.0,
    }
    assert {row.day for _post, rows in fetched for row in rows} == {TODAY}


def test_empty_video_list_gives_no_posts(api: responses.RequestsMock) -> None:
    api.post(VIDEO_LIST, json=load("video_list__empty"))

    assert list(connector().fetch_posts(since=SINCE, today=TODAY)) == []


def test_a_repeated_cursor_ends_the_paging(api: responses.RequestsMock) -> None:
    page = load("video_list__page_1")
    api.post(VIDEO_LIST, json=page)
    api.post(VIDEO_LIST, json=page)

    fetched = list(connector().fetch_posts(since=SINCE, today=TODAY))

    assert len(api.calls) == 2
    assert len(fetched) == 4


@pytest.mark.parametrize(
    ("fixture", "status", "error"),
    [
        ("error__access_token_invalid", 200, AuthError),
        ("error__access_token_invalid", 401, AuthError),
        ("error__scope_not_authorized", 200, AuthError),
        ("error__scope_not_authorized", 401, AuthError),
        ("error__rate_limit_exceeded", 200, RateLimited),
        ("error__rate_limit_exceeded", 429, RateLimited),
        ("error__internal_error", 200, TransientError),
        ("error__internal_error", 500, TransientError),
    ],
)
def test_errors_in_the_body_are_classified(
    api: responses.RequestsMock, fixture: str, status: int, error: type[Exception]
) -> None:
    api.post(VIDEO_LIST, status=status, json=load(fixture))

    with pytest.raises(error) as caught:
        list(connector().fetch_posts(since=SINCE, today=TODAY))

    assert ACCESS not in str(caught.value)
    if error is not RateLimited:
        # TikTok support asks for the log id.
        assert load(fixture)["error"]["log_id"] in str(caught.value)


def test_rate_limit_waits_a_minute_or_as_told(api: responses.RequestsMock) -> None:
    api.get(USER_INFO, status=429, json=load("error__rate_limit_exceeded"))
    api.get(
        USER_INFO, status=429, json=load("error__rate_limit_exceeded"), headers={"Retry-After": "7"}
    )

    waits = []
    for _attempt in range(2):
        with pytest.raises(RateLimited) as caught:
            connector().check()
        assert caught.value.daily_quota is False
        waits.append(caught.value.retry_after)

    assert waits == [60.0, 7.0]


def test_other_error_code_in_a_200_is_a_connector_error(api: responses.RequestsMock) -> None:
    api.post(VIDEO_LIST, json=load("error__invalid_params"))

    with pytest.raises(ConnectorError) as caught:
        list(connector().fetch_posts(since=SINCE, today=TODAY))

    assert not isinstance(caught.value, AuthError | RateLimited | TransientError)
    assert "invalid_params" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, None, AuthError),
        (429, None, RateLimited),
        (502, "<html>Bad gateway</html>", TransientError),
        (503, None, TransientError),
    ],
)
def test_plain_http_errors_follow_the_status(
    api: responses.RequestsMock, status: int, body: str | None, error: type[Exception]
) -> None:
    api.get(USER_INFO, status=status, body=body or "")

    with pytest.raises(error):
        list(connector().fetch_account_metrics(start=TODAY, end=TODAY))


def test_oauth_exchange_sends_client_key_and_verifier(api: responses.RequestsMock) -> None:
    call = api.post(TOKEN_URL, json=load("token__exchange"))

    token = TikTokConnector.oauth_exchange(
        code="code-from-tiktok",
        redirect_uri="https://rapport.example/connect/tiktok/callback/",
        client_id="aw-test-client-key",
        client_secret="test-client-secret",
        code_verifier="verifier-xyz",
        session=requests.Session(),
    )

    form = dict(urllib.parse.parse_qsl(call.calls[0].request.body))
    assert form["client_key"] == "aw-test-client-key"
    assert "client_id" not in form
    assert form["code_verifier"] == "verifier-xyz"
    assert form["grant_type"] == "authorization_code"
    assert token["access_token"] == "act.test-exchange-access-1a2b3c4d5e6f"
    assert token["refresh_token"] == "rft.test-first-refresh-9z8y7x6w5v"
    assert token["open_id"] == OPEN_ID
    assert dt.datetime.fromisoformat(token["expires_at"]) == NOW + dt.timedelta(days=1)
    assert dt.datetime.fromisoformat(token["refresh_token_expires_at"]) == NOW + dt.timedelta(
        days=365
    )


def test_refresh_rotates_the_refresh_token(api: responses.RequestsMock) -> None:
    call = api.post(TOKEN_URL, json=load("token__refresh"))
    tiktok = connector(expires_at=(NOW + dt.timedelta(minutes=5)).isoformat(), open_id=OPEN_ID)

    fresh = tiktok.refresh_credentials(client_id="aw-test-client-key", client_secret="s3cret")

    assert fresh is not None
    form = dict(urllib.parse.parse_qsl(call.calls[0].request.body))
    assert form["refresh_token"] == REFRESH
    assert form["client_key"] == "aw-test-client-key"
    assert fresh["refresh_token"] == "rft.test-rotated-refresh-5t4r3e2w1q"
    assert fresh["access_token"] == "act.test-refreshed-access-0p9o8i7u6y"
    assert dt.datetime.fromisoformat(fresh["expires_at"]) == NOW + dt.timedelta(days=1)
    assert tiktok.credentials == fresh
    assert tiktok.recorded == []


def test_no_refresh_while_the_token_is_fresh(api: responses.RequestsMock) -> None:
    tiktok = connector(expires_at=(NOW + dt.timedelta(hours=3)).isoformat())

    assert tiktok.refresh_credentials(client_id="k", client_secret="s") is None
    assert len(api.calls) == 0


def test_used_refresh_token_is_an_auth_error(api: responses.RequestsMock) -> None:
    api.post(TOKEN_URL, status=400, json=load("token__invalid_grant"))
    tiktok = connector(expires_at=(NOW - dt.timedelta(hours=1)).isoformat())

    with pytest.raises(AuthError) as caught:
        tiktok.refresh_credentials(client_id="k", client_secret="s")

    assert REFRESH not in str(caught.value)


def test_discover_asks_for_the_username_only_when_granted(api: responses.RequestsMock) -> None:
    with_profile = api.get(
        USER_INFO,
        json=load("user_info__profile"),
        match=[matchers.query_param_matcher({"fields": "open_id,union_id,display_name,username"})],
    )
    basic_only = api.get(
        USER_INFO,
        json=load("user_info__basic"),
        match=[matchers.query_param_matcher({"fields": "open_id,union_id,display_name"})],
    )
    granted = load("token__exchange")

    found = TikTokConnector.discover_accounts(token=granted, session=requests.Session())
    narrower = {**granted, "scope": "user.info.basic,video.list"}
    plain = TikTokConnector.discover_accounts(token=narrower, session=requests.Session())

    assert with_profile.calls and basic_only.calls
    assert [(a.external_id, a.display_name, a.handle) for a in found] == [
        (OPEN_ID, "Rapport Bakery 🥖", "@rapport.bakery")
    ]
    assert dict(found[0].credentials) == granted
    assert [(a.external_id, a.handle) for a in plain] == [(OPEN_ID, "")]


@pytest.mark.parametrize(
    ("scope", "fields"),
    [
        (None, ("open_id", "union_id", "display_name")),
        ("user.info.stats", ("open_id", "union_id", "display_name")),
        ("user.info.basic,user.info.profile", ("open_id", "union_id", "display_name", "username")),
    ],
)
def test_user_fields_follow_the_granted_scopes(scope: str | None, fields: tuple[str, ...]) -> None:
    assert user_fields(scope, wanted=("user.info.basic", "user.info.profile")) == fields


def test_check_refuses_another_account(api: responses.RequestsMock) -> None:
    other = load("user_info__basic")
    other["data"]["user"]["open_id"] = "-000SomebodyElse"
    api.get(USER_INFO, json=other)

    with pytest.raises(AuthError):
        connector().check()


def test_check_accepts_the_account(api: responses.RequestsMock) -> None:
    call = api.get(USER_INFO, json=load("user_info__basic"))

    connector().check()

    assert fields_sent(call.calls[0]) == ["open_id"]


def test_tokens_never_recorded_nor_in_messages(api: responses.RequestsMock) -> None:
    api.post(VIDEO_LIST, json=load("video_list__page_1"))
    api.post(VIDEO_LIST, status=401, json=load("error__access_token_invalid"))
    tiktok = connector()

    with pytest.raises(AuthError) as caught:
        list(tiktok.fetch_posts(since=SINCE, today=TODAY))

    assert ACCESS not in str(caught.value) and REFRESH not in str(caught.value)
    assert [r.endpoint for r in tiktok.recorded] == ["/video/list/", "/video/list/"]
    archived = json.dumps([(r.endpoint, dict(r.params), r.body) for r in tiktok.recorded])
    assert ACCESS not in archived and REFRESH not in archived


def test_base_url_is_honoured(api: responses.RequestsMock) -> None:
    base = "http://127.0.0.1:8765/tiktok/v2"
    api.get(f"{base}/user/info/", json=load("user_info__stats"))
    api.post(f"{base}/oauth/token/", json=load("token__refresh"))
    tiktok = TikTokConnector(
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
        external_id=OPEN_ID,
        base_url=base,
    )

    assert tiktok.refresh_credentials(client_id="k", client_secret="s") is not None
    assert len(list(tiktok.fetch_account_metrics(start=TODAY, end=TODAY))) == 1
