"""Types shared by the file importers: the parse result, its error, and a sheet's table of cells.

Every importer reads bytes into ``Sheet`` grids (``reading``), finds its header row and turns the
grid into a ``Table`` of text cells with 1-based row numbers as a spreadsheet shows them, then
feeds a ``Collector``, which keeps the rows of the connector contract (``connectors.base``) and
what was skipped, and hands back a ``ParsedFile``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from connectors.base import AccountMetricRow, PostMetricRow, PostRow


class ImportFileError(Exception):
    """A file that cannot be imported. The message is for the person who exported it: it says
    what is wrong and, where known, in which 1-based ``row`` (as a spreadsheet numbers it) and
    ``column`` (the header's name)."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


def cell_error(*, row: int, column: str, reason: str, sheet: str = "") -> ImportFileError:
    """An ``ImportFileError`` whose message starts with where the bad cell is."""
    if sheet:
        where = _("Sheet “%(sheet)s”, row %(row)s, column “%(column)s”") % {
            "sheet": sheet,
            "row": row,
            "column": column,
        }
    else:
        where = _("Row %(row)s, column “%(column)s”") % {"row": row, "column": column}
    return ImportFileError(f"{where}: {reason}", row=row, column=column)


@dataclass(frozen=True)
class SkippedRow:
    """A data row of the file that was read but not imported, and why."""

    row: int
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    """What a file holds, in the canonical vocabulary, ready for the upsert services.

    ``posts`` with their ``post_metrics`` (lifetime counters dated by the snapshot rule of
    ``connectors.importers.snapshot``) and ``account_metrics`` (daily values). ``rows_read``
    counts the data rows read (headers, description rows and blank lines excluded).
    """

    format: str
    format_label: str
    platform: str
    posts: tuple[PostRow, ...]
    post_metrics: tuple[PostMetricRow, ...]
    account_metrics: tuple[AccountMetricRow, ...]
    rows_read: int
    skipped: tuple[SkippedRow, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    """Every row of one CSV file or one worksheet, as text; row ``i`` is spreadsheet row i+1."""

    name: str
    rows: tuple[tuple[str, ...], ...]


def header_key(name: str) -> str:
    """How header names are compared: case, spacing and line breaks inside a cell do not count."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, as the spreadsheet shows it
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A header and the data rows under it. Repeated header names are made unique in order of
    appearance (``Views``, ``Views (2)``…), so a mapping can name each one."""

    sheet: str
    columns: tuple[str, ...]
    header_row: int
    rows: tuple[Row, ...]

    @cached_property
    def _keys(self) -> dict[str, int]:
        keys: dict[str, int] = {}
        for index, column in enumerate(self.columns):
            keys.setdefault(header_key(column), index)
        return keys

    def find(self, *names: str) -> int | None:
        """The index of the first of ``names`` present (compared with ``header_key``)."""
        for name in names:
            index = self._keys.get(header_key(name))
            if index is not None:
                return index
        return None

    def cell(self, row: Row, index: int) -> str:
        return row.cells[index].strip() if index < len(row.cells) else ""

    def error(self, row: Row, index: int, reason: str) -> ImportFileError:
        return cell_error(
            row=row.number, column=self.columns[index], reason=reason, sheet=self.sheet
        )


@dataclass(frozen=True)
class ParseContext:
    """What a parser needs besides the cells: the options of the import."""

    filename: str
    timezone: ZoneInfo
    today: dt.date
    year: int | None = None
    mapping: Mapping[str, str] | None = None
    as_of: dt.date | None = None
    max_rows: int = 200_000
