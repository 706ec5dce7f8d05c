"""The Meta Graph plumbing shared by the Facebook and Instagram connectors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pytest
import requests

from connectors.base import (
    AuthError,
    ConnectorError,
    FetchNotes,
    RateLimited,
    TransientError,
)
from connectors.platforms.facebook import PAGE_METRICS
from connectors.platforms.instagram import MEDIA_METRICS, USER_METRICS
from connectors.platforms.meta import (
    GRAPH_API_VERSION,
    GRAPH_BASE_URL,
    Capabilities,
    InsightsUnavailable,
    InvalidMetricError,
    MetricName,
    MetricTable,
    Point,
    day_chunks,
    insight_points,
    insights_fetch,
    meta_classifier,
    next_request,
    pacific_day,
    pacific_midnight,
    points_merge,
    token_scrub,
)
from tests.connectors.platforms import SAMPLES, fixture


def test_one_graph_version_everywhere() -> None:
    assert GRAPH_API_VERSION == "v25.0"
    assert GRAPH_BASE_URL == "https://graph.facebook.com/v25.0"


@pytest.mark.parametrize(
    ("end_time", "day"),
    [
        # Summer: midnight Pacific is 07:00 UTC; the value is the Pacific day before.
        ("2025-06-22T07:00:00+0000", dt.date(2025, 6, 21)),
        # Winter: midnight Pacific is 08:00 UTC.
        ("2026-01-15T08:00:00+0000", dt.date(2026, 1, 14)),
        # The first day of daylight saving time (8 March 2026) lasts 23 hours.
        ("2026-03-09T07:00:00+0000", dt.date(2026, 3, 8)),
        ("2026-03-08T08:00:00+0000", dt.date(2026, 3, 7)),
        # Not at midnight: the day holding the instant before end_time.
        ("2026-03-09T19:30:00+0000", dt.date(2026, 3, 9)),
    ],
)
def test_pacific_day_is_the_day_ending_at_end_time(end_time: str, day: dt.date) -> None:
    assert pacific_day(end_time) == day


def test_pacific_midnight_follows_daylight_saving_time() -> None:
    assert pacific_midnight(dt.date(2026, 3, 8)) == 1772956800  # 08:00 UTC
    assert pacific_midnight(dt.date(2026, 3, 9)) == 1773039600  # 07:00 UTC


def test_day_chunks_cover_the_range_without_overlap() -> None:
    chunks = day_chunks(dt.date(2026, 1, 1), dt.date(2026, 1, 10), 4)
    assert chunks == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 4)),
        (dt.date(2026, 1, 5), dt.date(2026, 1, 8)),
        (dt.date(2026, 1, 9), dt.date(2026, 1, 10)),
    ]
    assert day_chunks(dt.date(2026, 1, 1), dt.date(2026, 1, 10), 4, newest_first=True) == [
        *reversed(chunks)
    ]
    assert day_chunks(dt.date(2026, 1, 2), dt.date(2026, 1, 1), 4) == []


@pytest.mark.parametrize(
    ("base_url", "next_url", "path"),
    [
        (
            GRAPH_BASE_URL,
            f"{GRAPH_BASE_URL}/123/posts?access_token=EAAsecret&after=C1",
            "/123/posts",
        ),
        # Another host or version (a test server, an older recorded URL): rebased on base_url.
        ("http://127.0.0.1:8081/v25.0", f"{GRAPH_BASE_URL}/123/posts?after=C1", "/123/posts"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/123/posts?after=C1", "/123/posts"),
    ],
)
def test_next_request_drops_the_token_and_keeps_the_cursor(
    base_url: str, next_url: str, path: str
) -> None:
    got_path, params = next_request(next_url, base_url)
    assert got_path == path
    assert params == {"after": "C1"}


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b""
    response.headers.update(headers or {})
    return response


BUC_HEADER = json.dumps(
    {
        "104512345678901": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 12,
                "total_time": 31,
                "estimated_time_to_regain_access": 15,
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("name", "status", "headers", "error", "retry_after"),
    [
        ("error__expired_token.json", 400, {}, AuthError, None),
        ("error__invalid_token.json", 400, {}, AuthError, None),
        ("error__permission.json", 403, {}, AuthError, None),
        ("error__object_unreadable.json", 400, {}, AuthError, None),
        ("error__app_rate_limit.json", 403, {"x-app-usage": BUC_HEADER}, RateLimited, 900.0),
        ("error__user_rate_limit.json", 400, {"Retry-After": "120"}, RateLimited, 120.0),
        ("error__page_rate_limit.json", 400, {}, RateLimited, None),
        (
            "error__buc_rate_limit.json",
            400,
            {"x-business-use-case-usage": BUC_HEADER},
            RateLimited,
            900.0,
        ),
        ("error__temporary.json", 500, {}, TransientError, None),
        ("error__unknown.json", 400, {}, TransientError, None),
        ("error__invalid_metric.json", 400, {}, InvalidMetricError, None),
        ("error__nonexisting_field_insights.json", 400, {}, InsightsUnavailable, None),
    ],
)
def test_classifier_reads_meta_error_codes(
    name: str,
    status: int,
    headers: dict[str, str],
    error: type[ConnectorError],
    retry_after: float | None,
) -> None:
    classify = meta_classifier("Facebook", "Page")
    result = classify(
        _response(status, fixture("facebook", name), headers), fixture("facebook", name)
    )
    assert type(result) is error
    if isinstance(result, RateLimited):
        assert result.retry_after == retry_after
        assert not result.daily_quota


def test_classifier_leaves_successes_and_bare_statuses_to_the_shared_mapping() -> None:
    classify = meta_classifier("Facebook", "Page")
    assert classify(_response(200, {"data": []}), {"data": []}) is None
    assert classify(_response(429, None), None) is None
    assert classify(_response(502, None), None) is None
    assert isinstance(classify(_response(401, None), None), AuthError)


def test_expired_token_message_says_what_to_do() -> None:
    body = fixture("facebook", "error__expired_token.json")
    error = meta_classifier("Facebook", "Page")(_response(400, body), body)
    assert str(error) == (
        "The Facebook access has expired or was revoked (for example after a password change): "
        "reconnect the Page."
    )


def test_sign_in_errors_are_not_read_as_metric_errors() -> None:
    body = fixture("facebook", "error__bad_verification_code.json")
    error = meta_classifier("Facebook", "Page", sign_in=True)(_response(400, body), body)
    assert type(error) is ConnectorError
    assert "did not accept the sign-in" in str(error)


def test_token_scrub_hides_tokens_in_text() -> None:
    text = "failed: https://graph.facebook.com/v25.0/me?access_token=EAAGabc123&x=1 EAAG" + "x" * 40
    scrubbed = token_scrub(text)
    assert "EAAGabc123" not in scrubbed
    assert "x" * 40 not in scrubbed
    assert "access_token=[hidden]&x=1" in scrubbed


def test_metric_table_refuses_unknown_canonical_metrics() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        MetricTable([MetricName("page_mystery", "mystery")])
    with pytest.raises(ValueError, match="replaced by unknown"):
        MetricTable([MetricName("page_fans", "followers", replaced_by="page_nothing")])


@pytest.mark.parametrize("table", [PAGE_METRICS, USER_METRICS, MEDIA_METRICS])
def test_every_renamed_metric_keeps_its_canonical_metric(table: MetricTable) -> None:
    for entry in table.by_name.values():
        if entry.replaced_by is not None:
            successor = table.by_name[entry.replaced_by]
            assert successor.canonical == entry.canonical
            assert entry.valid_until is not None
            assert successor.valid_from == entry.valid_until


def test_insight_points_skip_missing_values_dicts_and_rolling_periods() -> None:
    points = list(insight_points(fixture("facebook", "page_insights__day.json"), PAGE_METRICS))
    unfollows = [(d, v) for m, d, v in points if m.name == "page_daily_unfollows_unique"]
    assert unfollows == [(dt.date(2026, 3, 7), 1.0), (dt.date(2026, 3, 8), 0.0)]
    engagements = [v for m, _, v in points if m.name == "page_post_engagements"]
    assert engagements == [87.0, 12.0, 143.0]  # the days_28 series is not a day's value
    assert {m.name for m, _, _ in points} <= set(PAGE_METRICS.by_name)


def test_points_merge_prefers_the_name_authoritative_on_each_day() -> None:
    body = fixture("facebook", "page_insights__both_names.json")
    points = [(m, d, v) for m, d, v in insight_points(body, PAGE_METRICS) if d is not None]
    merged = points_merge(points)
    assert merged == {
        (dt.date(2025, 11, 13), "impressions"): 1330.0,  # page_impressions, before the rename
        (dt.date(2025, 11, 14), "impressions"): 1290.0,
        (dt.date(2025, 11, 15), "impressions"): 1478.0,  # page_media_view from the rename on
    }


OLD = MetricName("old_views", "impressions", valid_until=dt.date(2025, 4, 21), replaced_by="views")
NEW = MetricName("views", "impressions", valid_from=dt.date(2025, 4, 21))
REACH = MetricName("reach", "reach")
CLICKS = MetricName("clicks", "clicks")
TABLE = MetricTable([OLD, NEW, REACH, CLICKS])


def _fake_fetch(unsupported: set[str], calls: list[list[str]], unavailable: bool = False) -> Any:
    def fetch(names: Sequence[MetricName]) -> list[Point]:
        calls.append([n.name for n in names])
        if unavailable:
            raise InsightsUnavailable("(#10) Not enough viewers for the media to show insights")
        bad = [n.name for n in names if n.name in unsupported]
        if bad:
            raise InvalidMetricError(f"Instagram rejected a metric or field: (#100) {bad[0]}")
        return [(n, None, 10.0) for n in names]

    return fetch


def test_fallback_asks_metric_by_metric_and_notes_the_skipped_one() -> None:
    calls: list[list[str]] = []
    notes, caps = FetchNotes(), Capabilities()
    points = insights_fetch(
        _fake_fetch({"clicks"}, calls),
        [REACH, CLICKS],
        table=TABLE,
        capabilities=caps,
        notes=notes,
        platform="Facebook",
        thing="Page",
    )
    assert [m.name for m, _, _ in points] == ["reach"]
    assert calls == [["reach", "clicks"], ["reach"], ["clicks"]]
    assert notes.warnings == ["Skipped 'clicks': Facebook does not report it for this Page."]
    # The next object of the same kind does not ask for it again.
    calls.clear()
    insights_fetch(
        _fake_fetch({"clicks"}, calls),
        [REACH, CLICKS],
        table=TABLE,
        capabilities=caps,
        notes=notes,
        platform="Facebook",
        thing="Page",
    )
    assert calls == [["reach"]]


def test_fallback_uses_the_successor_of_a_removed_name() -> None:
    calls: list[list[str]] = []
    notes, caps = FetchNotes(), Capabilities()
    points = insights_fetch(
        _fake_fetch({"old_views"}, calls),
        [OLD, REACH],
        table=TABLE,
        capabilities=caps,
        notes=notes,
        platform="Instagram",
        thing="photo",
    )
    assert sorted(m.name for m, _, _ in points) == ["reach", "views"]
    assert calls == [["old_views", "reach"], ["old_views"], ["views"], ["reach"]]
    assert notes.warnings == ["Instagram no longer reports 'old_views'; using 'views'."]
    calls.clear()
    insights_fetch(
        _fake_fetch({"old_views"}, calls),
        [OLD, REACH],
        table=TABLE,
        capabilities=caps,
        notes=notes,
        platform="Instagram",
        thing="photo",
    )
    assert calls == [["views", "reach"]]


def test_fallback_says_so_when_no_metric_could_be_read() -> None:
    notes = FetchNotes()
    points = insights_fetch(
        _fake_fetch({"reach", "clicks"}, []),
        [REACH, CLICKS],
        table=TABLE,
        capabilities=Capabilities(),
        notes=notes,
        platform="Facebook",
        thing="Page",
    )
    assert points == []
    assert notes.warnings[-1].startswith("No Page metrics could be read; Facebook said:")


def test_no_insights_for_an_object_is_a_warning_not_a_failure() -> None:
    notes = FetchNotes()
    points = insights_fetch(
        _fake_fetch(set(), [], unavailable=True),
        [REACH],
        table=TABLE,
        capabilities=Capabilities(),
        notes=notes,
        platform="Instagram",
        thing="story",
    )
    assert points == []
    assert notes.warnings == [
        "Instagram gave no insights for this story (too few viewers, or not supported for it); its "
        "other numbers were kept."
    ]


@pytest.mark.parametrize("error", [AuthError("x"), RateLimited("x"), TransientError("x")])
def test_fallback_lets_account_wide_errors_through(error: ConnectorError) -> None:
    def fetch(names: Sequence[MetricName]) -> list[Point]:
        raise error

    with pytest.raises(type(error)):
        insights_fetch(
            fetch,
            [REACH],
            table=TABLE,
            capabilities=Capabilities(),
            notes=FetchNotes(),
            platform="Facebook",
            thing="Page",
        )


# --- The real recorded responses in ../shared/samples/api --------------------------------

API_SAMPLES = SAMPLES / "api"
needs_samples = pytest.mark.skipif(not API_SAMPLES.is_dir(), reason="shared samples are absent")


def _sample(name: str) -> Any:
    return json.loads((API_SAMPLES / name).read_text(encoding="utf-8"))


@needs_samples
def test_real_instagram_legacy_user_insights_map_to_pacific_days() -> None:
    body = _sample("instagram_graph__sns-sdks-python-facebook__users_user_insights.json")
    points = [(m, d, v) for m, d, v in insight_points(body, USER_METRICS) if d is not None]
    merged = points_merge(points)
    assert merged[(dt.date(2017, 5, 3), "impressions")] == 4.0
    assert merged[(dt.date(2017, 5, 4), "impressions")] == 66.0
    assert merged[(dt.date(2017, 5, 4), "reach")] == 36.0
    assert merged[(dt.date(2017, 5, 4), "profile_visits")] == 2.0


@needs_samples
def test_real_instagram_total_value_reads_the_total_not_the_breakdown() -> None:
    body = _sample("instagram_graph__sns-sdks-python-facebook__users_user_insights_new.json")
    assert [(m.canonical, d, v) for m, d, v in insight_points(body, USER_METRICS)] == [
        ("reach", None, 14516883.0)
    ]


@needs_samples
def test_real_instagram_media_insights() -> None:
    legacy = _sample("instagram_graph__sns-sdks-python-facebook__medias_insights.json")
    values = {m.canonical: v for m, _, v in insight_points(legacy, MEDIA_METRICS)}
    assert values == {"impressions": 8.0, "reach": 5.0, "saves": 0.0}
    # profile_activity is not in the vocabulary: ignored, not guessed.
    newer = _sample("instagram_graph__sns-sdks-python-facebook__medias_insights_new.json")
    assert list(insight_points(newer, MEDIA_METRICS)) == []


@needs_samples
def test_real_facebook_28_day_insights_are_not_read_as_daily_values() -> None:
    sample = _sample("facebook_graph_v23_page_insights_and_posts__damilare__REDACTED.json")
    assert list(insight_points(sample["raw_page_insights"], PAGE_METRICS)) == []
    daily = json.loads(json.dumps(sample["raw_page_insights"]).replace('"days_28"', '"day"'))
    merged = points_merge(
        (m, d, v) for m, d, v in insight_points(daily, PAGE_METRICS) if d is not None
    )
    assert merged == {
        (dt.date(2025, 6, 20), "impressions"): 0.0,
        (dt.date(2025, 6, 21), "impressions"): 15.0,
        (dt.date(2025, 6, 20), "engagements"): 0.0,
        (dt.date(2025, 6, 21), "engagements"): 2.0,
    }
