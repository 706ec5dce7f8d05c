"""What every format parser shares: reading typed cells with their location in errors, metric
columns bound to a table, and the ``Collector`` that gathers rows into a ``ParsedFile``."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from connectors.base import AccountMetricRow, PostMetricRow, PostRow
from connectors.importers.core import (
    ImportFileError,
    ParseContext,
    ParsedFile,
    Row,
    Sheet,
    SkippedRow,
    Table,
)
from connectors.importers.reading import header_find, table_build
from connectors.importers.snapshot import snapshot_day
from connectors.importers.values import DateValue, date_parse, dayfirst_guess, number_parse

# A long id that went through a spreadsheet program comes back rounded: "1.09112E+18".
_ROUNDED_ID = re.compile(r"^\d(?:[.,]\d+)?E\+?\d+$", re.IGNORECASE)


def table_locate(
    sheets: Sequence[Sheet], signature: Callable[[frozenset[str]], bool], ctx: ParseContext
) -> Table:
    """The table whose header satisfies ``signature``, in the first sheet that has one."""
    found = header_find(sheets, signature)
    if found is None:
        raise ImportFileError(_("The file has no header row with the columns this format needs."))
    sheet, index = found
    return table_build(sheet, index, max_rows=ctx.max_rows)


def id_cell(table: Table, row: Row, index: int) -> str:
    """A post id, required, and refused when a spreadsheet program has rounded it."""
    value = table.cell(row, index)
    required(table, row, index, value)
    if _ROUNDED_ID.match(value):
        raise table.error(
            row,
            index,
            _(
                "the id “%(value)s” was rounded by a spreadsheet program. Export the file again "
                "and import it without opening and saving it in Excel."
            )
            % {"value": value},
        )
    return value


def synthetic_id(
    *, permalink: str = "", published_at: dt.datetime | None = None, text: str = ""
) -> str:
    """A stable post id for a file that has none: from the link when there is one (``url-…``),
    else from the publication time and text (``row-…``). The same post always gets the same id,
    so importing the file again finds it."""
    if permalink:
        source, prefix = permalink.strip(), "url"
    else:
        moment = published_at.astimezone(dt.UTC).isoformat() if published_at else ""
        source, prefix = f"{moment}\n{text.strip()}", "row"
    return f"{prefix}-{hashlib.sha256(source.encode()).hexdigest()[:32]}"


def number_cell(table: Table, row: Row, index: int) -> float | None:
    try:
        return number_parse(table.cell(row, index))
    except ValueError as exc:
        raise table.error(row, index, str(exc)) from None


def date_cell(table: Table, row: Row, index: int, *, dayfirst: bool = False) -> DateValue | None:
    try:
        return date_parse(table.cell(row, index), dayfirst=dayfirst)
    except ValueError as exc:
        raise table.error(row, index, str(exc)) from None


def column_dayfirst(table: Table, index: int | None) -> bool:
    if index is None:
        return False
    return dayfirst_guess([table.cell(row, index) for row in table.rows])


def required(table: Table, row: Row, index: int, value: object) -> None:
    if value is None or value == "":
        raise table.error(row, index, _("the cell is empty, and this column is needed."))


@dataclass(frozen=True)
class MetricColumn:
    """Where a canonical metric is in an export: the first of ``names`` present; ``extras``
    (paid or promoted counterparts) are added to it when they hold a number; ``scale`` converts
    units (hours to minutes)."""

    metric: str
    names: tuple[str, ...]
    extras: tuple[str, ...] = ()
    scale: float = 1.0


class Metrics:
    """Metric columns bound to one table's header."""

    def __init__(self, table: Table, columns: Sequence[MetricColumn]) -> None:
        self.table = table
        self.bound: list[tuple[str, int, tuple[int, ...], float]] = []
        for column in columns:
            index = table.find(*column.names)
            if index is None or column.metric in self.metrics:
                continue
            extras = tuple(i for name in column.extras if (i := table.find(name)) is not None)
            self.bound.append((column.metric, index, extras, column.scale))

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(metric for metric, *_rest in self.bound)

    @property
    def used(self) -> set[int]:
        return {i for _m, index, extras, _s in self.bound for i in (index, *extras)}

    def read(self, row: Row) -> dict[str, float]:
        """The row's metrics; a missing cell leaves its metric out (missing is not zero)."""
        values: dict[str, float] = {}
        for metric, index, extras, scale in self.bound:
            value = number_cell(self.table, row, index)
            if value is None:
                continue
            for extra in extras:
                value += number_cell(self.table, row, extra) or 0.0
            # Rounded so that hours times 60 reads back as the minutes a person would compute.
            values[metric] = round(value * scale, 6) if scale != 1.0 else value
        return values

    def extras_positive(self, row: Row) -> bool:
        """Whether a paid or promoted counterpart holds a number above zero."""
        return any(
            (number_cell(self.table, row, extra) or 0.0) > 0
            for _m, _i, extras, _s in self.bound
            for extra in extras
        )


def unused_columns_warning(table: Table, used: Iterable[int]) -> str | None:
    """A sentence naming the columns that were not imported, so nobody wonders where they went."""
    taken = set(used)
    left = [name for index, name in enumerate(table.columns) if index not in taken]
    if not left:
        return None
    return _("Columns not imported (no matching metric in Rapport): %(columns)s.") % {
        "columns": ", ".join(left)
    }


class Collector:
    """Gathers what a parser reads, row by row, and builds the ``ParsedFile``.

    Posts are keyed by external id and days by date; a repeat is skipped and said so. Lifetime
    counters wait for the snapshot day, decided once the whole file is read.
    """

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.rows_read = 0
        self.latest: dt.date | None = None
        self._posts: dict[str, tuple[int, PostRow]] = {}
        self._lifetime: dict[str, dict[str, float]] = {}
        self._snapshots: dict[tuple[str, dt.date], tuple[int, dict[str, float]]] = {}
        self._days: dict[dt.date, tuple[int, dict[str, float]]] = {}
        self._skipped: list[SkippedRow] = []
        self._warnings: list[str] = []

    def read(self, count: int = 1) -> None:
        self.rows_read += count

    def see(self, day: dt.date) -> None:
        self.latest = day if self.latest is None else max(self.latest, day)

    def skip(self, row: int, reason: str) -> None:
        self._skipped.append(SkippedRow(row=row, reason=reason))

    def warn(self, message: str | None) -> None:
        if message and message not in self._warnings:
            self._warnings.append(message)

    def post_add(self, row: int, post: PostRow) -> bool:
        """Keep ``post``; False when its id was already kept (by an earlier row)."""
        if post.external_id in self._posts:
            return False
        self._posts[post.external_id] = (row, post)
        self.see(post.published_at.astimezone(self.ctx.timezone).date())
        return True

    def post_row(self, post_id: str) -> int:
        return self._posts[post_id][0]

    def post_published(self, post_id: str) -> dt.datetime:
        return self._posts[post_id][1].published_at

    def post(self, row: int, post: PostRow, lifetime: Mapping[str, float]) -> None:
        """A post of a lifetime export with its counters; a repeated post id is skipped."""
        if not self.post_add(row, post):
            self.skip(
                row,
                _("The same post (%(id)s) as row %(first)s; the first one is kept.")
                % {"id": post.external_id, "first": self.post_row(post.external_id)},
            )
            return
        self._lifetime[post.external_id] = dict(lifetime)

    def snapshot(self, row: int, post_id: str, day: dt.date, values: Mapping[str, float]) -> None:
        """A post's counters as they stood on ``day`` (a dated row of the file)."""
        if (post_id, day) in self._snapshots:
            first = self._snapshots[(post_id, day)][0]
            self.skip(
                row,
                _("The same post and day as row %(first)s; the first one is kept.")
                % {"first": first},
            )
            return
        self.see(day)
        if values:
            self._snapshots[(post_id, day)] = (row, dict(values))

    def day(self, row: int, day: dt.date, values: Mapping[str, float]) -> None:
        """The account's values on ``day``. A row with no value at all is skipped."""
        if day in self._days:
            self.skip(
                row,
                _("The same day (%(day)s) as row %(first)s; the first one is kept.")
                % {"day": day.isoformat(), "first": self._days[day][0]},
            )
            return
        self.see(day)
        if not values:
            self.skip(row, _("No values on this row: every cell is empty or marked missing."))
            return
        self._days[day] = (row, dict(values))

    def result(self, *, format: str, label: str, platform: str) -> ParsedFile:
        post_metrics = [
            PostMetricRow(post_id, day, metric, value)
            for (post_id, day), (_row, values) in self._snapshots.items()
            for metric, value in sorted(values.items())
        ]
        warnings = list(self._warnings)
        if any(self._lifetime.values()):
            day, note = snapshot_day(
                filename=self.ctx.filename,
                latest=self.latest,
                today=self.ctx.today,
                tz=self.ctx.timezone,
                as_of=self.ctx.as_of,
            )
            warnings.insert(0, note)
            post_metrics.extend(
                PostMetricRow(post_id, day, metric, value)
                for post_id, values in self._lifetime.items()
                for metric, value in sorted(values.items())
            )
        account_metrics = [
            AccountMetricRow(day, metric, value)
            for day, (_row, values) in sorted(self._days.items())
            for metric, value in sorted(values.items())
        ]
        if self.rows_read == 0:
            raise ImportFileError(_("The file has a header but no data rows."))
        return ParsedFile(
            format=format,
            format_label=label,
            platform=platform,
            posts=tuple(post for _row, post in self._posts.values()),
            post_metrics=tuple(post_metrics),
            account_metrics=tuple(account_metrics),
            rows_read=self.rows_read,
            skipped=tuple(sorted(self._skipped, key=lambda s: s.row)),
            warnings=tuple(warnings),
        )


@dataclass(frozen=True)
class Format:
    """A native export format: how to recognise its header and how to read it."""

    key: str
    label: Promise
    platform: str
    signature: Callable[[frozenset[str]], bool]
    parse: Callable[[Sequence[Sheet], ParseContext, Collector], None]
    # The header names that identify it, quoted in the error when a file is forced to it.
    columns: tuple[str, ...]
    # A looser signature accepted when the format is chosen rather than detected.
    accepts: Callable[[frozenset[str]], bool] | None = None
