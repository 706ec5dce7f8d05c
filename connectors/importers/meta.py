"""Meta Business Suite post exports (Insights → Content → Export), for Facebook and Instagram.

One row per post with lifetime counters: the ``Date`` column holds the literal ``Lifetime``.
``Publish time`` is ``MM/DD/YYYY HH:MM`` without an offset, read in the account's time zone.
Since 2024 (2025 for Facebook) the impressions column is called ``Views``; older files say
``Impressions``. A column name holds a comma (``"Reactions, Comments and Shares"``, the
post's interactions). Post types read ``Photos``, ``Videos``, ``Reels``, ``Links`` (Facebook)
or ``IG image``, ``IG carousel``, ``IG reel`` (Instagram). ``Seconds viewed`` becomes watch
time in minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.translation import gettext as _

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
from connectors.importers.core import ParseContext, Sheet, Table

FACEBOOK_METRICS = (
    MetricColumn("impressions", ("views", "impressions")),
    MetricColumn("reach", ("reach",)),
    MetricColumn("engagements", ("reactions, comments and shares",)),
    MetricColumn("likes", ("reactions",)),
    MetricColumn("comments", ("comments",)),
    MetricColumn("shares", ("shares",)),
    MetricColumn("clicks", ("total clicks",)),
    MetricColumn("watch_time_minutes", ("seconds viewed",), scale=1 / 60),
)
INSTAGRAM_METRICS = (
    MetricColumn("impressions", ("views", "impressions")),
    MetricColumn("reach", ("reach",)),
    MetricColumn("likes", ("likes",)),
    MetricColumn("comments", ("comments",)),
    MetricColumn("shares", ("shares",)),
    MetricColumn("saves", ("saves",)),
    MetricColumn("profile_visits", ("profile visits",)),
)
FORMATS = {
    "photo": "photo",
    "photos": "photo",
    "video": "video",
    "videos": "video",
    "reel": "reel",
    "reels": "reel",
    "link": "link",
    "links": "link",
    "text": "text",
    "status": "text",
    "live": "live",
    "story": "story",
    "stories": "story",
    "album": "carousel",
    "ig image": "photo",
    "ig carousel": "carousel",
    "ig reel": "reel",
    "ig video": "video",
    "ig story": "story",
}
FACEBOOK_COLUMNS = ("Post ID", "Page ID", "Publish time")
INSTAGRAM_COLUMNS = ("Post ID", "Account ID", "Publish time")
_LIFETIME = "lifetime"


def facebook_signature(keys: frozenset[str]) -> bool:
    return {"post id", "page id", "publish time"} <= keys


def instagram_signature(keys: frozenset[str]) -> bool:
    return {"post id", "account id", "publish time"} <= keys


def _parse(
    table: Table, ctx: ParseContext, out: Collector, *, metrics: Metrics, text_names: Sequence[str]
) -> None:
    id_i, time_i = table.find("post id"), table.find("publish time")
    link_i, type_i, date_i = table.find("permalink"), table.find("post type"), table.find("date")
    text_columns = [i for name in text_names if (i := table.find(name)) is not None]
    assert id_i is not None and time_i is not None
    dayfirst = column_dayfirst(table, time_i)
    for row in table.rows:
        out.read()
        if date_i is not None and table.cell(row, date_i).casefold() not in ("", _LIFETIME):
            raise table.error(
                row,
                date_i,
                _(
                    "“%(value)s”: Rapport reads the “Lifetime” export of posts. Export again "
                    "with lifetime values."
                )
                % {"value": table.cell(row, date_i)},
            )
        post_id = id_cell(table, row, id_i)
        when = date_cell(table, row, time_i, dayfirst=dayfirst)
        required(table, row, time_i, when)
        assert when is not None
        text = next(
            (
                row.cells[i].strip()
                for i in text_columns
                if i < len(row.cells) and row.cells[i].strip()
            ),
            "",
        )
        kind = table.cell(row, type_i).casefold() if type_i is not None else ""
        post = PostRow(
            external_id=post_id,
            published_at=when.datetime(ctx.timezone),
            format=FORMATS.get(kind, "other"),
            text=text,
            permalink=table.cell(row, link_i) if link_i is not None else "",
        )
        out.post(row.number, post, metrics.read(row))
    used = {i for i in (id_i, time_i, link_i, type_i, date_i, *text_columns) if i is not None}
    out.warn(unused_columns_warning(table, metrics.used | used))


def _parser(
    signature: Callable[[frozenset[str]], bool],
    columns: Sequence[MetricColumn],
    text_names: Sequence[str],
) -> Callable[[Sequence[Sheet], ParseContext, Collector], None]:
    def parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
        table = table_locate(sheets, signature, ctx)
        _parse(table, ctx, out, metrics=Metrics(table, columns), text_names=text_names)

    return parse


facebook_parse = _parser(facebook_signature, FACEBOOK_METRICS, ("description", "title"))
instagram_parse = _parser(instagram_signature, INSTAGRAM_METRICS, ("description",))
