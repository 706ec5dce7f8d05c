from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from connectors.importers import ImportFileError, file_parse

from .conftest import day_values, fixture_bytes, parse_fixture, post_values

CONTENT = "linkedin/acme_content_1709251200000.xlsx"


def test_content_export_reads_posts_and_daily_metrics_below_description_rows() -> None:
    parsed = parse_fixture(CONTENT)

    assert (parsed.format, parsed.platform, parsed.rows_read) == ("linkedin_content", "linkedin", 5)
    hiring, video = parsed.posts
    assert hiring.external_id == "urn:li:activity:7159000000000000001"
    assert (hiring.format, hiring.is_paid) == ("photo", False)
    assert (video.format, video.is_paid) == ("video", True)
    assert video.published_at.date() == dt.date(2024, 2, 1)
    assert post_values(parsed, hiring.external_id) == {
        "impressions": 1850.0,
        "clicks": 61.0,
        "likes": 40.0,
        "comments": 6.0,
        "shares": 2.0,
    }
    assert post_values(parsed, video.external_id)["video_views"] == 4100.0
    assert day_values(parsed, dt.date(2024, 2, 2)) == {
        "impressions": 1900.0,
        "clicks": 55.0,
        "likes": 34.0,
        "comments": 6.0,
        "shares": 2.0,
    }


def test_content_counters_are_dated_by_the_export_time_in_the_file_name() -> None:
    parsed = parse_fixture(CONTENT)
    assert {r.day for r in parsed.post_metrics} == {dt.date(2024, 3, 1)}


def test_followers_export_total_is_the_followers_gained_that_day() -> None:
    parsed = parse_fixture("linkedin/acme_followers_1709251200000.xlsx")

    assert (parsed.format, parsed.rows_read) == ("linkedin_followers", 3)
    assert day_values(parsed, dt.date(2024, 2, 2)) == {"followers_gained": 12.0}
    assert any("Location" in w for w in parsed.warnings)


def test_visitors_export_total_page_views_are_profile_visits() -> None:
    parsed = parse_fixture("linkedin/acme_visitors_1709251200000.xlsx")

    assert parsed.format == "linkedin_visitors"
    assert day_values(parsed, dt.date(2024, 2, 1)) == {"profile_visits": 55.0}
    assert day_values(parsed, dt.date(2024, 2, 2)) == {"profile_visits": 84.0}


def test_a_bad_cell_names_the_sheet_row_and_column_as_excel_shows_them() -> None:
    book = load_workbook(io.BytesIO(fixture_bytes(CONTENT)))
    book["All posts"]["J4"] = "lots"
    stream = io.BytesIO()
    book.save(stream)

    with pytest.raises(ImportFileError) as caught:
        file_parse(content=stream.getvalue(), filename="acme_content.xlsx")

    assert (caught.value.row, caught.value.column) == (4, "Impressions")
    assert caught.value.message.startswith("Sheet “All posts”, row 4, column “Impressions”")
