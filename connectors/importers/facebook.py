"""Facebook Page Insights legacy post-level export ("Facebook Insights Data Export (Post Level)").

One row per post with lifetime counters, under a second header row that describes each metric
("Lifetime: The total number of people your Page post was served to. (Unique Users)"); that row
is not data. Some names repeat (``Lifetime Organic Video Views`` twice: once as a total count,
once as unique users); the descriptions say which is which, and the total count is the one
read. ``Posted`` is ``01/19/2017 09:03:47 AM``, without an offset: it is read in the
account's time zone.

Mapping: total reach → reach, total impressions → impressions, engaged users → engagements,
post consumptions (clicks anywhere in the post) → clicks, stories by action type (like, comment,
share) → likes, comments, shares, organic plus paid video views → video views. A post with paid
reach or paid impressions is marked paid.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.base import PostRow
from connectors.importers.collect import (
    Collector,
    MetricColumn,
    Metrics,
    column_dayfirst,
    date_cell,
    id_cell,
    number_cell,
    required,
    table_locate,
    unused_columns_warning,
)
from connectors.importers.core import ParseContext, Sheet, Table, header_key
from connectors.importers.reading import header_find

COLUMNS = ("Post ID", "Posted", "Lifetime Post Total Reach")
FORMATS = {
    "photo": "photo",
    "video": "video",
    "shared video": "video",
    "link": "link",
    "status": "text",
}


def signature(keys: frozenset[str]) -> bool:
    return {"post id", "posted"} <= keys and any(k.startswith("lifetime post") for k in keys)


def _total_count_column(sheets: Sequence[Sheet], table: Table, name: str) -> str:
    """Of the columns called ``name`` (``name``, ``name (2)``…), the one the description row
    calls a total count; the first one when there is no description."""
    found = header_find(sheets, signature)
    if found is None:
        return name
    sheet, index = found
    below = sheet.rows[index + 1] if index + 1 < len(sheet.rows) else ()
    candidates = [i for i, column in enumerate(table.columns) if _base(column) == header_key(name)]
    for i in candidates:
        if i < len(below) and "(total count)" in below[i].casefold():
            return table.columns[i]
    return table.columns[candidates[0]] if candidates else name


def _base(column: str) -> str:
    key = header_key(column)
    head, _sep, tail = key.rpartition(" (")
    return head if head and tail.rstrip(")").isdigit() else key


def parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    table = table_locate(sheets, signature, ctx)

    def total(name: str) -> tuple[str]:
        return (_total_count_column(sheets, table, name),)

    metrics = Metrics(
        table,
        (
            MetricColumn("reach", ("lifetime post total reach",)),
            MetricColumn("impressions", ("lifetime post total impressions",)),
            MetricColumn("engagements", ("lifetime engaged users",)),
            MetricColumn("clicks", ("lifetime post consumptions",)),
            MetricColumn("likes", ("lifetime post stories by action type - like",)),
            MetricColumn("comments", ("lifetime post stories by action type - comment",)),
            MetricColumn("shares", ("lifetime post stories by action type - share",)),
            MetricColumn(
                "video_views",
                total("Lifetime Organic Video Views"),
                extras=total("Lifetime Paid Video Views"),
            ),
        ),
    )
    id_i, posted_i = table.find("post id"), table.find("posted")
    link_i, text_i, type_i = table.find("permalink"), table.find("post message"), table.find("type")
    paid = [
        i
        for i in (
            table.find("lifetime post paid reach"),
            table.find("lifetime post paid impressions"),
        )
        if i is not None
    ]
    assert id_i is not None and posted_i is not None
    dayfirst = column_dayfirst(table, posted_i)
    for row in table.rows:
        out.read()
        post_id = id_cell(table, row, id_i)
        when = date_cell(table, row, posted_i, dayfirst=dayfirst)
        required(table, row, posted_i, when)
        assert when is not None
        kind = table.cell(row, type_i).casefold() if type_i is not None else ""
        text = row.cells[text_i].strip() if text_i is not None and text_i < len(row.cells) else ""
        post = PostRow(
            external_id=post_id,
            published_at=when.datetime(ctx.timezone),
            format=FORMATS.get(kind, "other"),
            text=text,
            permalink=table.cell(row, link_i) if link_i is not None else "",
            is_paid=metrics.extras_positive(row)
            or any((number_cell(table, row, i) or 0) > 0 for i in paid),
        )
        out.post(row.number, post, metrics.read(row))
    used = {i for i in (id_i, posted_i, link_i, text_i, type_i, *paid) if i is not None}
    out.warn(unused_columns_warning(table, metrics.used | used))
