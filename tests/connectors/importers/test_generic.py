from __future__ import annotations

import datetime as dt

import pytest

from connectors.importers import ImportFileError, file_parse

from .conftest import day_values, fixture_bytes, parse_fixture, post_values

WITH_IDS = {
    "ID": "post_id",
    "Posted on": "published_at",
    "Caption": "text",
    "Kind": "format",
    "Sponsored": "paid",
    "Views": "video_views",
    "Likes": "likes",
}
WITHOUT_IDS = {
    "Lien": "permalink",
    "Publié le": "published_at",
    "Texte": "text",
    "Vues": "video_views",
    "J'aime": "likes",
}


def test_generic_posts_with_ids() -> None:
    parsed = parse_fixture("generic/posts_with_ids.csv", mapping=WITH_IDS, timezone="Europe/Paris")

    assert (parsed.format, parsed.platform, parsed.rows_read) == ("generic", "import", 3)
    first, second = parsed.posts
    assert (first.external_id, first.format, first.is_paid) == ("A-1", "photo", False)
    assert (second.external_id, second.format, second.is_paid) == ("A-2", "video", True)
    assert first.published_at == dt.datetime(2024, 5, 2, 8, 0, tzinfo=dt.UTC)
    assert post_values(parsed, "A-2") == {"video_views": 5400.0, "likes": 210.0}
    assert [(s.row, s.reason[:11]) for s in parsed.skipped] == [(4, "“Total” row")]


def test_generic_posts_without_ids_get_a_stable_id_from_their_link() -> None:
    parsed = parse_fixture(
        "generic/posts_without_ids.csv", mapping=WITHOUT_IDS, platform="instagram"
    )
    again = parse_fixture(
        "generic/posts_without_ids.csv", mapping=WITHOUT_IDS, platform="instagram"
    )

    assert parsed.platform == "instagram"
    assert [p.external_id for p in parsed.posts] == [p.external_id for p in again.posts]
    assert all(p.external_id.startswith("url-") for p in parsed.posts)
    assert parsed.posts[1].text == "Deuxième post"
    assert parsed.posts[0].published_at.date() == dt.date(2024, 5, 14)
    assert post_values(parsed, parsed.posts[0].external_id) == {
        "video_views": 1200.0,
        "likes": 80.0,
    }
    assert any("made from its link" in w for w in parsed.warnings)


def test_generic_posts_without_ids_or_links_are_identified_by_time_and_text() -> None:
    content = b"When,What,Likes\n2024-05-01 10:00,Hello,3\n2024-05-01 10:00,Other,4\n"
    mapping = {"When": "published_at", "What": "text", "Likes": "likes"}
    parsed = file_parse(content=content, filename="mine.csv", mapping=mapping)
    ids = [p.external_id for p in parsed.posts]
    assert len(set(ids)) == 2 and all(i.startswith("row-") for i in ids)
    assert ids == [
        p.external_id for p in file_parse(content=content, filename="x.csv", mapping=mapping).posts
    ]


def test_generic_daily_rows_and_missing_values() -> None:
    mapping = {"Day": "day", "Visits": "profile_visits", "New followers": "followers_gained"}
    parsed = parse_fixture("generic/daily.csv", mapping=mapping)

    assert parsed.posts == ()
    assert day_values(parsed, dt.date(2024, 5, 1)) == {
        "profile_visits": 340.0,
        "followers_gained": 4.0,
    }
    assert day_values(parsed, dt.date(2024, 5, 2)) == {"profile_visits": 410.0}
    assert [s.row for s in parsed.skipped] == [4]


def test_generic_xlsx_with_a_title_above_the_header() -> None:
    mapping = {"Day": "date", "Reach": "reach", "Link clicks": "clicks"}
    parsed = parse_fixture("generic/report.xlsx", mapping=mapping)

    assert parsed.rows_read == 3
    assert day_values(parsed, dt.date(2024, 5, 1)) == {"reach": 1200.0, "clicks": 31.0}
    assert day_values(parsed, dt.date(2024, 5, 3)) == {"reach": 1480.0}


def test_generic_post_rows_dated_per_day_are_snapshots() -> None:
    content = (
        b"post,published,day,likes\n"
        b"p1,2024-05-01,2024-05-01,3\np1,2024-05-01,2024-05-02,7\np2,2024-05-02,2024-05-02,1\n"
    )
    mapping = {"post": "post_id", "published": "published_at", "day": "date", "likes": "likes"}
    parsed = file_parse(content=content, filename="snapshots.csv", mapping=mapping)
    assert [p.external_id for p in parsed.posts] == ["p1", "p2"]
    assert sorted((r.post_external_id, r.day.day, r.value) for r in parsed.post_metrics) == [
        ("p1", 1, 3.0),
        ("p1", 2, 7.0),
        ("p2", 2, 1.0),
    ]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"Views": "viewz"},
            "“viewz” is not a field Rapport knows. Map columns to one of: post_id",
        ),
        (
            {"Vues": "video_views", "Posted on": "published_at"},
            "no column “Vues”. Its columns are: ID",
        ),
        ({"Views": "video_views", "Likes": "video_views"}, "Two columns are mapped"),
        ({"ID": "post_id", "Views": "video_views"}, "map a column to published_at"),
        ({"Views": "video_views"}, "neither which column holds the date"),
    ],
)
def test_generic_mapping_errors_say_what_exists(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        parse_fixture("generic/posts_with_ids.csv", mapping=mapping)


def test_generic_bad_paid_value_names_row_and_column() -> None:
    content = fixture_bytes("generic/posts_with_ids.csv").replace(b"yes", b"maybe")
    with pytest.raises(ImportFileError) as caught:
        file_parse(content=content, filename="posts.csv", mapping=WITH_IDS)
    assert (caught.value.row, caught.value.column) == (3, "Sponsored")


def test_a_mapping_is_refused_with_a_native_format() -> None:
    with pytest.raises(ImportFileError, match="mapping is for generic files"):
        parse_fixture("generic/daily.csv", mapping={"Day": "date"}, format="tiktok_overview")
