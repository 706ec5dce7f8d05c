"""Bytes to sheets of text cells: CSV in whatever encoding and delimiter, or an XLSX workbook.

Exports arrive with a UTF-8 byte-order mark (TikTok, Facebook), as UTF-16 (some Meta exports),
as Windows-1252 when re-saved by Excel, with CRLF line endings, with ``;`` or tab delimiters
in European locales, with quoted cells spanning several lines, and with a description row above
the header (LinkedIn). This module handles the bytes; finding the header row is ``header_find``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from connectors.importers.core import ImportFileError, Row, Sheet, Table, header_key

# Rows above the header that a header search looks at: LinkedIn puts one description row there,
# other exports a few lines of title.
HEADER_SCAN_ROWS = 10
_DELIMITERS = (",", ";", "\t", "|")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# A workbook is a zip of XML. Its parts are read as streams, but one XML text node (a cell) is
# built whole in memory, so what a workbook may expand to is checked before any part is opened:
# zipfile never reads past a part's declared size, which makes the declared sizes a true bound.
# Real exports compress their XML 5 to 30 times; a zip bomb, thousands of times.
XLSX_EXPANSION_FACTOR = 10
XLSX_MAX_RATIO = 200
XLSX_MAX_PARTS = 1000
XLSX_MAX_SHEETS = 50
MAX_COLUMNS = 1000
# Excel's own limit for one cell; the csv module's default field limit is 131,072 characters.
MAX_CELL_CHARS = 32_767


def sheets_read(content: bytes, *, max_rows: int) -> tuple[list[Sheet], list[str]]:
    """The sheets of a CSV (one) or XLSX file, and warnings about how it was read.

    Raises ``ImportFileError`` for an empty, binary, undecodable or too long file.
    """
    if not content.strip():
        raise ImportFileError(_("The file is empty. Export it again from the platform."))
    if content.startswith(_XLSX_MAGIC):
        return _xlsx_read(content, max_rows=max_rows), []
    if content.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _(
                "This is an old Excel file (.xls), which Rapport cannot read. Open it in Excel "
                "or LibreOffice, save it as .xlsx or CSV, and import that file."
            )
        )
    text, warnings = _decode(content)
    return [Sheet(name="", rows=_csv_rows(text, max_rows=max_rows))], warnings


def _decode(content: bytes) -> tuple[str, list[str]]:
    if content.startswith(codecs.BOM_UTF8):
        return _strict(content[len(codecs.BOM_UTF8) :], "utf-8"), []
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(content, "utf-16"), []
    if b"\x00" in content:
        # UTF-16 without a byte-order mark puts a zero byte beside every ASCII character.
        head = content[:4096]
        if head[1::2].count(0) > len(head) // 4:
            return _strict(content, "utf-16-le"), []
        if head[0::2].count(0) > len(head) // 4:
            return _strict(content, "utf-16-be"), []
        raise ImportFileError(
            _("This file is not a spreadsheet (it holds binary data). Import a CSV or XLSX file.")
        )
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file's text encoding is not one Rapport recognises. Save it as "
                "“CSV UTF-8” and import it again."
            )
        ) from None
    return text, [_("The file is not UTF-8; it was read as Windows-1252 (Western European) text.")]


def _strict(content: bytes, encoding: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "The file says it is %(encoding)s text but is not (byte %(position)s). Export "
                "it again or save it as “CSV UTF-8”."
            )
            % {"encoding": encoding.upper(), "position": exc.start}
        ) from None


def _csv_rows(text: str, *, max_rows: int) -> tuple[tuple[str, ...], ...]:
    text = text.lstrip("\ufeff")
    first_line, _sep, rest = text.partition("\n")
    hint = first_line.strip().lower()
    if hint.startswith("sep=") and len(hint) == 5:
        # Excel's own hint line: "sep=;" names the delimiter and is not data (kept as a blank
        # row so that row numbers still match the spreadsheet's).
        delimiter = first_line.strip()[4]
        return ((), *_csv_parse(rest, delimiter, max_rows=max_rows))
    return tuple(_csv_parse(text, _delimiter_guess(text), max_rows=max_rows))


def _csv_parse(text: str, delimiter: str, *, max_rows: int) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for record in reader:
            if len(record) > MAX_COLUMNS:
                raise ImportFileError(
                    _("Row %(row)s has more than %(max)s columns; Rapport reads at most that many.")
                    % {"row": len(rows) + 1, "max": MAX_COLUMNS},
                    row=len(rows) + 1,
                )
            rows.append(tuple(record))
            if len(rows) > max_rows + HEADER_SCAN_ROWS:
                raise _too_long(max_rows)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _cell_too_long(len(rows) + 1, csv.field_size_limit()) from None
        raise ImportFileError(
            _("Row %(row)s cannot be read as CSV (%(reason)s).")
            % {"row": len(rows) + 1, "reason": exc},
            row=len(rows) + 1,
        ) from None
    return rows


def _delimiter_guess(text: str) -> str:
    # The delimiter that splits the first rows into the most columns, the same number each time.
    sample = text[:65536]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            widths = [len(r) for _i, r in zip(range(HEADER_SCAN_ROWS), reader, strict=False) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        widest = max(widths)
        score = widest * sum(1 for w in widths if w == widest) if widest > 1 else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _too_long(max_rows: int) -> ImportFileError:
    return ImportFileError(
        _(
            "The file has more than %(max)s rows, the most Rapport imports at once "
            "(RAPPORT_IMPORT_MAX_ROWS). Export a shorter period and import each part."
        )
        % {"max": max_rows}
    )


def _cell_too_long(row: int, limit: int) -> ImportFileError:
    return ImportFileError(
        _(
            "Row %(row)s has a cell longer than %(max)s characters, more than any export holds. "
            "Check that the file is the platform's export and was not damaged."
        )
        % {"row": row, "max": formats.number_format(limit, force_grouping=True)},
        row=row,
    )


def _unreadable_workbook() -> ImportFileError:
    return ImportFileError(
        _(
            "This file cannot be opened as an Excel workbook (.xlsx). Export it again, or "
            "save it as CSV."
        )
    )


def _xlsx_check(archive: zipfile.ZipFile, size: int) -> None:
    """Refuse a workbook that would expand far beyond its size (a zip bomb) or has absurdly many
    parts, from the zip's directory alone."""
    parts = archive.infolist()
    if len(parts) > XLSX_MAX_PARTS:
        raise _unreadable_workbook()
    expanded = sum(part.file_size for part in parts)
    biggest_ratio = max(
        (part.file_size / max(part.compress_size, 1) for part in parts if part.file_size > 2**20),
        default=0.0,
    )
    if expanded > max(size, 2**20) * XLSX_EXPANSION_FACTOR or biggest_ratio > XLSX_MAX_RATIO:
        raise ImportFileError(
            _(
                "This workbook expands to %(mb)s MB when opened, far more than a spreadsheet of "
                "its size holds; Rapport does not open it. Save it again from Excel, or as CSV."
            )
            % {"mb": formats.number_format(round(expanded / 2**20), force_grouping=True)}
        )


def _xlsx_read(content: bytes, *, max_rows: int) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _xlsx_check(archive, len(content))
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            if len(workbook.worksheets) > XLSX_MAX_SHEETS:
                raise ImportFileError(
                    _(
                        "This workbook has %(count)s sheets; Rapport reads at most %(max)s. "
                        "Keep the sheets of the export and save it again."
                    )
                    % {"count": len(workbook.worksheets), "max": XLSX_MAX_SHEETS}
                )
            return [_worksheet_read(ws, max_rows=max_rows) for ws in workbook.worksheets]
        finally:
            workbook.close()
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        IndexError,
        ValueError,
        OSError,
        TypeError,
        SyntaxError,
    ):
        # SyntaxError covers the XML parser's errors on a damaged sheet, zlib.error and EOFError
        # a damaged or cut compressed part.
        raise _unreadable_workbook() from None


def _worksheet_read(worksheet: Any, *, max_rows: int) -> Sheet:
    # The dimension a sheet declares is not trusted: a forged "A1:XFD1048576" would pad every
    # row to 16,384 cells.
    worksheet.reset_dimensions()
    rows: list[tuple[str, ...]] = []
    for values in worksheet.iter_rows(min_row=1, values_only=True):
        cells = _trimmed(tuple(_xlsx_text(value) for value in values))
        if len(cells) > MAX_COLUMNS:
            raise ImportFileError(
                _(
                    "Sheet “%(sheet)s”, row %(row)s has more than %(max)s columns; Rapport reads "
                    "at most that many."
                )
                % {"sheet": worksheet.title, "row": len(rows) + 1, "max": MAX_COLUMNS},
                row=len(rows) + 1,
            )
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise _cell_too_long(len(rows) + 1, MAX_CELL_CHARS)
        rows.append(cells)
        if len(rows) > max_rows + HEADER_SCAN_ROWS:
            raise _too_long(max_rows)
    return Sheet(name=str(worksheet.title), rows=tuple(rows))


def _trimmed(cells: tuple[str, ...]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _xlsx_text(value: Any) -> str:
    # Cells become the text a CSV export would hold, so one set of parsers reads both.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def header_find(
    sheets: Sequence[Sheet], matches: Callable[[frozenset[str]], bool]
) -> tuple[Sheet, int] | None:
    """The first sheet and row index (0-based) among the first rows whose header names satisfy
    ``matches`` (a test on the set of ``header_key`` names)."""
    for sheet in sheets:
        for index, cells in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
            if blank(cells):
                continue
            if matches(frozenset(header_key(c) for c in cells if c.strip())):
                return sheet, index
    return None


def columns_unique(cells: Sequence[str]) -> tuple[str, ...]:
    """Header names made unique: the second ``Views`` becomes ``Views (2)``, an empty header
    ``Column F``."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = " ".join(cell.split()) or _("Column %(letter)s") % {"letter": column_letter(index)}
        key = header_key(name)
        seen[key] = seen.get(key, 0) + 1
        names.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return tuple(names)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def table_build(sheet: Sheet, header_index: int, *, max_rows: int) -> Table:
    """The table under the header at ``header_index``: blank rows dropped, and a row of metric
    descriptions just under the header (Facebook's legacy exports) left out.

    Raises ``ImportFileError`` when a row has values beyond the last column, or past
    ``max_rows`` data rows.
    """
    columns = columns_unique(sheet.rows[header_index])
    rows: list[Row] = []
    for offset, cells in enumerate(sheet.rows[header_index + 1 :]):
        number = header_index + offset + 2
        if blank(cells):
            continue
        if not rows and _is_description_row(cells):
            continue
        if any(cell.strip() for cell in cells[len(columns) :]):
            raise ImportFileError(
                _(
                    "Row %(row)s has more values than the header has columns. Check that the "
                    "file was not cut or edited by hand."
                )
                % {"row": number},
                row=number,
            )
        rows.append(Row(number=number, cells=tuple(cells[: len(columns)])))
        if len(rows) > max_rows:
            raise _too_long(max_rows)
    return Table(sheet=sheet.name, columns=columns, header_row=header_index + 1, rows=tuple(rows))


def _is_description_row(cells: Sequence[str]) -> bool:
    # Facebook's legacy exports describe each metric in the row under the header ("Lifetime: The
    # total number of people your Page post was served to. (Unique Users)"): the id column is
    # empty, the others are sentences, not one number or date among them.
    filled = [cell.strip() for cell in cells if cell.strip()]
    if len(filled) < 3 or (cells and cells[0].strip()):
        return False
    return all(len(cell.split()) >= 4 and not _numeric(cell) for cell in filled)


def _numeric(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return True


def header_guess(sheets: Sequence[Sheet]) -> tuple[str, ...]:
    """The likeliest header of a file whose format is unknown: in the first sheet with data, the
    first of its first rows with the most filled cells (a description row above has fewer)."""
    for sheet in sheets:
        candidates = [cells for cells in sheet.rows[:HEADER_SCAN_ROWS] if not blank(cells)]
        if candidates:
            widest = max(sum(1 for c in cells if c.strip()) for cells in candidates)
            cells = next(c for c in candidates if sum(1 for x in c if x.strip()) == widest)
            return columns_unique(_trimmed(tuple(cells)))
    return ()
