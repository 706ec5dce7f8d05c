"""A ``ReportDocument`` as HTML (the preview and the share page) and as PDF (WeasyPrint).

Both come from one template, ``templates/reports/document.html``, styled by
``static/css/report.css``. Each section's own partial (``section.template``) is rendered with
``section.context`` plus ``section``, ``document``, ``mode`` and ``figure_html``: the section's
charts, ready to place (``{% for figure in figure_html %}{{ figure }}{% endfor %}``). A chart
the partial does not place is added after it, so no figure is ever lost.

In the PDF the charts are SVG drawn by Kaleido (``figures.ChartRenderer``), embedded as
``data:`` images so that WeasyPrint draws them as vectors. On the web they are figure JSON that
``static/js/charts.js`` draws with the locally served plotly.js, as on the dashboards.

WeasyPrint fetches through ``ReportUrlFetcher``: our static files, the document's logo under
MEDIA_ROOT and ``data:`` URLs, nothing else (no network, no other file). A refused resource is
logged and left out; the document still renders.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import formats
from django.utils._os import safe_join
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from dashboards import theme
from dashboards.charts import figure_json
from dashboards.reports.document import ReportDocument, ReportSection
from dashboards.reports.figures import ChartRenderer, ReportRenderError

# WeasyPrint logs every layout step at INFO: settings.LOGGING sets weasyprint.progress to WARNING.
logger = logging.getLogger(__name__)

Mode = Literal["pdf", "web"]

# Charts are drawn at this width in CSS px and scaled to the text width (174 mm, about 658 px).
FIGURE_WIDTH = 680
STYLESHEET = "css/report.css"
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# A logo larger than this is left off the web page rather than inlined into every preview.
MAX_INLINE_LOGO = 1024 * 1024
# Far more than any report someone reads; a document past it (a workspace with thousands of goals
# or accounts in its tables) is refused after layout rather than written out.
MAX_PAGES = 300
# Relative URLs in the document (the stylesheet) resolve against this origin, which the fetcher
# maps onto the static files; no request ever leaves the process.
BASE_URL = "https://report.rapport.invalid/"


class ForbiddenResource(ValueError):
    """The PDF asked for something it may not read (the network, a file outside our own)."""


@dataclass
class RenderTimings:
    """Seconds spent per stage of the last ``pdf_render`` call (the benchmark reads them)."""

    charts: float = 0.0
    html: float = 0.0
    layout: float = 0.0
    figures: int = 0
    pages: int = 0
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PlacedSection:
    """A section as the shell lays it out: its anchor (for the contents) and its HTML."""

    section: ReportSection
    anchor: str
    html: SafeString


def _color(value: str) -> str:
    return value if COLOR.match(value or "") else theme.ACCENT_COLOR


def _tint(color: str, share: float) -> str:
    """``color`` mixed with white, ``share`` being how much of the colour is kept."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(255 - (255 - channel) * share) for channel in (red, green, blue))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = []
    for i in (1, 3, 5):
        value = int(color[i : i + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def _ink(color: str) -> str:
    """Black or white, whichever reads better on ``color``."""
    # White wins while its contrast (1.05 / (L + 0.05)) beats black's ((L + 0.05) / 0.05).
    return "#ffffff" if _luminance(color) < 0.179 else "#111827"


def _text_on_white(color: str) -> str:
    """``color`` darkened until it reads as text on white (contrast 4.5:1, WCAG AA)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(11):
        keep = 1 - step / 10
        shade = "#" + "".join(f"{round(c * keep):02x}" for c in (red, green, blue))
        if 1.05 / (_luminance(shade) + 0.05) >= 4.5:
            return shade
    return "#111827"


def _anchor(section: ReportSection) -> str:
    return "r-" + (slugify(section.key) or "section")


def _page_parts() -> tuple[str, str, str]:
    """ "Page ", " of ", "" split around the numbers, which only CSS counters can fill in."""
    text = _("Page %(page)s of %(pages)s") % {"page": "\x00", "pages": "\x01"}
    before, _sep, rest = text.partition("\x00")
    middle, _sep, after = rest.partition("\x01")
    return before, middle, after


def _logo_src(path: str | None, mode: Mode) -> str:
    if not path:
        return ""
    logo = Path(path)
    if not logo.is_file():
        return ""
    if mode == "pdf":
        return logo.resolve().as_uri()
    if logo.stat().st_size > MAX_INLINE_LOGO:
        return ""
    content_type = mimetypes.guess_type(logo.name)[0] or "image/png"
    # Inlined: the preview and share pages may be served where MEDIA_URL is not; an SVG in an
    # <img> cannot run scripts.
    return f"data:{content_type};base64,{base64.b64encode(logo.read_bytes()).decode('ascii')}"


def _figure_blocks(
    document: ReportDocument, mode: Mode, svgs: list[bytes]
) -> dict[str, list[SafeString]]:
    """Per section key, the HTML of each of its charts."""
    blocks: dict[str, list[SafeString]] = {}
    drawn = iter(svgs)
    for section in document.sections:
        items = []
        for index, figure in enumerate(section.figures):
            if mode == "pdf":
                svg = base64.b64encode(next(drawn)).decode("ascii")
                body = format_html(
                    '<img class="r-figure__img" src="data:image/svg+xml;base64,{}" alt="{}">',
                    svg,
                    figure.title,
                )
            else:
                chart_id = f"{_anchor(section)}-{index + 1}"
                body = mark_safe(  # noqa: S308 - a template rendered with autoescape on
                    render_to_string(
                        "includes/chart.html",
                        {
                            "chart_id": chart_id,
                            "figure": figure_json(figure.figure),
                            "label": figure.title,
                            "name": f"{document.workspace_slug}-{chart_id}",
                        },
                    )
                )
            items.append(
                format_html(
                    '<figure class="r-figure">'
                    '<figcaption class="r-figure__title">{}</figcaption>{}</figure>',
                    figure.title,
                    body,
                )
            )
        blocks[section.key] = items
    return blocks


def _section_html(
    section: ReportSection, document: ReportDocument, mode: Mode, figures: list[SafeString]
) -> SafeString:
    context = {
        **section.context,
        "section": section,
        "document": document,
        "mode": mode,
        "figure_html": figures,
    }
    html = render_to_string(section.template, context)
    # A chart the partial did not place itself goes after it.
    missing = [figure for figure in figures if figure not in html]
    return mark_safe(html + "".join(missing))  # noqa: S308 - rendered with autoescape on


def _charts_svg(document: ReportDocument, charts: ChartRenderer | None) -> list[bytes]:
    wanted = [
        (figure.figure, FIGURE_WIDTH, figure.height)
        for section in document.sections
        for figure in section.figures
    ]
    if not wanted:
        return []
    if charts is not None:
        return charts.render(wanted, "svg")
    with ChartRenderer() as renderer:
        return renderer.render(wanted, "svg")


def report_html(
    document: ReportDocument,
    *,
    mode: Mode,
    charts: ChartRenderer | None = None,
    svgs: list[bytes] | None = None,
) -> str:
    """The report as HTML: a whole page for WeasyPrint ("pdf"), or an ``<article>`` ("web").

    In "pdf" mode the charts are drawn with ``charts`` (a new Chromium session without it), or
    taken from ``svgs`` when the caller drew them already, in document order.
    """
    with override(document.language):
        if mode == "pdf" and svgs is None:
            svgs = _charts_svg(document, charts)
        blocks = _figure_blocks(document, mode, svgs or [])
        color = _color(document.branding.color)
        cover = next((s for s in document.sections if s.type == "cover"), None)
        sections = [
            PlacedSection(
                section,
                _anchor(section),
                _section_html(section, document, mode, blocks[section.key]),
            )
            for section in document.sections
            if section.type != "cover"
        ]
        before, middle, after = _page_parts()
        context = {
            "document": document,
            "mode": mode,
            "cover": cover,
            "cover_title": cover.title if cover and cover.title else document.title,
            "sections": sections,
            "toc": [item for item in sections if item.section.in_toc],
            "brand_color": color,
            "brand_tint": _tint(color, 0.10),
            "brand_soft": _tint(color, 0.35),
            "brand_ink": _ink(color),
            "brand_text": _text_on_white(color),
            "logo_src": _logo_src(document.branding.logo_path, mode),
            "stylesheet_url": settings.STATIC_URL + STYLESHEET,
            "page_before": before,
            "page_middle": middle,
            "page_after": after,
            "generated": formats.date_format(document.generated_at.date(), "j F Y"),
        }
        return render_to_string("reports/document.html", context)


class ReportUrlFetcher(URLFetcher):
    """Gives WeasyPrint our static files, one logo and ``data:`` URLs; refuses everything else."""

    def __init__(self, *, logo_path: str | None = None) -> None:
        super().__init__(timeout=5, allowed_protocols={"data", "file", "https"})
        self.logo = Path(logo_path).resolve() if logo_path else None
        self.media_root = Path(settings.MEDIA_ROOT).resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = self._local_path(url)
        except ForbiddenResource as error:
            logger.warning("Report PDF: %s", error)
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )

    def _local_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            # The logo only: the one file the builder vetted, and it must be under MEDIA_ROOT.
            if path == self.logo and self.media_root in path.parents and path.is_file():
                return path
            raise ForbiddenResource(f"refused to read {url}: only the workspace logo is allowed")
        if url.startswith(BASE_URL.rstrip("/") + settings.STATIC_URL):
            name = unquote(parts.path)[len(settings.STATIC_URL) :]
            if found := self._static_path(name):
                return found
            raise ForbiddenResource(f"no static file {name!r}")
        raise ForbiddenResource(f"refused to fetch {url}: reports read only Rapport's own files")

    @staticmethod
    def _static_path(name: str) -> Path | None:
        try:
            found = finders.find(name)
            if found:
                return Path(str(found)).resolve()
            if settings.STATIC_ROOT:
                candidate = Path(safe_join(str(settings.STATIC_ROOT), name))
                if candidate.is_file():
                    return candidate
        except SuspiciousFileOperation:
            return None
        return None


def pdf_render(
    document: ReportDocument,
    *,
    charts: ChartRenderer | None = None,
    timings: RenderTimings | None = None,
) -> bytes:
    """The report as a PDF. ``charts`` reuses a warm Chromium; ``timings`` receives the split."""
    timings = timings if timings is not None else RenderTimings()
    started = time.perf_counter()
    with override(document.language):
        svgs = _charts_svg(document, charts)
        timings.charts = time.perf_counter() - started
        timings.figures = len(svgs)
        started = time.perf_counter()
        html = report_html(document, mode="pdf", svgs=svgs)
        timings.html = time.perf_counter() - started
        started = time.perf_counter()
        fetcher = ReportUrlFetcher(logo_path=document.branding.logo_path)
        try:
            rendered = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
            if len(rendered.pages) > MAX_PAGES:
                raise ReportRenderError(
                    _(
                        "The report would have %(pages)s pages; Rapport makes at most %(max)s. "
                        "Shorten the period or remove sections, and use the data export for "
                        "long tables."
                    )
                    % {"pages": len(rendered.pages), "max": MAX_PAGES}
                )
            content = rendered.write_pdf()
        except ReportRenderError:
            raise
        except Exception as error:
            raise ReportRenderError(f"The PDF could not be laid out: {error}") from error
        timings.layout = time.perf_counter() - started
        timings.pages = len(rendered.pages)
    assert isinstance(content, bytes)
    return content
