from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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
from connectors.platforms.youtube import YouTubeConnector
from connectors.platforms.youtube.google import endpoints, seconds_until_pacific_midnight
from connectors.platforms.youtube.parsing import duration_seconds, result_table_records
from connectors.registry import connector_class

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "youtube"
SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "api"

DATA = "https://www.googleapis.com/youtube/v3"
REPORTS = "https://youtubeanalytics.googleapis.com/v2/reports"
TOKEN_URL = "https://oauth2.googleapis.com/token"
CHANNEL = "UCq8RapportDemoChannel01"
ACCESS = "ya29.a0-test-stored-access-Qz81"
REFRESH = "1//09-test-stored-refresh-Vb22"
# 09:00 UTC on 6 March 2026 is 01:00 in Los Angeles (PST, UTC-8): 23 hours to Pacific midnight.
NOW = dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 6)


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


def connector(**credentials: Any) -> YouTubeConnector:
    return YouTubeConnector(
        credentials={"access_token": ACCESS, "refresh_token": REFRESH, **credentials},
        external_id=CHANNEL,
    )


def params(call: Any) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(call.request.url).query))


EXPECTED_DAYS = [
    # day, views, minutes, likes, comments, shares, gained, lost
    ("2026-03-01", 1210, 3874, 64, 9, 5, 14, 3),
    ("2026-03-02", 987, 3120, 51, 0, 2, 8, 5),
    ("2026-03-03", 1534, 5012, 88, 17, 11, 21, 0),
]


def expected_rows(days: list[tuple[Any, ...]]) -> set[AccountMetricRow]:
    metrics = ["video_views", "watch_time_minutes", "likes", "comments", "shares"]
    metrics += ["followers_gained", "followers_lost"]
    rows = set()
    for day, *values in days:
        date = dt.date.fromisoformat(day)
        rows |= {AccountMetricRow(date, m, float(v)) for m, v in zip(metrics, values, strict=True)}
        rows.add(AccountMetricRow(date, "engagements", float(values[2] + values[3] + values[4])))
    return rows


def test_registry_resolves_youtube() -> None:
    assert connector_class("youtube") is YouTubeConnector


@pytest.mark.parametrize("fixture", ["reports__day", "reports__day_reordered"])
def test_account_metrics_read_columns_by_header_name(
    api: responses.RequestsMock, fixture: str
) -> None:
    report = api.get(REPORTS, json=load(fixture))
    api.get(f"{DATA}/channels", json=load("channels__statistics"))
    youtube = connector()

    rows = set(youtube.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    followers = AccountMetricRow(dt.date(2026, 3, 5), "followers", 12400.0)
    assert rows == expected_rows(EXPECTED_DAYS) | {followers}
    sent = params(report.calls[0])
    assert sent["ids"] == "channel==MINE"
    assert sent["dimensions"] == "day"
    assert sent["startDate"] == "2026-03-01"
    assert sent["endDate"] == "2026-03-05"
    assert sent["metrics"].split(",") == [
        "views",
        "estimatedMinutesWatched",
        "likes",
        "comments",
        "shares",
        "subscribersGained",
        "subscribersLost",
    ]


def test_account_metrics_page_with_start_index(api: responses.RequestsMock) -> None:
    class SmallPages(YouTubeConnector):
        analytics_page_size = 2

    first = api.get(
        REPORTS,
        json=load("reports__page_1"),
        match=[matchers.query_param_matcher({"startIndex": "1"}, strict_match=False)],
    )
    second = api.get(
        REPORTS,
        json=load("reports__page_2"),
        match=[matchers.query_param_matcher({"startIndex": "3"}, strict_match=False)],
    )
    api.get(f"{DATA}/channels", json=load("channels__statistics"))
    youtube = SmallPages(credentials={"access_token": ACCESS}, external_id=CHANNEL)

    rows = list(youtube.fetch_account_metrics(start=dt.date(2026, 2, 27), end=dt.date(2026, 3, 2)))

    assert params(first.calls[0])["maxResults"] == "2"
    assert params(second.calls[0])["maxResults"] == "2"
    days = {row.day for row in rows if row.metric == "video_views"}
    assert days == {dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1)}


def test_empty_report_writes_no_rows(api: responses.RequestsMock) -> None:
    api.get(REPORTS, json=load("reports__empty"))
    api.get(f"{DATA}/channels", json=load("channels__empty"))
    youtube = connector()

    rows = list(youtube.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert rows == []
    assert youtube.notes.warnings


def test_hidden_subscriber_count_is_missing_not_zero(api: responses.RequestsMock) -> None:
    api.get(REPORTS, json=load("reports__empty"))
    api.get(f"{DATA}/channels", json=load("channels__hidden_subscribers"))
    youtube = connector()

    rows = list(youtube.fetch_account_metrics(start=dt.date(2026, 3, 4), end=dt.date(2026, 3, 5)))

    assert [row for row in rows if row.metric == "followers"] == []
    assert any("hides its subscriber count" in w for w in youtube.notes.warnings)


def test_followers_not_dated_in_a_past_window(api: responses.RequestsMock) -> None:
    api.get(REPORTS, json=load("reports__day"))
    youtube = connector()

    rows = list(youtube.fetch_account_metrics(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)))

    assert "followers" not in {row.metric for row in rows}
    assert len(api.calls) == 1


def single_metric_report(name: str) -> dict[str, Any]:
    full = load("reports__day")
    names = [header["name"] for header in full["columnHeaders"]]
    keep = [names.index("day"), names.index(name)]
    return {
        "kind": full["kind"],
        "columnHeaders": [full["columnHeaders"][i] for i in keep],
        "rows": [[row[i] for i in keep] for row in full["rows"]],
    }


def test_rejected_metric_is_skipped_and_the_others_kept(api: responses.RequestsMock) -> None:
    every = "views,estimatedMinutesWatched,likes,comments,shares,subscribersGained,subscribersLost"
    api.get(
        REPORTS,
        status=400,
        json=load("reports__unknown_metric"),
        match=[matchers.query_param_matcher({"metrics": every}, strict_match=False)],
    )
    for name in every.split(","):
        one = matchers.query_param_matcher({"metrics": name}, strict_match=False)
        if name == "shares":
            api.get(REPORTS, status=400, json=load("reports__unknown_metric"), match=[one])
        else:
            api.get(REPORTS, json=single_metric_report(name), match=[one])
    api.get(f"{DATA}/channels", json=load("channels__statistics"))
    youtube = connector()

    rows = set(youtube.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    expected = {
        row for row in expected_rows(EXPECTED_DAYS) if row.metric not in {"shares", "engagements"}
    }
    assert rows == expected | {AccountMetricRow(dt.date(2026, 3, 5), "followers", 12400.0)}
    assert any("shares" in warning for warning in youtube.notes.warnings)


def test_every_metric_rejected_raises_the_first_error(api: responses.RequestsMock) -> None:
    api.get(REPORTS, status=400, json=load("reports__unknown_metric"))
    youtube = connector()

    with pytest.raises(ConnectorError) as caught:
        list(youtube.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert not isinstance(caught.value, AuthError | RateLimited | TransientError)
    assert len(api.calls) == 8  # the full query, then each of the 7 metrics alone


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("error__quota_exceeded", 403),
        ("error__daily_limit_exceeded", 403),
        ("error__per_day_resource_exhausted", 429),
    ],
)
def test_daily_quota_waits_until_pacific_midnight(
    api: responses.RequestsMock, fixture: str, status: int
) -> None:
    api.get(REPORTS, status=status, json=load(fixture))

    with pytest.raises(RateLimited) as caught:
        list(connector().fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert not isinstance(caught.value, AuthError)
    assert caught.value.daily_quota is True
    assert caught.value.retry_after == 23 * 3600
    assert "<a" not in str(caught.value)


def test_pacific_midnight_across_the_spring_forward() -> None:
    # 8 March 2026 is 23 hours long in Los Angeles.
    before = dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)  # 00:00 PST
    assert seconds_until_pacific_midnight(before) == 23 * 3600


@pytest.mark.parametrize(
    ("fixture", "headers", "wait"),
    [
        ("error__rate_limit_exceeded", {}, 60.0),
        ("error__user_rate_limit_exceeded", {"Retry-After": "17"}, 17.0),
    ],
)
def test_short_rate_limit_is_retried_soon(
    api: responses.RequestsMock, fixture: str, headers: dict[str, str], wait: float
) -> None:
    api.get(f"{DATA}/channels", status=403, json=load(fixture), headers=headers)

    with pytest.raises(RateLimited) as caught:
        connector().check()

    assert caught.value.daily_quota is False
    assert caught.value.retry_after == wait


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("error__forbidden", 403),
        ("error__insufficient_permissions", 403),
        ("error__unauthorized", 401),
    ],
)
def test_refused_credentials_are_auth_errors(
    api: responses.RequestsMock, fixture: str, status: int
) -> None:
    api.get(REPORTS, status=status, json=load(fixture))

    with pytest.raises(AuthError) as caught:
        list(connector().fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert "Reconnect" in str(caught.value)
    assert ACCESS not in str(caught.value)


def test_disabled_api_is_a_configuration_error_not_auth(api: responses.RequestsMock) -> None:
    api.get(REPORTS, status=403, json=load("error__access_not_configured"))

    with pytest.raises(ConnectorError) as caught:
        list(connector().fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert not isinstance(caught.value, AuthError | RateLimited | TransientError)
    assert "Google Cloud console" in str(caught.value)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(api: responses.RequestsMock, status: int) -> None:
    api.get(f"{DATA}/channels", status=status, json=load("error__backend"))

    with pytest.raises(TransientError):
        list(connector().fetch_posts(since=dt.date(2026, 2, 20), today=TODAY))


def mock_uploads(api: responses.RequestsMock) -> None:
    api.get(
        f"{DATA}/channels",
        json=load("channels__content_details"),
        match=[matchers.query_param_matcher({"part": "contentDetails", "id": CHANNEL})],
    )
    api.get(
        f"{DATA}/playlistItems",
        json=load("playlist_items__page_1"),
        match=[
            matchers.query_param_matcher(
                {
                    "part": "contentDetails",
                    "playlistId": "UUq8RapportDemoChannel01",
                    "maxResults": "50",
                }
            )
        ],
    )
    api.get(
        f"{DATA}/playlistItems",
        json=load("playlist_items__page_2"),
        match=[matchers.query_param_matcher({"pageToken": "EAAaBlBUOkNBTQ"}, strict_match=False)],
    )


def test_posts_page_through_uploads_and_stop_at_since(api: responses.RequestsMock) -> None:
    mock_uploads(api)
    videos = api.get(f"{DATA}/videos", json=load("videos__batch"))

    fetched = list(connector().fetch_posts(since=dt.date(2026, 2, 20), today=TODAY))

    # Page 2 holds a video older than `since`: its nextPageToken is not followed.
    assert len(api.calls) == 4
    sent = params(videos.calls[0])
    assert sent["id"] == "Kx3mP9qR2sT,Lw4nQ0rS3tU,My5oR1sT4uV,Nz6pS2tU5vW,Oa7qT3uV6wX"
    assert sent["part"] == "snippet,statistics,contentDetails,liveStreamingDetails"
    posts = {post.external_id: post for post, _counters in fetched}
    assert {k: p.format for k, p in posts.items()} == {
        "Kx3mP9qR2sT": "video",
        "Lw4nQ0rS3tU": "short",
        "My5oR1sT4uV": "live",
        "Nz6pS2tU5vW": "short",
    }
    first = posts["Kx3mP9qR2sT"]
    assert first.published_at == dt.datetime(2026, 3, 5, 17, 0, 4, tzinfo=dt.UTC)
    assert first.text.startswith("How we shape a country loaf")
    assert first.permalink == "https://www.youtube.com/watch?v=Kx3mP9qR2sT"


def test_video_counters_are_numbers_and_hidden_ones_missing(api: responses.RequestsMock) -> None:
    mock_uploads(api)
    api.get(f"{DATA}/videos", json=load("videos__batch"))

    fetched = dict(connector().fetch_posts(since=dt.date(2026, 2, 20), today=TODAY))
    counters = {
        post.external_id: {row.metric: row.value for row in rows} for post, rows in fetched.items()
    }

    assert counters["Kx3mP9qR2sT"] == {"video_views": 4821.0, "likes": 312.0, "comments": 27.0}
    assert counters["Lw4nQ0rS3tU"] == {"video_views": 19877.0, "comments": 54.0}  # likes hidden
    assert counters["My5oR1sT4uV"] == {"video_views": 1203.0, "likes": 88.0}  # comments off
    assert counters["Nz6pS2tU5vW"] == {"video_views": 0.0, "likes": 0.0, "comments": 0.0}
    for post, rows in fetched.items():
        assert all(isinstance(row, PostMetricRow) and row.day == TODAY for row in rows)
        assert all(row.post_external_id == post.external_id for row in rows)


def test_videos_are_asked_in_batches_of_fifty(api: responses.RequestsMock) -> None:
    ids = [f"v{n:010d}" for n in range(57)]
    api.get(f"{DATA}/channels", json=load("channels__content_details"))
    page = load("playlist_items__page_1")
    page.pop("nextPageToken")
    page["items"] = [
        {"kind": "youtube#playlistItem", "contentDetails": {"videoId": video_id}}
        for video_id in ids
    ]
    api.get(f"{DATA}/playlistItems", json=page)
    videos = api.get(f"{DATA}/videos", json={"kind": "youtube#videoListResponse", "items": []})

    assert list(connector().fetch_posts(since=dt.date(2026, 2, 20), today=TODAY)) == []

    batches = [params(call)["id"].split(",") for call in videos.calls]
    assert batches == [ids[:50], ids[50:]]


def test_channel_without_uploads_has_no_posts(api: responses.RequestsMock) -> None:
    api.get(f"{DATA}/channels", json=load("channels__content_details"))
    api.get(f"{DATA}/playlistItems", status=404, json=load("playlist_items__not_found"))

    assert list(connector().fetch_posts(since=dt.date(2026, 2, 20), today=TODAY)) == []


def test_empty_channel_answer_has_no_posts(api: responses.RequestsMock) -> None:
    api.get(f"{DATA}/channels", json=load("channels__empty"))

    assert list(connector().fetch_posts(since=dt.date(2026, 2, 20), today=TODAY)) == []


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("PT42S", 42.0),
        ("PT1M", 60.0),
        ("PT8M31S", 511.0),
        ("PT1H2M10S", 3730.0),
        ("P1DT2H", 93600.0),
        ("P0D", 0.0),
        ("PT", None),
        ("", None),
        ("soon", None),
    ],
)
def test_iso_durations(raw: str, seconds: float | None) -> None:
    assert duration_seconds(raw) == seconds


def test_discover_accounts_lists_the_channels(api: responses.RequestsMock) -> None:
    call = api.get(f"{DATA}/channels", json=load("channels__mine"))
    token = {"access_token": ACCESS, "refresh_token": REFRESH}

    found = YouTubeConnector.discover_accounts(token=token, session=_session())

    assert params(call.calls[0])["mine"] == "true"
    assert call.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert [(a.external_id, a.display_name, a.handle, a.timezone) for a in found] == [
        (CHANNEL, "Rapport Bakery", "@rapportbakery", "America/Los_Angeles")
    ]
    assert dict(found[0].credentials) == token


def test_check_refuses_a_token_for_another_channel(api: responses.RequestsMock) -> None:
    api.get(f"{DATA}/channels", json={"kind": "youtube#channelListResponse", "items": []})

    with pytest.raises(AuthError):
        connector().check()


def test_check_accepts_the_channel(api: responses.RequestsMock) -> None:
    api.get(f"{DATA}/channels", json=load("channels__mine"))

    connector().check()


def test_oauth_exchange_sends_the_pkce_verifier(api: responses.RequestsMock) -> None:
    call = api.post(TOKEN_URL, json=load("token__exchange"))

    token = YouTubeConnector.oauth_exchange(
        code="4/0A-test-code",
        redirect_uri="https://rapport.example/connect/youtube/callback/",
        client_id="client-123.apps.googleusercontent.com",
        client_secret="test-client-secret",
        code_verifier="verifier-abc",
        session=_session(),
    )

    form = dict(urllib.parse.parse_qsl(call.calls[0].request.body))
    assert form["grant_type"] == "authorization_code"
    assert form["code_verifier"] == "verifier-abc"
    assert form["redirect_uri"] == "https://rapport.example/connect/youtube/callback/"
    assert token["access_token"] == "ya29.a0-test-exchange-access-7Hq2"
    assert token["refresh_token"] == "1//09-test-refresh-Lk3p"
    assert dt.datetime.fromisoformat(token["expires_at"]) == NOW + dt.timedelta(seconds=3599)


def test_oauth_exchange_without_offline_access_fails(api: responses.RequestsMock) -> None:
    api.post(TOKEN_URL, json=load("token__exchange_without_refresh"))

    with pytest.raises(AuthError) as caught:
        YouTubeConnector.oauth_exchange(
            code="4/0A-test-code",
            redirect_uri="https://rapport.example/cb/",
            client_id="id",
            client_secret="secret",
            code_verifier=None,
            session=_session(),
        )

    assert "ya29" not in str(caught.value)


def test_refresh_under_five_minutes_keeps_the_refresh_token(api: responses.RequestsMock) -> None:
    call = api.post(TOKEN_URL, json=load("token__refresh"))
    youtube = connector(expires_at=(NOW + dt.timedelta(minutes=4)).isoformat())

    fresh = youtube.refresh_credentials(client_id="id", client_secret="secret")

    assert fresh is not None
    form = dict(urllib.parse.parse_qsl(call.calls[0].request.body))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "id",
        "client_secret": "secret",
    }
    assert fresh["access_token"] == "ya29.a0-test-refreshed-access-2Wm8"
    assert fresh["refresh_token"] == REFRESH
    assert dt.datetime.fromisoformat(fresh["expires_at"]) == NOW + dt.timedelta(seconds=3599)
    assert youtube.credentials == fresh
    assert youtube.recorded == []


def test_no_refresh_while_the_token_is_fresh(api: responses.RequestsMock) -> None:
    youtube = connector(expires_at=(NOW + dt.timedelta(minutes=20)).isoformat())

    assert youtube.refresh_credentials(client_id="id", client_secret="secret") is None
    assert len(api.calls) == 0


def test_revoked_refresh_token_is_an_auth_error(api: responses.RequestsMock) -> None:
    api.post(TOKEN_URL, status=400, json=load("token__invalid_grant"))
    youtube = connector(expires_at=(NOW - dt.timedelta(minutes=1)).isoformat())

    with pytest.raises(AuthError) as caught:
        youtube.refresh_credentials(client_id="id", client_secret="secret")

    assert REFRESH not in str(caught.value)


def test_tokens_never_recorded_nor_in_messages(api: responses.RequestsMock) -> None:
    api.get(REPORTS, json=load("reports__day"))
    api.get(f"{DATA}/channels", status=401, json=load("error__unauthorized"))
    youtube = connector()

    with pytest.raises(AuthError) as caught:
        list(youtube.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert ACCESS not in str(caught.value) and REFRESH not in str(caught.value)
    assert len(youtube.recorded) == 2
    archived = json.dumps([(r.endpoint, dict(r.params), r.body) for r in youtube.recorded])
    assert ACCESS not in archived and REFRESH not in archived


def test_page_tokens_are_not_archived_as_params(api: responses.RequestsMock) -> None:
    mock_uploads(api)
    api.get(f"{DATA}/videos", json=load("videos__batch"))
    youtube = connector()

    list(youtube.fetch_posts(since=dt.date(2026, 2, 20), today=TODAY))

    assert [r.endpoint for r in youtube.recorded] == [
        "/youtube/v3/channels",
        "/youtube/v3/playlistItems",
        "/youtube/v3/playlistItems",
        "/youtube/v3/videos",
    ]


def test_base_url_puts_every_endpoint_under_it(api: responses.RequestsMock) -> None:
    base = "http://127.0.0.1:8765/google"
    assert endpoints(base).token == f"{base}/oauth2/v4/token"
    api.get(f"{base}/youtubeAnalytics/v2/reports", json=load("reports__day"))
    api.get(f"{base}/youtube/v3/channels", json=load("channels__statistics"))
    api.post(f"{base}/oauth2/v4/token", json=load("token__refresh"))
    youtube = YouTubeConnector(
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
        external_id=CHANNEL,
        base_url=base + "/",
    )

    assert youtube.refresh_credentials(client_id="id", client_secret="secret") is not None
    rows = list(youtube.fetch_account_metrics(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5)))

    assert len(rows) == 3 * 8 + 1


def test_every_metric_is_canonical() -> None:
    from connectors.metrics import METRICS

    assert YouTubeConnector.metrics <= set(METRICS)
    assert YouTubeConnector.lookback_days == 4
    assert ("access_type", "offline") in YouTubeConnector.oauth.extra_authorize_params
    assert ("prompt", "consent") in YouTubeConnector.oauth.extra_authorize_params


def _session() -> Any:
    import requests

    return requests.Session()


requires_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason="../shared/samples is not present"
)


@requires_samples
def test_real_analytics_sample_parses_by_header_name(api: responses.RequestsMock) -> None:
    body = json.loads(
        (SAMPLES / "youtube_analytics_v2_reports__parafoxia-analytix__test_data.json").read_text()
    )
    records = {record["day"]: record for record in result_table_records(body)}
    api.get(REPORTS, json=body)

    rows = list(
        connector().fetch_account_metrics(start=dt.date(2022, 1, 1), end=dt.date(2022, 1, 31))
    )

    by_key = {(row.day, row.metric): row.value for row in rows}
    first = records["2022-01-01"]
    assert by_key[(dt.date(2022, 1, 1), "video_views")] == first["views"]
    assert by_key[(dt.date(2022, 1, 1), "watch_time_minutes")] == first["estimatedMinutesWatched"]
    assert by_key[(dt.date(2022, 1, 1), "followers_lost")] == first["subscribersLost"]
    assert by_key[(dt.date(2022, 1, 1), "engagements")] == (
        first["likes"] + first["comments"] + first["shares"]
    )
    assert {row.day for row in rows} == {dt.date.fromisoformat(day) for day in records}
    assert len(rows) == len(records) * 8


@requires_samples
@pytest.mark.parametrize(
    "name",
    [
        "youtube_data_v3__sns-sdks-python-youtube__channel_info_single.json",
        "youtube_data_v3__sns-sdks-python-youtube__channels_info_multiple.json",
    ],
)
def test_real_channel_samples_give_accounts_and_subscribers(
    api: responses.RequestsMock, name: str
) -> None:
    body = json.loads((SAMPLES / name).read_text())
    api.get(f"{DATA}/channels", json=body)
    api.get(f"{DATA}/channels", json=body)
    api.get(REPORTS, json=load("reports__empty"))

    found = YouTubeConnector.discover_accounts(token={"access_token": ACCESS}, session=_session())
    first = body["items"][0]
    youtube = YouTubeConnector(credentials={"access_token": ACCESS}, external_id=first["id"])
    rows = list(youtube.fetch_account_metrics(start=TODAY, end=TODAY))

    assert [a.external_id for a in found] == [item["id"] for item in body["items"]]
    assert rows == [
        AccountMetricRow(TODAY, "followers", float(first["statistics"]["subscriberCount"]))
    ]
