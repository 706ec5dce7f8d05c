"""YouTube Studio exports (Analytics → Advanced mode → Export): Table data, Chart data, Totals.

Columns depend on the metrics picked in Studio, so everything is read by header name. Traps:

- Table data opens with a ``Total`` row that is not the sum of the rows and is not a video;
- ``Content`` holds the video id, sometimes with a leading space (``" -HHGH-TTqYM"``);
- ``Video publish time`` is written ``Apr 29, 2020``; ``Watch time (hours)`` becomes minutes;
- ``Subscribers`` is a net change (gained minus lost, negative on some rows). Rapport keeps
  followers gained and lost apart, and a net figure cannot be split, so it is not imported;
  ``Subscribers gained`` and ``Subscribers lost``, when the export has them, are;
- blank cells are missing values.

Table data holds totals over the period chosen in Studio; they are stored as the videos'
lifetime counters (see ``snapshot``), which they are when the period is "Lifetime". Chart data
holds daily values per video: a running sum is a lifetime counter only when the file starts no
later than the video's publication, so older videos keep their details but not those numbers.
Counters at video level do not include followers gained or lost (a channel-level notion).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connectors.base import PostRow
from connectors.importers.collect import (
    Collector,
    MetricColumn,
    Metrics,
    column_dayfirst,
    date_cell,
    id_cell,
    required,
    table_locate,
    unused_columns_warning,
)
from connectors.importers.core import ImportFileError, ParseContext, Row, Sheet, Table

VIDEO_METRICS = (
    MetricColumn("video_views", ("views",)),
    MetricColumn("watch_time_minutes", ("watch time (hours)",), scale=60.0),
    MetricColumn("watch_time_minutes", ("watch time (minutes)",)),
    MetricColumn("impressions", ("impressions",)),
    MetricColumn("likes", ("likes",)),
    MetricColumn("comments", ("comments added", "comments")),
    MetricColumn("shares", ("shares",)),
)
CHANNEL_METRICS = (
    *VIDEO_METRICS,
    MetricColumn("followers_gained", ("subscribers gained",)),
    MetricColumn("followers_lost", ("subscribers lost",)),
)
# Studio's metric headers: a file of "Date" and only these is a Totals (or per-day Chart) export.
_STUDIO_HEADERS = frozenset(
    name.casefold()
    for name in (
        "Views", "Watch time (hours)", "Subscribers", "Subscribers gained", "Subscribers lost",
        "Impressions", "Impressions click-through rate (%)", "Likes", "Dislikes",
        "Comments added", "Shares", "Average view duration", "Average percentage viewed (%)",
        "Unique viewers", "New viewers", "Returning viewers", "Regular viewers",
        "Casual viewers", "Engaged views", "Stayed to watch (%)", "Average views per viewer",
        "Estimated revenue (USD)", "Your estimated revenue (USD)", "RPM (USD)", "CPM (USD)",
        "Subscribers gained from video", "Watch time (minutes)",
    )
)  # fmt: skip
_MAPPED = frozenset(
    name for column in CHANNEL_METRICS for name in column.names if name in _STUDIO_HEADERS
)
_TOTAL = "total"

TABLE_COLUMNS = ("Content", "Video title")
CHART_COLUMNS = ("Date", "Content")
TOTALS_COLUMNS = ("Date", "Views")


def table_signature(keys: frozenset[str]) -> bool:
    return {"content", "video title"} <= keys and "date" not in keys


def chart_signature(keys: frozenset[str]) -> bool:
    return {"date", "content"} <= keys


def totals_signature(keys: frozenset[str]) -> bool:
    rest = keys - {"date"}
    return "date" in keys and bool(rest) and rest <= _STUDIO_HEADERS and bool(rest & _MAPPED)


def chart_or_daily_signature(keys: frozenset[str]) -> bool:
    """Chart data per video, or of the channel alone (then shaped like Totals)."""
    return chart_signature(keys) or totals_signature(keys)


def _net_warning(table: Table) -> str | None:
    if table.find("subscribers") is None:
        return None
    if table.find("subscribers gained") is not None:
        return _(
            "“Subscribers” is YouTube's net change (gained minus lost) and was not imported; "
            "“Subscribers gained” and “Subscribers lost” were."
        )
    return _(
        "“Subscribers” is YouTube's net change (gained minus lost) and was not imported: "
        "Rapport stores followers gained and lost separately. Add “Subscribers gained” and "
        "“Subscribers lost” to the export in YouTube Studio to import them."
    )


def _described(table: Table, *names: str) -> set[int]:
    # Columns read for the post itself, or explained by a warning of their own.
    return {i for name in (*names, "subscribers") if (i := table.find(name)) is not None}


def _video(table: Table, ctx: ParseContext, row: Row, published: dt.datetime) -> PostRow:
    id_i, title_i = table.find("content"), table.find("video title")
    assert id_i is not None
    video_id = id_cell(table, row, id_i)
    return PostRow(
        external_id=video_id,
        published_at=published,
        format="video",
        text=table.cell(row, title_i) if title_i is not None else "",
        permalink=f"https://www.youtube.com/watch?v={video_id}",
    )


def _is_total(table: Table, row: Row) -> bool:
    index = table.find("content")
    return index is not None and table.cell(row, index).casefold() == _TOTAL


def _published(
    table: Table, ctx: ParseContext, out: Collector, row: Row, dayfirst: bool
) -> dt.datetime | None:
    index = table.find("video publish time")
    if index is None:
        raise ImportFileError(
            _(
                "This YouTube export has no “Video publish time” column, which Rapport needs to "
                "place each video in time. Export it again with that column."
            )
        )
    value = date_cell(table, row, index, dayfirst=dayfirst)
    if value is None:
        out.skip(row.number, _("No publish time: YouTube leaves it empty for deleted videos."))
        return None
    return value.datetime(ctx.timezone)


def table_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, table_signature, ctx)
    metrics = Metrics(table, VIDEO_METRICS)
    dayfirst = column_dayfirst(table, table.find("video publish time"))
    for row in table.rows:
        out.read()
        if _is_total(table, row):
            out.skip(
                row.number,
                _("“Total” row: the channel's total for the period, not a video."),
            )
            continue
        published = _published(table, ctx, out, row, dayfirst)
        if published is not None:
            out.post(row.number, _video(table, ctx, row, published), metrics.read(row))
    out.warn(
        _(
            "YouTube Studio exports totals for the period chosen in Studio; they are stored as "
            "each video's lifetime numbers, so export with the period set to “Lifetime”."
        )
    )
    out.warn(_net_warning(table))
    used = _described(table, "content", "video title", "video publish time")
    out.warn(unused_columns_warning(table, metrics.used | used))


def totals_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, totals_signature, ctx)
    _daily(table, ctx, out)


def _daily(table: Table, ctx: ParseContext, out: Collector) -> None:
    metrics = Metrics(table, CHANNEL_METRICS)
    date_i = table.find("date")
    assert date_i is not None
    dayfirst = column_dayfirst(table, date_i)
    for row in table.rows:
        out.read()
        if table.cell(row, date_i).casefold() == _TOTAL:
            out.skip(row.number, _("“Total” row: a sum over the period, not a day."))
            continue
        value = date_cell(table, row, date_i, dayfirst=dayfirst)
        required(table, row, date_i, value)
        assert value is not None
        out.day(row.number, value.date(), metrics.read(row))
    out.warn(_net_warning(table))
    out.warn(unused_columns_warning(table, metrics.used | _described(table, "date")))


def chart_parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    """Chart data: per day and video when it has ``Content``, else per day for the channel."""
    table = table_locate(sheets, chart_or_daily_signature, ctx)
    if table.find("content") is None:
        _daily(table, ctx, out)
        return
    metrics = Metrics(table, VIDEO_METRICS)
    date_i = table.find("date")
    assert date_i is not None
    dayfirst = column_dayfirst(table, date_i)
    publish_dayfirst = column_dayfirst(table, table.find("video publish time"))
    series: dict[str, list[tuple[dt.date, Row]]] = defaultdict(list)
    first_day: dt.date | None = None
    for row in table.rows:
        out.read()
        if _is_total(table, row):
            out.skip(row.number, _("“Total” row: the channel's total for the day, not a video."))
            continue
        value = date_cell(table, row, date_i, dayfirst=dayfirst)
        required(table, row, date_i, value)
        assert value is not None
        day = value.date()
        first_day = day if first_day is None else min(first_day, day)
        published = _published(table, ctx, out, row, publish_dayfirst)
        if published is None:
            continue
        video = _video(table, ctx, row, published)
        out.post_add(row.number, video)
        series[video.external_id].append((day, row))

    older = 0
    for video_id, days in series.items():
        published_day = _published_day(out, video_id, ctx)
        if first_day is None or published_day < first_day:
            older += 1
            continue
        _running_sums(table, metrics, out, video_id, sorted(days, key=lambda item: item[0]))
    if older:
        out.warn(
            ngettext(
                "%(count)s video was published before the file's first day (%(day)s): its "
                "daily numbers cannot be added up into a lifetime total, so only the video was "
                "imported. Import Table data (period “Lifetime”) for its totals.",
                "%(count)s videos were published before the file's first day (%(day)s): their "
                "daily numbers cannot be added up into lifetime totals, so only the videos were "
                "imported. Import Table data (period “Lifetime”) for their totals.",
                older,
            )
            % {"count": older, "day": first_day.isoformat() if first_day else ""}
        )
    out.warn(_net_warning(table))
    used = _described(table, "date", "content", "video title", "video publish time")
    out.warn(unused_columns_warning(table, metrics.used | used))


def _published_day(out: Collector, video_id: str, ctx: ParseContext) -> dt.date:
    return out.post_published(video_id).astimezone(ctx.timezone).date()


def _running_sums(
    table: Table,
    metrics: Metrics,
    out: Collector,
    video_id: str,
    days: list[tuple[dt.date, Row]],
) -> None:
    totals: dict[str, float] = {}
    stopped: set[str] = set()
    seen: dict[dt.date, int] = {}
    for day, row in days:
        if day in seen:
            out.skip(
                row.number,
                _("The same video and day as row %(first)s; the first one is kept.")
                % {"first": seen[day]},
            )
            continue
        seen[day] = row.number
        values = metrics.read(row)
        for metric in metrics.metrics:
            if metric in stopped:
                continue
            if metric not in values:
                # A missing day breaks the running sum: later totals would be too low.
                stopped.add(metric)
                totals.pop(metric, None)
                continue
            totals[metric] = totals.get(metric, 0.0) + values[metric]
        out.snapshot(row.number, video_id, day, dict(totals))
