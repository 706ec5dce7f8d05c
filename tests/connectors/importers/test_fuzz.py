"""Fuzzing the import service: whatever the bytes, an import succeeds or raises ``ImportFileError``
with a message, and a failed import writes nothing.

Files are random bytes, or real-shaped files (the headers of the fixtures under
tests/fixtures/imports) mutated the way exports go wrong: truncated, re-encoded, odd numbers and
dates, formula-looking cells, columns added or dropped.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from connectors.importers import FORMATS, ImportFileError, file_columns, reading
from connectors.imports import file_import_run
from connectors.models import AccountMetric, FileImport, Post, PostMetric, SocialAccount, Workspace

from .conftest import FIXTURES, SAMPLES, TODAY

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The project's fixtures, and the real samples where that folder exists (in CI): header shapes
# and traps of real exports, mutated, never copied.
CSV_FIXTURES = sorted(FIXTURES.rglob("*.csv")) + (
    sorted(SAMPLES.rglob("*.csv")) if SAMPLES.is_dir() else []
)
XLSX_FIXTURES = sorted(p for p in FIXTURES.rglob("*.xlsx"))

ODD_VALUES = st.sampled_from(
    [
        "",
        " ",
        "-",
        "undefined",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "1e308",
        "1e309",
        "-1e400",
        "-5",
        "\u22125",
        "1,234",
        "1.234,5",
        "1 234",
        "12%",
        "12,5 %",
        "100%%",
        "9" * 400,
        "0x1F",
        "\uff11\uff12\uff13",
        "١٢٣",
        "=SUM(A1:A9)",
        "=cmd|' /C calc'!A0",
        "+1+1",
        "@SUM(1)",
        "0000-00-00",
        "9999-12-31",
        "1900-01-01",
        "2024-02-30",
        "31/02/2024",
        "2024-13-45 25:61",
        "February 30",
        "30 de febrero",
        "Fri, Feb 30, 2025",
        "Mar 1, 99999",
        "1709251200000",
        "\x00",
        "\ufeff",
        'a "quoted" cell',
        "line\nbreak",
    ]
) | st.text(max_size=20)


def _counts(workspace: Workspace) -> tuple[int, ...]:
    return (
        SocialAccount.objects.filter(workspace=workspace).count(),
        Post.objects.filter(account__workspace=workspace).count(),
        PostMetric.objects.filter(post__account__workspace=workspace).count(),
        AccountMetric.objects.filter(account__workspace=workspace).count(),
        FileImport.objects.filter(workspace=workspace).count(),
    )


def _import_or_clear_error(workspace: Workspace, content: bytes, **options: Any) -> None:
    """The property: success, or ``ImportFileError`` with a message and no row written."""
    before = _counts(workspace)
    try:
        file_import_run(
            workspace=workspace,
            content=content,
            filename=options.pop("filename", "export.csv"),
            account_name="Fuzz",
            today=TODAY,
            **options,
        )
    except ImportFileError as exc:
        assert exc.message.strip()
        assert _counts(workspace) == before


def _rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if encoding == "utf-16-bom":
        return text.encode("utf-16")  # with its byte-order mark
    return text.encode(encoding, errors="replace")


Mutation = Callable[[list[list[str]]], list[list[str]]]


@st.composite
def _mutated_csv(draw: st.DrawFn) -> bytes:
    rows = [list(r) for r in _rows(draw(st.sampled_from(CSV_FIXTURES)))]
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if not rows:
            break
        op = draw(
            st.sampled_from(["cell", "cell", "cell", "add_col", "drop_col", "drop_row", "dup_row"])
        )
        r = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        row = rows[r]
        if op == "cell" and row:
            row[draw(st.integers(min_value=0, max_value=len(row) - 1))] = draw(ODD_VALUES)
        elif op == "add_col":
            for each in rows:
                each.insert(min(len(each), draw(st.integers(0, 30))), draw(ODD_VALUES))
        elif op == "drop_col" and row:
            index = draw(st.integers(min_value=0, max_value=len(row) - 1))
            for each in rows:
                if index < len(each):
                    del each[index]
        elif op == "drop_row":
            del rows[r]
        elif op == "dup_row":
            rows.insert(r, list(row))
    out = io.StringIO()
    csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"]))).writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le", "latin-1"]))
    content = _encode(text, encoding)
    if draw(st.booleans()):
        content = content[: draw(st.integers(min_value=0, max_value=len(content)))]
    return content


@FUZZ
@given(st.binary(max_size=2048))
@example(b"\xff\xfe")
@example(b"PK\x03\x04garbage")
@example(b"\xd0\xcf\x11\xe0")
@example(b"\x00\x00\x00")
def test_random_bytes_import_or_raise_a_clear_error(workspace: Workspace, content: bytes) -> None:
    _import_or_clear_error(workspace, content)


@FUZZ
@given(_mutated_csv(), st.sampled_from([None, *FORMATS]))
def test_mutated_exports_import_or_raise_a_clear_error_and_write_nothing_on_error(
    workspace: Workspace, content: bytes, format: str | None
) -> None:
    _import_or_clear_error(workspace, content, format=format)


@FUZZ
@given(st.sampled_from(XLSX_FIXTURES), st.data())
def test_damaged_workbooks_raise_a_clear_error(
    workspace: Workspace, path: Path, data: st.DataObject
) -> None:
    content = path.read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(content)))
    flip = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
    damaged = bytearray(content[:cut] + content[cut:])
    damaged[flip] ^= 0xFF
    _import_or_clear_error(
        workspace, bytes(damaged[: data.draw(st.sampled_from([cut, len(damaged)]))])
    )


@FUZZ
@given(
    st.lists(st.lists(ODD_VALUES, min_size=1, max_size=6), min_size=1, max_size=8),
    st.sampled_from(["Date", "Day", "Post ID", "Views", "Impressions"]),
)
def test_workbooks_with_odd_cells_import_or_raise_a_clear_error(
    workspace: Workspace, rows: list[list[str]], first: str
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([first, "Views", "Likes", "Impressions"])
    for row in rows:
        # Characters XML cannot hold cannot be in a workbook at all.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    out = io.BytesIO()
    book.save(out)
    _import_or_clear_error(workspace, out.getvalue(), filename="export.xlsx")


def test_a_csv_with_a_10_mb_field_is_a_clear_error(workspace: Workspace) -> None:
    content = b"Date,Views\n2024-03-01," + b"9" * (10 * 1024 * 1024) + b"\n"
    with pytest.raises(ImportFileError, match="Row 2"):
        file_import_run(
            workspace=workspace,
            content=content,
            filename="big.csv",
            account_name="Fuzz",
            today=TODAY,
        )
    assert _counts(workspace) == (0, 0, 0, 0, 0)


def _zip_bomb(sheet_bytes: int) -> bytes:
    """A small XLSX whose one sheet decompresses to ``sheet_bytes`` of XML."""
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item))
                continue
            row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
            tail = b"</t></is></c></row></sheetData></worksheet>"
            head = (
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + row
            )
            with target.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                chunk = b"A" * (1024 * 1024)
                for _ in range(sheet_bytes // len(chunk)):
                    sheet.write(chunk)
                sheet.write(tail)
    return bomb.getvalue()


def test_an_xlsx_bomb_is_refused_before_it_is_expanded(workspace: Workspace) -> None:
    content = _zip_bomb(200 * 1024 * 1024)
    assert len(content) < 1024 * 1024
    with pytest.raises(ImportFileError, match="expands"):
        file_import_run(
            workspace=workspace,
            content=content,
            filename="bomb.xlsx",
            account_name="Fuzz",
            today=TODAY,
        )
    assert _counts(workspace) == (0, 0, 0, 0, 0)


def test_a_workbook_with_a_damaged_compressed_part_is_a_clear_error(workspace: Workspace) -> None:
    # Found by the fuzzer: one flipped byte inside a deflated part raised zlib.error.
    content = bytearray((FIXTURES / "generic" / "report.xlsx").read_bytes())
    content[242] ^= 0xFF
    with pytest.raises(ImportFileError, match="cannot be opened as an Excel workbook"):
        file_import_run(
            workspace=workspace,
            content=bytes(content),
            filename="report.xlsx",
            account_name="Fuzz",
            today=TODAY,
        )
    assert _counts(workspace) == (0, 0, 0, 0, 0)


def _workbook(sheets: int = 1, row: list[object] | None = None) -> bytes:
    book = Workbook()
    for index in range(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.append(["Date", "Views"])
        sheet.append(row or ["2024-03-01", 5])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_workbook(sheets=51), "has 51 sheets; Rapport reads at most 50"),
        (_workbook(row=["2024-03-01", *range(1001)]), "row 2 has more than 1000 columns"),
        (b"Date,Views" + b",x" * 1000 + b"\n", "Row 1 has more than 1000 columns"),
    ],
)
def test_workbook_and_csv_shape_limits_are_clear_errors(
    workspace: Workspace, content: bytes, message: str
) -> None:
    with pytest.raises(ImportFileError) as caught:
        file_import_run(
            workspace=workspace,
            content=content,
            filename="export.xlsx",
            account_name="Fuzz",
            today=TODAY,
        )
    assert message in caught.value.message
    assert _counts(workspace) == (0, 0, 0, 0, 0)


def test_the_size_limit_holds_for_the_column_reader_too(settings: Any) -> None:
    settings.IMPORT_MAX_MB = 1
    with pytest.raises(ImportFileError, match="larger than 1 MB"):
        file_columns(content=b"Date,Views\n" + b"2024-03-01,1\n" * 100_000, filename="a.csv")


def test_a_workbook_cell_longer_than_excel_allows_is_a_clear_error(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openpyxl cuts what it writes at Excel's 32,767 characters, so the limit is lowered here.
    monkeypatch.setattr(reading, "MAX_CELL_CHARS", 100)
    with pytest.raises(ImportFileError, match="Row 2 has a cell longer than 100 characters"):
        file_import_run(
            workspace=workspace,
            content=_workbook(row=["2024-03-01", "x" * 101]),
            filename="export.xlsx",
            account_name="Fuzz",
            today=TODAY,
        )
