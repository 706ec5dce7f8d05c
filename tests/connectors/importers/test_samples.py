"""The real exports in ../shared/samples (read, never copied), with values read by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from connectors.importers import ParsedFile, file_parse

from .conftest import SAMPLES, day_values, post_values

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is absent")


def _parse(name: str, **options: Any) -> ParsedFile:
    path = SAMPLES / name
    return file_parse(content=path.read_bytes(), filename=Path(name).name, **options)


def test_ropensci_tweet_activity() -> None:
    parsed = _parse("x/tweet_activity_metrics_rOpenSci_20190101_20190201_en.csv")

    assert (parsed.format, parsed.rows_read, len(parsed.posts)) == ("x_tweet_activity", 31, 31)
    assert parsed.skipped == ()
    assert post_values(parsed, "1091020490066382850")["impressions"] == 13849.0
    # The ratio column written "7.358351729212656E-4" is not imported; the counts are.
    assert post_values(parsed, "1082695227129774080")["impressions"] == 2718.0
    first = parsed.posts[0]
    assert (
        first.text.startswith("2 rOpenSci peer reviewed packages") and "🎉\n\n#restez" in first.text
    )
    assert first.published_at == dt.datetime(2019, 1, 31, 23, 32, tzinfo=dt.UTC)
    assert {r.day for r in parsed.post_metrics} == {dt.date(2019, 2, 1)}
    impressions = sum(r.value for r in parsed.post_metrics if r.metric == "impressions")
    assert impressions == 199256.0
    assert not any(p.is_paid for p in parsed.posts)


def test_tcors_tweet_activity() -> None:
    parsed = _parse("x/tweet_activity_metrics_TCORSStgOrg_20170401_20170408_en.csv")

    assert (parsed.rows_read, len(parsed.posts)) == (10, 10)
    assert post_values(parsed, "849049020249120769")["impressions"] == 29.0
    assert post_values(parsed, "848610993366237184")["likes"] == 1.0
    multiline = next(p for p in parsed.posts if p.external_id == "848248639441055744")
    assert "even worse.\nhttps://t.co/WiIt3RKsfU" in multiline.text
    assert {r.day for r in parsed.post_metrics} == {dt.date(2017, 4, 8)}


def test_youtube_table_data_total_row_is_not_a_video() -> None:
    parsed = _parse("youtube/buildwithadi__Table_data.csv")

    assert (parsed.format, parsed.rows_read, len(parsed.posts)) == ("youtube_table", 25, 24)
    assert [s.row for s in parsed.skipped] == [2]
    assert post_values(parsed, "oEDe6JMwL7Q")["video_views"] == 58005.0
    assert post_values(parsed, "oEDe6JMwL7Q")["watch_time_minutes"] == pytest.approx(1321.6783 * 60)
    # The Total row says 61685 views; the videos add up to 61503.
    views = sum(r.value for r in parsed.post_metrics if r.metric == "video_views")
    assert views == 61503.0
    assert "followers_gained" not in {r.metric for r in parsed.post_metrics}
    assert next(p for p in parsed.posts if p.external_id == "h-SiGippEGw").published_at.date() == (
        dt.date(2021, 1, 15)
    )


def test_tiktok_overview_english_dates_without_a_year() -> None:
    parsed = _parse("tiktok/BossZY27__Overview.csv", year=2024)

    assert (parsed.format, parsed.rows_read) == ("tiktok_overview", 7)
    assert sorted({r.day for r in parsed.account_metrics})[0] == dt.date(2024, 4, 12)
    assert day_values(parsed, dt.date(2024, 4, 18)) == {
        "video_views": 1484.0,
        "profile_visits": 13.0,
        "likes": 22.0,
        "comments": 1.0,
        "shares": 0.0,
    }
    assert sum(r.value for r in parsed.account_metrics if r.metric == "video_views") == 7919.0
    latest = _parse("tiktok/BossZY27__Overview.csv", today=dt.date(2026, 4, 17))
    assert max(r.day for r in latest.account_metrics) == dt.date(2025, 4, 18)


def test_tiktok_overview_spanish_dates() -> None:
    parsed = _parse("tiktok/francovelardez44__Overview_es.csv", today=dt.date(2026, 1, 1))

    assert sorted({r.day for r in parsed.account_metrics}) == [
        dt.date(2025, 3, day) for day in range(8, 15)
    ]
    assert day_values(parsed, dt.date(2025, 3, 14))["video_views"] == 7.0


def test_facebook_legacy_post_export() -> None:
    parsed = _parse("facebook/page_post_level_export_2017-01-19.csv")

    assert (parsed.format, parsed.rows_read, len(parsed.posts)) == ("facebook_post_insights", 1, 1)
    post = parsed.posts[0]
    assert (post.external_id, post.format) == ("1605839243031680_1867404650208470", "link")
    assert post_values(parsed, post.external_id) == {
        "reach": 35.0,
        "impressions": 60.0,
        "engagements": 2.0,
        "clicks": 1.0,
        "likes": 1.0,
        "comments": 1.0,
        "shares": 1.0,
        "video_views": 0.0,
    }
    assert {r.day for r in parsed.post_metrics} == {dt.date(2017, 1, 19)}
