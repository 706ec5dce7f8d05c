from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
import time_machine
from responses import matchers

from connectors.base import AuthError, ConnectorError, RateLimited, TransientError
from connectors.platforms import x
from connectors.platforms.x import XConnector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x"
SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "api"
API = "https://api.x.com/2"
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 15)
USER_ID = "1468302110596194305"
TIMELINE = f"{API}/users/{USER_ID}/tweets"
ACCESS_TOKEN = "x-access-token-that-must-never-leak"
REFRESH_TOKEN = "x-refresh-token-that-must-never-leak"
T1, T2, T3, T4 = (
    "1900612287311757731",
    "1899148930520723803",
    "1892614466125070623",
    "1885730004316221750",
)
# Non-public metrics are asked for posts of the last 29 days only.
RECENT_FROM = "2026-02-14T12:00:00Z"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def connector() -> XConnector:
    return XConnector(
        credentials={
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "expires_at": "2026-03-15T12:10:00+00:00",
        },
        external_id=USER_ID,
        session=requests.Session(),
    )


def params(call: responses.Call) -> dict[str, str]:
    return {
        key: values[0] for key, values in parse_qs(str(call.request.url).split("?", 1)[1]).items()
    }


def timeline(body: Any, **expected: str) -> None:
    responses.get(
        TIMELINE, json=body, match=[matchers.query_param_matcher(expected, strict_match=False)]
    )


def counters(fetched: list[Any]) -> dict[str, dict[str, float]]:
    return {post.external_id: {row.metric: row.value for row in rows} for post, rows in fetched}


def assert_no_token_recorded(connector: XConnector) -> None:
    assert connector.recorded
    assert ACCESS_TOKEN not in repr(connector.recorded)
    assert REFRESH_TOKEN not in repr(connector.recorded)


@responses.activate(assert_all_requests_are_fired=True)
def test_posts_paginate_recent_posts_with_private_metrics_then_older_ones_public(
    connector: XConnector,
) -> None:
    timeline(fixture("users_tweets__recent_page1"), start_time=RECENT_FROM)
    timeline(
        fixture("users_tweets__recent_page2"),
        start_time=RECENT_FROM,
        pagination_token="7140dibdnow9c7btw4b1ql3yq4cxb2mlc2k4ofbbmm0a8",
    )
    timeline(
        fixture("users_tweets__older"),
        start_time="2026-01-01T00:00:00Z",
        end_time=RECENT_FROM,
    )

    fetched = list(connector.fetch_posts(since=dt.date(2026, 1, 1), today=TODAY))

    posts = {post.external_id: post for post, _ in fetched}
    assert list(posts) == [T1, T2, T3, T4]
    assert [post.format for post in posts.values()] == ["carousel", "link", "video", "text"]
    assert posts[T1].text.startswith("Nouveaux sachets & nouvelle torréfaction")
    assert posts[T4].text == "Fermeture exceptionnelle samedi <3 On se retrouve lundi."
    assert posts[T1].published_at == dt.datetime(2026, 3, 14, 17, 2, 11, tzinfo=dt.UTC)
    assert posts[T1].permalink == f"https://x.com/i/web/status/{T1}"
    assert not any(post.is_paid for post in posts.values())
    values = counters(fetched)
    assert values[T2] == {
        "likes": 40,
        "comments": 1,
        "shares": 5 + 0,  # retweets + quotes
        "saves": 22,
        "impressions": 2890,
        "clicks": 57,
        "profile_visits": 12,
    }
    assert values[T1]["shares"] == 12 + 2
    assert values[T4] == {"likes": 19, "comments": 3, "shares": 1, "saves": 0, "impressions": 1204}
    assert all(row.day == TODAY for _, rows in fetched for row in rows)
    assert connector.notes.warnings == []

    first, _, older = (params(call) for call in responses.calls)
    assert first["exclude"] == "retweets"
    assert first["expansions"] == "attachments.media_keys"
    assert first["media.fields"] == "type"
    assert set(first["tweet.fields"].split(",")) == {
        "created_at",
        "public_metrics",
        "attachments",
        "entities",
        "referenced_tweets",
        "non_public_metrics",
        "organic_metrics",
        "promoted_metrics",
    }
    assert "non_public_metrics" not in older["tweet.fields"]
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert_no_token_recorded(connector)


@responses.activate(assert_all_requests_are_fired=True)
def test_refused_non_public_metrics_fall_back_to_public_ones_with_a_warning(
    connector: XConnector,
) -> None:
    with_private = "created_at,public_metrics,attachments,entities,referenced_tweets," + (
        "non_public_metrics,organic_metrics,promoted_metrics"
    )
    public_only = "created_at,public_metrics,attachments,entities,referenced_tweets"
    timeline(fixture("users_tweets__recent_field_error"), **{"tweet.fields": with_private})
    timeline(
        fixture("users_tweets__recent_public"),
        **{"tweet.fields": public_only, "start_time": "2026-02-20T00:00:00Z"},
    )

    fetched = list(connector.fetch_posts(since=dt.date(2026, 2, 20), today=TODAY))

    values = counters(fetched)
    assert list(values) == [T1, T2]
    # What X gave before refusing is kept; the refused post has its public counters.
    assert values[T1]["clicks"] == 0
    assert values[T1]["profile_visits"] == 31
    assert values[T2] == {
        "likes": 40,
        "comments": 1,
        "shares": 5,
        "saves": 22,
        "impressions": 2890,
    }
    assert connector.notes.warnings == [
        "X did not give link clicks and profile visits for recent posts: this authorisation "
        "does not allow non-public metrics. Public counters were collected."
    ]


@responses.activate(assert_all_requests_are_fired=True)
def test_empty_timeline_yields_no_rows(connector: XConnector) -> None:
    timeline(fixture("users_tweets__empty"), start_time=RECENT_FROM)
    timeline(fixture("users_tweets__empty"), end_time=RECENT_FROM)

    assert list(connector.fetch_posts(since=dt.date(2026, 1, 1), today=TODAY)) == []


@responses.activate(assert_all_requests_are_fired=True)
def test_account_metrics_are_a_followers_snapshot_dated_end(connector: XConnector) -> None:
    responses.get(
        f"{API}/users/{USER_ID}",
        json=fixture("users__acme"),
        match=[matchers.query_param_matcher({"user.fields": "public_metrics"})],
    )

    rows = list(connector.fetch_account_metrics(start=TODAY, end=TODAY))

    assert [(row.day, row.metric, row.value) for row in rows] == [(TODAY, "followers", 5127)]
    assert XConnector.account_metrics_are_snapshots is True


@responses.activate
def test_missing_account_is_a_plain_error(connector: XConnector) -> None:
    responses.get(f"{API}/users/{USER_ID}", json=fixture("users__not_found"))

    with pytest.raises(ConnectorError, match="suspended, deleted or made private"):
        list(connector.fetch_account_metrics(start=TODAY, end=TODAY))


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"x-rate-limit-reset": str(int(NOW.timestamp()) + 300)}, 300),
        ({"Retry-After": "60"}, 60),
        ({}, None),
    ],
)
@responses.activate
def test_429_waits_for_the_rate_limit_reset(
    connector: XConnector, headers: dict[str, str], retry_after: float | None
) -> None:
    responses.get(TIMELINE, status=429, json=fixture("error__429"), headers=headers)

    with pytest.raises(RateLimited) as raised:
        list(connector.fetch_posts(since=TODAY, today=TODAY))

    assert raised.value.retry_after == retry_after
    assert raised.value.daily_quota is False


@pytest.mark.parametrize(
    ("status", "name", "error", "words"),
    [
        (401, "error__401", AuthError, "refused the credentials"),
        (503, "error__503", TransientError, "server error"),
        (429, "error__usage_capped", RateLimited, "monthly usage cap"),
        (402, "error__credits_depleted", ConnectorError, "no API credits left"),
        (403, "error__client_not_enrolled", ConnectorError, "not attached to a project"),
    ],
)
@responses.activate
def test_errors_map_to_the_taxonomy_in_plain_words(
    connector: XConnector, status: int, name: str, error: type[Exception], words: str
) -> None:
    responses.get(TIMELINE, status=status, json=fixture(name))

    with pytest.raises(error) as raised:
        list(connector.fetch_posts(since=TODAY, today=TODAY))

    assert type(raised.value) is error
    assert words in str(raised.value)
    assert ACCESS_TOKEN not in str(raised.value)
    if isinstance(raised.value, RateLimited):
        assert raised.value.daily_quota is True
    assert_no_token_recorded(connector)


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth_exchange_sends_the_pkce_verifier_with_basic_client_auth() -> None:
    responses.post(f"{API}/oauth2/token", json=fixture("oauth2_token__code"))

    tokens = XConnector.oauth_exchange(
        code="code-from-x",
        redirect_uri="https://rapport.example/connect/x/callback/",
        client_id="x-client",
        client_secret="x-secret",
        code_verifier="v" * 64,
        session=requests.Session(),
    )

    assert tokens == {
        "token_type": "bearer",
        "expires_at": "2026-03-15T14:00:00+00:00",
        "access_token": "x-access-one",
        "scope": "tweet.read users.read offline.access",
        "refresh_token": "x-refresh-one",
    }
    request = responses.calls[0].request
    form = parse_qs(str(request.body))
    assert form["code_verifier"] == ["v" * 64]
    assert form["grant_type"] == ["authorization_code"]
    assert form["client_id"] == ["x-client"]
    assert "client_secret" not in form
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"x-client:x-secret"
    ).decode("ascii")


@responses.activate(assert_all_requests_are_fired=True)
def test_refresh_returns_the_rotated_refresh_token(connector: XConnector) -> None:
    responses.post(f"{API}/oauth2/token", json=fixture("oauth2_token__refresh"))

    refreshed = connector.refresh_credentials(client_id="x-client", client_secret="x-secret")

    assert refreshed == {
        "access_token": "x-access-two",
        "refresh_token": "x-refresh-two",
        "expires_at": "2026-03-15T14:00:00+00:00",
        "token_type": "bearer",
        "scope": "tweet.read users.read offline.access",
    }
    assert connector.credentials == refreshed
    assert parse_qs(str(responses.calls[0].request.body))["refresh_token"] == [REFRESH_TOKEN]


def test_no_refresh_while_the_token_is_fresh() -> None:
    connector = XConnector(
        credentials={
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "expires_at": "2026-03-15T13:50:00+00:00",
        },
        external_id=USER_ID,
    )

    assert connector.refresh_credentials(client_id="x-client", client_secret="x-secret") is None


@responses.activate
def test_a_revoked_refresh_token_asks_to_reconnect(connector: XConnector) -> None:
    responses.post(f"{API}/oauth2/token", status=400, json=fixture("oauth2_token__invalid_request"))

    with pytest.raises(AuthError, match="Connect the account again") as raised:
        connector.refresh_credentials(client_id="x-client", client_secret="x-secret")

    assert REFRESH_TOKEN not in str(raised.value)


def test_an_expired_token_without_offline_access_asks_to_reconnect() -> None:
    connector = XConnector(
        credentials={"access_token": ACCESS_TOKEN, "expires_at": "2026-03-15T11:00:00+00:00"},
        external_id=USER_ID,
    )

    with pytest.raises(AuthError, match="Connect the account again"):
        connector.refresh_credentials(client_id="x-client", client_secret="")


@responses.activate(assert_all_requests_are_fired=True)
def test_discover_accounts_returns_the_authorising_user() -> None:
    responses.get(f"{API}/users/me", json=fixture("users_me__acme"))

    accounts = XConnector.discover_accounts(
        token={"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN},
        session=requests.Session(),
    )

    assert [(a.external_id, a.display_name, a.handle) for a in accounts] == [
        (USER_ID, "Acme Roasters", "acmeroasters")
    ]
    assert accounts[0].credentials["refresh_token"] == REFRESH_TOKEN


@responses.activate
def test_check_refuses_a_token_of_another_account() -> None:
    responses.get(f"{API}/users/me", json=fixture("users_me__acme"))
    connector = XConnector(credentials={"access_token": ACCESS_TOKEN}, external_id="42")

    with pytest.raises(AuthError, match="@acmeroasters"):
        connector.check()


def sample(name: str) -> Any:
    if not SAMPLES.exists():
        pytest.skip("the shared samples folder is absent")
    return json.loads((SAMPLES / name).read_text())


@responses.activate(assert_all_requests_are_fired=True)
def test_real_timeline_sample_parses() -> None:
    body = sample("x_api_v2__sns-sdks-python-twitter__timeline_tweets.json")
    connector = XConnector(credentials={"access_token": ACCESS_TOKEN}, external_id="2244994945")
    url = f"{API}/users/2244994945/tweets"
    responses.get(url, json=body, match=[matchers.query_param_matcher({}, strict_match=False)])
    responses.get(
        url,
        json={"meta": {"result_count": 0}},
        match=[
            matchers.query_param_matcher(
                {"pagination_token": body["meta"]["next_token"]}, strict_match=False
            )
        ],
    )

    with time_machine.travel(dt.datetime(2021, 2, 24, tzinfo=dt.UTC), tick=False):
        fetched = list(connector.fetch_posts(since=dt.date(2021, 2, 18), today=TODAY))

    values = counters(fetched)
    assert len(values) == 5
    assert values["1364275610764201984"] == {"likes": 37, "comments": 2, "shares": 10 + 1}
    # The sample has no bookmark or impression counts: they are left out, not zero.
    assert not any({"saves", "impressions"} & set(metrics) for metrics in values.values())


def test_real_quote_tweets_sample_parses() -> None:
    body = sample("x_api_v2__sns-sdks-python-twitter__tweet_quote_tweets_resp.json")

    rows = [x.post_row(tweet, {}) for tweet in body["data"]]
    metrics = [x.post_metrics(tweet) for tweet in body["data"]]

    assert all(row is not None for row in rows)
    assert len(rows) == 15
    assert metrics[0] == {"likes": 0, "comments": 0, "shares": 160}
