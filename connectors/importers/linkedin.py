"""LinkedIn Page analytics exports (Page → Analytics → Export), XLSX workbooks.

Each sheet starts with a row describing it ("Aggregated metrics for all posts…") above the
header, so the header is searched in the first rows. Three exports:

- Content (``<page>_content_<epoch ms>.xlsx``): an "All posts" sheet (``Post title, Post link,
  Post type, …, Created date, Impressions, Clicks, Likes, Comments, Reposts, …``; older files
  say ``Update`` for ``Post`` and ``Shares`` for ``Reposts``) with lifetime counters, and a
  "Metrics" sheet of daily totals (``Date, Impressions (organic), …, Impressions (total), …``).
  ``Post type`` says organic or sponsored; ``Content type`` is the format.
- Followers (``…_followers_…``): a "New followers" sheet, ``Date, Sponsored followers, Organic
  followers, Auto-invited followers, Total followers``. These are the followers gained that day
  (the total is the sum of the sponsored, organic and auto-invited columns), so ``Total
  followers`` is followers gained, not the audience size. The demographic sheets are not
  imported.
- Visitors (``…_visitors_…``): a daily "Visitor metrics" sheet; ``Total page views (total)`` is
  imported as profile visits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from django.utils.translation import gettext as _

from connectors.base import PostRow
from connectors.importers.collect import (
    Collector,
    MetricColumn,
    Metrics,
    column_dayfirst,
    date_cell,
    required,
    synthetic_id,
    unused_columns_warning,
)
from connectors.importers.core import ParseContext, Sheet, Table
from connectors.importers.reading import blank, header_find, table_build

POST_METRICS = (
    MetricColumn("impressions", ("impressions",)),
    MetricColumn("video_views", ("views (excluding off-site video views)", "video views")),
    MetricColumn("clicks", ("clicks",)),
    MetricColumn("likes", ("likes", "reactions")),
    MetricColumn("comments", ("comments",)),
    MetricColumn("shares", ("reposts", "shares")),
)
DAILY_METRICS = (
    MetricColumn("impressions", ("impressions (total)",)),
    MetricColumn("clicks", ("clicks (total)",)),
    MetricColumn("likes", ("reactions (total)",)),
    MetricColumn("comments", ("comments (total)",)),
    MetricColumn("shares", ("reposts (total)", "shares (total)")),
)
FOLLOWER_METRICS = (MetricColumn("followers_gained", ("total followers",)),)
VISITOR_METRICS = (MetricColumn("profile_visits", ("total page views (total)",)),)
FORMATS = {
    "image": "photo",
    "photo": "photo",
    "video": "video",
    "text": "text",
    "article": "article",
    "link": "link",
    "carousel": "carousel",
    "multi-image": "carousel",
    "multiple images": "carousel",
}
CONTENT_COLUMNS = ("Post title", "Post link", "Created date")
FOLLOWERS_COLUMNS = ("Date", "Organic followers", "Total followers")
VISITORS_COLUMNS = ("Date", "Total page views (total)")
_URN = re.compile(r"urn:li:(?:activity|share|ugcPost):\d+")


def posts_signature(keys: frozenset[str]) -> bool:
    return (
        bool({"post link", "update link"} & keys)
        and bool({"post title", "update title"} & keys)
        and "created date" in keys
    )


def daily_signature(keys: frozenset[str]) -> bool:
    return "date" in keys and "impressions (total)" in keys


def content_signature(keys: frozenset[str]) -> bool:
    return posts_signature(keys) or daily_signature(keys)


def followers_signature(keys: frozenset[str]) -> bool:
    return {"date", "total followers"} <= keys and bool(
        {"organic followers", "sponsored followers"} & keys
    )


def visitors_signature(keys: frozenset[str]) -> bool:
    return "date" in keys and "total page views (total)" in keys


def _tables(
    sheets: Sequence[Sheet], ctx: ParseContext, signature: Callable[[frozenset[str]], bool]
) -> list[Table]:
    tables = []
    for sheet in sheets:
        found = header_find([sheet], signature)
        if found is not None:
            tables.append(table_build(found[0], found[1], max_rows=ctx.max_rows))
    return tables


def _daily(table: Table, out: Collector, columns: Sequence[MetricColumn]) -> None:
    metrics = Metrics(table, columns)
    date_i = table.find("date")
    assert date_i is not None
    dayfirst = column_dayfirst(table, date_i)
    for row in table.rows:
        out.read()
        value = date_cell(table, row, date_i, dayfirst=dayfirst)
        required(table, row, date_i, value)
        assert value is not None
        out.day(row.number, value.date(), metrics.read(row))
    out.warn(unused_columns_warning(table, metrics.used | {date_i}))


def _posts(table: Table, ctx: ParseContext, out: Collector) -> None:
    metrics = Metrics(table, POST_METRICS)
    title_i, link_i = (
        table.find("post title", "update title"),
        table.find("post link", "update link"),
    )
    created_i = table.find("created date")
    paid_i, type_i = table.find("post type", "update type"), table.find("content type")
    assert created_i is not None
    dayfirst = column_dayfirst(table, created_i)
    for row in table.rows:
        out.read()
        value = date_cell(table, row, created_i, dayfirst=dayfirst)
        required(table, row, created_i, value)
        assert value is not None
        published = value.datetime(ctx.timezone)
        link = table.cell(row, link_i) if link_i is not None else ""
        title = (
            row.cells[title_i].strip() if title_i is not None and title_i < len(row.cells) else ""
        )
        urn = _URN.search(link)
        post = PostRow(
            external_id=urn.group(0)
            if urn
            else synthetic_id(permalink=link, published_at=published, text=title),
            published_at=published,
            format=FORMATS.get(table.cell(row, type_i).casefold(), "other")
            if type_i is not None
            else "other",
            text=title,
            permalink=link,
            is_paid=paid_i is not None and table.cell(row, paid_i).casefold() == "sponsored",
        )
        out.post(row.number, post, metrics.read(row))
    used = {i for i in (title_i, link_i, created_i, paid_i, type_i) if i is not None}
    out.warn(unused_columns_warning(table, metrics.used | used))


def _other_sheets(sheets: Sequence[Sheet], used: Sequence[Table], out: Collector) -> None:
    names = {table.sheet for table in used}
    left = [s.name for s in sheets if s.name not in names and not all(blank(r) for r in s.rows)]
    if left:
        out.warn(
            _("Sheets not imported (no daily or per-post numbers): %(sheets)s.")
            % {"sheets": ", ".join(left)}
        )


def content_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    posts, daily = _tables(sheets, ctx, posts_signature), _tables(sheets, ctx, daily_signature)
    for table in posts:
        _posts(table, ctx, out)
    for table in daily:
        _daily(table, out, DAILY_METRICS)
    _other_sheets(sheets, [*posts, *daily], out)


def followers_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    tables = _tables(sheets, ctx, followers_signature)[:1]
    for table in tables:
        _daily(table, out, FOLLOWER_METRICS)
    _other_sheets(sheets, tables, out)


def visitors_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    tables = _tables(sheets, ctx, visitors_signature)[:1]
    for table in tables:
        _daily(table, out, VISITOR_METRICS)
    _other_sheets(sheets, tables, out)
