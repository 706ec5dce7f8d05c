"""TikTok creator analytics exports (TikTok Studio → Analytics → Download data).

- Overview (``Date,Video Views,Profile Views,Likes,Comments,Shares``): one row per day.
- Content (``Video title,Video link,Post time,Total views,Total likes,…``): one row per video,
  lifetime counters.
- Follower history (``Date,Followers,Difference in followers from previous day``).

Traps: a byte-order mark, every value quoted, ``undefined`` where TikTok has no number yet
(missing, not zero), and dates without a year in the language of the account ("February 28",
"8 de marzo"). The year comes from the ``year`` option (the year of the file's first day; a
December → January turn moves to the next year), else the most recent years that put the last
day on or before today. ``Difference in followers from previous day`` is a net change, not the
followers gained, and is not imported; the follower count is.
"""

from __future__ import annotations

import datetime as dt
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
    table_locate,
    unused_columns_warning,
)
from connectors.importers.core import ImportFileError, ParseContext, Row, Sheet, Table
from connectors.importers.values import DateValue, year_resolve, years_resolve

OVERVIEW_METRICS = (
    MetricColumn("video_views", ("video views",)),
    MetricColumn("profile_visits", ("profile views",)),
    MetricColumn("likes", ("likes",)),
    MetricColumn("comments", ("comments",)),
    MetricColumn("shares", ("shares",)),
)
CONTENT_METRICS = (
    MetricColumn("video_views", ("total views",)),
    MetricColumn("likes", ("total likes",)),
    MetricColumn("comments", ("total comments",)),
    MetricColumn("shares", ("total shares",)),
    MetricColumn("saves", ("total saves", "total favorites", "total favourites")),
)
FOLLOWER_METRICS = (MetricColumn("followers", ("followers",)),)

OVERVIEW_COLUMNS = ("Date", "Video Views", "Profile Views")
CONTENT_COLUMNS = ("Video link", "Post time", "Total views")
FOLLOWERS_COLUMNS = ("Date", "Followers", "Difference in followers from previous day")
_VIDEO_ID = re.compile(r"/video/(\d+)")


def _has(*names: str) -> frozenset[str]:
    return frozenset(name.casefold() for name in names)


def overview_signature(keys: frozenset[str]) -> bool:
    return _has(*OVERVIEW_COLUMNS) <= keys


def content_signature(keys: frozenset[str]) -> bool:
    return _has(*CONTENT_COLUMNS) <= keys


def followers_signature(keys: frozenset[str]) -> bool:
    return _has(*FOLLOWERS_COLUMNS) <= keys


def _days(table: Table, ctx: ParseContext, out: Collector) -> list[tuple[Row, dt.date]]:
    """Each row with its calendar date, years filled in as the module docstring says."""
    date_i = table.find("date")
    assert date_i is not None
    dayfirst = column_dayfirst(table, date_i)
    values: list[tuple[Row, DateValue]] = []
    for row in table.rows:
        value = date_cell(table, row, date_i, dayfirst=dayfirst)
        required(table, row, date_i, value)
        assert value is not None
        values.append((row, value))
    yearless = [(row, value) for row, value in values if value.year is None]
    if ctx.year is not None:
        for row, value in yearless:
            try:
                value.date(ctx.year)
            except ValueError:
                raise table.error(
                    row,
                    date_i,
                    _("%(year)s has no such day; check the year given.") % {"year": ctx.year},
                ) from None
    try:
        resolved = years_resolve([v for _r, v in yearless], year=ctx.year, today=ctx.today)
    except ValueError as exc:
        raise ImportFileError(
            _("The dates have no year. %(reason)s Give the year of the first day.")
            % {"reason": exc}
        ) from None
    filled = {row.number: day for (row, _v), day in zip(yearless, resolved, strict=True)}
    if resolved and ctx.year is None:
        out.warn(
            _(
                "The dates have no year; they were read as %(first)s to %(last)s, the most recent "
                "dates not after today. Give the year of the first day if that is wrong."
            )
            % {"first": min(resolved).isoformat(), "last": max(resolved).isoformat()}
        )
    return [(row, filled.get(row.number) or value.date()) for row, value in values]


def _daily(
    sheets: Sequence[Sheet],
    ctx: ParseContext,
    out: Collector,
    *,
    signature: Callable[[frozenset[str]], bool],
    columns: Sequence[MetricColumn],
    explained: Sequence[str] = (),
) -> Table:
    table = table_locate(sheets, signature, ctx)
    metrics = Metrics(table, columns)
    for row, day in _days(table, ctx, out):
        out.read()
        out.day(row.number, day, metrics.read(row))
    used = {i for name in ("date", *explained) if (i := table.find(name)) is not None}
    out.warn(unused_columns_warning(table, metrics.used | used))
    return table


def overview_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    _daily(sheets, ctx, out, signature=overview_signature, columns=OVERVIEW_METRICS)


def followers_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = _daily(
        sheets,
        ctx,
        out,
        signature=followers_signature,
        columns=FOLLOWER_METRICS,
        explained=("difference in followers from previous day",),
    )
    difference = table.find("difference in followers from previous day")
    if difference is not None:
        out.warn(
            _(
                "“%(column)s” is a net change (gained minus lost), not the followers gained, so "
                "only the follower count was imported."
            )
            % {"column": table.columns[difference]}
        )


def content_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, content_signature, ctx)
    metrics = Metrics(table, CONTENT_METRICS)
    link_i, time_i = table.find("video link"), table.find("post time")
    title_i = table.find("video title")
    assert link_i is not None and time_i is not None
    dayfirst = column_dayfirst(table, time_i)
    for row in table.rows:
        out.read()
        value = date_cell(table, row, time_i, dayfirst=dayfirst)
        required(table, row, time_i, value)
        assert value is not None
        try:
            day = year_resolve(value, year=ctx.year, today=ctx.today)
        except ValueError as exc:
            raise table.error(row, time_i, str(exc)) from None
        published = value.datetime(ctx.timezone, day.year)
        link = table.cell(row, link_i)
        title = (
            row.cells[title_i].strip() if title_i is not None and title_i < len(row.cells) else ""
        )
        match = _VIDEO_ID.search(link)
        if match:
            post_id = match.group(1)
        else:
            post_id = synthetic_id(permalink=link, published_at=published, text=title)
        post = PostRow(
            external_id=post_id,
            published_at=published,
            format="video",
            text=title,
            permalink=link,
        )
        out.post(row.number, post, metrics.read(row))
    used = {i for i in (link_i, time_i, title_i) if i is not None}
    out.warn(unused_columns_warning(table, metrics.used | used))
