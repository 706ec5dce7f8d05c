from __future__ import annotations

import pytest

from connectors.importers import FORMATS, ImportFileError, file_parse

from .conftest import fixture_bytes, parse_fixture

NATIVE = [
    ("x/tweet_activity_metrics_acmehq_20240301_20240401_en.csv", "x_tweet_activity", "x"),
    ("x/tweet_activity_metrics_oldbrand_20150101_20150201_en.csv", "x_tweet_activity", "x"),
    ("x/daily_tweet_activity_metrics_acmehq_20240301_20240305_en.csv", "x_account_daily", "x"),
    ("x/account_analytics_content_2025-01-01_2025-01-31.csv", "x_post_analytics", "x"),
    ("youtube/Table data.csv", "youtube_table", "youtube"),
    ("youtube/Chart data.csv", "youtube_chart", "youtube"),
    ("youtube/Totals.csv", "youtube_totals", "youtube"),
    ("tiktok/Overview.csv", "tiktok_overview", "tiktok"),
    ("tiktok/Overview_es.csv", "tiktok_overview", "tiktok"),
    ("tiktok/Content.csv", "tiktok_content", "tiktok"),
    ("tiktok/FollowerHistory.csv", "tiktok_followers", "tiktok"),
    (
        "facebook/Facebook Insights Data Export (Post Level) - Acme - 2024-02-15.csv",
        "facebook_post_insights",
        "facebook",
    ),
    ("meta/Feb-01-2024_Feb-29-2024_1122334455.csv", "meta_facebook_posts", "facebook"),
    ("meta/Jan-01-2023_Jan-31-2023_998877.csv", "meta_instagram_posts", "instagram"),
    ("linkedin/acme_content_1709251200000.xlsx", "linkedin_content", "linkedin"),
    ("linkedin/acme_followers_1709251200000.xlsx", "linkedin_followers", "linkedin"),
    ("linkedin/acme_visitors_1709251200000.xlsx", "linkedin_visitors", "linkedin"),
]


@pytest.mark.parametrize(("name", "format", "platform"), NATIVE)
def test_detection_picks_the_format_of_every_fixture(name: str, format: str, platform: str) -> None:
    parsed = parse_fixture(name)
    assert (parsed.format, parsed.platform) == (format, platform)
    assert parsed.format_label == FORMATS[format]
    assert parsed.rows_read > 0


@pytest.mark.parametrize(("name", "format", "platform"), NATIVE)
def test_detection_does_not_depend_on_the_file_name(name: str, format: str, platform: str) -> None:
    parsed = file_parse(content=fixture_bytes(name), filename="download.bin")
    assert parsed.format == format


def test_formats_lists_every_native_format_and_generic() -> None:
    assert {format for _name, format, _platform in NATIVE} | {"generic"} == set(FORMATS)
    assert FORMATS["generic"]


def test_an_unknown_file_is_refused_with_its_columns() -> None:
    with pytest.raises(ImportFileError) as caught:
        file_parse(content=b"Name,Score\nAda,3\n", filename="scores.csv")
    assert "does not recognise this file" in caught.value.message
    assert "Name, Score" in caught.value.message
    assert "column mapping" in caught.value.message


def test_a_forced_format_that_does_not_fit_says_what_it_looks_for() -> None:
    with pytest.raises(ImportFileError, match="does not look like a TikTok overview export"):
        parse_fixture("youtube/Table data.csv", format="tiktok_overview")


def test_a_forced_format_is_used_over_detection() -> None:
    parsed = parse_fixture("youtube/Totals.csv", format="youtube_chart")
    assert parsed.format == "youtube_chart"


def test_unknown_format_or_platform_keys_are_refused() -> None:
    with pytest.raises(ImportFileError, match="not a format Rapport knows"):
        parse_fixture("youtube/Totals.csv", format="youtube_csv")
    with pytest.raises(ImportFileError, match="not a platform"):
        parse_fixture("youtube/Totals.csv", platform="myspace")


def test_a_native_file_cannot_go_to_another_platform() -> None:
    with pytest.raises(ImportFileError, match="belongs to YouTube"):
        parse_fixture("youtube/Totals.csv", platform="facebook")


def test_a_header_without_rows_is_refused() -> None:
    with pytest.raises(ImportFileError, match="no data rows"):
        file_parse(content=b'"Date","Video Views","Profile Views"\n', filename="Overview.csv")
