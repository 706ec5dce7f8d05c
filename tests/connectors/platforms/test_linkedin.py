from __future__ import annotations

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
from connectors.platforms import linkedin
from connectors.platforms.linkedin import LinkedInConnector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linkedin"
SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "api"
API = "https://api.linkedin.com/rest"
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 15)
ORG_ID = "10457328"
ACCESS_TOKEN = "AQXlinkedin-access-that-must-never-leak"
REFRESH_TOKEN = "AQRlinkedin-refresh-that-must-never-leak"
SHARE_STATS = f"{API}/organizationalEntityShareStatistics"
FOLLOWER_STATS = f"{API}/organizationalEntityFollowerStatistics"
NETWORK_SIZE = f"{API}/networkSizes/urn%3Ali%3Aorganization%3A{ORG_ID}"
ARTICLE = "urn:li:share:7305561432917258240"
VIDEO = "urn:li:ugcPost:7304113520786612224"
IMAGE = "urn:li:share:7302250961107480576"
MULTI_IMAGE = "urn:li:share:7300394176635924480"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def connector() -> LinkedInConnector:
    return LinkedInConnector(
        credentials={
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "expires_at": "2026-04-30T00:00:00+00:00",
            "refresh_token_expires_at": "2026-12-01T00:00:00+00:00",
        },
        external_id=ORG_ID,
        session=requests.Session(),
    )


def query(call: responses.Call) -> dict[str, str]:
    return {
        key: values[0] for key, values in parse_qs(str(call.request.url).split("?", 1)[1]).items()
    }


def metric_table(rows: list[Any]) -> dict[tuple[dt.date, str], float]:
    return {(row.day, row.metric): row.value for row in rows}


def assert_no_token_recorded(connector: LinkedInConnector) -> None:
    assert connector.recorded
    assert ACCESS_TOKEN not in repr(connector.recorded)
    assert REFRESH_TOKEN not in repr(connector.recorded)


@responses.activate(assert_all_requests_are_fired=True)
def test_account_metrics_map_daily_statistics_and_date_the_follower_total_on_end(
    connector: LinkedInConnector,
) -> None:
    responses.get(SHARE_STATS, json=fixture("organizationalEntityShareStatistics__daily"))
    responses.get(FOLLOWER_STATS, json=fixture("organizationalEntityFollowerStatistics__daily"))
    responses.get(
        NETWORK_SIZE,
        json=fixture("networkSizes__organization"),
        match=[matchers.query_param_matcher({"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})],
    )

    rows = list(
        connector.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 14))
    )

    table = metric_table(rows)
    day = dt.date(2026, 3, 10)
    assert {metric for (d, metric) in table if d == day} == {
        "impressions",
        "clicks",
        "likes",
        "comments",
        "shares",
        "engagements",
        "followers_gained",
    }
    assert table[(day, "impressions")] == 1204
    assert table[(day, "clicks")] == 41
    assert table[(day, "engagements")] == 41 + 37 + 5 + 3  # a count, not LinkedIn's rate
    assert table[(dt.date(2026, 3, 11), "followers_gained")] == 4 + 2  # organic + paid
    assert table[(dt.date(2026, 3, 12), "shares")] == 4
    assert table[(dt.date(2026, 3, 14), "followers")] == 18342
    assert not {metric for (_, metric) in table} & {"reach", "saves"}
    assert len(rows) == 3 * 7 + 1
    assert connector.notes.warnings == []

    # The window ends two days before today: 1 March 00:00 UTC to 13 March 00:00 UTC.
    for call in responses.calls[:2]:
        assert (
            "timeIntervals=(timeRange:(start:1772323200000,end:1773360000000),"
            "timeGranularityType:DAY)" in str(call.request.url)
        )
        assert "organizationalEntity=urn%3Ali%3Aorganization%3A10457328" in str(call.request.url)
        headers = call.request.headers
        assert headers["LinkedIn-Version"] == linkedin.API_VERSION
        assert headers["X-Restli-Protocol-Version"] == "2.0.0"
        assert headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert_no_token_recorded(connector)
    recorded = connector.recorded[0]
    assert recorded.endpoint == "/organizationalEntityShareStatistics"
    assert recorded.params["timeIntervals"].startswith("(timeRange:(start:1772323200000")


def test_time_intervals_are_utc_midnights_with_an_exclusive_end() -> None:
    assert linkedin.time_intervals(dt.date(2026, 3, 10), dt.date(2026, 3, 12)) == (
        "(timeRange:(start:1773100800000,end:1773360000000),timeGranularityType:DAY)"
    )


@responses.activate
def test_days_come_from_the_utc_start_of_each_bucket(connector: LinkedInConnector) -> None:
    body = fixture("organizationalEntityShareStatistics__daily")
    # 9 March 23:59:59.999 UTC is still 9 March; a bucket outside the window is ignored.
    body["elements"][0]["timeRange"] = {"start": 1773100799999, "end": 1773187199999}
    responses.get(SHARE_STATS, json=body)
    responses.get(FOLLOWER_STATS, json={"elements": []})
    responses.get(NETWORK_SIZE, json={"firstDegreeSize": 1})

    rows = list(
        connector.fetch_account_metrics(start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 14))
    )

    days = {row.day for row in rows if row.metric == "impressions"}
    assert days == {dt.date(2026, 3, 11), dt.date(2026, 3, 12)}


@responses.activate(assert_all_requests_are_fired=True)
def test_window_older_than_12_months_is_clipped_with_a_warning(
    connector: LinkedInConnector,
) -> None:
    responses.get(SHARE_STATS, json={"paging": {"start": 0, "count": 10}, "elements": []})
    responses.get(FOLLOWER_STATS, json={"paging": {"start": 0, "count": 10}, "elements": []})
    responses.get(NETWORK_SIZE, json=fixture("networkSizes__organization"))

    list(connector.fetch_account_metrics(start=dt.date(2025, 1, 1), end=dt.date(2026, 3, 14)))

    # 364 days before 15 March 2026 is 16 March 2025.
    assert "(timeRange:(start:1742083200000," in str(responses.calls[0].request.url)
    assert connector.notes.warnings == [
        "LinkedIn keeps daily page statistics for 12 months only: the days from 2025-01-01 "
        "to 2025-03-15 could not be collected."
    ]


@responses.activate(assert_all_requests_are_fired=True)
def test_days_not_yet_published_are_not_requested(connector: LinkedInConnector) -> None:
    responses.get(NETWORK_SIZE, json=fixture("networkSizes__organization"))

    rows = list(
        connector.fetch_account_metrics(start=dt.date(2026, 3, 13), end=dt.date(2026, 3, 14))
    )

    assert [(row.day, row.metric) for row in rows] == [(dt.date(2026, 3, 14), "followers")]
    assert len(responses.calls) == 1
    assert connector.notes.warnings == []


@responses.activate(assert_all_requests_are_fired=True)
def test_follower_total_is_not_dated_on_a_window_that_ended_long_ago(
    connector: LinkedInConnector,
) -> None:
    responses.get(SHARE_STATS, json={"elements": []})
    responses.get(FOLLOWER_STATS, json={"elements": []})

    rows = list(
        connector.fetch_account_metrics(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    )

    assert rows == []
    assert "current number of followers" in connector.notes.warnings[0]


@responses.activate(assert_all_requests_are_fired=True)
def test_posts_paginate_map_formats_and_stop_at_since() -> None:
    class ThreePerPage(LinkedInConnector):
        page_size = 3

    connector = ThreePerPage(credentials={"access_token": ACCESS_TOKEN}, external_id=ORG_ID)
    posts_url = f"{API}/posts"
    responses.get(
        posts_url,
        json=fixture("posts__page1"),
        match=[matchers.query_param_matcher({"start": "0", "count": "3"}, strict_match=False)],
    )
    responses.get(
        posts_url,
        json=fixture("posts__page2"),
        match=[matchers.query_param_matcher({"start": "3", "count": "3"}, strict_match=False)],
    )
    organization = {"organizationalEntity": f"urn:li:organization:{ORG_ID}"}
    for name, parameter, urns in [
        ("shares_page1", "shares", [ARTICLE, IMAGE]),
        ("ugcPosts_page1", "ugcPosts", [VIDEO]),
        ("shares_page2", "shares", [MULTI_IMAGE]),
    ]:
        responses.get(
            SHARE_STATS,
            json=fixture(f"organizationalEntityShareStatistics__{name}"),
            match=[
                matchers.query_param_matcher(
                    {**organization, parameter: f"List({','.join(urns)})"}, strict_match=False
                )
            ],
        )

    fetched = list(connector.fetch_posts(since=dt.date(2026, 2, 14), today=TODAY))

    posts = {post.external_id: post for post, _ in fetched}
    assert list(posts) == [ARTICLE, VIDEO, IMAGE, MULTI_IMAGE]  # the draft and older post left
    assert [post.format for post in posts.values()] == ["article", "video", "photo", "carousel"]
    article = posts[ARTICLE]
    assert article.published_at == dt.datetime(2026, 3, 12, 9, 30, tzinfo=dt.UTC)
    assert article.text == (
        "Les visites de la torréfaction reprennent ce printemps ! #café avec Acme Roasters "
        "(inscriptions ouvertes)"
    )
    assert article.permalink == f"https://www.linkedin.com/feed/update/{ARTICLE}/"
    counters = {post.external_id: metric_table(rows) for post, rows in fetched}
    assert counters[ARTICLE] == {
        (TODAY, "impressions"): 3120,
        (TODAY, "clicks"): 188,
        (TODAY, "likes"): 96,
        (TODAY, "comments"): 14,
        (TODAY, "shares"): 7,
        (TODAY, "engagements"): 188 + 96 + 14 + 7,
    }
    assert counters[VIDEO][(TODAY, "impressions")] == 5400
    assert counters[MULTI_IMAGE][(TODAY, "likes")] == 58
    assert counters[IMAGE] == {}  # LinkedIn leaves out posts without activity: no zeros
    first_posts = query(responses.calls[0])
    assert first_posts["q"] == "author"
    assert first_posts["author"] == f"urn:li:organization:{ORG_ID}"
    assert first_posts["sortBy"] == "CREATED"
    assert "shares=List(urn%3Ali%3Ashare%3A7305561432917258240,urn%3Ali%3Ashare%3A" in (
        str(responses.calls[1].request.url)
    )
    assert_no_token_recorded(connector)


@responses.activate(assert_all_requests_are_fired=True)
def test_empty_timeline_yields_nothing(connector: LinkedInConnector) -> None:
    responses.get(f"{API}/posts", json=fixture("posts__empty"))

    assert list(connector.fetch_posts(since=dt.date(2026, 1, 1), today=TODAY)) == []
    assert len(responses.calls) == 1


@responses.activate
def test_429_is_a_daily_quota_until_utc_midnight(connector: LinkedInConnector) -> None:
    responses.get(SHARE_STATS, status=429, json=fixture("error__429"))

    with pytest.raises(RateLimited) as raised:
        list(connector.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 14)))

    assert raised.value.daily_quota is True
    assert raised.value.retry_after == 12 * 3600
    assert "midnight UTC" in str(raised.value)


@pytest.mark.parametrize(
    ("status", "name", "error"),
    [
        (401, "error__401", AuthError),
        (403, "error__401", AuthError),
        (500, "error__500", TransientError),
        (503, None, TransientError),
        (426, "error__426", ConnectorError),
    ],
)
@responses.activate
def test_errors_map_to_the_taxonomy_without_the_token(
    connector: LinkedInConnector, status: int, name: str | None, error: type[Exception]
) -> None:
    if name is None:
        responses.get(f"{API}/posts", status=status, body="")
    else:
        responses.get(f"{API}/posts", status=status, json=fixture(name))

    with pytest.raises(error) as raised:
        list(connector.fetch_posts(since=dt.date(2026, 3, 1), today=TODAY))

    assert type(raised.value) is error
    assert ACCESS_TOKEN not in str(raised.value)
    if status == 426:
        assert linkedin.API_VERSION in str(raised.value)
    assert_no_token_recorded(connector)


@responses.activate(assert_all_requests_are_fired=True)
def test_discover_accounts_lists_the_administered_organizations() -> None:
    responses.get(
        f"{API}/organizationAcls",
        json=fixture("organizationAcls__admin"),
        match=[
            matchers.query_param_matcher(
                {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
                strict_match=False,
            )
        ],
    )
    responses.get(f"{API}/organizations/10457328", json=fixture("organizations__acme"))
    responses.get(f"{API}/organizations/20871544", json=fixture("organizations__beta"))

    accounts = LinkedInConnector.discover_accounts(
        token={"access_token": ACCESS_TOKEN}, session=requests.Session()
    )

    assert [(a.external_id, a.display_name, a.handle, a.timezone) for a in accounts] == [
        ("10457328", "Acme Roasters", "acme-roasters", "UTC"),
        ("20871544", "Beta Brew Lab", "beta-brew-lab", "UTC"),
    ]
    assert accounts[0].credentials == {"access_token": ACCESS_TOKEN}


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth_exchange_returns_expiries_of_both_tokens() -> None:
    responses.post(linkedin.TOKEN_URL, json=fixture("accessToken__code"))

    tokens = LinkedInConnector.oauth_exchange(
        code="code-from-linkedin",
        redirect_uri="https://rapport.example/connect/linkedin/callback/",
        client_id="86abc",
        client_secret="linkedin-secret",
        code_verifier=None,
        session=requests.Session(),
    )

    assert tokens["access_token"] == "AQXlinkedin-access-one"
    assert tokens["expires_at"] == (NOW + dt.timedelta(seconds=5183999)).isoformat()
    assert tokens["refresh_token_expires_at"] == (NOW + dt.timedelta(seconds=31535999)).isoformat()
    form = parse_qs(str(responses.calls[0].request.body))
    assert form["grant_type"] == ["authorization_code"]
    assert form["client_secret"] == ["linkedin-secret"]


@responses.activate(assert_all_requests_are_fired=True)
def test_refresh_within_a_week_of_expiry_keeps_the_refresh_token_expiry() -> None:
    responses.post(linkedin.TOKEN_URL, json=fixture("accessToken__refresh"))
    connector = LinkedInConnector(
        credentials={
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "expires_at": "2026-03-20T00:00:00+00:00",
            "refresh_token_expires_at": "2026-12-01T00:00:00+00:00",
        },
        external_id=ORG_ID,
    )

    refreshed = connector.refresh_credentials(client_id="86abc", client_secret="li-secret")

    assert refreshed is not None
    assert refreshed["access_token"] == "AQXlinkedin-access-two"
    assert refreshed["expires_at"] == (NOW + dt.timedelta(seconds=5183999)).isoformat()
    # LinkedIn answers the remaining lifetime: the refresh token's expiry does not slide.
    assert refreshed["refresh_token_expires_at"] == "2026-12-01T00:00:00+00:00"
    assert connector.credentials == refreshed
    form = parse_qs(str(responses.calls[0].request.body))
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == [REFRESH_TOKEN]


def test_no_refresh_while_more_than_a_week_remains(connector: LinkedInConnector) -> None:
    assert connector.refresh_credentials(client_id="86abc", client_secret="li-secret") is None


@pytest.mark.parametrize(
    ("credentials", "expired"),
    [
        ({"access_token": ACCESS_TOKEN, "expires_at": "2026-03-14T00:00:00+00:00"}, True),
        ({"access_token": ACCESS_TOKEN, "expires_at": "2026-03-18T00:00:00+00:00"}, False),
        (
            {
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "expires_at": "2026-03-14T00:00:00+00:00",
                "refresh_token_expires_at": "2026-03-01T00:00:00+00:00",
            },
            True,
        ),
    ],
)
def test_without_a_usable_refresh_token_an_expired_authorisation_asks_to_reconnect(
    credentials: dict[str, str], expired: bool
) -> None:
    connector = LinkedInConnector(credentials=credentials, external_id=ORG_ID)
    if expired:
        with pytest.raises(AuthError, match="Connect the page again"):
            connector.refresh_credentials(client_id="86abc", client_secret="li-secret")
    else:
        assert connector.refresh_credentials(client_id="86abc", client_secret="li-secret") is None


@responses.activate(assert_all_requests_are_fired=True)
def test_a_non_default_base_serves_the_token_endpoint_too() -> None:
    responses.post(
        "http://127.0.0.1:8765/rest/oauth/v2/accessToken", json=fixture("accessToken__code")
    )

    tokens = LinkedInConnector.oauth_exchange(
        code="c",
        redirect_uri="https://rapport.example/cb/",
        client_id="id",
        client_secret="s",
        code_verifier=None,
        session=requests.Session(),
        base_url="http://127.0.0.1:8765/rest",
    )

    assert tokens["access_token"] == "AQXlinkedin-access-one"


@responses.activate
def test_check_raises_auth_error_on_a_revoked_token(connector: LinkedInConnector) -> None:
    responses.get(f"{API}/organizations/{ORG_ID}", status=401, json=fixture("error__401"))

    with pytest.raises(AuthError, match="Invalid access token"):
        connector.check()


def sample_records() -> dict[str, dict[str, Any]]:
    if not SAMPLES.exists():
        pytest.skip("the shared samples folder is absent")
    path = SAMPLES / "linkedin_pages__airbyte__expected_records.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {record["stream"]: record["data"] for record in records}


@responses.activate
def test_real_sample_shapes_parse() -> None:
    records = sample_records()
    organization = records["organization_lookup"]
    responses.get(
        f"{API}/organizationAcls",
        json={"elements": [{"organization": f"urn:li:organization:{organization['id']}"}]},
    )
    responses.get(f"{API}/organizations/{organization['id']}", json=organization)
    accounts = LinkedInConnector.discover_accounts(
        token={"access_token": ACCESS_TOKEN}, session=requests.Session()
    )
    assert [(a.external_id, a.display_name, a.handle) for a in accounts] == [
        ("90362860", "Testing Company", "oursource")
    ]

    # The real statistics are all zero: zeros are reported, reach never is.
    assert linkedin.share_metrics(records["share_statistics"]["totalShareStatistics"]) == {
        "impressions": 0,
        "clicks": 0,
        "likes": 0,
        "comments": 0,
        "shares": 0,
        "engagements": 0,
    }
    connector = LinkedInConnector(
        credentials={"access_token": ACCESS_TOKEN}, external_id=str(organization["id"])
    )
    responses.get(
        f"{API}/networkSizes/urn%3Ali%3Aorganization%3A{organization['id']}",
        json=records["total_follower_count"],
    )
    rows = list(connector.fetch_account_metrics(start=TODAY, end=TODAY))
    assert [(row.metric, row.value) for row in rows] == [("followers", 0)]
    # Lifetime follower statistics carry no gains: nothing is made up.
    assert linkedin.follower_gains(records["follower_statistics"].get("followerGains")) is None
