"""The data behind a report, as an XLSX workbook or a zip of CSV files.

Both formats hold the same things: a first "Report" sheet (``report.csv`` in the zip) that says
what the data covers (title, period, comparison, scope, when it was made, the KPI versions and
the data freshness used) and then one sheet (one CSV) per ``ReportTable`` of the document, in
section order, its headers as the builder translated them.

Every text cell goes through ``connectors.exports.cell_safe``, so a post text such as
``=HYPERLINK(…)`` stays text in Excel, LibreOffice and Google Sheets; numbers stay numbers and
dates stay dates (XLSX) or ISO 8601 (CSV).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from connectors.exports import cell_safe
from dashboards.reports.document import ReportDocument, ReportTable

Value = str | int | float | bool | dt.date | dt.datetime | None
Row = list[Value]


class Heading(list[Value]):
    """A row of the summary that heads a group (drawn bold)."""


SHEET_NAME_MAX = 31
# Excel rejects these in sheet names; "History" is reserved by Excel for change tracking.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_RESERVED = {"history"}
# Excel's limit for one cell's text.
CELL_TEXT_MAX = 32767
# Lone surrogates cannot be encoded as UTF-8; XML 1.0 forbids U+FFFE and U+FFFF.
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_WIDTH_SAMPLE_ROWS = 200
_WIDTH_MIN, _WIDTH_MAX = 8, 60
_HEADER_FILL = PatternFill("solid", fgColor="E6E8EC")
_BOLD = Font(bold=True)
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def xlsx_render(document: ReportDocument) -> bytes:
    """The workbook: a "Report" sheet, then one sheet per table of the document."""
    with override(document.language):
        workbook = Workbook()
        summary = workbook.active
        assert summary is not None  # a new workbook always has one sheet
        names = sheet_names(document)
        summary.title = names[0]
        rows = report_rows(document, files=names[1:], files_label=_("Sheet"))
        _sheet_fill(summary, [], rows, header=False)
        for name, table in zip(names[1:], document.tables(), strict=True):
            sheet = workbook.create_sheet(name)
            _sheet_fill(sheet, _headers(table), _table_rows(table), header=True)
        # The workbook's creation time is the report's (openpyxl stamps "modified" on save).
        workbook.properties.created = _naive(document.generated_at)
        workbook.properties.creator = "Rapport"
        workbook.properties.title = _text(document.title)
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()


def csv_zip_render(document: ReportDocument) -> bytes:
    """A zip of ``report.csv`` and one ``NN-name.csv`` per table, UTF-8 with a BOM (so that
    Excel detects the encoding)."""
    out = io.BytesIO()
    stamp = _naive(document.generated_at).timetuple()[:6]
    names = csv_names(document)
    with override(document.language), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        rows = report_rows(document, files=names, files_label=_("File"))
        archive.writestr(_zip_info("report.csv", stamp), _csv_bytes(None, rows))
        for name, table in zip(names, document.tables(), strict=True):
            archive.writestr(
                _zip_info(name, stamp), _csv_bytes(_headers(table), _table_rows(table))
            )
    return out.getvalue()


def sheet_names(document: ReportDocument) -> list[str]:
    """The summary sheet's name, then one valid, unique sheet name per table.

    Excel compares sheet names without case, so "Reach" and "reach" collide; a repeated name
    gets " (2)", " (3)"… within the 31-character limit."""
    taken: set[str] = set()
    names = []
    for raw in [_("Report"), *(table.name for table in document.tables())]:
        base = _SHEET_FORBIDDEN.sub("_", _text(raw)).strip().strip("'")[:SHEET_NAME_MAX]
        base = base or _("Table")
        name, copy = base, 1
        while name.casefold() in taken or name.casefold() in _SHEET_RESERVED:
            copy += 1
            suffix = f" ({copy})"
            name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def csv_names(document: ReportDocument) -> list[str]:
    """One file name per table: a two-digit position keeps the sections' order in a listing."""
    return [
        f"{position:02d}-{slugify(table.name) or 'table'}.csv"
        for position, table in enumerate(document.tables(), start=1)
    ]


def report_rows(document: ReportDocument, *, files: list[str], files_label: str) -> list[Row]:
    """What the data covers, as (label, value…) rows; blank rows separate the groups. The
    last group names the sheet (or file), ``files``, that holds each table and its section."""
    rows: list[Row] = [
        [_("Title"), document.title],
        [_("Workspace"), document.workspace_name],
        [_("Period"), document.period_label],
        [_("From"), document.period_start],
        [_("To"), document.period_end],
    ]
    if document.compare_start and document.compare_end:
        rows += [
            [_("Comparison period"), document.compare_label],
            [_("Comparison from"), document.compare_start],
            [_("Comparison to"), document.compare_end],
        ]
    else:
        rows.append([_("Comparison period"), _("None")])
    scope = document.scope_lines or [_("All accounts of the workspace")]
    rows += [[_("Scope") if i == 0 else "", line] for i, line in enumerate(scope)]
    rows.append([_("Generated at (UTC)"), document.generated_at.astimezone(dt.UTC)])
    if not document.has_data:
        rows.append([_("Data"), _("No data for this period.")])
    if document.kpi_versions:
        rows += [[], Heading([_("KPI"), _("Definition version")])]
        rows += [[key, version] for key, version in sorted(document.kpi_versions.items())]
    if document.data_freshness:
        rows += [
            [],
            Heading(
                [
                    _("Account"),
                    _("Platform"),
                    _("Last successful sync (UTC)"),
                    _("Last day of data"),
                ]
            ),
        ]
        rows += [
            [
                entry.get("name") or account,
                entry.get("platform"),
                _iso(entry.get("last_sync")),
                _iso(entry.get("last_day")),
            ]
            for account, entry in document.data_freshness.items()
        ]
    tables = document.tables()
    if tables:
        rows += [[], Heading([files_label, _("Section")])]
        owners = {id(t): s.title for s in document.sections for t in s.tables}
        rows += [[name, owners[id(table)]] for name, table in zip(files, tables, strict=True)]
    return rows


def _iso(value: str | None) -> Value:
    """An ISO date or datetime string of the data freshness as a date or datetime."""
    if not value:
        return None
    try:
        return (
            dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
        )
    except ValueError:
        return value


def _headers(table: ReportTable) -> list[str]:
    return [str(column) for column in table.frame.columns]


def _table_rows(table: ReportTable) -> Iterator[Row]:
    for row in table.frame.itertuples(index=False, name=None):
        yield [cell_value(value) for value in row]


def cell_value(value: Any) -> Value:
    """A pandas/numpy cell as a plain Python value; missing values (NaN, NA, NaT) are None.

    Integral floats become ints (a count read from a float column shows as 12, not 12.0)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        # A datetime at midnight without a zone is a day (pandas stores days as datetimes).
        if value.tzinfo is None and value.time() == dt.time.min:
            return value.date()
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | decimal.Decimal):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass  # a list or another container: shown as text
    return str(value)


def _text(value: str) -> str:
    return _UNENCODABLE.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))


def _naive(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime: spreadsheets have no time zones and openpyxl refuses aware ones."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _xlsx_value(value: Value) -> Value:
    if isinstance(value, str):
        safe = cell_safe(_text(value))
        assert isinstance(safe, str)
        return safe[:CELL_TEXT_MAX]
    if isinstance(value, dt.datetime):
        return _naive(value)
    return value


def _sheet_fill(sheet: Worksheet, headers: list[str], rows: Iterable[Row], *, header: bool) -> None:
    """Append ``rows`` (after a bold, frozen ``headers`` row when ``header``), give dates a
    date format and size the columns to their content."""
    widths = [len(name) for name in headers] if header else []
    if header:
        sheet.append([_xlsx_value(name) for name in headers])
        sheet.freeze_panes = "A2"
    for count, row in enumerate(rows):
        sheet.append([_xlsx_value(value) for value in row])
        if isinstance(row, Heading) or (not header and row):
            # The summary's labels and group headings ("KPI", "Account", "Sheet") read as headers.
            cells = sheet[sheet.max_row]
            for cell in cells if isinstance(row, Heading) else cells[:1]:
                cell.font = _BOLD
        if count < _WIDTH_SAMPLE_ROWS:
            for column, value in enumerate(row):
                if column >= len(widths):
                    widths.append(0)
                widths[column] = max(widths[column], _display_width(value))
    if header:
        for cell in sheet[1]:
            cell.font = _BOLD
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        if sheet.max_row > 1:
            sheet.auto_filter.ref = sheet.dimensions
    for cell_row in sheet.iter_rows(min_row=2 if header else 1):
        for cell in cell_row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = _DATETIME_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = _DATE_FORMAT
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(
            _WIDTH_MIN, min(_WIDTH_MAX, width + 2)
        )


def _display_width(value: Value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return max((len(part) for part in str(value).splitlines()), default=0)


def _zip_info(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    # The zip's timestamps are the report's, not the clock's: a re-render is byte-identical.
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _csv_bytes(headers: list[str] | None, rows: Iterable[Row]) -> bytes:
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out)
    if headers is not None:
        writer.writerow([_csv_text(name) for name in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return out.getvalue().encode("utf-8")


def _csv_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    safe = cell_safe(_UNENCODABLE.sub("", value))
    assert isinstance(safe, str)
    return safe
