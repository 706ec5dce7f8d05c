from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.presentation import Presentation as Deck
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide
from pptx.util import Inches

from dashboards.reports.document import (
    Branding,
    ReportDocument,
    ReportFigure,
    ReportSection,
    ReportTable,
)
from dashboards.reports.render_pptx import TABLE_ROWS, pptx_render

BRAND = "#7a1f5c"


def section(key: str, kind: str, title: str, **parts: object) -> ReportSection:
    return ReportSection(key, kind, title, f"reports/sections/{kind}.html", **parts)  # type: ignore[arg-type]


def document(
    sections: list[ReportSection], logo: str | None = None, **changes: object
) -> ReportDocument:
    values: dict[str, object] = {
        "title": "Monthly management report",
        "workspace_name": "Acme",
        "workspace_slug": "acme",
        "language": "en",
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 31),
        "compare_start": dt.date(2026, 9, 1),
        "compare_end": dt.date(2026, 9, 30),
        "period_label": "1 October 2026 – 31 October 2026",
        "compare_label": "1 September 2026 – 30 September 2026",
        "scope_lines": ["Accounts: Acme Insta"],
        "generated_at": dt.datetime(2026, 11, 1, 7, 30, tzinfo=dt.UTC),
        "branding": Branding("Acme", BRAND, "Acme – internal use only", logo),
        "sections": sections,
        "has_data": True,
        "commentary": "October was strong thanks to the launch.",
    }
    values.update(changes)
    return ReportDocument(**values)  # type: ignore[arg-type]


def posts(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Rank": range(1, rows + 1),
            "Published": pd.date_range("2026-10-01", periods=rows, freq="D"),
            "Text": [f"Post {n} about the launch" for n in range(1, rows + 1)],
            "Engagements": [1000.0 + n for n in range(rows)],
            "Link": [f"https://example.com/p/{n}" for n in range(rows)],
        }
    )


def full_sections() -> list[ReportSection]:
    figure = go.Figure(go.Bar(x=["Facebook", "Instagram"], y=[1200, 3400]))
    return [
        section("1-cover", "cover", "October report"),
        section(
            "2-summary",
            "summary",
            "Executive summary",
            lines=["Reach: 12,345 (+3% vs comparison)", "Engagements: 678"],
            tables=[
                ReportTable(
                    "Summary",
                    pd.DataFrame({"KPI": ["Reach", "Engagements"], "Value": [12345.0, 678.0]}),
                )
            ],
        ),
        section(
            "3-kpi_chart",
            "kpi_chart",
            "Reach by platform",
            figures=[ReportFigure("Reach", figure, height=300)],
            tables=[
                ReportTable("Reach", pd.DataFrame({"Platform": ["Facebook"], "Reach": [1200]}))
            ],
            lines=["Reach grew by 3%."],
            notes="Instagram carried the month.",
        ),
        section(
            "4-posts",
            "posts",
            "Top and bottom posts",
            lines=["#1 Acme Insta: 1,000 engagements"],
            tables=[ReportTable("Posts", posts(TABLE_ROWS + 3))],
        ),
        section(
            "5-commentary",
            "commentary",
            "Our take \x0bon it 🎉",
            lines=["We launched\x0b the new range 🚀.", "Next month: the sale."],
            notes="We launched\x0b the new range 🚀.\n\nNext month: the sale.",
        ),
    ]


@pytest.fixture(scope="module")
def logo(tmp_path_factory: pytest.TempPathFactory) -> str:
    # WebP, which a slide cannot hold as is: the renderer converts it.
    path = tmp_path_factory.mktemp("media") / "logo.webp"
    Image.new("RGB", (400, 100), "#7a1f5c").save(path, "WEBP")
    return str(path)


@pytest.fixture(scope="module")
def deck(logo: str) -> Deck:
    # Drawn once for the module: the chart needs Chromium, which takes a few seconds to start.
    return Presentation(io.BytesIO(pptx_render(document(full_sections(), logo=logo))))


def title_shape(slide: Slide) -> Shape:
    shape = slide.shapes.title
    assert shape is not None
    return shape


def title(slide: Slide) -> str:
    return title_shape(slide).text_frame.text


def texts(slide: Slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if isinstance(shape, Shape)]


def pictures(slide: Slide) -> list[object]:
    return [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def notes(slide: Slide) -> str:
    frame = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
    return frame.text if frame is not None else ""


def test_slides_are_16_9_one_per_section_with_the_section_titles(deck: Deck) -> None:
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    assert [title(slide) for slide in deck.slides] == [
        "October report",
        "Executive summary",
        "Reach by platform",
        "Top and bottom posts",
        "Our take on it 🎉",
    ]


def test_cover_shows_period_comparison_scope_and_the_logo(deck: Deck) -> None:
    cover = deck.slides[0]
    text = "\n".join(texts(cover))

    assert "1 October 2026 – 31 October 2026" in text
    assert "Compared with 1 September 2026 – 30 September 2026" in text
    assert "Accounts: Acme Insta" in text
    assert "Acme – internal use only" in text
    (logo,) = pictures(cover)
    assert logo.image.content_type == "image/png"  # type: ignore[attr-defined]


def test_each_chart_is_a_picture_with_its_title_as_alt_text(deck: Deck) -> None:
    chart_slide = deck.slides[2]

    (chart,) = pictures(chart_slide)
    assert chart.image.content_type == "image/png"  # type: ignore[attr-defined]
    assert Image.open(io.BytesIO(chart.image.blob)).width > 1000  # type: ignore[attr-defined]
    assert chart._element.xpath("./p:nvPicPr/p:cNvPr/@descr") == ["Reach"]  # type: ignore[attr-defined]
    assert "Reach grew by 3%." in texts(chart_slide)
    # The chart's data table stays in the data export.
    assert not [shape for shape in chart_slide.shapes if shape.has_table]
    assert [len(pictures(slide)) for slide in list(deck.slides)[1:]] == [0, 1, 0, 0]


def test_notes_hold_the_commentary(deck: Deck) -> None:
    summary, chart, commentary = deck.slides[1], deck.slides[2], deck.slides[4]

    assert notes(summary) == "October was strong thanks to the launch."
    assert notes(chart) == "Instagram carried the month."
    assert notes(commentary) == "We launched the new range 🚀.\n\nNext month: the sale."


def test_small_table_is_a_native_table_with_numbers_formatted(deck: Deck) -> None:
    (shape,) = [shape for shape in deck.slides[1].shapes if shape.has_table]
    grid = shape.table

    rows = [[cell.text for cell in row.cells] for row in grid.rows]
    assert rows == [["KPI", "Value"], ["Reach", "12,345"], ["Engagements", "678"]]


def test_long_table_shows_its_first_rows_and_says_how_many_are_left(deck: Deck) -> None:
    slide = deck.slides[3]
    (shape,) = [shape for shape in slide.shapes if shape.has_table]
    rows = [[cell.text for cell in row.cells] for row in shape.table.rows]

    assert len(rows) == TABLE_ROWS + 1
    assert rows[0] == ["Rank", "Published", "Text", "Engagements"]  # links left out
    assert rows[1] == ["1", "10/01/2026", "Post 1 about the launch", "1,000"]
    assert "+3 more in the data export" in texts(slide)


def test_footer_and_title_bar_use_the_branding(deck: Deck) -> None:
    slide = deck.slides[1]
    fills = [
        str(shape.fill.fore_color.rgb)
        for shape in slide.shapes
        if shape.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE
    ]

    assert fills == [BRAND.lstrip("#").upper()]
    assert "Acme – internal use only" in texts(slide)
    assert "2 / 5" in texts(slide)


def test_without_a_cover_section_the_title_makes_the_cover_with_the_commentary() -> None:
    doc = document([section("1-goals", "goals", "Goal progress", lines=["On track."])])

    deck = Presentation(io.BytesIO(pptx_render(doc)))

    assert [title(slide) for slide in deck.slides] == ["Monthly management report", "Goal progress"]
    assert notes(deck.slides[0]) == "October was strong thanks to the launch."


def test_text_that_does_not_fit_continues_on_a_second_slide() -> None:
    lines = [
        f"Recommendation {n}: " + "post more reels on weekday mornings. " * 6 for n in range(12)
    ]
    doc = document([section("1-recommendations", "recommendations", "Next steps", lines=lines)])

    deck = Presentation(io.BytesIO(pptx_render(doc)))

    assert [title(slide) for slide in deck.slides][1:] == ["Next steps", "Next steps (continued)"]
    shown = "\n".join(text for slide in list(deck.slides)[1:] for text in texts(slide))
    assert all(line.strip() in shown for line in lines)


def test_a_logo_that_cannot_be_read_is_left_out(tmp_path: Path) -> None:
    broken = tmp_path / "logo.png"
    broken.write_bytes(b"not an image")

    deck = Presentation(io.BytesIO(pptx_render(document([], logo=str(broken)))))

    assert len(deck.slides) == 1 and not pictures(deck.slides[0])


def test_a_light_brand_colour_gets_dark_title_text() -> None:
    doc = document([section("1-goals", "goals", "Goals", lines=["x"])])
    doc.branding = Branding("Acme", "#ffe680", "", None)

    deck = Presentation(io.BytesIO(pptx_render(doc)))

    run = title_shape(deck.slides[1]).text_frame.paragraphs[0].runs[0]
    assert str(run.font.color.rgb) == "1F2937"


def test_small_tables_share_a_slide_and_a_long_one_gets_its_own() -> None:
    coverage = pd.DataFrame({"Account": ["Acme Insta", "Acme FB"], "Days with data": [31, 30]})
    definitions = pd.DataFrame({"KPI": ["Reach"], "Formula": ["reach"]})
    doc = document(
        [
            section(
                "1-data_notes",
                "data_notes",
                "Data notes",
                tables=[
                    ReportTable("Coverage", coverage),
                    ReportTable("KPI definitions", definitions),
                    ReportTable("Posts", posts(TABLE_ROWS)),
                ],
            )
        ]
    )

    deck = Presentation(io.BytesIO(pptx_render(doc)))

    slides = list(deck.slides)[1:]
    assert [title(slide) for slide in slides] == ["Data notes", "Data notes (continued)"]
    first = [shape.table for shape in slides[0].shapes if shape.has_table]
    assert [grid.cell(0, 0).text for grid in first] == ["Account", "KPI"]
    assert {"Coverage", "KPI definitions"} <= set(texts(slides[0]))
    assert [len(shape.table.rows) for shape in slides[1].shapes if shape.has_table] == [
        TABLE_ROWS + 1
    ]


def test_table_numbers_and_dates_follow_the_reports_language() -> None:
    frame = pd.DataFrame(
        {
            "KPI": ["Portée", "Taux", "Variation"],
            "Valeur": [12345.0, 0.0917, -1.5],
            "Jour": [dt.date(2026, 10, 1), None, pd.Timestamp("2026-10-03")],
        }
    )
    doc = document([section("1-summary", "summary", "Synthèse", tables=[ReportTable("S", frame)])])
    doc.language = "fr"

    deck = Presentation(io.BytesIO(pptx_render(doc)))

    (shape,) = [shape for shape in deck.slides[1].shapes if shape.has_table]
    rows = [[cell.text for cell in row.cells] for row in shape.table.rows][1:]
    assert rows == [
        ["Portée", "12\xa0345", "01/10/2026"],
        ["Taux", "0,092", "–"],
        ["Variation", "-1,5", "03/10/2026"],
    ]
