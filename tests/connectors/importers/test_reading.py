from __future__ import annotations

import codecs
import io

import pytest
from openpyxl import Workbook

from connectors.importers import ImportFileError, file_columns, file_parse
from connectors.importers.core import header_key
from connectors.importers.reading import columns_unique, header_find, sheets_read, table_build

from .conftest import TODAY

DAILY = 'Date,Video Views,Profile Views,Likes,Comments,Shares\n"March 1","10","1","2","0","0"\n'


def _rows(content: bytes) -> tuple[tuple[str, ...], ...]:
    sheets, _warnings = sheets_read(content, max_rows=1000)
    return sheets[0].rows


def test_byte_order_mark_does_not_hide_the_first_header() -> None:
    rows = _rows(codecs.BOM_UTF8 + DAILY.encode())
    assert rows[0][0] == "Date"


def test_crlf_line_endings_and_crlf_inside_quoted_cells() -> None:
    content = b'id,text,likes\r\n1,"two\r\nlines \xf0\x9f\x8c\xb7",3\r\n2,plain,4\r\n'
    rows = _rows(content)
    assert rows == (("id", "text", "likes"), ("1", "two\r\nlines 🌷", "3"), ("2", "plain", "4"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_with_or_without_a_byte_order_mark(encoding: str) -> None:
    rows = _rows(DAILY.encode(encoding))
    assert rows[1][0] == "March 1"


def test_windows_1252_text_is_read_with_a_warning() -> None:
    sheets, warnings = sheets_read("Lien;J'aime\nCafé;12\n".encode("cp1252"), max_rows=10)
    assert sheets[0].rows[1] == ("Café", "12")
    assert "Windows-1252" in warnings[0]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("a;b;c\n1;2,5;3\n", ";"), ("a\tb\tc\n1\t2\t3\n", "\t"), ("sep=|\na|b|c\n1|2|3\n", "|")],
)
def test_the_delimiter_is_guessed_or_taken_from_excel_hint(text: str, delimiter: str) -> None:
    rows = [r for r in _rows(text.encode()) if r]
    assert rows[0] == ("a", "b", "c")
    assert len(rows[1]) == 3


def test_excel_sep_hint_keeps_row_numbers() -> None:
    rows = _rows(b"sep=;\na;b\n1;2\n")
    assert rows[1] == ("a", "b")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel"),
        (b"PK\x03\x04not really a workbook", "Excel workbook"),
        (b"\xef\xbb\xbfDate\n\xff\xfe\n", "UTF-8"),
        (b"Date,Views\n\x81\x8d\x8f\x90\n", "encoding"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        file_parse(content=content, filename="export.csv", today=TODAY)


def test_a_file_past_the_size_limit_is_refused(settings) -> None:
    settings.IMPORT_MAX_MB = 1
    content = DAILY.encode() + b"x" * (1024 * 1024)
    with pytest.raises(ImportFileError, match="larger than 1 MB"):
        file_parse(content=content, filename="Overview.csv", today=TODAY)


def test_a_file_past_the_row_limit_is_refused(settings) -> None:
    settings.IMPORT_MAX_ROWS = 5
    lines = [f'"March {day}","10","1","2","0","0"' for day in range(1, 8)]
    content = ("Date,Video Views,Profile Views,Likes,Comments,Shares\n" + "\n".join(lines)).encode()
    with pytest.raises(ImportFileError, match="more than 5 rows"):
        file_parse(content=content, filename="Overview.csv", today=TODAY)
    settings.IMPORT_MAX_ROWS = 7
    assert file_parse(content=content, filename="Overview.csv", today=TODAY).rows_read == 7


def test_repeated_column_names_are_made_unique_in_order() -> None:
    assert columns_unique(["Views", "Likes", "views", "", "Views"]) == (
        "Views",
        "Likes",
        "views (2)",
        "Column D",
        "Views (3)",
    )


def test_a_row_of_descriptions_under_the_header_is_not_data() -> None:
    content = (
        b"Post ID,Posted,Lifetime Post Total Reach,Lifetime Engaged Users,Type\n"
        b",,Lifetime: The total number of people your post was served to.,"
        b"Lifetime: The number of people who clicked anywhere in your posts.,"
        b"Lifetime: The kind of post you published on the page\n"
        b"1_2,01/19/2017 09:03:47 AM,35,2,Link\n"
    )
    sheets, _warnings = sheets_read(content, max_rows=10)
    table = table_build(sheets[0], 0, max_rows=10)
    assert [row.number for row in table.rows] == [3]


def test_values_beyond_the_last_column_are_an_error() -> None:
    sheets, _warnings = sheets_read(b"a,b\n1,2\n3,4,5\n", max_rows=10)
    with pytest.raises(ImportFileError) as caught:
        table_build(sheets[0], 0, max_rows=10)
    assert caught.value.row == 3


def _xlsx(rows: list[list[object]], title: str = "Sheet") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_xlsx_header_is_found_below_a_description_row() -> None:
    content = _xlsx(
        [["A description of the sheet."], ["Date", "Total followers"], ["02/01/2024", 5]]
    )
    sheets, _warnings = sheets_read(content, max_rows=10)
    found = header_find(sheets, lambda keys: header_key("Total followers") in keys)
    assert found is not None and found[1] == 1
    assert sheets[0].rows[2] == ("02/01/2024", "5")


def test_file_columns_names_the_header_as_a_mapping_does() -> None:
    content = _xlsx([["Monthly report"], [], ["Day", "Reach", "Reach"], ["2024-05-01", 1, 2]])
    assert file_columns(content=content, filename="report.xlsx") == ("Day", "Reach", "Reach (2)")


def test_an_xlsx_past_the_row_limit_is_refused(settings) -> None:
    settings.IMPORT_MAX_ROWS = 3
    content = _xlsx([["Day", "Reach"], *[[f"2024-05-0{d}", d] for d in range(1, 9)]])
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        file_parse(
            content=content, filename="report.xlsx", mapping={"Day": "date", "Reach": "reach"}
        )
