from __future__ import annotations

import datetime as dt

import pytest

from connectors.importers import ImportFileError, file_columns, file_parse

from .conftest import fixture_bytes, parse_fixture, post_values

LEGACY = "facebook/Facebook Insights Data Export (Post Level) - Acme - 2024-02-15.csv"
META_FACEBOOK = "meta/Feb-01-2024_Feb-29-2024_1122334455.csv"
META_INSTAGRAM = "meta/Jan-01-2023_Jan-31-2023_998877.csv"


def test_legacy_export_skips_the_description_row() -> None:
    parsed = parse_fixture(LEGACY, timezone="America/Los_Angeles")

    assert (parsed.format, parsed.platform, parsed.rows_read) == (
        "facebook_post_insights",
        "facebook",
        3,
    )
    photo = parsed.posts[0]
    assert photo.external_id == "111222333_444555666"
    assert photo.format == "photo"
    assert photo.published_at == dt.datetime(2024, 2, 15, 1, 30, tzinfo=dt.UTC)
    assert post_values(parsed, photo.external_id) == {
        "reach": 1200.0,
        "impressions": 2100.0,
        "engagements": 85.0,
        "clicks": 95.0,
        "likes": 52.0,
        "comments": 4.0,
        "shares": 6.0,
    }
    assert {r.day for r in parsed.post_metrics} == {dt.date(2024, 2, 15)}


def test_legacy_repeated_columns_are_told_apart_and_the_total_count_is_read() -> None:
    columns = file_columns(content=fixture_bytes(LEGACY), filename="export.csv")
    assert "Lifetime Organic Video Views (2)" in columns
    parsed = parse_fixture(LEGACY)
    video = parsed.posts[1]
    assert video.format == "video"
    assert video.is_paid
    # Organic plus paid video views, total counts (2500 + 1900), not the unique viewers.
    assert post_values(parsed, video.external_id)["video_views"] == 4400.0


def test_legacy_blank_cells_are_missing() -> None:
    parsed = parse_fixture(LEGACY)
    status = parsed.posts[2]
    assert (status.format, status.is_paid) == ("text", False)
    assert "shares" not in post_values(parsed, status.external_id)
    assert post_values(parsed, status.external_id)["likes"] == 2.0


def test_business_suite_facebook_export() -> None:
    parsed = parse_fixture(META_FACEBOOK, timezone="Europe/Paris")

    assert (parsed.format, parsed.platform, parsed.rows_read) == (
        "meta_facebook_posts",
        "facebook",
        3,
    )
    photo, reel, link = parsed.posts
    assert (photo.format, reel.format, link.format) == ("photo", "reel", "link")
    assert photo.text == "Spring sale starts now!\nAll week long 🌷"
    assert reel.text == "Behind the scenes"
    assert photo.published_at == dt.datetime(2024, 2, 28, 16, 45, tzinfo=dt.UTC)
    assert post_values(parsed, photo.external_id) == {
        "impressions": 3400.0,
        "reach": 2100.0,
        "engagements": 145.0,
        "likes": 120.0,
        "comments": 15.0,
        "shares": 10.0,
        "clicks": 88.0,
    }
    assert post_values(parsed, reel.external_id)["watch_time_minutes"] == 324.0
    # "N/A" and a blank cell: missing, not zero.
    assert "engagements" not in post_values(parsed, link.external_id)
    assert "shares" not in post_values(parsed, link.external_id)
    assert {r.day for r in parsed.post_metrics} == {dt.date(2024, 2, 29)}


def test_business_suite_export_must_hold_lifetime_values() -> None:
    content = fixture_bytes(META_FACEBOOK).replace(b"Lifetime", b"02/28/2024", 1)
    with pytest.raises(ImportFileError) as caught:
        file_parse(content=content, filename="posts.csv")
    assert (caught.value.row, caught.value.column) == (2, "Date")
    assert "Lifetime" in caught.value.message


def test_business_suite_instagram_export_before_views_replaced_impressions() -> None:
    parsed = parse_fixture(META_INSTAGRAM)

    assert (parsed.format, parsed.platform) == ("meta_instagram_posts", "instagram")
    assert [p.format for p in parsed.posts] == ["carousel", "photo", "reel"]
    assert post_values(parsed, "17900000000000001") == {
        "impressions": 5400.0,
        "reach": 3900.0,
        "likes": 410.0,
        "shares": 25.0,
        "comments": 31.0,
        "saves": 88.0,
    }
    assert "shares" not in post_values(parsed, "17900000000000002")
