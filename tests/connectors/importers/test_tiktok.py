from __future__ import annotations

import datetime as dt

import pytest

from connectors.importers import ImportFileError, file_parse

from .conftest import day_values, parse_fixture, post_values

LEAP = (
    b'"Date","Video Views","Profile Views"\n"February 28","5","1"\n"February 29","6","0"\n'
    b'"March 1","7","2"\n'
)


def test_overview_dates_without_a_year_turn_the_year_at_new_year() -> None:
    parsed = parse_fixture("tiktok/Overview.csv", today=dt.date(2025, 3, 10))

    assert (parsed.format, parsed.platform, parsed.rows_read) == ("tiktok_overview", "tiktok", 5)
    assert sorted({r.day for r in parsed.account_metrics}) == [
        dt.date(2024, 12, 30),
        dt.date(2024, 12, 31),
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 3),
    ]
    assert day_values(parsed, dt.date(2025, 1, 1)) == {
        "video_views": 1544.0,
        "profile_visits": 15.0,
        "likes": 130.0,
        "comments": 9.0,
        "shares": 5.0,
    }
    assert "2024-12-30 to 2025-01-03" in parsed.warnings[0]


def test_overview_undefined_cells_are_missing_not_zero() -> None:
    parsed = parse_fixture("tiktok/Overview.csv")
    # January 2 is all "undefined": no row at all, and the skip is said.
    assert day_values(parsed, dt.date(2025, 1, 2)) == {}
    assert [s.row for s in parsed.skipped] == [5]
    assert "profile_visits" not in day_values(parsed, dt.date(2025, 1, 3))


def test_overview_year_option_is_the_year_of_the_first_day() -> None:
    parsed = parse_fixture("tiktok/Overview.csv", year=2022)
    days = sorted({r.day for r in parsed.account_metrics})
    assert (days[0], days[-1]) == (dt.date(2022, 12, 30), dt.date(2023, 1, 3))


def test_overview_spanish_dates() -> None:
    parsed = parse_fixture("tiktok/Overview_es.csv", today=dt.date(2025, 3, 10))
    assert sorted({r.day for r in parsed.account_metrics}) == [
        dt.date(2025, 2, 27),
        dt.date(2025, 2, 28),
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 2),
    ]
    assert day_values(parsed, dt.date(2025, 3, 1))["video_views"] == 210.0


def test_yearless_dates_never_land_in_the_future() -> None:
    parsed = parse_fixture("tiktok/Overview_es.csv", today=dt.date(2025, 3, 1))
    assert max(r.day for r in parsed.account_metrics) == dt.date(2024, 3, 2)


def test_february_29_finds_a_leap_year_or_names_the_cell() -> None:
    parsed = file_parse(content=LEAP, filename="Overview.csv", today=dt.date(2026, 1, 10))
    assert dt.date(2024, 2, 29) in {r.day for r in parsed.account_metrics}
    with pytest.raises(ImportFileError) as caught:
        file_parse(content=LEAP, filename="Overview.csv", year=2025, format="tiktok_overview")
    assert (caught.value.row, caught.value.column) == (3, "Date")


def test_content_export_gives_videos_with_lifetime_counters() -> None:
    parsed = parse_fixture("tiktok/Content.csv", timezone="Europe/Paris")

    assert (parsed.format, parsed.rows_read) == ("tiktok_content", 2)
    video = parsed.posts[0]
    assert video.external_id == "7340000000000000001"
    assert video.text == "Spring haul 🌷 #garden"
    assert video.published_at == dt.datetime(2025, 2, 10, 17, 30, tzinfo=dt.UTC)
    assert post_values(parsed, video.external_id) == {
        "video_views": 26000.0,
        "likes": 1500.0,
        "comments": 12.0,
        "shares": 20.0,
    }
    assert "comments" not in post_values(parsed, "7330000000000000002")
    assert {r.day for r in parsed.post_metrics} == {dt.date(2025, 2, 10)}


def test_follower_history_imports_the_count_not_the_net_difference() -> None:
    parsed = parse_fixture("tiktok/FollowerHistory.csv")

    assert parsed.format == "tiktok_followers"
    assert {r.metric for r in parsed.account_metrics} == {"followers"}
    assert day_values(parsed, dt.date(2025, 3, 3)) == {"followers": 10259.0}
    assert any("net change" in w for w in parsed.warnings)
