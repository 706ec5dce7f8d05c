"""The Instagram connector against recorded-shape Graph API responses."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import time_machine
from responses import matchers

from connectors.base import AuthError, ConnectorError, PostMetricRow, RateLimited, TransientError
from connectors.metrics import METRICS
from connectors.platforms.instagram import InstagramConnector, media_row
from connectors.registry import connector_class
from tests.connectors.platforms import fixture

BASE = "https://graph.facebook.com/v25.0"
IG = "17841401234567890"
PAGE_TOKEN = "EAAGpageTokenBakery000000000000000000000001"
INSIGHTS = f"{BASE}/{IG}/insights"
TOTALS = "views,profile_views,website_clicks,total_interactions,likes,comments,shares,saves"
TODAY = dt.date(2026, 3, 10)


def ig(name: str) -> Any:
    return fixture("instagram", name)


def params(request: requests.PreparedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def connector() -> InstagramConnector:
    return InstagramConnector(
        credentials={"access_token": PAGE_TOKEN, "token_type": "page", "ig_user_id": IG},
        external_id=IG,
        session=requests.Session(),
    )


def at(day: str) -> Any:
    return time_machine.travel(dt.datetime.fromisoformat(f"{day}T12:00:00+00:00"), tick=False)


def test_registry_returns_a_concrete_instagram_connector() -> None:
    cls = connector_class("instagram")
    assert cls is InstagramConnector
    assert not inspect.isabstract(cls)
    assert cls.metrics <= set(METRICS)
    assert cls.default_base_url == BASE
    assert cls.oauth.authorize_url == "https://www.facebook.com/v25.0/dialog/oauth"
    assert {"instagram_basic", "instagram_manage_insights", "pages_show_list"} <= set(
        cls.oauth.scopes
    )


# --- Account metrics ----------------------------------------------------------------------


def _mock_account(mocked: responses.RequestsMock) -> None:
    mocked.get(
        INSIGHTS,
        json=ig("user_insights__series.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "metric": "reach,follower_count",
                    "period": "day",
                    "since": "1772438400",  # 2 March 2026, 00:00 PST
                    "until": "1772611200",  # 4 March 2026, 00:00 PST
                }
            )
        ],
    )
    for day, since, until in (
        ("2026-03-02", "1772438400", "1772524800"),
        ("2026-03-03", "1772524800", "1772611200"),
    ):
        mocked.get(
            INSIGHTS,
            json=ig(f"user_insights__total_value_{day}.json"),
            match=[
                matchers.query_param_matcher(
                    {
                        "metric": TOTALS,
                        "period": "day",
                        "metric_type": "total_value",
                        "since": since,
                        "until": until,
                    }
                )
            ],
        )


def test_user_insights_daily_series_totals_and_followers_snapshot(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    _mock_account(mocked)
    mocked.get(
        f"{BASE}/{IG}",
        json=ig("user__followers_count.json"),
        match=[matchers.query_param_matcher({"fields": "followers_count"})],
    )
    with at("2026-03-04"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3))
        )

    assert sorted((r.day.isoformat(), r.metric, r.value) for r in rows) == [
        ("2026-03-02", "clicks", 14),
        ("2026-03-02", "engagements", 301),
        ("2026-03-02", "followers_gained", 12),
        ("2026-03-02", "impressions", 5120),
        ("2026-03-02", "profile_visits", 88),
        ("2026-03-02", "reach", 1843),
        # No website_clicks on 3 March: missing, not zero.
        ("2026-03-03", "engagements", 355),
        ("2026-03-03", "followers", 15320),
        ("2026-03-03", "followers_gained", 9),
        ("2026-03-03", "impressions", 6034),
        ("2026-03-03", "profile_visits", 97),
        ("2026-03-03", "reach", 2210),
    ]
    assert connector.notes.warnings == []


def test_no_followers_snapshot_for_a_past_window(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    _mock_account(mocked)
    with at("2026-03-20"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3))
        )
    assert "followers" not in {r.metric for r in rows}


def test_long_ranges_are_cut_into_29_day_requests(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    seen: list[dict[str, str]] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        seen.append(params(request))
        return 200, {}, json.dumps({"data": []})

    mocked.add_callback(responses.GET, INSIGHTS, callback=answer)
    with at("2026-03-20"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 9))
        )
    assert rows == []
    series = [(p["since"], p["until"]) for p in seen if "metric_type" not in p]
    assert series == [("1769760000", "1770710400"), ("1767254400", "1769760000")]  # newest first
    totals = [p for p in seen if p.get("metric_type") == "total_value"]
    assert len(totals) == 40  # one per day: a total_value is a total over the range asked


def test_a_metric_kept_only_for_recent_days_is_read_for_them(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    recent = ig("user_insights__series.json")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        asked = params(request)
        names = asked["metric"].split(",")
        if asked.get("metric_type") == "total_value":
            return 200, {}, json.dumps({"data": []})
        # Meta refuses follower_count more than 30 days back (here: before 10 February).
        if "follower_count" in names and int(asked["since"]) < 1770710400:
            return 400, {}, json.dumps(ig("error__impressions_removed.json"))
        if int(asked["since"]) < 1770710400:
            return 200, {}, json.dumps({"data": []})
        return 200, {}, json.dumps(_only([e for e in recent["data"] if e["name"] in names]))

    mocked.add_callback(responses.GET, INSIGHTS, callback=answer)
    with at("2026-03-20"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 1, 20), end=dt.date(2026, 3, 3))
        )
    gained = [(r.day.isoformat(), r.value) for r in rows if r.metric == "followers_gained"]
    assert gained == [("2026-03-02", 12), ("2026-03-03", 9)]
    assert connector.notes.warnings == [
        "Skipped 'follower_count': Instagram does not report it for this Instagram account."
    ]


def test_empty_insights_give_no_rows(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    mocked.add_callback(
        responses.GET, INSIGHTS, callback=lambda request: (200, {}, json.dumps({"data": []}))
    )
    mocked.get(f"{BASE}/{IG}", json={"id": IG})
    with at("2026-03-04"):
        assert (
            list(
                connector.fetch_account_metrics(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3))
            )
            == []
        )


# --- Posts ---------------------------------------------------------------------------------

REEL, IMAGE, CAROUSEL, AD, STORY = (
    "18031234567890001",
    "18031234567890002",
    "18031234567890003",
    "18031234567890004",
    "18051234567890006",
)
FEED_METRICS = "views,reach,saved,shares,total_interactions,profile_visits"


def _mock_media(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{BASE}/{IG}/media",
        json=ig("media__page1.json"),
        match=[matchers.query_param_matcher({"limit": "50"}, strict_match=False)],
    )
    mocked.get(
        f"{BASE}/{IG}/media",
        json=ig("media__page2.json"),
        match=[
            matchers.query_param_matcher(
                {"after": "QVFIUm1lZAGlhX2FmdGVyZAZDZD"}, strict_match=False
            )
        ],
    )
    mocked.get(f"{BASE}/{IG}/stories", json=ig("stories__ok.json"))
    insights = [
        (
            REEL,
            "views,reach,saved,shares,total_interactions,ig_reels_video_view_total_time",
            "media_insights__reel.json",
        ),
        (IMAGE, FEED_METRICS, "media_insights__image.json"),
        (CAROUSEL, FEED_METRICS, "media_insights__carousel.json"),
        (
            STORY,
            "views,reach,shares,total_interactions,profile_visits",
            "media_insights__story.json",
        ),
    ]
    for media_id, metrics, body in insights:
        mocked.get(
            f"{BASE}/{media_id}/insights",
            json=ig(body),
            match=[matchers.query_param_matcher({"metric": metrics})],
        )
    mocked.get(f"{BASE}/{AD}/insights", status=400, json=ig("error__not_enough_viewers.json"))


def _values(rows: list[PostMetricRow]) -> dict[str, float]:
    assert {r.day for r in rows} == {TODAY}
    return {r.metric: r.value for r in rows}


def test_media_page_through_stop_at_since_and_include_stories(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    _mock_media(mocked)
    posts = list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=TODAY))

    # The photo of 20 February ends the paging: the next page of media is not asked for.
    assert [(p.external_id, p.format, p.is_paid) for p, _ in posts] == [
        (REEL, "reel", False),
        (IMAGE, "photo", False),
        (CAROUSEL, "carousel", False),
        (AD, "photo", True),
        (STORY, "story", False),
    ]
    reel = posts[0][0]
    assert reel.published_at == dt.datetime(2026, 3, 9, 17, 20, 5, tzinfo=dt.UTC)
    assert reel.text.startswith("Le levain du jour 🍞\n\n#boulangerie")
    assert reel.tags == ()  # hashtags are not tags
    assert reel.permalink == "https://www.instagram.com/reel/DGxReel0001/"


def test_media_counters_use_the_metric_set_of_their_type(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    _mock_media(mocked)
    rows = {
        p.external_id: r for p, r in connector.fetch_posts(since=dt.date(2026, 3, 4), today=TODAY)
    }

    assert _values(rows[REEL]) == {
        "likes": 412,
        "comments": 23,
        "impressions": 9812,
        "reach": 6240,
        "saves": 57,
        "shares": 33,
        "engagements": 525,
        "watch_time_minutes": 696,
    }
    assert _values(rows[IMAGE])["profile_visits"] == 19
    # The like count is hidden on the carousel: no likes row rather than a zero.
    assert "likes" not in _values(rows[CAROUSEL])
    assert _values(rows[CAROUSEL])["comments"] == 31
    assert _values(rows[STORY]) == {
        "impressions": 640,
        "reach": 512,
        "shares": 2,
        "engagements": 9,
        "profile_visits": 6,
    }
    # Too few viewers for insights on the ad: its likes and comments are still kept.
    assert _values(rows[AD]) == {"likes": 64, "comments": 2}
    assert connector.notes.warnings == [
        "Instagram gave no insights for this photo (too few viewers, or not supported for it); its "
        "other numbers were kept."
    ]


def _only(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": items}


def test_removed_impressions_fall_back_to_views(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    listing = ig("media__page1.json")
    second = {**listing["data"][1], "id": "18031234567890099"}
    mocked.get(f"{BASE}/{IG}/media", json=_only([listing["data"][1], second]))
    mocked.get(f"{BASE}/{IG}/stories", json=ig("stories__empty.json"))
    image = ig("media_insights__image.json")
    asked: list[list[str]] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        names = params(request)["metric"].split(",")
        asked.append(names)
        if "impressions" in names:
            return 400, {}, json.dumps(ig("error__impressions_removed.json"))
        return 200, {}, json.dumps(_only([e for e in image["data"] if e["name"] in names]))

    for media_id in (IMAGE, "18031234567890099"):
        mocked.add_callback(responses.GET, f"{BASE}/{media_id}/insights", callback=answer)
    # On 10 April 2025 the table still expects impressions, but Meta has removed it.
    posts = list(connector.fetch_posts(since=dt.date(2025, 1, 1), today=dt.date(2025, 4, 10)))

    assert connector.notes.warnings == ["Instagram no longer reports 'impressions'; using 'views'."]
    for _, rows in posts:
        assert {r.metric: r.value for r in rows}["impressions"] == 2290
    # The second photo is asked for the working set at once.
    assert asked[-1] == [
        "views",
        "reach",
        "saved",
        "shares",
        "total_interactions",
        "profile_visits",
    ]


def test_a_metric_a_media_type_lacks_is_skipped_with_a_warning(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    mocked.get(f"{BASE}/{IG}/media", json=ig("media__empty.json"))
    mocked.get(f"{BASE}/{IG}/stories", json=ig("stories__ok.json"))
    story = ig("media_insights__story.json")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        names = params(request)["metric"].split(",")
        if "views" in names:
            return 400, {}, json.dumps(ig("error__views_unsupported.json"))
        return 200, {}, json.dumps(_only([e for e in story["data"] if e["name"] in names]))

    mocked.add_callback(responses.GET, f"{BASE}/{STORY}/insights", callback=answer)
    [(_post, rows)] = list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=TODAY))
    assert _values(rows) == {"reach": 512, "shares": 2, "engagements": 9, "profile_visits": 6}
    assert connector.notes.warnings == [
        "Skipped 'views': Instagram does not report it for this story."
    ]


def test_empty_media_give_nothing(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    mocked.get(f"{BASE}/{IG}/media", json=ig("media__empty.json"))
    mocked.get(f"{BASE}/{IG}/stories", json=ig("stories__empty.json"))
    assert list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=TODAY)) == []


BUC = json.dumps(
    {
        IG: [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 3,
                "total_time": 11,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "retry_after"),
    [
        (401, None, {}, AuthError, None),
        (400, "error__expired_token.json", {}, AuthError, None),
        (400, "error__buc_rate_limit.json", {"x-business-use-case-usage": BUC}, RateLimited, 420),
        (429, None, {"Retry-After": "30"}, RateLimited, 30),
        (429, None, {}, RateLimited, None),
        (500, None, {}, TransientError, None),
    ],
)
def test_errors_become_the_connector_taxonomy(
    mocked: responses.RequestsMock,
    connector: InstagramConnector,
    status: int,
    body: str | None,
    headers: dict[str, str],
    error: type[ConnectorError],
    retry_after: float | None,
) -> None:
    mocked.get(
        f"{BASE}/{IG}/media", status=status, json=ig(body) if body else None, headers=headers
    )
    with pytest.raises(error) as raised:
        list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=TODAY))
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == retry_after
    assert PAGE_TOKEN not in str(raised.value)


def test_tokens_never_reach_urls_or_recorded_params(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    _mock_media(mocked)
    list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=TODAY))
    for call in mocked.calls:
        assert "access_token" not in (call.request.url or "")
    recorded = json.dumps([(r.endpoint, dict(r.params)) for r in connector.recorded])
    assert PAGE_TOKEN not in recorded and "access_token" not in recorded
    pages = [r for r in connector.recorded if r.endpoint == f"/{IG}/media"]
    assert [r.params.get("after") for r in pages] == [None, "QVFIUm1lZAGlhX2FmdGVyZAZDZD"]


def test_discover_accounts_finds_the_linked_instagram_accounts(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        f"{BASE}/me/accounts",
        json=ig("me_accounts__linked.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "fields": "id,name,access_token,instagram_business_account{id,username,name}",
                    "limit": "100",
                }
            )
        ],
    )
    [account] = InstagramConnector.discover_accounts(
        token={"access_token": "EAAGlongLivedUserToken11111111111111111xyz"},
        session=requests.Session(),
    )
    assert (account.external_id, account.display_name, account.handle) == (
        IG,
        "Boulangerie Martin",
        "boulangerie.martin",
    )
    assert account.credentials == {
        "access_token": PAGE_TOKEN,
        "token_type": "page",
        "page_id": "104512345678901",
        "ig_user_id": IG,
    }
    assert account.timezone == "America/Los_Angeles"


def test_check_refuses_a_revoked_token(
    mocked: responses.RequestsMock, connector: InstagramConnector
) -> None:
    mocked.get(f"{BASE}/{IG}", status=400, json=ig("error__expired_token.json"))
    with pytest.raises(AuthError, match="reconnect the Instagram account"):
        connector.check()


@pytest.mark.parametrize(
    ("media_type", "product", "post_format", "is_paid"),
    [
        ("VIDEO", "REELS", "reel", False),
        ("VIDEO", "FEED", "video", False),
        ("IMAGE", "FEED", "photo", False),
        ("CAROUSEL_ALBUM", "FEED", "carousel", False),
        ("IMAGE", "STORY", "story", False),
        ("VIDEO", "STORY", "story", False),
        ("IMAGE", "AD", "photo", True),
    ],
)
def test_media_format_comes_from_media_and_product_type(
    media_type: str, product: str, post_format: str, is_paid: bool
) -> None:
    post = media_row(
        {
            "id": "1",
            "media_type": media_type,
            "media_product_type": product,
            "timestamp": "2026-03-09T17:20:05+0000",
        }
    )
    assert post is not None
    assert (post.format, post.is_paid) == (post_format, is_paid)
