"""Which hashtags go with the posts that do well, read from the posts' own text.

Hashtags are parsed here rather than stored: they are part of the text the platforms return, so
an edited caption is read as it is now. A hashtag is ``#`` followed by letters, digits or
underscores with at least one letter, in any script (``#été``, ``#東京``), not preceded by a
letter, digit, ``&`` or ``/`` (so ``&#39;`` and ``page#section`` in a link are not hashtags).
Case is ignored: ``#Summer`` and ``#summer`` are one hashtag, shown in lower case.

Medians, not means, summarise the posts of a hashtag: one viral post must not make a hashtag
look good (as in ``reporting.analysis.content``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

HASHTAG = re.compile(r"(?<![\w&/#])#(\w*[^\W\d_]\w*)")
HASHTAG_COLUMNS = ["hashtag", "n", "share", "median", "lift"]


def hashtags_find(text: str | None) -> list[str]:
    """The distinct hashtags of ``text``, lower-cased, in order of first use (no ``#``)."""
    return list(dict.fromkeys(tag.lower() for tag in HASHTAG.findall(text or "")))


def hashtag_stats(
    posts: pd.DataFrame, *, top: int = 15, min_posts: int = 2, include_none: bool = True
) -> pd.DataFrame:
    """The hashtags used most often in ``posts``, with how their posts did.

    ``posts`` needs a ``text`` (str) and a ``value`` (float64: the metric of each post, NaN when
    the post has none) column, as ``reporting.analysis.facts.post_values`` returns. A post
    counts once per distinct hashtag it carries; posts without a value are ignored.

    Columns:
        hashtag (object): the lower-cased hashtag without ``#``; None for the row of posts
            without any hashtag.
        n (int64): posts that carry it (the sample size of the median).
        share (float64): n over all the posts with a value (0.25: one post in four).
        median (float64): the median value of those posts.
        lift (float64): median over the median of all the posts with a value (1.0 is a
            typical post; NaN when that median is 0).

    At most ``top`` hashtags used by at least ``min_posts`` posts, most used first (ties: the
    higher median, then the hashtag), then, when ``include_none`` and some posts have no
    hashtag, the row None last.
    """
    valued = posts[posts["value"].notna()]
    if valued.empty:
        return _empty()
    values = valued["value"].to_numpy(dtype="float64")
    found = [hashtags_find(text) for text in valued["text"]]
    exploded = pd.DataFrame(
        {
            "hashtag": [tag for tags in found for tag in tags],
            "value": np.repeat(values, [len(tags) for tags in found]),
        }
    )
    overall = float(np.median(values))
    grouped = exploded.groupby("hashtag")["value"].agg(["size", "median"]).reset_index()
    grouped = grouped.rename(columns={"size": "n"})
    grouped = grouped[grouped["n"] >= min_posts]
    grouped = grouped.sort_values(
        ["n", "median", "hashtag"], ascending=[False, False, True], kind="mergesort"
    ).head(top)
    rows = [grouped]
    without = values[[not tags for tags in found]]
    if include_none and len(without):
        rows.append(
            pd.DataFrame({"hashtag": [None], "n": [len(without)], "median": [np.median(without)]})
        )
    result = pd.concat(rows, ignore_index=True) if len(rows) > 1 else grouped
    result = result.assign(
        share=result["n"] / len(values),
        lift=result["median"] / overall if overall else np.nan,
    )
    result["hashtag"] = result["hashtag"].astype("object")
    result = result.reindex(columns=HASHTAG_COLUMNS).reset_index(drop=True)
    return result.astype({"n": "int64", "share": "float64", "median": "float64", "lift": "float64"})


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hashtag": pd.Series(dtype="object"),
            "n": pd.Series(dtype="int64"),
            "share": pd.Series(dtype="float64"),
            "median": pd.Series(dtype="float64"),
            "lift": pd.Series(dtype="float64"),
        }
    )
