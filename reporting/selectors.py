"""Read-only queries over the facts, returned as pandas DataFrames with a documented contract.

Postgres (or SQLite in the embedded default) filters and aggregates; pandas reshapes, buckets
and compares periods. Every query is scoped to one workspace. A missing fact row means "not
reported", so nothing here turns an absent row into a zero: sums over no rows are NaN and
"last value" reads only the rows that exist.

Periods are inclusive calendar days ``[start, end]``: facts are keyed by day in the account's
reporting timezone, and post publication times are placed in days of the workspace timezone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from zoneinfo import ZoneInfo

import pandas as pd
from django.db.models import Count, Max, Min, OuterRef, QuerySet, Subquery, Sum

from connectors.metrics import Aggregation, metric_get
from connectors.models import AccountMetric, Membership, Post, SocialAccount, User, Workspace


class Grain(StrEnum):
    """The width of the buckets a period is split into for bar charts."""

    DAY = "day"
    WEEK = "week"  # seven-day blocks ending on the period's last day
    MONTH = "month"  # calendar months


ACCOUNT_METRIC_DAILY_COLUMNS = ["day", "account_id", "account", "platform", "metric", "value"]
STOCK_EDGES_COLUMNS = [
    "account_id",
    "account",
    "platform",
    "first_day",
    "first_value",
    "last_day",
    "last_value",
]
METRIC_TOTALS_COLUMNS = ["metric", "value", "accounts"]
PLATFORM_BUCKETS_COLUMNS = ["period_start", "period_end", "platform", "value"]
POSTS_PUBLISHED_COLUMNS = ["account_id", "platform", "posts"]
OVERVIEW_KPI_COLUMNS = ["kpi", "value", "reference", "change", "change_pct", "reference_kind"]

OVERVIEW_KPIS = ["followers", "impressions", "engagements", "posts_published"]


def period_previous(*, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length that ends the day before ``start``."""
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def _facts(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int] | None = None,
) -> QuerySet[AccountMetric]:
    facts = AccountMetric.objects.filter(account__workspace=workspace, day__range=(start, end))
    if account_ids is not None:
        facts = facts.filter(account_id__in=list(account_ids))
    return facts


def membership_list_with_counts(*, user: User) -> QuerySet[Membership]:
    """The user's memberships with their workspace and ``account_count`` annotated."""
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace")
        .annotate(account_count=Count("workspace__accounts"))
        .order_by("workspace__name")
    )


def workspace_has_facts(*, workspace: Workspace) -> bool:
    return AccountMetric.objects.filter(account__workspace=workspace).exists()


def workspace_fact_bounds(*, workspace: Workspace) -> tuple[dt.date, dt.date] | None:
    """The first and last day with any fact in the workspace, or None when it has none."""
    # Each account's edges come from the (account, day) index, two probes per account; a
    # min/max over the workspace's facts would read all of them.
    facts = AccountMetric.objects.filter(account_id=OuterRef("pk"))
    edges = SocialAccount.objects.filter(workspace=workspace).aggregate(
        first=Min(Subquery(facts.order_by("day").values("day")[:1])),
        last=Max(Subquery(facts.order_by("-day").values("day")[:1])),
    )
    if edges["first"] is None or edges["last"] is None:
        return None
    return edges["first"], edges["last"]


def account_metric_daily(
    *,
    workspace: Workspace,
    metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Daily facts of the workspace's accounts (all, or those of ``account_ids``), one row per
    account, metric and reported day.

    Columns:
        day (datetime64): the calendar day, at midnight, without timezone.
        account_id (int64): ``SocialAccount.pk``.
        account (str): the account's display name.
        platform (str): the platform key (``"instagram"``…).
        metric (str): the canonical metric key.
        value (float64): the value as stored.

    Sorted by day, account_id, metric. Days the platform did not report have no row.
    """
    for key in metrics:
        metric_get(key)
    rows = (
        _facts(workspace=workspace, start=start, end=end, account_ids=account_ids)
        .filter(metric__in=list(metrics))
        .order_by("day", "account_id", "metric")
        .values_list(
            "day", "account_id", "account__display_name", "account__platform", "metric", "value"
        )
    )
    frame = pd.DataFrame.from_records(list(rows), columns=ACCOUNT_METRIC_DAILY_COLUMNS)
    return frame.astype(
        {
            "day": "datetime64[ns]",
            "account_id": "int64",
            "account": "object",
            "platform": "object",
            "metric": "object",
            "value": "float64",
        }
    )


def account_stock_edges(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Each account's first and last reported value of ``metric`` within the period.

    Meant for stocks such as followers, read at the start and at the end of a period.

    Columns:
        account_id (int64), account (str: display name), platform (str: platform key),
        first_day (datetime64), first_value (float64),
        last_day (datetime64), last_value (float64).

    One row per account that reported the metric at least once in the period; accounts without
    any row are left out rather than counted as zero. Sorted by platform, account.
    """
    metric_get(metric)
    edge = AccountMetric.objects.filter(
        account_id=OuterRef("pk"), metric=metric, day__range=(start, end)
    )
    accounts = SocialAccount.objects.filter(workspace=workspace)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    rows = (
        accounts.annotate(
            first_day=Subquery(edge.order_by("day").values("day")[:1]),
            first_value=Subquery(edge.order_by("day").values("value")[:1]),
            last_day=Subquery(edge.order_by("-day").values("day")[:1]),
            last_value=Subquery(edge.order_by("-day").values("value")[:1]),
        )
        .filter(last_day__isnull=False)
        .order_by("platform", "display_name", "pk")
        .values_list(
            "pk",
            "display_name",
            "platform",
            "first_day",
            "first_value",
            "last_day",
            "last_value",
        )
    )
    frame = pd.DataFrame.from_records(list(rows), columns=STOCK_EDGES_COLUMNS)
    return frame.astype(
        {
            "account_id": "int64",
            "account": "object",
            "platform": "object",
            "first_day": "datetime64[ns]",
            "first_value": "float64",
            "last_day": "datetime64[ns]",
            "last_value": "float64",
        }
    )


def metric_totals(
    *,
    workspace: Workspace,
    metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Each metric over the whole period, combined the way the metric says.

    Flows (``Aggregation.SUM``: impressions, engagements…) add up every reported day of every
    account. Stocks (``Aggregation.LAST``: followers) add up each account's last reported value
    in the period.

    Columns:
        metric (str): the canonical key, one row per requested metric, in the requested order.
        value (float64): the total; NaN when no account reported the metric in the period.
        accounts (int64): how many accounts contributed.
    """
    definitions = [metric_get(key) for key in metrics]
    sums = [m.key for m in definitions if m.aggregation is Aggregation.SUM]
    found: dict[str, tuple[float, int]] = {}
    if sums:
        aggregated = (
            _facts(workspace=workspace, start=start, end=end, account_ids=account_ids)
            .filter(metric__in=sums)
            .values("metric")
            .annotate(total=Sum("value"), accounts=Count("account_id", distinct=True))
            .order_by("metric")
        )
        found.update({row["metric"]: (row["total"], row["accounts"]) for row in aggregated})
    for metric in definitions:
        if metric.aggregation is Aggregation.LAST:
            edges = account_stock_edges(
                workspace=workspace,
                metric=metric.key,
                start=start,
                end=end,
                account_ids=account_ids,
            )
            if not edges.empty:
                found[metric.key] = (float(edges["last_value"].sum()), len(edges))
    records = [
        (m.key, found[m.key][0] if m.key in found else float("nan"), found.get(m.key, (0, 0))[1])
        for m in definitions
    ]
    frame = pd.DataFrame.from_records(records, columns=METRIC_TOTALS_COLUMNS)
    return frame.astype({"metric": "object", "value": "float64", "accounts": "int64"})


def _bucket_bounds(
    days: pd.Series, *, start: dt.date, end: dt.date, grain: Grain
) -> tuple[pd.Series, pd.Series]:
    first = pd.Timestamp(start)
    last = pd.Timestamp(end)
    if grain is Grain.DAY:
        return days, days
    if grain is Grain.WEEK:
        # Blocks end on the period's last day, so the most recent weeks are whole weeks and only
        # the oldest block can be short.
        back = (last - days).dt.days // 7
        block_end = last - pd.to_timedelta(back * 7, unit="D")
        block_start = block_end - pd.Timedelta(days=6)
    else:
        block_start = days.dt.to_period("M").dt.start_time
        block_end = days.dt.to_period("M").dt.end_time.dt.normalize()
    return block_start.clip(lower=first), block_end.clip(upper=last)


def platform_metric_buckets(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    grain: Grain,
    account_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """A flow metric summed per platform and per bucket (day, week or month) of the period.

    Columns:
        period_start (datetime64): first day of the bucket, never before ``start``.
        period_end (datetime64): last day of the bucket, never after ``end``.
        platform (str): the platform key.
        value (float64): the sum of the reported daily values of the platform's accounts.

    One row per bucket and platform with at least one reported day; sorted by period_start and
    platform. Weeks are seven-day blocks ending on ``end``; months are calendar months.
    """
    if metric_get(metric).aggregation is not Aggregation.SUM:
        raise ValueError(f"{metric!r} is a stock; only flows can be summed over buckets.")
    rows = (
        _facts(workspace=workspace, start=start, end=end, account_ids=account_ids)
        .filter(metric=metric)
        .values("day", "account__platform")
        .annotate(total=Sum("value"))
        .order_by("day", "account__platform")
        .values_list("day", "account__platform", "total")
    )
    daily = pd.DataFrame.from_records(list(rows), columns=["day", "platform", "value"])
    daily = daily.astype({"day": "datetime64[ns]", "platform": "object", "value": "float64"})
    period_start, period_end = _bucket_bounds(daily["day"], start=start, end=end, grain=grain)
    daily = daily.assign(period_start=period_start, period_end=period_end)
    totals = daily.groupby(["period_start", "period_end", "platform"])["value"].sum()
    frame = totals.reset_index().sort_values(["period_start", "platform"], ignore_index=True)
    return frame[PLATFORM_BUCKETS_COLUMNS].astype(
        {
            "period_start": "datetime64[ns]",
            "period_end": "datetime64[ns]",
            "platform": "object",
            "value": "float64",
        }
    )


def posts_published(*, workspace: Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Posts published in the period, counted per account.

    A day runs from midnight to midnight in the workspace's reporting timezone.

    Columns:
        account_id (int64), platform (str: platform key), posts (int64).

    One row per account with at least one post in the period, sorted by platform, account_id.
    """
    zone = ZoneInfo(workspace.timezone)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    rows = (
        Post.objects.filter(
            account__workspace=workspace, published_at__gte=since, published_at__lt=until
        )
        .values("account_id", "account__platform")
        .annotate(posts=Count("pk"))
        .order_by("account__platform", "account_id")
        .values_list("account_id", "account__platform", "posts")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=POSTS_PUBLISHED_COLUMNS)
    return frame.astype({"account_id": "int64", "platform": "object", "posts": "int64"})


def _posts_total(*, workspace: Workspace, start: dt.date, end: dt.date) -> float:
    posts = int(posts_published(workspace=workspace, start=start, end=end)["posts"].sum())
    if posts:
        return float(posts)
    # No post in a period with facts is a real zero; no post and no facts at all means the
    # period was never collected, which is "not available".
    if _facts(workspace=workspace, start=start, end=end).exists():
        return 0.0
    return float("nan")


def _change(value: float, reference: float) -> tuple[float, float]:
    if pd.isna(value) or pd.isna(reference):
        return float("nan"), float("nan")
    change = value - reference
    change_pct = change / reference * 100 if reference else float("nan")
    return change, change_pct


def overview_kpis(*, workspace: Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The overview's headline numbers for the period and what each is compared with.

    Columns:
        kpi (str): ``followers``, ``impressions``, ``engagements`` or ``posts_published``,
            one row each in that order.
        value (float64): the period's value; NaN when nothing was reported.
        reference (float64): what the value is compared with; NaN when not available.
        change (float64): ``value - reference``; NaN when either is missing.
        change_pct (float64): ``change`` as a percentage of ``reference``; NaN when the
            reference is missing or zero.
        reference_kind (str): ``period_start`` for followers (the sum of each account's first
            value in the period), ``previous_period`` for the others (the period of equal
            length just before).

    Followers are the sum over accounts of their last reported value; impressions and
    engagements are sums of daily values; posts are counted from the posts table.
    """
    prev_start, prev_end = period_previous(start=start, end=end)
    records: list[tuple[str, float, float, float, float, str]] = []

    edges = account_stock_edges(workspace=workspace, metric="followers", start=start, end=end)
    followers = float(edges["last_value"].sum()) if not edges.empty else float("nan")
    at_start = float(edges["first_value"].sum()) if not edges.empty else float("nan")
    records.append(
        ("followers", followers, at_start, *_change(followers, at_start), "period_start")
    )

    flows = ["impressions", "engagements"]
    current = metric_totals(workspace=workspace, metrics=flows, start=start, end=end)
    previous = metric_totals(workspace=workspace, metrics=flows, start=prev_start, end=prev_end)
    for key, value, reference in zip(flows, current["value"], previous["value"], strict=True):
        records.append(
            (key, float(value), float(reference), *_change(value, reference), "previous_period")
        )

    posts = _posts_total(workspace=workspace, start=start, end=end)
    posts_before = _posts_total(workspace=workspace, start=prev_start, end=prev_end)
    records.append(
        ("posts_published", posts, posts_before, *_change(posts, posts_before), "previous_period")
    )
    frame = pd.DataFrame.from_records(records, columns=OVERVIEW_KPI_COLUMNS)
    return frame.astype(
        {
            "kpi": "object",
            "value": "float64",
            "reference": "float64",
            "change": "float64",
            "change_pct": "float64",
            "reference_kind": "object",
        }
    )


def period_buckets(
    days: pd.Series, *, start: dt.date, end: dt.date, grain: Grain
) -> tuple[pd.Series, pd.Series]:
    """The first and last day of the bucket each of ``days`` (datetime64) falls in.

    The buckets of ``platform_metric_buckets``: days, seven-day blocks ending on ``end``, or
    calendar months, clipped to the period. Returns two datetime64 Series aligned on ``days``.
    """
    return _bucket_bounds(days, start=start, end=end, grain=grain)
