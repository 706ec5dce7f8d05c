"""Any CSV or XLSX file, read through a column mapping (``"Source column" → field``).

Fields: ``post_id``, ``published_at``, ``format``, ``paid``, ``text``, ``permalink``, ``date``
(``day`` is accepted as a synonym), or any canonical metric key.

- A file that maps any post field is post-level, and needs ``published_at``. Its metrics are
  lifetime counters, dated by ``date`` when mapped (one row per post and day), else by the
  snapshot rule (``snapshot``). Without ``post_id``, a post's id is made from its link
  (``url-<sha256 of the permalink>``), else from its publication time and text
  (``row-<sha256 of the UTC time and the text>``): the same row always gets the same id.
- Otherwise the file is account-level: one row per ``date``, its metrics the day's values.

A row whose identifying cell says ``Total`` is skipped, never imported as a post or a day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    synthetic_id,
)
from connectors.importers.core import ImportFileError, ParseContext, Row, Sheet, Table, header_key
from connectors.importers.reading import (
    HEADER_SCAN_ROWS,
    blank,
    columns_unique,
    header_guess,
    table_build,
)
from connectors.importers.values import year_resolve
from connectors.metrics import METRICS

POST_FIELDS = ("post_id", "published_at", "format", "paid", "text", "permalink")
FIELDS = (*POST_FIELDS, "date")
_SYNONYMS = {"day": "date"}
FORMAT_WORDS = {
    **{word: "photo" for word in ("photo", "photos", "image", "images", "picture", "ig image")},
    **{word: "video" for word in ("video", "videos", "ig video", "native video")},
    **{word: "reel" for word in ("reel", "reels", "ig reel")},
    **{word: "carousel" for word in ("carousel", "album", "ig carousel", "multi-image")},
    **{word: "story" for word in ("story", "stories", "ig story")},
    **{word: "text" for word in ("text", "status", "tweet")},
    **{word: "link" for word in ("link", "links")},
    **{word: "short" for word in ("short", "shorts")},
    **{word: "live" for word in ("live", "live video")},
    **{word: "article" for word in ("article", "articles")},
}
_TRUE = frozenset(
    {"yes", "y", "true", "1", "paid", "sponsored", "promoted", "boosted", "ad", "oui", "vrai"}
    | {"si", "sí", "ja"}
)
_FALSE = frozenset(("no", "n", "false", "0", "organic", "unpaid", "non", "faux", "nein"))
_TOTALS = frozenset({"total", "totals", "total:", "grand total"})


def _field(target: str) -> str:
    key = target.strip()
    key = _SYNONYMS.get(key.casefold(), key)
    if key not in FIELDS and key not in METRICS:
        raise ImportFileError(
            _("“%(target)s” is not a field Rapport knows. Map columns to one of: %(fields)s.")
            % {"target": target, "fields": ", ".join((*FIELDS, *METRICS))}
        )
    return key


def _locate(sheets: Sequence[Sheet], sources: Sequence[str], ctx: ParseContext) -> Table:
    wanted = {header_key(source) for source in sources}
    for sheet in sheets:
        for index, cells in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
            if not blank(cells) and wanted <= {header_key(n) for n in columns_unique(cells)}:
                return table_build(sheet, index, max_rows=ctx.max_rows)
    header = header_guess(sheets)
    keys = {header_key(name) for name in header}
    missing = [source for source in sources if header_key(source) not in keys]
    raise ImportFileError(
        _("The file has no column %(missing)s. Its columns are: %(columns)s.")
        % {
            "missing": ", ".join(f"“{name}”" for name in missing),
            "columns": ", ".join(header) or _("(none)"),
        }
    )


def parse(sheets: Sequence[Sheet], ctx: ParseContext, out: Collector) -> None:
    if not ctx.mapping:
        raise ImportFileError(
            _(
                "A generic import needs a column mapping: say which column holds the date or the "
                "post, and which hold metrics (for example “Impressions=impressions”)."
            )
        )
    fields: dict[str, str] = {}
    for source, target in ctx.mapping.items():
        field = _field(target)
        if field in fields.values():
            raise ImportFileError(
                _("Two columns are mapped to “%(field)s”; map one column to each field.")
                % {"field": field}
            )
        fields[source] = field
    table = _locate(sheets, list(fields), ctx)
    index = {field: table.find(source) for source, field in fields.items()}
    columns = {field: i for field, i in index.items() if i is not None}
    metric_columns = [
        MetricColumn(field, (table.columns[i],)) for field, i in columns.items() if field in METRICS
    ]
    metrics = Metrics(table, metric_columns)
    if set(columns) & set(POST_FIELDS):
        _posts(table, ctx, out, columns, metrics)
    elif "date" in columns:
        if not metric_columns:
            raise ImportFileError(
                _("Map at least one column to a metric, or columns to post fields.")
            )
        _days(table, out, columns, metrics)
    else:
        raise ImportFileError(
            _(
                "The mapping says neither which column holds the date (date) nor which hold "
                "the posts (post_id, published_at, permalink…)."
            )
        )


def _is_total(table: Table, row: Row, index: int | None) -> bool:
    return index is not None and table.cell(row, index).casefold() in _TOTALS


def _days(table: Table, out: Collector, columns: Mapping[str, int], metrics: Metrics) -> None:
    date_i = columns["date"]
    dayfirst = column_dayfirst(table, date_i)
    for row in table.rows:
        out.read()
        if _is_total(table, row, date_i):
            out.skip(row.number, _("“Total” row: a sum, not a day."))
            continue
        value = date_cell(table, row, date_i, dayfirst=dayfirst)
        required(table, row, date_i, value)
        assert value is not None
        try:
            day = year_resolve(value, year=out.ctx.year, today=out.ctx.today)
        except ValueError as exc:
            raise table.error(row, date_i, str(exc)) from None
        out.day(row.number, day, metrics.read(row))


def _bool(table: Table, row: Row, index: int) -> bool:
    value = table.cell(row, index).casefold()
    if value in _TRUE:
        return True
    if value in _FALSE or not value:
        return False
    raise table.error(
        row,
        index,
        _("“%(value)s” is not yes or no (paid, sponsored, organic… are understood too).")
        % {"value": table.cell(row, index)},
    )


def _posts(
    table: Table, ctx: ParseContext, out: Collector, columns: Mapping[str, int], metrics: Metrics
) -> None:
    if "published_at" not in columns:
        raise ImportFileError(
            _(
                "Posts need their publication time: map a column to published_at "
                "(a date, or a date and time)."
            )
        )
    time_i = columns["published_at"]
    id_i, date_i = columns.get("post_id"), columns.get("date")
    link_i, text_i = columns.get("permalink"), columns.get("text")
    format_i, paid_i = columns.get("format"), columns.get("paid")
    dayfirst = column_dayfirst(table, time_i)
    date_dayfirst = column_dayfirst(table, date_i)
    if id_i is None:
        out.warn(
            _("The file has no post ids: each post's id was made from its %(source)s.")
            % {"source": _("link") if link_i is not None else _("publication time and text")}
        )
    for row in table.rows:
        out.read()
        if _is_total(table, row, id_i if id_i is not None else time_i):
            out.skip(row.number, _("“Total” row: a sum, not a post."))
            continue
        value = date_cell(table, row, time_i, dayfirst=dayfirst)
        required(table, row, time_i, value)
        assert value is not None
        try:
            year = year_resolve(value, year=ctx.year, today=ctx.today).year
        except ValueError as exc:
            raise table.error(row, time_i, str(exc)) from None
        published = value.datetime(ctx.timezone, year)
        text = row.cells[text_i].strip() if text_i is not None and text_i < len(row.cells) else ""
        link = table.cell(row, link_i) if link_i is not None else ""
        if id_i is not None:
            post_id = id_cell(table, row, id_i)
        else:
            post_id = synthetic_id(permalink=link, published_at=published, text=text)
        kind = table.cell(row, format_i).casefold() if format_i is not None else ""
        post = PostRow(
            external_id=post_id,
            published_at=published,
            format=FORMAT_WORDS.get(kind, "other"),
            text=text,
            permalink=link,
            is_paid=_bool(table, row, paid_i) if paid_i is not None else False,
        )
        if date_i is None:
            out.post(row.number, post, metrics.read(row))
            continue
        read_on = date_cell(table, row, date_i, dayfirst=date_dayfirst)
        required(table, row, date_i, read_on)
        assert read_on is not None
        try:
            day = year_resolve(read_on, year=ctx.year, today=ctx.today)
        except ValueError as exc:
            raise table.error(row, date_i, str(exc)) from None
        out.post_add(row.number, post)
        out.snapshot(row.number, post_id, day, metrics.read(row))
