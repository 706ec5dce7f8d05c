"""X (Twitter) analytics exports.

- Tweet activity (``tweet_activity_metrics_<handle>_<start>_<end>_en.csv``, analytics.twitter.com):
  one row per tweet, 40 columns, lifetime counters as floats (``"1777.0"``), ``time`` such as
  ``2019-01-31 18:04 +0000``, multi-line quoted text, ``favorites`` instead of ``likes`` in older
  files. The 18 ``promoted …`` columns hold ``-`` unless the tweet was promoted. Rapport reads
  the plain columns as organic activity and the promoted ones as paid activity (analytics.
  twitter.com showed them side by side), so a promoted tweet's counter is their sum and the
  post is marked paid.
- Daily account activity (``daily_tweet_activity_metrics_…``): the same metrics per day, after
  ``Date`` and ``Tweets published``.
- X Premium post analytics (``account_analytics_content_<start>_<end>.csv``): ``Post id``,
  ``Date``, ``Post text``, ``Post Link`` and counters. Its ``Shares`` (sent by message or link)
  and ``Reposts`` are both shares in Rapport's vocabulary, so they are added.

``follows`` is not imported at post or daily level: it counts follows from tweets only, not the
account's new followers.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.base import PostRow
from connectors.importers.collect import (
    Collector,
    MetricColumn,
    Metrics,
    date_cell,
    id_cell,
    required,
    table_locate,
    unused_columns_warning,
)
from connectors.importers.core import ParseContext, Sheet, Table

_PROMOTED = (
    ("impressions", ("impressions",)),
    ("engagements", ("engagements",)),
    ("shares", ("retweets",)),
    ("comments", ("replies",)),
    ("likes", ("likes", "favorites")),
    ("profile_visits", ("user profile clicks",)),
    ("clicks", ("url clicks",)),
)
ACTIVITY_METRICS = tuple(
    MetricColumn(metric, names, extras=tuple(f"promoted {name}" for name in names))
    for metric, names in _PROMOTED
)
DAILY_METRICS = (MetricColumn("posts_published", ("tweets published",)), *ACTIVITY_METRICS)
CONTENT_METRICS = (
    MetricColumn("impressions", ("impressions",)),
    MetricColumn("engagements", ("engagements",)),
    MetricColumn("likes", ("likes",)),
    MetricColumn("comments", ("replies",)),
    MetricColumn("shares", ("reposts",), extras=("shares",)),
    MetricColumn("saves", ("bookmarks",)),
    MetricColumn("profile_visits", ("profile visits",)),
    MetricColumn("clicks", ("url clicks",)),
)

TWEET_ACTIVITY_COLUMNS = ("Tweet id", "Tweet permalink", "time", "impressions")
ACCOUNT_DAILY_COLUMNS = ("Date", "Tweets published", "impressions")
POST_ANALYTICS_COLUMNS = ("Post id", "Date", "Post text", "Impressions")


def _has(*names: str) -> frozenset[str]:
    return frozenset(name.casefold() for name in names)


def tweet_activity_signature(keys: frozenset[str]) -> bool:
    return _has(*TWEET_ACTIVITY_COLUMNS) <= keys


def account_daily_signature(keys: frozenset[str]) -> bool:
    return _has(*ACCOUNT_DAILY_COLUMNS) <= keys


def post_analytics_signature(keys: frozenset[str]) -> bool:
    return _has(*POST_ANALYTICS_COLUMNS) <= keys


def _posts_parse(
    table: Table,
    ctx: ParseContext,
    out: Collector,
    *,
    metrics: Metrics,
    names: tuple[str, str, str, str],
) -> None:
    id_name, time_name, text_name, link_name = names
    id_i, time_i = table.find(id_name), table.find(time_name)
    text_i, link_i = table.find(text_name), table.find(link_name)
    assert id_i is not None and time_i is not None
    for row in table.rows:
        out.read()
        post_id = id_cell(table, row, id_i)
        when = date_cell(table, row, time_i)
        required(table, row, time_i, when)
        assert when is not None
        # Text keeps its line breaks and emoji; only the cell's outer spaces go.
        text = row.cells[text_i].strip() if text_i is not None and text_i < len(row.cells) else ""
        post = PostRow(
            external_id=post_id,
            published_at=when.datetime(ctx.timezone),
            format="other",
            text=text,
            permalink=table.cell(row, link_i) if link_i is not None else "",
            is_paid=metrics.extras_positive(row),
        )
        out.post(row.number, post, metrics.read(row))
    used = {i for i in (id_i, time_i, text_i, link_i) if i is not None}
    out.warn(unused_columns_warning(table, metrics.used | used | _promoted(table)))


def _promoted(table: Table) -> set[int]:
    # The promoted columns are read (they mark paid tweets and add to the totals) even when they
    # have no counterpart: listing 18 of them as "not imported" would only be noise.
    return {i for i, name in enumerate(table.columns) if name.casefold().startswith("promoted ")}


def tweet_activity_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, tweet_activity_signature, ctx)
    metrics = Metrics(table, ACTIVITY_METRICS)
    _posts_parse(
        table,
        ctx,
        out,
        metrics=metrics,
        names=("tweet id", "time", "tweet text", "tweet permalink"),
    )


def post_analytics_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, post_analytics_signature, ctx)
    metrics = Metrics(table, CONTENT_METRICS)
    _posts_parse(
        table, ctx, out, metrics=metrics, names=("post id", "date", "post text", "post link")
    )


def account_daily_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, account_daily_signature, ctx)
    metrics = Metrics(table, DAILY_METRICS)
    date_i = table.find("date")
    assert date_i is not None
    for row in table.rows:
        out.read()
        when = date_cell(table, row, date_i)
        required(table, row, date_i, when)
        assert when is not None
        # The day as X counted it, whatever offset the cell carries.
        out.day(row.number, when.date(), metrics.read(row))
    out.warn(unused_columns_warning(table, metrics.used | {date_i} | _promoted(table)))
