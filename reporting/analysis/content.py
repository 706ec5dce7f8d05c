"""What works: posts grouped by format, tag, hashtag, length or publication slot.

Every group carries its sample size and a confidence interval of its median, because a
format "winning" on three posts is noise. Medians, not means, summarise groups: one viral
post must not make a whole format look good.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from connectors.models import PostFormat, SocialAccount, Workspace
from reporting.analysis.facts import post_values
from reporting.analysis.stats import ALPHA, mann_whitney, median_ci

CONTENT_COLUMNS = ["group", "label", "n", "median", "mean", "ci_low", "ci_high"]
HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
# Characters of the post's text; the upper bounds are exclusive.
LENGTH_BUCKETS = [(0, 50), (50, 150), (150, 300), (300, None)]


class ContentBy(StrEnum):
    FORMAT = "format"
    TAG = "tag"
    WEEKDAY_HOUR = "weekday_hour"
    HASHTAG = "hashtag"
    LENGTH_BUCKET = "length_bucket"


def _length_bucket(text: str) -> str:
    size = len(text or "")
    for low, high in LENGTH_BUCKETS:
        if high is None or size < high:
            return f"{low}-{high - 1}" if high is not None else f"{low}+"
    return "0-49"


def _label(by: ContentBy, group: str | None) -> str:
    if group is None:
        return {
            ContentBy.TAG: _("(no tag)"),
            ContentBy.HASHTAG: _("(no hashtag)"),
        }.get(by, _("(none)"))
    if by is ContentBy.FORMAT:
        return str(PostFormat(group).label) if group in PostFormat.values else group
    if by is ContentBy.HASHTAG:
        return f"#{group}"
    if by is ContentBy.WEEKDAY_HOUR:
        weekday, hour = group.split("-")
        return f"{WEEKDAYS_ABBR[int(weekday)]} {int(hour):02d}:00"
    if by is ContentBy.LENGTH_BUCKET:
        return _("%(range)s characters") % {"range": group}
    return group


def content_groups(frame: pd.DataFrame, *, by: ContentBy) -> pd.DataFrame:
    """``frame`` (from ``post_values``) with a ``group`` column (str, None for no tag or no
    hashtag); a post appears once per tag or hashtag it has."""
    if by is ContentBy.FORMAT:
        return frame.assign(group=frame["format"].astype("object"))
    if by is ContentBy.WEEKDAY_HOUR:
        keys = [f"{t.day_of_week}-{t.hour:02d}" for t in frame["published"]]
        return frame.assign(group=pd.Series(keys, index=frame.index, dtype="object"))
    if by is ContentBy.LENGTH_BUCKET:
        return frame.assign(group=frame["text"].map(_length_bucket).astype("object"))
    if by is ContentBy.TAG:
        lists = [list(tags) or [None] for tags in frame["tags"]]
    else:
        lists = [
            sorted({tag.lower() for tag in HASHTAG.findall(text or "")}) or [None]
            for text in frame["text"]
        ]
    return frame.assign(group=pd.Series(lists, index=frame.index, dtype="object")).explode(
        "group", ignore_index=True
    )


def relative_to_account(frame: pd.DataFrame) -> pd.Series:
    """Each post's value over its account's median post in the frame (1.0 = typical).

    Puts posts of large and small accounts on one scale before they are pooled.
    """
    median = frame.groupby("account_id")["value"].transform("median")
    return frame["value"] / median.where(median != 0)


def _values(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    metric_or_kpi: str,
    accounts: Sequence[SocialAccount] | None,
    relative: bool,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    if values is None:
        frame = post_values(
            workspace=workspace,
            kpi_or_metric=metric_or_kpi,
            start=start,
            end=end,
            accounts=accounts,
        )
    elif accounts is None:
        frame = values
    else:
        frame = values[values["account_id"].isin([account.pk for account in accounts])]
    if relative and not frame.empty:
        frame = frame.assign(value=relative_to_account(frame))
        frame = frame[frame["value"].notna()]
    return frame


def content_breakdown(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    metric_or_kpi: str,
    by: ContentBy | str,
    accounts: Sequence[SocialAccount] | None = None,
    relative: bool = False,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Posts published in the period, grouped by ``by``, with the metric's distribution.

    ``relative`` divides each post's value by its account's median post first (1.0 is a
    typical post), which is how posts of accounts of different sizes are pooled fairly.
    ``values``: the posts' values of ``metric_or_kpi`` in the period as ``post_values``
    returns them, when the caller has read them already (narrowed here to ``accounts``);
    None reads them.

    Columns:
        group (object): the format key, the tag, "weekday-hour" ("0-18": Monday, 18:00 in
            the workspace's timezone), the lower-cased hashtag, or the length bucket
            ("0-49", "50-149", "150-299", "300+" characters); None for posts without tags
            or hashtags.
        label (str): the group as shown on screen, in the active language.
        n (int64): posts in the group (the sample size).
        median, mean (float64): of the posts' values.
        ci_low, ci_high (float64): 95% distribution-free interval of the median (order
            statistics, see ``stats.median_ci``).

    Sorted by median, highest first; the group None comes last.
    """
    grouping = ContentBy(by)
    frame = _values(
        workspace=workspace,
        start=start,
        end=end,
        metric_or_kpi=metric_or_kpi,
        accounts=accounts,
        relative=relative,
        values=values,
    )
    if frame.empty:
        return pd.DataFrame(columns=CONTENT_COLUMNS).astype({"n": "int64"})
    keyed = content_groups(frame, by=grouping)
    records = []
    for group, part in keyed.groupby("group", dropna=False, sort=False):
        key = group if isinstance(group, str) else None
        sample = part["value"].to_numpy(dtype="float64")
        low, high = median_ci(sample)
        records.append(
            {
                "group": key,
                "label": _label(grouping, key),
                "n": len(sample),
                "median": float(np.median(sample)),
                "mean": float(sample.mean()),
                "ci_low": low,
                "ci_high": high,
            }
        )
    result = pd.DataFrame.from_records(records, columns=CONTENT_COLUMNS)
    result["group"] = pd.Series([r["group"] for r in records], dtype=object)
    result = result.astype({"n": "int64", "median": "float64", "mean": "float64"})
    missing = result["group"].isna()
    ordered = result[~missing].sort_values(["median", "n"], ascending=False)
    return pd.concat([ordered, result[missing]], ignore_index=True)


@dataclass(frozen=True)
class GroupComparison:
    """One group of posts against another, tested (Mann-Whitney U, two-sided)."""

    by: str
    group: str
    against: str | None  # None: every post not in ``group``
    n: int
    n_against: int
    median: float
    median_against: float
    ratio: float  # median / median_against; NaN when the latter is 0
    p_value: float
    test: str
    significant: bool


def content_compare(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    metric_or_kpi: str,
    by: ContentBy | str,
    group: str,
    against: str | None = None,
    accounts: Sequence[SocialAccount] | None = None,
    relative: bool = False,
    min_n: int = 8,
) -> GroupComparison:
    """The posts of ``group`` against those of ``against`` (or all other posts) by ``by``.

    ``significant`` needs at least ``min_n`` posts on each side and p < 0.05. A post with
    several tags counts once on the ``group`` side and is never on the other.
    """
    grouping = ContentBy(by)
    frame = _values(
        workspace=workspace,
        start=start,
        end=end,
        metric_or_kpi=metric_or_kpi,
        accounts=accounts,
        relative=relative,
    )
    keyed = content_groups(frame, by=grouping) if not frame.empty else frame.assign(group=None)
    inside_ids = set(keyed.loc[keyed["group"] == group, "post_id"].tolist())
    inside = frame[frame["post_id"].isin(inside_ids)]["value"].to_numpy(dtype="float64")
    if against is None:
        other = frame[~frame["post_id"].isin(inside_ids)]["value"].to_numpy(dtype="float64")
    else:
        other_ids = set(keyed.loc[keyed["group"] == against, "post_id"].tolist()) - inside_ids
        other = frame[frame["post_id"].isin(other_ids)]["value"].to_numpy(dtype="float64")
    return compare_samples(
        inside, other, by=grouping.value, group=group, against=against, min_n=min_n
    )


def compare_samples(
    inside: np.ndarray,
    other: np.ndarray,
    *,
    by: str,
    group: str,
    against: str | None,
    min_n: int,
) -> GroupComparison:
    """Test two samples of post values (Mann-Whitney U) and summarise them."""
    median = float(np.median(inside)) if len(inside) else float("nan")
    median_against = float(np.median(other)) if len(other) else float("nan")
    ratio = median / median_against if median_against not in (0.0,) and len(other) else np.nan
    result = mann_whitney(inside, other)
    enough = len(inside) >= min_n and len(other) >= min_n
    return GroupComparison(
        by=by,
        group=group,
        against=against,
        n=len(inside),
        n_against=len(other),
        median=median,
        median_against=median_against,
        ratio=float(ratio),
        p_value=result.p_value,
        test=result.test,
        significant=bool(enough and result.p_value < ALPHA),
    )
