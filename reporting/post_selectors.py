"""What the Posts pages read: the sortable table of posts and one post with its history.

A post's metrics are daily snapshots of lifetime counters (``PostMetric``), so a post's current
value of a metric is its latest snapshot. The table sorts and paginates in the database: for a
sort on a post's own column only the page's rows get their snapshots read; for a sort on a metric
each post of the result costs one index probe on ``post_metric_unique`` (post, metric, day) per
metric the sort needs.

Engagement rate, here and on the post page: the post's engagements (the platform's count, or
else likes + comments + shares + saves + clicks, as the KPI library counts them) divided by its
impressions, or by its reach when it has no impressions. It is missing when neither is reported.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from django.db import connection
from django.db.models import F, OrderBy, QuerySet, Window
from django.db.models.functions import Lower, RowNumber

from connectors.metrics import METRICS
from connectors.models import Post, PostMetric, SocialAccount, Workspace

PER_PAGE = 50
ENGAGEMENT_RATE = "engagement_rate"
# Sort keys read from the post and its account; every metric key and ENGAGEMENT_RATE sort too.
POST_SORT_FIELDS = {
    "published": "published_at",
    "text": "text",
    "account": "account__display_name",
    "platform": "account__platform",
    "format": "format",
}
SORT_DEFAULT = "published"
# Without a loose index scan, finding which metrics a result has reads every snapshot of every
# post in it; the table's columns are therefore taken from its newest posts and the page shown.
METRIC_SCAN_POSTS = 500

_ENGAGEMENT_PARTS = ("likes", "comments", "shares")
_ENGAGEMENT_EXTRAS = ("saves", "clicks")
RATE_INPUTS = ("engagements", *_ENGAGEMENT_PARTS, *_ENGAGEMENT_EXTRAS, "impressions", "reach")

POST_TABLE_COLUMNS = [
    "post_id",
    "account_id",
    "account",
    "handle",
    "platform",
    "published",
    "format",
    "is_paid",
    "text",
    "permalink",
    "tags",
    "as_of",
]


def post_sort_keys() -> list[str]:
    """Every value ``post_table`` accepts as ``sort``."""
    return [*POST_SORT_FIELDS, *METRICS, ENGAGEMENT_RATE]


@dataclass(frozen=True)
class PostTablePage:
    """One page of ``post_table``.

    ``rows`` columns: post_id, account_id (int64), account (str: display name), handle,
    platform, format (str), is_paid (bool), text, permalink (str), tags (list of str),
    published (datetime64: the workspace's clock, no zone), as_of (datetime64: day of the latest
    snapshot, NaT when none), then one float64 column per key of ``metrics`` (NaN: not
    reported), engagement_rate (float64) and rate_base ("impressions", "reach" or "").
    ``metrics`` lists the metrics the result has, in ``METRICS`` order.
    """

    rows: pd.DataFrame
    metrics: list[str]
    total: int
    number: int
    per_page: int
    sort: str
    direction: str

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)


def _bounds(workspace: Workspace, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(workspace.timezone)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    return since, dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def _account_ids(workspace: Workspace, accounts: Sequence[SocialAccount] | None) -> list[int]:
    if accounts is None:
        return list(SocialAccount.objects.filter(workspace=workspace).values_list("pk", flat=True))
    # Accounts of another workspace are ignored: the workspace is the tenant boundary.
    return [account.pk for account in accounts if account.workspace_id == workspace.pk]


def _result(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    account_ids: list[int],
    tags: Sequence[str],
    search: str,
    format: str,
) -> QuerySet[Post]:
    since, until = _bounds(workspace, start, end)
    posts = Post.objects.filter(
        account__workspace=workspace,
        account_id__in=account_ids,
        published_at__gte=since,
        published_at__lt=until,
    ).order_by()
    if format:
        posts = posts.filter(format=format)
    if search.strip():
        posts = posts.filter(text__icontains=search.strip())
    if tags and connection.vendor == "postgresql":
        # jsonb ?| matches the string elements of the tags array: any of the tags.
        posts = posts.filter(tags__has_any_keys=list(tags))
    elif tags:
        # SQLite cannot test array elements with a lookup; match on the filtered rows instead.
        wanted = set(tags)
        ids = [pk for pk, got in posts.values_list("pk", "tags") if wanted & set(got or [])]
        posts = posts.filter(pk__in=ids)
    return posts


def _rate_sql(latest: dict[str, str]) -> str:
    # COALESCE evaluates lazily, so a post with the platform's own engagement count costs two
    # snapshot probes (engagements, impressions), not eight.
    parts = " + ".join(latest[key] for key in _ENGAGEMENT_PARTS)
    extras = " + ".join(f"COALESCE({latest[key]}, 0)" for key in _ENGAGEMENT_EXTRAS)
    engagements = f"COALESCE({latest['engagements']}, {parts} + {extras})"
    base = f"COALESCE(NULLIF({latest['impressions']}, 0), NULLIF({latest['reach']}, 0))"
    return f"({engagements}) / {base}"


def _page_ids_by_metric(
    posts: QuerySet[Post], *, sort: str, descending: bool, offset: int, limit: int
) -> list[int]:
    snapshots = connection.ops.quote_name(PostMetric._meta.db_table)
    # One index probe on post_metric_unique (post, metric, day) per post and metric; each
    # placeholder below is filled with its metric key, in the order the expression uses them.
    # Only the table name, Django's compiled SQL and fixed keywords are formatted into the
    # statements; every value is a parameter.
    probe = (
        f"(SELECT s.value FROM {snapshots} s WHERE s.post_id = b.id AND s.metric = %s "  # noqa: S608
        "ORDER BY s.day DESC LIMIT 1)"
    )
    if sort == ENGAGEMENT_RATE:
        expression = _rate_sql(dict.fromkeys(RATE_INPUTS, probe))
        keys = list(RATE_INPUTS)
    else:
        expression, keys = probe, [sort]
    base_sql, base_params = posts.values("id", "published_at").query.sql_with_params()
    order = "DESC" if descending else "ASC"
    sql = (
        f"SELECT b.id FROM ({base_sql}) b ORDER BY {expression} {order} NULLS LAST, "  # noqa: S608
        "b.published_at DESC, b.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*base_params, *keys, limit, offset])
        return [int(row[0]) for row in cursor.fetchall()]


def _page_ids(
    posts: QuerySet[Post], *, sort: str, descending: bool, offset: int, limit: int
) -> list[int]:
    if sort not in POST_SORT_FIELDS:
        return _page_ids_by_metric(
            posts, sort=sort, descending=descending, offset=offset, limit=limit
        )
    field = POST_SORT_FIELDS[sort]
    key = Lower(field) if sort in ("text", "account") else F(field)
    order = OrderBy(key, descending=descending, nulls_last=True)
    ordered = posts.order_by(order, "-published_at", "-pk").values_list("pk", flat=True)
    return list(ordered[offset : offset + limit])


def latest_values(*, post_ids: Sequence[int]) -> pd.DataFrame:
    """Each post's latest snapshot of each metric it has.

    Columns: post_id (int64), metric (str), day (datetime64), value (float64).
    """
    rows = (
        PostMetric.objects.filter(post_id__in=list(post_ids))
        .annotate(
            newest=Window(
                RowNumber(), partition_by=[F("post_id"), F("metric")], order_by=F("day").desc()
            )
        )
        .filter(newest=1)
        .values_list("post_id", "metric", "day", "value")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["post_id", "metric", "day", "value"])
    return frame.astype(
        {"post_id": "int64", "metric": "object", "day": "datetime64[ns]", "value": "float64"}
    )


def engagement_rate(wide: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Engagement rate of each row of ``wide`` (one float64 column per metric; missing metric
    columns count as not reported), and the denominator each used ("impressions", "reach"
    or "")."""
    col = {key: wide.get(key, pd.Series(math.nan, index=wide.index)) for key in RATE_INPUTS}
    summed = sum((col[key] for key in _ENGAGEMENT_PARTS), start=pd.Series(0.0, index=wide.index))
    summed = summed + col["saves"].fillna(0) + col["clicks"].fillna(0)
    engagements = col["engagements"].fillna(summed)
    impressions = col["impressions"].where(col["impressions"] > 0)
    reach = col["reach"].where(col["reach"] > 0)
    base = impressions.fillna(reach)
    used = pd.Series("", index=wide.index, dtype="object")
    used = used.mask(reach.notna(), "reach").mask(impressions.notna(), "impressions")
    return (engagements / base).astype("float64"), used


def _metrics_present(posts: QuerySet[Post], page_metrics: set[str], sort: str) -> list[str]:
    newest = posts.order_by("-published_at", "-pk").values("pk")[:METRIC_SCAN_POSTS]
    present = set(
        PostMetric.objects.filter(post_id__in=newest)
        .order_by()
        .values_list("metric", flat=True)
        .distinct()
    )
    present |= page_metrics
    if sort in METRICS:
        present.add(sort)
    return [key for key in METRICS if key in present]


def _rows(ids: list[int], workspace: Workspace) -> tuple[pd.DataFrame, set[str]]:
    zone = ZoneInfo(workspace.timezone)
    details = Post.objects.filter(pk__in=ids).values_list(
        "pk",
        "account_id",
        "account__display_name",
        "account__handle",
        "account__platform",
        "published_at",
        "format",
        "is_paid",
        "text",
        "permalink",
        "tags",
    )
    frame = pd.DataFrame.from_records(list(details), columns=POST_TABLE_COLUMNS[:-1])
    frame["published"] = (
        pd.to_datetime(frame["published"], utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    )
    frame["tags"] = [list(tags or []) for tags in frame["tags"]]
    frame = frame.set_index("post_id").reindex(ids)
    latest = latest_values(post_ids=ids)
    wide = latest.pivot(index="post_id", columns="metric", values="value")
    frame = frame.join(wide).join(latest.groupby("post_id")["day"].max().rename("as_of"))
    return frame.rename_axis("post_id").reset_index(), set(latest["metric"])


def post_table(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None = None,
    tags: Sequence[str] = (),
    search: str = "",
    format: str = "",
    sort: str = SORT_DEFAULT,
    direction: str = "desc",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> PostTablePage:
    """The posts published ``start``..``end`` (days in the workspace's timezone) by
    ``accounts`` (all the workspace's when None), carrying any of ``tags`` (all posts when
    empty), whose text contains ``search`` (any case) and of ``format`` (any when empty).

    Sorted by ``sort`` (one of ``post_sort_keys()``; unknown keys sort by publication) in
    ``direction`` ("asc" or "desc"), posts without the value last, then newest first. ``page``
    is clamped to the pages that exist. Metric values are the latest snapshot, whatever its
    day. See ``PostTablePage`` for the columns.
    """
    sort = sort if sort in post_sort_keys() else SORT_DEFAULT
    direction = "asc" if direction == "asc" else "desc"
    account_ids = _account_ids(workspace, accounts)
    posts = _result(
        workspace=workspace,
        start=start,
        end=end,
        account_ids=account_ids,
        tags=tags,
        search=search,
        format=format,
    )
    total = posts.count() if account_ids else 0
    number = min(max(1, page), max(1, math.ceil(total / per_page)))
    ids = (
        _page_ids(
            posts,
            sort=sort,
            descending=direction == "desc",
            offset=(number - 1) * per_page,
            limit=per_page,
        )
        if total
        else []
    )
    frame, page_metrics = _rows(ids, workspace)
    metrics = _metrics_present(posts, page_metrics, sort) if total else []
    rate, used = engagement_rate(frame)
    frame = frame.reindex(columns=[*POST_TABLE_COLUMNS, *metrics]).assign(
        engagement_rate=rate, rate_base=used
    )
    frame = frame.astype(
        {
            "published": "datetime64[ns]",
            "as_of": "datetime64[ns]",
            **dict.fromkeys(metrics, "float64"),
        }
    )
    return PostTablePage(
        rows=frame,
        metrics=metrics,
        total=total,
        number=number,
        per_page=per_page,
        sort=sort,
        direction=direction,
    )


def post_get(*, workspace: Workspace, post_id: int) -> Post | None:
    """The workspace's post ``post_id`` with its account, or None (another workspace's too)."""
    return (
        Post.objects.filter(account__workspace=workspace, pk=post_id)
        .select_related("account")
        .first()
    )


def post_history(*, post: Post) -> pd.DataFrame:
    """Every snapshot of the post.

    Columns: day (datetime64), metric (str), value (float64). Sorted by metric (in ``METRICS``
    order), then day.
    """
    rows = (
        PostMetric.objects.filter(post=post).order_by("day").values_list("day", "metric", "value")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["day", "metric", "value"])
    frame = frame.astype({"day": "datetime64[ns]", "metric": "object", "value": "float64"})
    order = {key: index for index, key in enumerate(METRICS)}
    frame["_order"] = frame["metric"].map(lambda key: order.get(key, len(order)))
    return frame.sort_values(["_order", "day"], kind="stable", ignore_index=True).drop(
        columns="_order"
    )


COMPARISON_COLUMNS = ["metric", "value", "median", "posts", "ratio"]
MEDIAN_WINDOW_DAYS = 90


def post_comparison(
    *, post: Post, history: pd.DataFrame, days: int = MEDIAN_WINDOW_DAYS
) -> pd.DataFrame:
    """The post's latest value of each metric next to the account's median post.

    The median post is, metric by metric, the median of the latest values of the account's
    other posts published in the ``days`` days before this one (those without the metric are
    left out). ``history`` is ``post_history(post=post)``.

    Columns: metric (str: a metric key, then ``engagement_rate`` last), value (float64: this
    post's, NaN when it has none), median (float64: NaN when no earlier post has it), posts
    (int64: posts behind the median), ratio (float64: value / median, NaN when either is
    missing or the median is 0). One row per metric the post or the median has, in ``METRICS``
    order.
    """
    peers = list(
        Post.objects.filter(
            account_id=post.account_id,
            published_at__gte=post.published_at - dt.timedelta(days=days),
            published_at__lt=post.published_at,
        )
        .exclude(pk=post.pk)
        .values_list("pk", flat=True)
    )
    latest = latest_values(post_ids=peers)
    peer_wide = latest.pivot(index="post_id", columns="metric", values="value")
    own = history.groupby("metric")["value"].last() if len(history) else pd.Series(dtype=float)
    own_wide = pd.DataFrame([own.to_dict()], index=[post.pk], dtype="float64")
    rows: list[tuple[str, float, float, int]] = []
    for key in [key for key in METRICS if key in own.index or key in peer_wide.columns]:
        column = peer_wide[key].dropna() if key in peer_wide.columns else pd.Series(dtype=float)
        value = float(own[key]) if key in own.index else math.nan
        median = float(column.median()) if len(column) else math.nan
        rows.append((key, value, median, len(column)))
    own_rate, _used = engagement_rate(own_wide)
    peer_rates = engagement_rate(peer_wide)[0].dropna()
    rate_median = float(peer_rates.median()) if len(peer_rates) else math.nan
    rows.append((ENGAGEMENT_RATE, float(own_rate.iloc[0]), rate_median, len(peer_rates)))
    frame = pd.DataFrame.from_records(rows, columns=COMPARISON_COLUMNS[:-1])
    frame = frame.astype({"value": "float64", "median": "float64", "posts": "int64"})
    frame["ratio"] = frame["value"] / frame["median"].where(frame["median"] != 0)
    return frame
