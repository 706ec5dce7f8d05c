from __future__ import annotations

import math

import pandas as pd
import pytest

from reporting.analysis.hashtags import HASHTAG_COLUMNS, hashtag_stats, hashtags_find


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello #Launch and #launch again", ["launch"]),
        ("#été à #Paris_2026", ["été", "paris_2026"]),
        ("東京 #東京タワー", ["東京タワー"]),
        ("no tags, just #2026 and &#39; or https://x.example/page#section", []),
        ("##double #a1", ["a1"]),
        ("", []),
        (None, []),
    ],
)
def test_hashtags_are_words_with_a_letter_case_ignored(
    text: str | None, expected: list[str]
) -> None:
    assert hashtags_find(text) == expected


def posts(*rows: tuple[str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["text", "value"]).astype({"value": "float64"})


def test_stats_count_each_post_once_per_hashtag_with_medians_and_lift() -> None:
    frame = posts(
        ("#a #A #b", 10.0),
        ("#a", 20.0),
        ("#a #c", 60.0),
        ("#b", 2.0),
        ("nothing", 4.0),
        ("nothing either", 6.0),
        ("#c but no value", math.nan),
    )
    stats = hashtag_stats(frame, min_posts=2)

    assert list(stats.columns) == HASHTAG_COLUMNS
    assert stats["hashtag"].tolist() == ["a", "b", None]  # c has one post with a value
    assert stats["n"].tolist() == [3, 2, 2]
    assert stats["median"].tolist() == [20.0, 6.0, 5.0]
    # Six posts with a value, median of 10, 20, 60, 2, 4, 6 = 8.
    assert stats["share"].tolist() == pytest.approx([3 / 6, 2 / 6, 2 / 6])
    assert stats["lift"].tolist() == pytest.approx([20 / 8, 6 / 8, 5 / 8])
    assert str(stats["n"].dtype) == "int64"


def test_top_keeps_the_most_used_and_none_row_is_optional() -> None:
    frame = posts(("#x #y", 1.0), ("#x #y", 3.0), ("#x", 5.0), ("#z", 1.0), ("plain", 9.0))

    top = hashtag_stats(frame, top=1, min_posts=1, include_none=False)

    assert top["hashtag"].tolist() == ["x"]
    assert top["n"].tolist() == [3]


def test_no_posts_gives_an_empty_frame_with_the_columns() -> None:
    empty = hashtag_stats(posts(("#a", math.nan)))

    assert empty.empty and list(empty.columns) == HASHTAG_COLUMNS
    assert str(empty["n"].dtype) == "int64"


def test_only_posts_without_hashtags() -> None:
    stats = hashtag_stats(posts(("plain", 1.0), ("text", 3.0)))

    assert stats["hashtag"].tolist() == [None]
    assert stats["median"].tolist() == [2.0]
