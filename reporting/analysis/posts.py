"""Top and bottom posts, fairly compared across accounts of different sizes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from connectors.models import SocialAccount, Workspace
from reporting.analysis.facts import followers_asof, post_values

POSTS_RANKED_COLUMNS = [
    "post_id",
    "account_id",
    "account",
    "platform",
    "published",
    "format",
    "tags",
    "permalink",
    "text",
    "value",
    "followers",
    "per_1k_followers",
    "score",
    "account_median",
    "vs_account_median",
    "account_posts",
    "rank",
    "position",
]


def posts_ranked(
    *,
    workspace: Workspace,
    kpi_or_metric: str,
    start: dt.date,
    end: dt.date,
    top: int = 10,
    bottom: int = 10,
    normalise: bool = True,
    accounts: Sequence[SocialAccount] | None = None,
    tags: Sequence[str] | None = None,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``top`` best and ``bottom`` worst posts published in the period.

    With ``normalise`` posts are ranked by their value per 1,000 followers of their account
    on the publication day (or the nearest earlier day), so a small account's good post can
    beat a large account's average one; posts whose account never reported followers are then
    left out. Without it, by the raw value. ``values``: the posts' values of ``kpi_or_metric``
    in the period as ``post_values`` returns them, when the caller has read them already
    (narrowed here to ``accounts`` and ``tags``); None reads them.

    Columns:
        post_id, account_id (int64), account, platform (str), published (datetime64),
        format (str), tags (list), permalink (str), text (str),
        value (float64): the metric or KPI on the post's latest snapshot,
        followers (float64): audience on the publication day (NaN: never reported),
        per_1k_followers (float64): value / followers x 1000,
        score (float64): what the ranking uses (per_1k_followers or value),
        account_median (float64): the median value of the account's posts in the period,
        vs_account_median (float64): value / account_median (the "why": 3.0 = three times
            the account's typical post), NaN when the median is 0,
        account_posts (int64): posts of the account behind that median,
        rank (int64): 1 is the best post of the period,
        position (str): "top" or "bottom".

    Top rows first (rank ascending), then bottom rows (worst last). A post is in only one
    of the two lists when there are fewer posts than ``top + bottom``.
    """
    if values is None:
        frame = post_values(
            workspace=workspace,
            kpi_or_metric=kpi_or_metric,
            start=start,
            end=end,
            accounts=accounts,
            tags=tags,
        )
    else:
        frame = _narrowed(values, accounts=accounts, tags=tags)
    if frame.empty:
        return pd.DataFrame(columns=POSTS_RANKED_COLUMNS)
    frame["followers"] = followers_asof(workspace=workspace, posts=frame, end=end)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["per_1k_followers"] = (
            frame["value"] / frame["followers"].where(frame["followers"] > 0) * 1000.0
        )
    by_account = frame.groupby("account_id")["value"]
    frame["account_median"] = by_account.transform("median")
    frame["account_posts"] = by_account.transform("size").astype("int64")
    frame["vs_account_median"] = frame["value"] / frame["account_median"].where(
        frame["account_median"] != 0
    )
    frame["score"] = frame["per_1k_followers"] if normalise else frame["value"]
    frame = frame[frame["score"].notna()]
    frame = frame.sort_values(["score", "post_id"], ascending=[False, True], ignore_index=True)
    frame["rank"] = np.arange(1, len(frame) + 1, dtype="int64")
    best = frame.head(top).assign(position="top")
    rest = frame.iloc[len(best) :]
    worst = rest.tail(bottom).assign(position="bottom")
    result = pd.concat([best, worst], ignore_index=True)
    return result.reindex(columns=POSTS_RANKED_COLUMNS)


def _narrowed(
    values: pd.DataFrame,
    *,
    accounts: Sequence[SocialAccount] | None,
    tags: Sequence[str] | None,
) -> pd.DataFrame:
    """The rows of a ``post_values`` frame that ``post_values`` would return with these
    ``accounts`` and ``tags``, renumbered from 0 as it would be."""
    keep = pd.Series(True, index=values.index)
    if accounts is not None:
        keep &= values["account_id"].isin([account.pk for account in accounts])
    if tags:
        wanted = set(tags)
        keep &= (
            values["tags"].map(lambda post_tags: bool(wanted.intersection(post_tags))).astype(bool)
        )
    return values[keep].reset_index(drop=True)
