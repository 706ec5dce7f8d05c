"""The facts a KPI reads, as DataFrames with a documented column contract.

The database filters to the workspace, the accounts, the period and the formula's metrics, and
picks each post's latest snapshot; pandas only pivots metrics into columns. Rows stay at the
stored grain (account and day, or post) because a KPI uses a row only when it holds every input
the formula needs, which cannot be decided on totals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pandas as pd
from django.db.models import F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from connectors.models import AccountMetric, Post, PostMetric, Workspace

ACCOUNT_FACT_KEYS = ["account_id", "day"]
POST_FACT_KEYS = ["post_id", "account_id", "published", "format", "tags"]
POST_DETAIL_COLUMNS = ["account", "platform", "text", "permalink"]


def kpi_accounts_with_facts(
    *, workspace: Workspace, start: dt.date, end: dt.date, account_ids: Sequence[int]
) -> set[int]:
    """Ids of the accounts with at least one daily fact, of any metric, in the period."""
    return set(
        AccountMetric.objects.filter(
            account__workspace=workspace, account_id__in=list(account_ids), day__range=(start, end)
        )
        .values_list("account_id", flat=True)
        .distinct()
    )


def kpi_accounts_with_post_snapshots(
    *, workspace: Workspace, start: dt.date, end: dt.date, account_ids: Sequence[int]
) -> set[int]:
    """Ids of the accounts with a post published in the period (see ``kpi_post_facts``) that
    has at least one snapshot, of any metric, on or before ``end``."""
    return set(
        PostMetric.objects.filter(post__in=_posts(workspace, start, end, account_ids), day__lte=end)
        .values_list("post__account_id", flat=True)
        .distinct()
    )


def _posts(
    workspace: Workspace, start: dt.date, end: dt.date, account_ids: Sequence[int]
) -> QuerySet[Post]:
    zone = ZoneInfo(workspace.timezone)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return Post.objects.filter(
        account__workspace=workspace,
        account_id__in=list(account_ids),
        published_at__gte=since,
        published_at__lt=until,
    )


def kpi_account_facts(
    *,
    workspace: Workspace,
    metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int],
) -> pd.DataFrame:
    """Daily facts of ``metrics``, one row per account and day with at least one of them.

    Columns:
        account_id (int64), day (datetime64: the day in the account's timezone, at midnight),
        then one float64 column per metric in ``metrics`` order, NaN where the platform did not
        report it that day.

    Sorted by account_id, day.
    """
    # The database pivots metrics into columns (one aggregate per metric, filtered on its key):
    # far less work than building a long frame and pivoting it in pandas.
    columns = {f"m{index}": metric for index, metric in enumerate(metrics)}
    rows = (
        AccountMetric.objects.filter(
            account__workspace=workspace,
            account_id__in=list(account_ids),
            day__range=(start, end),
            metric__in=list(metrics),
        )
        .values("account_id", "day")
        .annotate(
            **{alias: Max("value", filter=Q(metric=metric)) for alias, metric in columns.items()}
        )
        .order_by("account_id", "day")
        .values_list("account_id", "day", *columns)
    )
    wide = pd.DataFrame.from_records(list(rows), columns=[*ACCOUNT_FACT_KEYS, *metrics])
    return wide.astype(
        {"account_id": "int64", "day": "datetime64[ns]", **dict.fromkeys(metrics, "float64")}
    )


def kpi_post_facts(
    *,
    workspace: Workspace,
    metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int],
    details: bool = False,
) -> pd.DataFrame:
    """Posts published in the period, each with its latest snapshot of ``metrics``.

    A post is in the period when it was published from ``start`` 00:00 to ``end`` 24:00 in the
    workspace's timezone. Each metric is read on the post's latest snapshot day on or before
    ``end`` (counters are lifetime totals, so the latest is the most complete).

    Columns:
        post_id (int64), account_id (int64),
        published (datetime64: the publication time on the workspace's clock, without zone),
        format (str: a PostFormat value), tags (object: list of str),
        with ``details`` also account (str: display name), platform (str: platform key),
        text (str), permalink (str),
        then one float64 column per metric in ``metrics`` order, NaN when never reported.

    One row per post, sorted by published, post_id; posts without any snapshot are included.
    """
    zone = ZoneInfo(workspace.timezone)
    posts = _posts(workspace, start, end, account_ids)
    # The details ride on the same query (one join to the account) rather than a second
    # query listing every post id, which grows into a huge IN list on a large workspace.
    extra = ["account__display_name", "account__platform", "text", "permalink"] if details else []
    post_rows = posts.order_by("published_at", "pk").values_list(
        "pk", "account_id", "published_at", "format", "tags", *extra
    )
    frame = pd.DataFrame.from_records(
        list(post_rows), columns=POST_FACT_KEYS + (POST_DETAIL_COLUMNS if details else [])
    )
    frame["published"] = (
        pd.to_datetime(frame["published"], utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    )
    frame["tags"] = [list(tags or []) for tags in frame["tags"]]

    latest = (
        PostMetric.objects.filter(post__in=posts, metric__in=list(metrics), day__lte=end)
        .annotate(
            newest=Window(
                RowNumber(), partition_by=[F("post_id"), F("metric")], order_by=F("day").desc()
            )
        )
        .filter(newest=1)
        .values_list("post_id", "metric", "value")
    )
    snapshots = pd.DataFrame.from_records(list(latest), columns=["post_id", "metric", "value"])
    snapshots = snapshots.astype({"post_id": "int64", "metric": "object", "value": "float64"})
    wide = snapshots.pivot(index="post_id", columns="metric", values="value")
    wide = wide.reindex(columns=list(metrics))
    frame = frame.join(wide, on="post_id")
    return frame.astype(
        {
            "post_id": "int64",
            "account_id": "int64",
            "published": "datetime64[ns]",
            "format": "object",
            **dict.fromkeys(metrics, "float64"),
        }
    ).reset_index(drop=True)
