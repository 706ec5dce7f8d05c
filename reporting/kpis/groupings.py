"""How a KPI's rows are split into groups: by time, platform, account, or by a post's format,
tags, weekday and hour of publication (in the workspace's timezone)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import pandas as pd
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from connectors.models import Platform, PostFormat
from reporting.models import KpiLevel
from reporting.selectors import Grain, period_buckets

GROUP = "group_key"


class Grouping(StrEnum):
    DAY = "day"
    WEEK = "week"  # seven-day blocks ending on the period's last day, as on the overview
    MONTH = "month"
    PLATFORM = "platform"
    ACCOUNT = "account"
    FORMAT = "format"
    TAG = "tag"
    WEEKDAY = "weekday"  # 0 is Monday
    HOUR = "hour"


# Platforms report account totals per day, not split by what was posted, so these groupings
# exist only for KPIs computed per post.
POST_ONLY = frozenset({Grouping.FORMAT, Grouping.TAG, Grouping.WEEKDAY, Grouping.HOUR})
_GRAINS = {Grouping.DAY: Grain.DAY, Grouping.WEEK: Grain.WEEK, Grouping.MONTH: Grain.MONTH}


def _days(rows: pd.DataFrame, level: KpiLevel) -> pd.Series:
    if level is KpiLevel.POST:
        return rows["published"].dt.normalize()
    return rows["day"]


def groups_assign(
    rows: pd.DataFrame,
    *,
    by: Grouping,
    level: KpiLevel,
    start: dt.date,
    end: dt.date,
    platforms: dict[int, str],
) -> pd.DataFrame:
    """``rows`` with a ``group_key`` column (and ``period_start``/``period_end`` for time groups).

    For tags, a post appears once per tag, and a post without tags once with the group "".
    """
    if by in _GRAINS:
        first, last = period_buckets(_days(rows, level), start=start, end=end, grain=_GRAINS[by])
        return rows.assign(**{GROUP: first, "period_start": first, "period_end": last})
    if by is Grouping.PLATFORM:
        return rows.assign(**{GROUP: rows["account_id"].map(platforms)})
    if by is Grouping.ACCOUNT:
        return rows.assign(**{GROUP: rows["account_id"]})
    if by is Grouping.FORMAT:
        return rows.assign(**{GROUP: rows["format"]})
    if by is Grouping.TAG:
        tags = pd.Series([list(t) or [""] for t in rows["tags"]], index=rows.index, dtype=object)
        tagged = rows.assign(**{GROUP: tags})
        return tagged.explode(GROUP, ignore_index=True)
    if by is Grouping.WEEKDAY:
        return rows.assign(**{GROUP: rows["published"].dt.day_of_week})
    return rows.assign(**{GROUP: rows["published"].dt.hour})


def groups_expected(*, by: Grouping, start: dt.date, end: dt.date) -> pd.DataFrame | None:
    """Every group a breakdown shows even when empty (buckets of the period, the seven
    weekdays, the 24 hours), with ``period_start``/``period_end``; None for other groupings."""
    if by in _GRAINS:
        days = pd.Series(pd.date_range(start, end, freq="D"))
        first, last = period_buckets(days, start=start, end=end, grain=_GRAINS[by])
        frame = pd.DataFrame({GROUP: first, "period_start": first, "period_end": last})
        return frame.drop_duplicates(GROUP, ignore_index=True)
    if by is Grouping.WEEKDAY:
        return pd.DataFrame({GROUP: range(7)})
    if by is Grouping.HOUR:
        return pd.DataFrame({GROUP: range(24)})
    return None


def group_label(by: Grouping, group: Any, *, accounts: dict[int, str], until: Any = None) -> str:
    """How a group is named on screen, in the active language (``until``: a week's last day)."""
    if by is Grouping.DAY:
        return pd.Timestamp(group).date().isoformat()
    if by is Grouping.WEEK:
        first, last = pd.Timestamp(group).date(), pd.Timestamp(until).date()
        return _("%(first)s to %(last)s") % {"first": first.isoformat(), "last": last.isoformat()}
    if by is Grouping.MONTH:
        return f"{pd.Timestamp(group):%Y-%m}"
    if by is Grouping.PLATFORM:
        return str(Platform(group).label) if group in Platform.values else str(group)
    if by is Grouping.ACCOUNT:
        return accounts.get(int(group), str(group))
    if by is Grouping.FORMAT:
        return str(PostFormat(group).label) if group in PostFormat.values else str(group)
    if by is Grouping.TAG:
        return str(group) if group else _("No tag")
    if by is Grouping.WEEKDAY:
        return str(WEEKDAYS[int(group)])
    return f"{int(group):02d}:00"


def group_value(by: Grouping, group: Any) -> Any:
    """The group as callers receive it: a date for time groups, None for posts without tags."""
    if by in _GRAINS:
        return pd.Timestamp(group).date()
    if by is Grouping.TAG and group == "":
        return None
    if by in (Grouping.ACCOUNT, Grouping.WEEKDAY, Grouping.HOUR):
        return int(group)
    return group
