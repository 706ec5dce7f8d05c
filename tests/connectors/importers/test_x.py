from __future__ import annotations

import datetime as dt

from .conftest import day_values, parse_fixture, post_values

ACTIVITY = "x/tweet_activity_metrics_acmehq_20240301_20240401_en.csv"


def test_tweet_activity_export_gives_posts_and_lifetime_counters() -> None:
    parsed = parse_fixture(ACTIVITY)

    assert (parsed.format, parsed.platform, parsed.rows_read) == ("x_tweet_activity", "x", 3)
    assert [p.external_id for p in parsed.posts] == [
        "1774000000000000001",
        "1772000000000000002",
        "1770000000000000003",
    ]
    first = parsed.posts[0]
    assert first.published_at == dt.datetime(2024, 3, 30, 18, 4, tzinfo=dt.UTC)
    assert first.permalink == "https://twitter.com/acmehq/status/1774000000000000001"
    # "1777.0" is a count; the engagement rate is a ratio, not stored.
    assert post_values(parsed, first.external_id) == {
        "impressions": 1777.0,
        "engagements": 52.0,
        "shares": 6.0,
        "comments": 2.0,
        "likes": 21.0,
        "profile_visits": 4.0,
        "clicks": 9.0,
    }


def test_multiline_quoted_text_keeps_its_lines_emoji_and_quotes() -> None:
    text = parse_fixture(ACTIVITY).posts[0].text
    assert (
        text
        == 'Spring is here 🌷\n\nOur "garden kit" is back:\n📦 https://t.co/abc123\n\n#gardening'
    )


def test_dashes_in_promoted_columns_are_not_zeros_and_promoted_tweets_add_up() -> None:
    parsed = parse_fixture(ACTIVITY)
    organic, promoted = parsed.posts[0], parsed.posts[1]
    assert not organic.is_paid
    assert promoted.is_paid
    assert post_values(parsed, promoted.external_id)["impressions"] == 820.0 + 4500.0
    assert post_values(parsed, promoted.external_id)["likes"] == 5.0 + 40.0


def test_counters_are_dated_the_end_of_the_period_in_the_file_name() -> None:
    parsed = parse_fixture(ACTIVITY)
    assert {r.day for r in parsed.post_metrics} == {dt.date(2024, 4, 1)}
    assert "2024-04-01" in parsed.warnings[0]


def test_older_exports_say_favorites_for_likes() -> None:
    parsed = parse_fixture("x/tweet_activity_metrics_oldbrand_20150101_20150201_en.csv")
    assert parsed.format == "x_tweet_activity"
    assert post_values(parsed, "571000000000000001")["likes"] == 5.0
    assert post_values(parsed, "560000000000000002")["likes"] == 2.0


def test_daily_account_export_gives_one_row_per_day_and_metric() -> None:
    parsed = parse_fixture("x/daily_tweet_activity_metrics_acmehq_20240301_20240305_en.csv")

    assert (parsed.format, parsed.rows_read, parsed.posts) == ("x_account_daily", 4, ())
    assert day_values(parsed, dt.date(2024, 3, 1)) == {
        "posts_published": 2.0,
        "impressions": 1500.0,
        "engagements": 30.0,
        "shares": 3.0,
        "comments": 1.0,
        "likes": 12.0,
        "profile_visits": 2.0,
        "clicks": 5.0,
    }
    # "-" is missing: no engagements row that day, the other metrics are there.
    march_3 = day_values(parsed, dt.date(2024, 3, 3))
    assert "engagements" not in march_3
    assert march_3["posts_published"] == 0.0
    assert day_values(parsed, dt.date(2024, 3, 4))["impressions"] == 900.0 + 1000.0


def test_premium_post_export_adds_reposts_and_shares() -> None:
    parsed = parse_fixture(
        "x/account_analytics_content_2025-01-01_2025-01-31.csv", timezone="Europe/Paris"
    )

    assert parsed.format == "x_post_analytics"
    post = parsed.posts[0]
    assert post.published_at.date() == dt.date(2025, 1, 31)
    assert post.published_at.utcoffset() == dt.timedelta(hours=1)
    assert post.text == "Launch day 🚀\nThread below"
    assert post_values(parsed, post.external_id) == {
        "impressions": 12045.0,
        "likes": 310.0,
        "engagements": 655.0,
        "saves": 41.0,
        "shares": 58.0 + 12.0,
        "comments": 27.0,
        "profile_visits": 33.0,
        "clicks": 95.0,
    }
    assert {r.day for r in parsed.post_metrics} == {dt.date(2025, 1, 31)}
