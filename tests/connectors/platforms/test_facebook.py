"""The Facebook Pages connector against recorded-shape Graph API responses."""

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

from connectors.base import (
    AccountMetricRow,
    AuthError,
    ConnectorError,
    PostMetricRow,
    RateLimited,
    TransientError,
)
from connectors.metrics import METRICS
from connectors.platforms.facebook import PAGE_METRICS, FacebookConnector
from connectors.platforms.facebook import post_format as post_format_of
from connectors.registry import connector_class
from tests.connectors.platforms import SAMPLES, fixture

BASE = "https://graph.facebook.com/v25.0"
PAGE = "104512345678901"
PAGE_TOKEN = "EAAGpageTokenBakery000000000000000000000001"
INSIGHTS = f"{BASE}/{PAGE}/insights"
CURRENT_PAGE_METRICS = (
    "page_media_view,page_total_media_view_unique,page_follows,page_daily_follows_unique,"
    "page_daily_unfollows_unique,page_post_engagements,page_views_total"
)


def fb(name: str) -> Any:
    return fixture("facebook", name)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def connector() -> FacebookConnector:
    return FacebookConnector(
        credentials={"access_token": PAGE_TOKEN, "token_type": "page"},
        external_id=PAGE,
        session=requests.Session(),
    )


def at(day: str) -> Any:
    """Freeze the clock at noon UTC on ``day`` (the same date in Pacific time)."""
    return time_machine.travel(dt.datetime.fromisoformat(f"{day}T12:00:00+00:00"), tick=False)


def test_registry_returns_a_concrete_facebook_connector() -> None:
    cls = connector_class("facebook")
    assert cls is FacebookConnector
    assert not inspect.isabstract(cls)
    assert cls.metrics <= set(METRICS)
    assert cls.default_base_url == BASE
    assert cls.oauth.authorize_url == "https://www.facebook.com/v25.0/dialog/oauth"
    assert cls.oauth.token_url == f"{BASE}/oauth/access_token"
    assert set(cls.oauth.scopes) == {
        "pages_show_list",
        "pages_read_engagement",
        "read_insights",
        "business_management",
    }
    assert cls.mapping_version


# --- Account metrics ----------------------------------------------------------------------


def test_page_insights_map_to_pacific_days_and_canonical_metrics(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    mocked.get(
        INSIGHTS,
        json=fb("page_insights__day.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "metric": CURRENT_PAGE_METRICS,
                    "period": "day",
                    "since": "1772784000",  # 6 March 2026, 00:00 PST
                    "until": "1773039600",  # 9 March 2026, 00:00 PDT
                }
            ),
            matchers.header_matcher({"Authorization": f"Bearer {PAGE_TOKEN}"}),
        ],
    )
    with at("2026-03-10"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 8))
        )

    by_key = {(r.day.isoformat(), r.metric): r.value for r in rows}
    assert by_key[("2026-03-06", "impressions")] == 1520
    assert by_key[("2026-03-07", "impressions")] == 0  # a real zero stays a zero
    assert by_key[("2026-03-08", "impressions")] == 2210
    assert by_key[("2026-03-08", "reach")] == 1405
    assert by_key[("2026-03-08", "followers")] == 4821
    assert by_key[("2026-03-08", "followers_gained")] == 6
    assert by_key[("2026-03-08", "engagements")] == 143  # the daily series, not the 28-day one
    # Meta left out the unfollows of 6 March: missing, not zero.
    assert ("2026-03-06", "followers_lost") not in by_key
    assert by_key[("2026-03-07", "followers_lost")] == 1
    assert {r.metric for r in rows} <= FacebookConnector.metrics
    assert len(rows) == len(by_key) == 17
    assert connector.notes.warnings == []


def test_long_ranges_are_cut_into_90_day_requests(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    windows = [
        ("1764576000", "1772352000"),  # 1 December 2025 .. 28 February 2026
        ("1772352000", "1772611200"),  # 1 March .. 3 March 2026
    ]
    for since, until in windows:
        mocked.get(
            INSIGHTS,
            json=fb("page_insights__empty.json"),
            match=[
                matchers.query_param_matcher({"since": since, "until": until}, strict_match=False)
            ],
        )
    with at("2026-03-10"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2025, 12, 1), end=dt.date(2026, 3, 3))
        )
    assert rows == []
    assert len(mocked.calls) == 2


def metric_names(request: requests.PreparedRequest) -> list[str]:
    return parse_qs(urlsplit(request.url or "").query)["metric"][0].split(",")


def _insights_for(names: list[str], body: dict[str, Any]) -> dict[str, Any]:
    return {"data": [entry for entry in body["data"] if entry["name"] in names]}


def test_a_renamed_metric_keeps_one_history(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    # Before 15 November 2025 the Page is asked for page_impressions and page_fans…
    mocked.get(
        INSIGHTS,
        json=fb("page_insights__before_rename.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "metric": "page_impressions,page_impressions_unique,page_fans,page_fan_adds,"
                    "page_fan_removes,page_post_engagements,page_views_total",
                    "period": "day",
                    "since": "1762588800",
                    "until": "1762761600",
                }
            )
        ],
    )
    with at("2025-11-11"):
        before = list(
            connector.fetch_account_metrics(start=dt.date(2025, 11, 8), end=dt.date(2025, 11, 9))
        )
    # …after it, for page_media_view and page_follows.
    mocked.get(
        INSIGHTS,
        json=fb("page_insights__after_rename.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "metric": CURRENT_PAGE_METRICS,
                    "period": "day",
                    "since": "1763452800",
                    "until": "1763625600",
                }
            )
        ],
    )
    with at("2025-11-21"):
        after = list(
            connector.fetch_account_metrics(start=dt.date(2025, 11, 18), end=dt.date(2025, 11, 19))
        )

    history = sorted((r.day.isoformat(), r.metric, r.value) for r in before + after)
    assert history == [
        ("2025-11-08", "followers", 4630),
        ("2025-11-08", "impressions", 1310),
        ("2025-11-09", "followers", 4633),
        ("2025-11-09", "impressions", 1275),
        ("2025-11-18", "followers", 4702),
        ("2025-11-18", "impressions", 1402),
        ("2025-11-19", "followers", 4705),
        ("2025-11-19", "impressions", 1388),
    ]


def test_an_unsupported_metric_is_skipped_with_a_warning(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    day = fb("page_insights__day.json")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        names = metric_names(request)
        if "page_views_total" in names:
            return 400, {}, json.dumps(fb("error__invalid_metric.json"))
        return 200, {}, json.dumps(_insights_for(names, day))

    mocked.add_callback(responses.GET, INSIGHTS, callback=answer)
    with at("2026-03-10"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 8))
        )

    # One batch, then one request per metric; the 6 others still arrive.
    assert len(mocked.calls) == 1 + 7
    assert {r.metric for r in rows} == {
        "impressions",
        "reach",
        "followers",
        "followers_gained",
        "followers_lost",
        "engagements",
    }
    assert connector.notes.warnings == [
        "Skipped 'page_views_total': Facebook does not report it for this Page."
    ]


def test_a_removed_metric_falls_back_to_its_new_name(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    before = fb("page_insights__before_rename.json")
    after = fb("page_insights__after_rename.json")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        names = metric_names(request)
        if "page_impressions" in names:
            return 400, {}, json.dumps(fb("error__invalid_metric.json"))
        return 200, {}, json.dumps(_insights_for(names, {"data": before["data"] + after["data"]}))

    mocked.add_callback(responses.GET, INSIGHTS, callback=answer)
    # The clock says the old name is still current, but Meta has already removed it.
    with at("2025-11-11"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2025, 11, 18), end=dt.date(2025, 11, 19))
        )
    assert "Facebook no longer reports 'page_impressions'; using 'page_media_view'." in (
        connector.notes.warnings
    )
    assert [(r.day.isoformat(), r.value) for r in rows if r.metric == "impressions"] == [
        ("2025-11-18", 1402),
        ("2025-11-19", 1388),
    ]


def test_empty_insights_give_no_rows(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    mocked.get(INSIGHTS, json=fb("page_insights__empty.json"))
    assert (
        list(connector.fetch_account_metrics(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 8)))
        == []
    )
    assert connector.notes.warnings == []


# --- Errors ------------------------------------------------------------------------------

BUC = json.dumps(
    {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 4,
                "total_time": 9,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (401, None, {}, AuthError),
        (400, "error__expired_token.json", {}, AuthError),
        (400, "error__invalid_token.json", {}, AuthError),
        (403, "error__permission.json", {}, AuthError),
        (400, "error__object_unreadable.json", {}, AuthError),
        (500, None, {}, TransientError),
        (503, "error__temporary.json", {}, TransientError),
        (400, "error__unknown.json", {}, TransientError),
    ],
)
def test_errors_become_the_connector_taxonomy(
    mocked: responses.RequestsMock,
    connector: FacebookConnector,
    status: int,
    body: str | None,
    headers: dict[str, str],
    error: type[ConnectorError],
) -> None:
    mocked.get(INSIGHTS, status=status, json=fb(body) if body else None, headers=headers)
    with pytest.raises(error) as raised:
        list(connector.fetch_account_metrics(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 8)))
    assert PAGE_TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "headers", "retry_after"),
    [
        ("error__app_rate_limit.json", {"x-app-usage": BUC}, 420.0),
        ("error__user_rate_limit.json", {"x-business-use-case-usage": BUC}, 420.0),
        ("error__page_rate_limit.json", {"x-business-use-case-usage": BUC}, 420.0),
        ("error__buc_rate_limit.json", {"x-business-use-case-usage": BUC}, 420.0),
        ("error__buc_rate_limit.json", {"Retry-After": "60"}, 60.0),
        ("error__page_rate_limit.json", {}, None),
    ],
)
def test_rate_limits_wait_as_long_as_meta_says(
    mocked: responses.RequestsMock,
    connector: FacebookConnector,
    name: str,
    headers: dict[str, str],
    retry_after: float | None,
) -> None:
    mocked.get(f"{BASE}/{PAGE}/posts", status=400, json=fb(name), headers=headers)
    with pytest.raises(RateLimited) as raised:
        list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10)))
    assert raised.value.retry_after == retry_after
    assert not raised.value.daily_quota


def test_a_bare_429_uses_retry_after(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    mocked.get(INSIGHTS, status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as raised:
        list(connector.fetch_account_metrics(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 8)))
    assert raised.value.retry_after == 30


def test_check_reads_the_page_and_refuses_an_expired_token(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    mocked.get(
        f"{BASE}/{PAGE}",
        json=fb("page__ok.json"),
        match=[matchers.query_param_matcher({"fields": "id,name"})],
    )
    connector.check()
    mocked.get(f"{BASE}/{PAGE}", status=400, json=fb("error__expired_token.json"))
    with pytest.raises(AuthError, match="reconnect the Page"):
        connector.check()


def test_a_missing_token_is_an_auth_error() -> None:
    connector = FacebookConnector(credentials={}, external_id=PAGE, session=requests.Session())
    with pytest.raises(AuthError):
        connector.check()


# --- Posts ---------------------------------------------------------------------------------

POST_1 = f"{PAGE}_122101234567890123"
POST_TEXT = f"{PAGE}_122101234567890789"
POST_ALBUM = f"{PAGE}_122101234567891011"
REEL_VIDEO = "1433456789012345"


def _mock_posts(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{BASE}/{PAGE}/posts",
        json=fb("posts__page1.json"),
        match=[
            matchers.query_param_matcher({"limit": "25", "since": "1772611200"}, strict_match=False)
        ],
    )
    mocked.get(
        f"{BASE}/{PAGE}/posts",
        json=fb("posts__page2.json"),
        match=[
            matchers.query_param_matcher(
                {"after": "QVFIUkZAfc2FtcGxlX2FmdGVyZAZDZD", "limit": "25"}, strict_match=False
            )
        ],
    )
    metrics = "post_media_view,post_total_media_view_unique,post_clicks"
    for post, body in (
        (POST_1, "post_insights__ok.json"),
        (POST_TEXT, "post_insights__ok.json"),
        (POST_ALBUM, "post_insights__without_clicks.json"),
    ):
        mocked.get(
            f"{BASE}/{post}/insights",
            json=fb(body),
            match=[matchers.query_param_matcher({"metric": metrics})],
        )
    mocked.get(f"{BASE}/{REEL_VIDEO}/video_insights", json=fb("video_insights__reel.json"))


def test_posts_page_through_and_stop_at_since(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    _mock_posts(mocked)
    posts = list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10)))

    # The link post of 2 March is before ``since``: it ends the paging, no third page is asked.
    assert [(p.external_id.split("_")[1], p.format) for p, _ in posts] == [
        ("122101234567890123", "photo"),
        ("122101234567890456", "reel"),
        ("122101234567890789", "text"),
        ("122101234567891011", "carousel"),
    ]
    first = posts[0][0]
    assert first.published_at == dt.datetime(2026, 3, 9, 16, 2, 11, tzinfo=dt.UTC)
    assert first.text == "Nouveau pain au levain 🍞 #boulangerie #levain"
    assert first.tags == ()  # hashtags are not tags
    assert first.is_paid is False
    assert first.permalink == f"https://www.facebook.com/{PAGE}/posts/122101234567890123"


def _values(rows: list[PostMetricRow]) -> dict[str, float]:
    assert {r.day for r in rows} == {dt.date(2026, 3, 10)}
    return {r.metric: r.value for r in rows}


def test_post_counters_come_from_fields_and_insights(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    _mock_posts(mocked)
    rows = {
        p.external_id: r
        for p, r in connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10))
    }

    assert _values(rows[POST_1]) == {
        "likes": 58,
        "comments": 7,
        "shares": 3,
        "impressions": 3120,
        "reach": 2204,
        "clicks": 96,
    }
    # No shares field and no clicks in the insights: left out, not zero.
    assert _values(rows[POST_ALBUM]) == {
        "likes": 34,
        "comments": 2,
        "impressions": 3120,
        "reach": 2204,
    }
    assert "shares" not in _values(rows[POST_TEXT])
    reel = _values(rows[f"{PAGE}_122101234567890456"])
    assert reel["video_views"] == 8450
    assert reel["reach"] == 6120
    assert reel["watch_time_minutes"] == pytest.approx(62_530_000 / 60_000)
    assert reel["likes"] == 112 and reel["shares"] == 14
    assert connector.notes.warnings == []


def test_a_post_without_insights_keeps_its_other_counters(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    page = fb("posts__page1.json")
    page["data"] = page["data"][:1]
    del page["paging"]["next"]
    mocked.get(f"{BASE}/{PAGE}/posts", json=page)
    mocked.get(
        f"{BASE}/{POST_1}/insights", status=400, json=fb("error__nonexisting_field_insights.json")
    )
    [(_post, rows)] = list(
        connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10))
    )
    assert _values(rows) == {"likes": 58, "comments": 7, "shares": 3}
    assert connector.notes.warnings == [
        "Facebook gave no insights for this post (too few viewers, or not supported for it); its "
        "other numbers were kept."
    ]


def test_a_reel_without_video_insights_keeps_its_other_counters(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    page = fb("posts__page1.json")
    page["data"] = page["data"][1:2]
    del page["paging"]["next"]
    mocked.get(f"{BASE}/{PAGE}/posts", json=page)
    mocked.get(
        f"{BASE}/{REEL_VIDEO}/video_insights",
        status=400,
        json=fb("error__nonexisting_field_insights.json"),
    )
    [(post, rows)] = list(
        connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10))
    )
    assert post.format == "reel"
    assert _values(rows) == {"likes": 112, "comments": 9, "shares": 14}
    assert connector.notes.warnings == [
        "Facebook gave no insights for this reel (too few viewers, or not supported for it); its "
        "other numbers were kept."
    ]


def test_empty_posts_give_nothing(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    mocked.get(f"{BASE}/{PAGE}/posts", json=fb("posts__empty.json"))
    assert list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10))) == []


def test_tokens_never_reach_urls_or_recorded_params(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    _mock_posts(mocked)
    list(connector.fetch_posts(since=dt.date(2026, 3, 4), today=dt.date(2026, 3, 10)))
    for call in mocked.calls:
        assert "access_token" not in (call.request.url or "")
        assert call.request.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    recorded = json.dumps([(r.endpoint, dict(r.params)) for r in connector.recorded])
    assert PAGE_TOKEN not in recorded and "access_token" not in recorded
    pages = [r for r in connector.recorded if r.endpoint == f"/{PAGE}/posts"]
    assert [r.params.get("after") for r in pages] == [None, "QVFIUkZAfc2FtcGxlX2FmdGVyZAZDZD"]


# --- OAuth ---------------------------------------------------------------------------------

TOKEN_ENDPOINT = f"{BASE}/oauth/access_token"


def test_oauth_exchange_returns_a_long_lived_user_token(mocked: responses.RequestsMock) -> None:
    mocked.get(
        TOKEN_ENDPOINT,
        json=fb("oauth_access_token__short_lived.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "client_id": "app-id",
                    "client_secret": "app-secret",
                    "redirect_uri": "https://rapport.example/oauth/callback",
                    "code": "AQDcode",
                }
            )
        ],
    )
    mocked.get(
        TOKEN_ENDPOINT,
        json=fb("oauth_access_token__long_lived.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "grant_type": "fb_exchange_token",
                    "client_id": "app-id",
                    "client_secret": "app-secret",
                    "fb_exchange_token": "EAAGshortLivedUserToken0000000000000000abc",
                }
            )
        ],
    )
    with at("2026-03-10"):
        token = FacebookConnector.oauth_exchange(
            code="AQDcode",
            redirect_uri="https://rapport.example/oauth/callback",
            client_id="app-id",
            client_secret="app-secret",
            code_verifier=None,
            session=requests.Session(),
        )
    assert token["access_token"] == "EAAGlongLivedUserToken11111111111111111xyz"
    expected = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC) + dt.timedelta(seconds=5183944)
    assert dt.datetime.fromisoformat(token["expires_at"]) == expected


def test_oauth_exchange_assumes_60_days_when_meta_omits_the_expiry(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(TOKEN_ENDPOINT, json=fb("oauth_access_token__short_lived.json"))
    mocked.get(TOKEN_ENDPOINT, json=fb("oauth_access_token__long_lived_no_expiry.json"))
    with at("2026-03-10"):
        token = FacebookConnector.oauth_exchange(
            code="AQDcode",
            redirect_uri="https://rapport.example/cb",
            client_id="app-id",
            client_secret="app-secret",
            code_verifier=None,
            session=requests.Session(),
        )
    assert token["expires_at"] == "2026-05-09T12:00:00+00:00"


def test_a_refused_code_is_a_plain_sign_in_error(mocked: responses.RequestsMock) -> None:
    mocked.get(TOKEN_ENDPOINT, status=400, json=fb("error__bad_verification_code.json"))
    with pytest.raises(ConnectorError, match="did not accept the sign-in") as raised:
        FacebookConnector.oauth_exchange(
            code="bad",
            redirect_uri="https://rapport.example/cb",
            client_id="app-id",
            client_secret="app-secret",
            code_verifier=None,
            session=requests.Session(),
        )
    assert "app-secret" not in str(raised.value)


def test_discover_accounts_lists_every_page_with_its_page_token(
    mocked: responses.RequestsMock,
) -> None:
    user_token = "EAAGlongLivedUserToken11111111111111111xyz"
    mocked.get(
        f"{BASE}/me/accounts",
        json=fb("me_accounts__page1.json"),
        match=[
            matchers.query_param_matcher(
                {"fields": "id,name,username,access_token", "limit": "100"}
            ),
            matchers.header_matcher({"Authorization": f"Bearer {user_token}"}),
        ],
    )
    mocked.get(
        f"{BASE}/me/accounts",
        json=fb("me_accounts__page2.json"),
        match=[
            matchers.query_param_matcher(
                {"after": "QVFIUmJfc2FtcGxlX2FmdGVyZAZDZD"}, strict_match=False
            )
        ],
    )
    accounts = FacebookConnector.discover_accounts(
        token={"access_token": user_token, "expires_at": "2026-05-09T12:00:00+00:00"},
        session=requests.Session(),
    )
    assert [(a.external_id, a.display_name, a.handle) for a in accounts] == [
        (PAGE, "Boulangerie Martin", "boulangeriemartin"),
        ("104598765432109", "Café du Port", ""),
    ]
    assert accounts[0].credentials == {"access_token": PAGE_TOKEN, "token_type": "page"}
    assert accounts[0].timezone == "America/Los_Angeles"
    assert "access_token=" not in (mocked.calls[1].request.url or "")
    assert user_token not in (mocked.calls[1].request.url or "")


def test_page_tokens_need_no_refresh(connector: FacebookConnector) -> None:
    assert connector.refresh_credentials(client_id="app-id", client_secret="app-secret") is None


def test_a_user_token_is_exchanged_again_in_its_last_week(mocked: responses.RequestsMock) -> None:
    old = "EAAGlongLivedUserTokenOld000000000000000000"
    mocked.get(
        TOKEN_ENDPOINT,
        json=fb("oauth_access_token__long_lived.json"),
        match=[
            matchers.query_param_matcher(
                {"grant_type": "fb_exchange_token", "fb_exchange_token": old}, strict_match=False
            )
        ],
    )
    credentials = {
        "access_token": old,
        "token_type": "user",
        "expires_at": "2026-03-14T00:00:00+00:00",
    }
    connector = FacebookConnector(
        credentials=credentials, external_id=PAGE, session=requests.Session()
    )
    with at("2026-02-20"):
        assert connector.refresh_credentials(client_id="app-id", client_secret="app-secret") is None
    with at("2026-03-10"):
        refreshed = connector.refresh_credentials(client_id="app-id", client_secret="app-secret")
    assert refreshed is not None
    assert refreshed["access_token"] == "EAAGlongLivedUserToken11111111111111111xyz"
    assert refreshed["expires_at"] > credentials["expires_at"]
    assert connector.recorded == []  # the exchange carries the app secret: never archived


# --- The real recorded response in ../shared/samples/api ----------------------------------

SAMPLE = SAMPLES / "api" / "facebook_graph_v23_page_insights_and_posts__damilare__REDACTED.json"


@pytest.mark.skipif(not SAMPLE.parent.is_dir(), reason="shared samples are absent")
def test_real_posts_response_parses(mocked: responses.RequestsMock) -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    page_id = "654529707751538"
    mocked.get(f"{BASE}/{page_id}/posts", json=sample["page_posts_list"])
    for item in sample["page_posts_list"]["data"]:
        mocked.get(f"{BASE}/{item['id']}/insights", json={"data": []})
    connector = FacebookConnector(
        credentials={"access_token": "EAAGx"}, external_id=page_id, session=requests.Session()
    )
    posts = list(connector.fetch_posts(since=dt.date(2025, 6, 1), today=dt.date(2025, 6, 23)))
    assert [(p.external_id, p.published_at, p.format) for p, _ in posts] == [
        (
            "654529707751538_122093590958929499",
            dt.datetime(2025, 6, 22, 10, 44, 19, tzinfo=dt.UTC),
            "text",
        ),
        (
            "654529707751538_122093348108929499",
            dt.datetime(2025, 6, 21, 22, 44, 4, tzinfo=dt.UTC),
            "text",
        ),
    ]
    assert all(rows == [] for _, rows in posts)  # no counters in the sample: none invented
    assert PAGE_METRICS.get("page_impressions") is not None


def test_rows_are_contract_dataclasses(
    mocked: responses.RequestsMock, connector: FacebookConnector
) -> None:
    mocked.get(INSIGHTS, json=fb("page_insights__day.json"))
    with at("2026-03-10"):
        rows = list(
            connector.fetch_account_metrics(start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 8))
        )
    assert all(isinstance(r, AccountMetricRow) for r in rows)


@pytest.mark.parametrize(
    ("item", "post_format"),
    [
        ({"status_type": "added_photos"}, "photo"),
        ({"status_type": "added_video"}, "video"),
        ({"status_type": "shared_story"}, "link"),
        ({"status_type": "mobile_status_update", "message": "Hello"}, "text"),
        ({"message": "Hello"}, "text"),
        ({}, "other"),
        ({"attachments": {"data": [{"media_type": "album"}]}}, "carousel"),
        (
            {
                "attachments": {
                    "data": [{"media_type": "video", "url": "https://www.facebook.com/reel/1"}]
                }
            },
            "reel",
        ),
        (
            {"attachments": {"data": [{"media_type": "video"}]}, "status_type": "added_video"},
            "video",
        ),
    ],
)
def test_post_format_from_attachment_or_status_type(item: dict[str, Any], post_format: str) -> None:
    assert post_format_of(item) == post_format
