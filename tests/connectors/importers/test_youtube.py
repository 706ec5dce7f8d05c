from __future__ import annotations

import datetime as dt

from connectors.importers import file_parse

from .conftest import FIXTURES, TODAY, day_values, parse_fixture, post_values


def test_table_data_skips_the_total_row_which_is_not_a_video() -> None:
    parsed = parse_fixture("youtube/Table data.csv")

    assert (parsed.format, parsed.platform, parsed.rows_read) == ("youtube_table", "youtube", 4)
    assert [p.external_id for p in parsed.posts] == ["aB3dE5gH7jK", "-HHGH-TTqYM", "Zz9Yy8Xx7Ww"]
    assert [(s.row, s.reason[:11]) for s in parsed.skipped] == [(2, "“Total” row")]


def test_table_data_maps_views_watch_hours_and_leaves_net_subscribers_out() -> None:
    parsed = parse_fixture("youtube/Table data.csv")
    video = parsed.posts[0]

    assert video.text == "How we pack 1,000 orders a day"
    assert video.permalink == "https://www.youtube.com/watch?v=aB3dE5gH7jK"
    assert video.published_at.date() == dt.date(2024, 9, 27)
    assert post_values(parsed, "aB3dE5gH7jK") == {
        "video_views": 3100.0,
        "watch_time_minutes": 150.25 * 60,
        "impressions": 50000.0,
        "likes": 250.0,
    }
    assert any("“Subscribers” is YouTube's net change" in w for w in parsed.warnings)
    assert all(r.metric not in ("followers", "followers_gained") for r in parsed.post_metrics)


def test_table_data_blank_cell_is_missing_not_zero() -> None:
    parsed = parse_fixture("youtube/Table data.csv")
    assert "watch_time_minutes" not in post_values(parsed, "Zz9Yy8Xx7Ww")
    assert post_values(parsed, "Zz9Yy8Xx7Ww")["video_views"] == 650.0


def test_table_data_counters_are_dated_the_latest_date_without_a_dated_name() -> None:
    parsed = parse_fixture("youtube/Table data.csv")
    assert {r.day for r in parsed.post_metrics} == {dt.date(2025, 3, 1)}
    renamed = file_parse(
        content=(FIXTURES / "youtube" / "Table data.csv").read_bytes(),
        filename="Table data 2025-03-08.csv",
        today=TODAY,
    )
    assert {r.day for r in renamed.post_metrics} == {dt.date(2025, 3, 8)}


def test_chart_data_adds_up_days_only_for_videos_the_file_covers_from_the_start() -> None:
    parsed = parse_fixture("youtube/Chart data.csv")

    assert (parsed.format, parsed.rows_read) == ("youtube_chart", 6)
    assert {p.external_id for p in parsed.posts} == {"Zz9Yy8Xx7Ww", "aB3dE5gH7jK"}
    short = sorted(
        (r.day, r.metric, r.value)
        for r in parsed.post_metrics
        if r.post_external_id == "Zz9Yy8Xx7Ww"
    )
    assert short == [
        (dt.date(2025, 3, 1), "video_views", 300.0),
        (dt.date(2025, 3, 1), "watch_time_minutes", 90.0),
        (dt.date(2025, 3, 2), "video_views", 500.0),
        (dt.date(2025, 3, 2), "watch_time_minutes", 165.0),
        # The blank watch time of March 3 ends that running sum; views go on.
        (dt.date(2025, 3, 3), "video_views", 650.0),
    ]
    # Published in 2024, before the file's first day: daily numbers are not lifetime totals.
    assert not [r for r in parsed.post_metrics if r.post_external_id == "aB3dE5gH7jK"]
    assert any("1 video was published before" in w for w in parsed.warnings)


def test_totals_are_daily_account_values_with_gained_and_lost_subscribers() -> None:
    parsed = parse_fixture("youtube/Totals.csv")

    assert (parsed.format, parsed.rows_read) == ("youtube_totals", 3)
    assert day_values(parsed, dt.date(2025, 3, 2)) == {
        "video_views": 225.0,
        "watch_time_minutes": 165.0,
        "followers_gained": 1.0,
        "followers_lost": 2.0,
    }
    assert day_values(parsed, dt.date(2025, 3, 3)) == {"video_views": 168.0}
    assert any("“Subscribers gained” and “Subscribers lost” were" in w for w in parsed.warnings)


def test_chart_data_of_the_channel_alone_is_read_per_day() -> None:
    content = b"Date,Views\n2025-03-01,320\n2025-03-02,225\n"
    parsed = file_parse(content=content, filename="Chart data.csv", format="youtube_chart")
    assert parsed.format == "youtube_chart"
    assert day_values(parsed, dt.date(2025, 3, 1)) == {"video_views": 320.0}
