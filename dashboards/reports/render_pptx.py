"""A report as editable 16:9 slides (python-pptx), for managers who present it in a meeting.

One slide per section, opened by a cover (the cover section, or one made from the document's
title). Titles and sentences are real text a presenter can edit; a section's tables are native
PowerPoint tables (at most ``TABLE_ROWS`` rows each, the rest left to the data export);
charts are PNG images drawn in one Chromium session by ``figures.figures_render``. A section
whose text, charts or tables do not fit continues on a "(continued)" slide. The speaker notes
hold each section's notes, and the summary slide (else the cover) the document's commentary.

Chart images are drawn at one CSS pixel per point of the slide, so a chart's 12 px labels read as
12 pt text, the size of a slide's small print.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import override
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.text.text import TextFrame
from pptx.util import Emu, Inches, Pt

from dashboards.reports.document import ReportDocument, ReportFigure, ReportSection, ReportTable
from dashboards.reports.figures import ChartRenderer, figures_render
from dashboards.reports.render_data import cell_value
from dashboards.reports.sections import COMMENTARY, COVER, SUMMARY

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches: PowerPoint's 16:9
MARGIN = 0.5
BAR_H = 1.0
BODY_TOP, BODY_BOTTOM = BAR_H + 0.3, SLIDE_H - 0.6
TABLE_ROWS = 12
FIGURES_PER_SLIDE = 2
TEXT_COLUMN_W = 4.3  # the sentences beside a chart or a table
TEXT_SIZES = (20, 18, 16, 14, 12)
DARK, MUTED, LIGHT = (
    RGBColor(0x1F, 0x29, 0x37),
    RGBColor(0x5B, 0x64, 0x72),
    RGBColor(0xF3, 0xF4, 0xF6),
)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
# C0 controls other than tab and newline, DEL, lone surrogates and the two XML non-characters
# cannot be stored in the slide XML (or show as "_x000B_"); "\r" becomes a newline first.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_URL = re.compile(r"^https?://\S+$")


def clean(text: Any) -> str:
    """``text`` as a string a slide can hold: Windows and old Mac line ends become newlines."""
    return _UNSAFE.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class _Page:
    """What one slide shows."""

    section: ReportSection | None  # None: the cover made from the document's title
    title: str
    lines: list[str] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    notes: str = ""
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)


def pptx_render(document: ReportDocument, *, charts: ChartRenderer | None = None) -> bytes:
    """The slides of ``document`` as a .pptx file. ``charts`` reuses a warm Chromium."""
    with override(document.language):
        pages = _pages(document)
        batch = []
        for page in pages:
            page.boxes = _figure_boxes(page)
            batch += [
                (figure.figure, round(w * 72), round(h * 72))
                for figure, (_x, _y, w, h) in zip(page.figures, page.boxes, strict=True)
            ]
        drawn = charts.render(batch, "png") if charts and batch else figures_render(batch, "png")
        images = iter(drawn)
        for page in pages:
            page.images = [next(images) for _figure in page.figures]
        deck = Presentation()
        deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
        deck.core_properties.title = clean(document.title)
        deck.core_properties.author = "Rapport"
        for number, page in enumerate(pages, start=1):
            slide = deck.slides.add_slide(deck.slide_layouts[5])  # "Title Only"
            if number == 1:
                _cover(slide, page, document)
            else:
                _content(slide, page, document, number=number, total=len(pages))
            if page.notes:
                slide.notes_slide.notes_text_frame.text = clean(page.notes)
        out = io.BytesIO()
        deck.save(out)
    return out.getvalue()


def _pages(document: ReportDocument) -> list[_Page]:
    covers = [s for s in document.sections if s.type == COVER]
    cover = _Page(covers[0] if covers else None, covers[0].title if covers else document.title)
    cover.notes = covers[0].notes if covers else ""
    pages = [cover]
    for section in document.sections:
        if section.type != COVER:
            pages += _section_pages(section)
    if document.commentary.strip():
        summary = next((p for p in pages if p.section and p.section.type == SUMMARY), cover)
        if document.commentary.strip() not in summary.notes:
            summary.notes = "\n\n".join(filter(None, [summary.notes, document.commentary.strip()]))
    return pages


def _section_pages(section: ReportSection) -> list[_Page]:
    """The slides of one section: the first with its notes, then "(continued)" slides."""
    lines = [clean(line) for line in section.lines if clean(line).strip()]
    pages: list[_Page] = []
    figures = section.figures
    # Charts tell the story of a section that has them; its tables stay in the data export.
    tables = [t for t in section.tables if not t.frame.empty] if not figures else []
    chunks = [figures[i : i + FIGURES_PER_SLIDE] for i in range(0, len(figures), FIGURES_PER_SLIDE)]
    for chunk in chunks or [[]]:
        pages.append(_Page(section, section.title, figures=chunk))
    if tables:
        groups = _table_groups(tables)
        pages[0].tables = groups[0]
        pages += [_Page(section, section.title, tables=group) for group in groups[1:]]
    # The sentences go where they fit beside the first slide's chart or table, or fill slides.
    width = TEXT_COLUMN_W if (pages[0].figures or pages[0].tables) else SLIDE_W - 2 * MARGIN
    pages[0].lines, rest = _take(lines, width)
    while rest:
        more, rest = _take(rest, SLIDE_W - 2 * MARGIN)
        pages.append(_Page(section, section.title, lines=more))
    for page in pages[1:]:
        page.title = _("%(title)s (continued)") % {"title": section.title}
    pages[0].notes = section.notes
    return pages


def _table_groups(tables: list[ReportTable]) -> list[list[ReportTable]]:
    """``tables`` in slide-sized groups, in order: small tables share a slide (each under its
    name, in the small print), one that fills a slide has it to itself."""
    groups: list[list[ReportTable]] = [[]]
    used = 0.0
    for table in tables:
        needed = _table_height(table, True)
        if groups[-1] and used + needed > BODY_BOTTOM - BODY_TOP:
            groups.append([])
            used = 0.0
        groups[-1].append(table)
        used += needed
    return groups


def _table_height(table: ReportTable, small: bool) -> float:
    """About how tall ``table`` is drawn: its name when ``small`` (it shares the slide), the
    header and rows, the "+N more" line and the gap after it."""
    rows = min(len(table.frame), TABLE_ROWS)
    size = 10 if small or len(_shown_columns(table)) > 5 else 12
    more = 0.4 if len(table.frame) > rows else 0
    return (0.4 if small else 0) + (rows + 1) * _row_height(size) + more + 0.25


def _row_height(size: int) -> float:
    """A one-line table row in inches: the line (1.2 × the font size) and the cell's default
    top and bottom margins (0.05 in each)."""
    return (size * 1.2 + 7.2) / 72


def _rows_of(text: str, width: float, size: int) -> int:
    """Roughly how many rows ``text`` takes in a box ``width`` inches wide at ``size`` points
    (an average glyph is about half as wide as the font size)."""
    per_row = max(10, int(width * 72 / (size * 0.5)))
    return sum(max(1, math.ceil(len(part) / per_row)) for part in text.split("\n"))


def _take(lines: list[str], width: float) -> tuple[list[str], list[str]]:
    """The lines that fit a text column ``width`` inches wide at 14 pt (at least one; a longer
    one is shrunk to fit), and the rest."""
    size = 14
    capacity = int((BODY_BOTTOM - BODY_TOP) * 72 / (size * 1.5))  # rows, with paragraph spacing
    used = 0
    for index, line in enumerate(lines):
        used += _rows_of(line, width - 0.4, size)
        if used > capacity and index > 0:
            return lines[:index], lines[index:]
    return lines, []


def _figure_boxes(page: _Page) -> list[tuple[float, float, float, float]]:
    """(left, top, width, height) in inches of each chart, under its caption."""
    if not page.figures:
        return []
    left = MARGIN + (TEXT_COLUMN_W + 0.3 if page.lines else 0)
    width = (SLIDE_W - MARGIN - left - 0.3 * (len(page.figures) - 1)) / len(page.figures)
    top, height = BODY_TOP + 0.4, BODY_BOTTOM - BODY_TOP - 0.4
    return [(left + i * (width + 0.3), top, width, height) for i in range(len(page.figures))]


def _rgb(color: str) -> RGBColor:
    try:
        return RGBColor.from_string(color.lstrip("#")[:6])
    except ValueError:
        return RGBColor(0x1F, 0x4E, 0x79)  # the workspace's default colour


def _on(color: RGBColor) -> RGBColor:
    """Dark or white text, whichever reads better on ``color`` (WCAG relative luminance)."""
    channels = [c / 255 for c in color]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return DARK if luminance > 0.4 else WHITE


def _box(slide: Slide, left: float, top: float, width: float, height: float) -> TextFrame:
    shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = shape.text_frame
    frame.word_wrap = True
    return frame


def _write(
    frame: TextFrame,
    lines: list[str],
    *,
    size: int,
    color: RGBColor = DARK,
    bullets: bool = False,
    bold: bool = False,
) -> None:
    """``lines`` as paragraphs of ``frame``; a newline inside a line is a line break."""
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        for part_index, part in enumerate(clean(line).split("\n")):
            if part_index:
                paragraph.add_line_break()
            run = paragraph.add_run()
            run.text = part
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color
        paragraph.space_after = Pt(size * 0.5)
        if bullets:
            # python-pptx has no bullet API for text boxes: a hanging "•" is set in the XML.
            props = paragraph._p.get_or_add_pPr()
            props.set("marL", str(Emu(Inches(0.3))))
            props.set("indent", str(-Emu(Inches(0.3))))
            bullet = props.makeelement(qn("a:buChar"), {"char": "•"})
            props.append(bullet)


def _fitting_size(lines: list[str], width: float, height: float) -> int:
    for size in TEXT_SIZES:
        rows = sum(_rows_of(line, width - 0.4, size) for line in lines)
        if rows * size * 1.5 <= height * 72:
            return size
    return TEXT_SIZES[-1]


def _band(slide: Slide, *, height: float, color: RGBColor) -> None:
    """A full-width band of the brand colour at the top, behind the title."""
    band = slide.shapes.add_shape(
        MSO_SHAPE.RECTANGLE, Emu(0), Emu(0), Inches(SLIDE_W), Inches(height)
    )
    band.fill.solid()
    band.fill.fore_color.rgb = color
    band.line.fill.background()
    band.shadow.inherit = False
    # Shapes are drawn in document order and the title placeholder comes first: move the band
    # before it (after the group's two property elements), or it would hide the title.
    tree = slide.shapes._spTree
    tree.remove(band._element)
    tree.insert(2, band._element)


def _cover(slide: Slide, page: _Page, document: ReportDocument) -> None:
    brand = _rgb(document.branding.color)
    _band(slide, height=4.2, color=brand)
    title = slide.shapes.title
    assert title is not None  # the "Title Only" layout has one
    title.left, title.top = Inches(MARGIN + 0.2), Inches(1.2)
    title.width, title.height = Inches(SLIDE_W - 2 * MARGIN - 0.4), Inches(1.8)
    _write(title.text_frame, [page.title], size=40, color=_on(brand), bold=True)
    title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    _write(
        _box(slide, MARGIN + 0.2, 3.1, SLIDE_W - 4, 0.8),
        [document.period_label],
        size=22,
        color=_on(brand),
    )
    details = [document.workspace_name]
    if document.compare_label:
        details.append(_("Compared with %(period)s") % {"period": document.compare_label})
    details += document.scope_lines
    if not document.has_data:
        details.append(_("No data for this period."))
    _write(_box(slide, MARGIN + 0.2, 4.6, SLIDE_W - 5.5, 2.0), details, size=16, color=MUTED)
    _logo(slide, document.branding.logo_path)
    _footer(slide, document, number=None, total=None)


def _logo(slide: Slide, path: str | None) -> None:
    """The workspace's logo at the cover's bottom right; a file Pillow cannot read is skipped
    (the cover is still useful without it)."""
    if not path:
        return
    try:
        with Image.open(path) as image:
            image.thumbnail((1200, 1200))
            png = io.BytesIO()
            # PNG whatever the upload was: a WebP logo is not a picture PowerPoint can show.
            image.convert("RGBA").save(png, "PNG")
            ratio = image.width / image.height
    except (OSError, ValueError, Image.DecompressionBombError):
        return
    width, height = (3.0, 3.0 / ratio) if ratio >= 3.0 / 1.6 else (1.6 * ratio, 1.6)
    slide.shapes.add_picture(
        png, Inches(SLIDE_W - MARGIN - width), Inches(6.6 - height), Inches(width), Inches(height)
    )


def _footer(
    slide: Slide, document: ReportDocument, *, number: int | None, total: int | None
) -> None:
    text = document.branding.footer or document.branding.name
    _write(_box(slide, MARGIN, SLIDE_H - 0.45, SLIDE_W - 3, 0.35), [text], size=10, color=MUTED)
    if number is not None:
        frame = _box(slide, SLIDE_W - MARGIN - 2, SLIDE_H - 0.45, 2, 0.35)
        _write(frame, [f"{number} / {total}"], size=10, color=MUTED)
        frame.paragraphs[0].alignment = PP_ALIGN.RIGHT


def _content(
    slide: Slide, page: _Page, document: ReportDocument, *, number: int, total: int
) -> None:
    brand = _rgb(document.branding.color)
    _band(slide, height=BAR_H, color=brand)
    title = slide.shapes.title
    assert title is not None
    title.left, title.top = Inches(MARGIN), Inches(0.1)
    title.width, title.height = Inches(SLIDE_W - 2 * MARGIN), Inches(BAR_H - 0.2)
    _write(title.text_frame, [page.title], size=28, color=_on(brand), bold=True)
    title.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    title.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    # A table too wide to sit beside the sentences goes under them, across the slide.
    stacked = any(len(_shown_columns(table)) > 5 for table in page.tables)
    top = BODY_TOP
    if page.lines:
        side = bool(page.figures or page.tables) and not stacked
        width = TEXT_COLUMN_W if side else SLIDE_W - 2 * MARGIN
        height = BODY_BOTTOM - BODY_TOP
        if stacked:
            height = max(
                0.8, height - sum(_table_height(t, len(page.tables) > 1) for t in page.tables)
            )
        frame = _box(slide, MARGIN, BODY_TOP, width, height)
        # A presenter who adds text gets it shrunk to fit rather than spilling off the slide.
        frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        size = _fitting_size(page.lines, width, height)
        _write(
            frame,
            page.lines,
            size=size,
            bullets=page.section is not None and page.section.type != COMMENTARY,
        )
        if stacked:
            used = sum(_rows_of(line, width - 0.4, size) for line in page.lines) * size * 1.5
            top += min(height, used / 72) + 0.15
    for figure, (left, top, width, height), png in zip(
        page.figures, page.boxes, page.images, strict=True
    ):
        _write(
            _box(slide, left, top - 0.4, width, 0.4),
            [figure.title],
            size=14,
            color=MUTED,
            bold=True,
        )
        picture = slide.shapes.add_picture(
            io.BytesIO(png), Inches(left), Inches(top), Inches(width), Inches(height)
        )
        for properties in picture._element.xpath("./p:nvPicPr/p:cNvPr"):
            properties.set("descr", clean(figure.title))  # the alt text
    left = MARGIN + (TEXT_COLUMN_W + 0.3 if page.lines and not stacked else 0)
    for table in page.tables:
        if len(page.tables) > 1:
            _write(
                _box(slide, left, top, SLIDE_W - MARGIN - left, 0.4),
                [table.name],
                size=14,
                color=MUTED,
                bold=True,
            )
            top += 0.4
        top = _table(
            slide,
            table,
            left=left,
            top=top,
            width=SLIDE_W - MARGIN - left,
            brand=brand,
            small=len(page.tables) > 1,
        )
        top += 0.25
    _footer(slide, document, number=number, total=total)


def _table(
    slide: Slide,
    table: ReportTable,
    *,
    left: float,
    top: float,
    width: float,
    brand: RGBColor,
    small: bool = False,
) -> float:
    """The first ``TABLE_ROWS`` rows of ``table``, one line per row, under a brand-coloured
    header; a cell too long for its column is cut with "…" (the full text is in the export).
    Returns where the table (and its "+N more" line) ends, in inches from the top."""
    frame = table.frame
    shown = frame.iloc[:TABLE_ROWS, _shown_columns(table)]
    more = len(frame) - len(shown)
    header = [clean(column) for column in shown.columns]
    cells = [[_cell(value) for value in row] for row in shown.itertuples(index=False, name=None)]
    size = 10 if small or len(header) > 5 else 12
    # Each column as wide as its longest value (a header may wrap onto two lines); when they
    # do not all fit, the widest (the texts) are narrowed alike and their values cut.
    natural = [
        max([min(len(header[i]), 14), *(len(row[i][0]) for row in cells)]) * size * 0.55 / 72 + 0.15
        for i in range(len(header))
    ]
    widths = _fit_widths(natural, width)
    row_h = _row_height(size)
    header_h = row_h * max(
        min(_rows_of(name, w + 0.3, size), 3) for name, w in zip(header, widths, strict=True)
    )
    height = header_h + row_h * len(cells)
    shape = slide.shapes.add_table(
        len(cells) + 1, len(header), Inches(left), Inches(top), Inches(width), Inches(height)
    )
    grid = shape.table
    grid.rows[0].height = Inches(header_h)
    for index, column_width in enumerate(widths):
        grid.columns[index].width = Inches(column_width)
        fits = max(3, int((column_width - 0.15) * 72 / (size * 0.55)))
        for row in cells:
            text = row[index][0]
            if len(text) > fits:
                row[index] = (text[: fits - 1] + "…", row[index][1])
    for row_index, row in enumerate([[(name, False) for name in header], *cells]):
        if row_index:
            grid.rows[row_index].height = Inches(row_h)
        for column, (text, numeric) in enumerate(row):
            cell = grid.cell(row_index, column)
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.fill.solid()
            cell.fill.fore_color.rgb = (
                brand if row_index == 0 else (LIGHT if row_index % 2 == 0 else WHITE)
            )
            color = _on(brand) if row_index == 0 else DARK
            _write(cell.text_frame, [text], size=size, color=color, bold=row_index == 0)
            cell.text_frame.paragraphs[0].space_after = Pt(0)
            if numeric:
                cell.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
    if more > 0:
        note = _("+%(count)s more in the data export") % {"count": more}
        _write(_box(slide, left, top + height + 0.05, width, 0.35), [note], size=12, color=MUTED)
        return top + height + 0.4
    return top + height


def _shown_columns(table: ReportTable) -> list[int]:
    """The positions of the columns a slide shows: links are unreadable on a slide (and
    clickable in the data export), so a column of nothing but links is left out."""
    frame = table.frame
    positions = [i for i in range(frame.shape[1]) if not _links_only(frame.iloc[:, i])]
    return positions or list(range(frame.shape[1]))


def _fit_widths(natural: list[float], width: float) -> list[float]:
    """Column widths that add up to ``width``: stretched alike when ``natural`` fits, else the
    columns wider than an even share of what the narrower ones leave are capped at it."""
    if sum(natural) <= width:
        return [w * width / sum(natural) for w in natural]
    remaining, cap = width, width / len(natural)
    for index, w in enumerate(sorted(natural)):
        cap = remaining / (len(natural) - index)
        if w > cap:
            break
        remaining -= w
    return [min(w, cap) for w in natural]


def _links_only(column: pd.Series) -> bool:
    values = column.dropna()
    return bool(len(values)) and all(_URL.match(str(value)) for value in values)


def _cell(value: Any) -> tuple[str, bool]:
    """A table value as slide text in the report's language, and whether it is a number."""
    plain = cell_value(value)
    if plain is None:
        return "–", False
    if isinstance(plain, bool):
        return (_("Yes") if plain else _("No")), False
    if isinstance(plain, int | float):
        # A rate of 0.0917 keeps three decimals; a count of people needs none.
        places = (
            0 if float(plain).is_integer() else 3 if abs(plain) < 1 else 2 if abs(plain) < 10 else 1
        )
        # Rounded first: Django's number_format cuts the extra decimals off (0.0917 → 0.091).
        rounded = round(plain, places)
        text = str(formats.number_format(rounded, places, use_l10n=True, force_grouping=True))
        if places:
            text = text.rstrip("0").rstrip(str(formats.get_format("DECIMAL_SEPARATOR")))
        return text, True
    if isinstance(plain, dt.datetime):
        return str(formats.date_format(plain, "SHORT_DATETIME_FORMAT")), False
    if isinstance(plain, dt.date):
        return str(formats.date_format(plain, "SHORT_DATE_FORMAT")), False
    return " ".join(clean(plain).split()), False
