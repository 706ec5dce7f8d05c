"""The PDF renderer: pages, contents, vector charts, long tables, escaping and the URL fetcher.

Most tests build a ``ReportDocument`` by hand, with section partials of their own (a locmem
template loader), so that they check the shell and the renderer rather than the builder. One
test renders the demo workspace's monthly template end to end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from dashboards import theme
from dashboards.reports.document import (
    Branding,
    ReportDocument,
    ReportFigure,
    ReportSection,
    ReportTable,
)
from dashboards.reports.figures import ChartRenderer
from dashboards.reports.render_pdf import (
    ForbiddenResource,
    RenderTimings,
    ReportUrlFetcher,
    pdf_render,
    report_html,
)

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "reports"

# Stand-ins for the builder's partials: the shell must place what they render, in order.
PARTIALS = {
    "test/summary.html": (
        '<p class="r-lead">{{ lead }}</p><div class="r-cards">{% for card in cards %}'
        '<div class="r-card"><span class="r-card__label">{{ card.label }}</span>'
        '<span class="r-card__value">{{ card.value }}</span>'
        '<span class="r-card__change is-good">{{ card.change }}</span>'
        '<span class="r-card__goal"><span class="r-badge is-on-track">On track</span></span>'
        "</div>{% endfor %}</div>"
    ),
    "test/chart.html": (
        '<p class="r-lead">{{ lead }}</p>{% for figure in figure_html %}{{ figure }}{% endfor %}'
    ),
    # Places no figure itself: the shell must add them after it.
    "test/bare.html": "<p>{{ lead }}</p>",
    "test/posts.html": (
        '<table class="r-table"><thead><tr><th>Post</th><th class="num">Engagements</th></tr>'
        '</thead><tbody>{% for row in rows %}<tr><td class="r-table__text">{{ row.text }}</td>'
        '<td class="num">{{ row.value }}</td></tr>{% endfor %}</tbody></table>'
    ),
    "test/commentary.html": "<p>{{ text }}</p>",
}


def _templates(partials: dict[str, str]) -> list[dict[str, Any]]:
    base: dict[str, Any] = settings.TEMPLATES[0]
    return [
        {
            **base,
            "APP_DIRS": False,
            "OPTIONS": {
                **base["OPTIONS"],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", partials),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]


def _bar(title: str, values: list[int]) -> go.Figure:
    figure = go.Figure(go.Bar(x=["Facebook", "Instagram", "LinkedIn"], y=values, name=title))
    figure.update_layout(template="rapport")
    return figure


def make_document(
    *, posts: int = 12, logo_path: str | None = None, title: str = "Monthly report"
) -> ReportDocument:
    rows = [{"text": f"Post number {i} about the launch", "value": 1000 + i} for i in range(posts)]
    sections = [
        ReportSection("1-cover", "cover", "Board report October", "test/commentary.html"),
        ReportSection(
            "2-summary",
            "summary",
            "Executive summary",
            "test/summary.html",
            context={
                "lead": "Reach grew by 12% while engagements held.",
                "cards": [
                    {"label": "Reach", "value": "987,654", "change": "+12.0%"},
                    {"label": "Engagements", "value": "43,210", "change": "+1.2%"},
                    {"label": "Followers", "value": "12,345", "change": "+0.4%"},
                ],
            },
        ),
        ReportSection(
            "3-kpi_chart",
            "kpi_chart",
            "Reach by platform",
            "test/chart.html",
            context={"lead": "Instagram brought most of the reach."},
            figures=[ReportFigure("Reach <script>alert(1)</script>", _bar("x", [5, 9, 3]))],
        ),
        ReportSection(
            "4-kpi_chart",
            "kpi_chart",
            "Engagements by platform",
            "test/bare.html",
            context={"lead": "Engagements were flat."},
            figures=[ReportFigure("Engagements", _bar("y", [2, 4, 6]), height=260)],
        ),
        ReportSection(
            "5-posts",
            "posts",
            "Top posts",
            "test/posts.html",
            context={"rows": rows},
            tables=[ReportTable("Top posts", pd.DataFrame(rows))],
        ),
        ReportSection(
            "6-commentary",
            "commentary",
            "Our comments",
            "test/commentary.html",
            context={"text": "<script>alert('x')</script> & <b>bold</b>"},
        ),
    ]
    return ReportDocument(
        title=title,
        workspace_name="Acme <Coffee>",
        workspace_slug="acme",
        language="en",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        compare_start=dt.date(2026, 9, 1),
        compare_end=dt.date(2026, 9, 30),
        period_label="1 October 2026 – 31 October 2026",
        compare_label="1 September 2026 – 30 September 2026",
        scope_lines=["Platforms: Facebook, Instagram"],
        generated_at=timezone.now(),
        branding=Branding(
            name="Acme <Coffee>", color="#7a1f5c", footer="Confidential", logo_path=logo_path
        ),
        sections=sections,
        has_data=True,
    )


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pages(pdf: bytes, tmp_path: Path, name: str) -> list[Path]:
    """The pages as PNG at 50 dpi, also kept under artifacts/reports/ to look at."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def _images(pdf: bytes, tmp_path: Path) -> list[str]:
    """``pdfimages -list`` rows: one per raster image in the PDF."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [line for line in listing.splitlines()[2:] if line.strip()]


@pytest.fixture(scope="module")
def charts() -> Iterator[ChartRenderer]:
    # One warm Chromium for the whole module: starting it is most of a render's time.
    with ChartRenderer() as renderer:
        yield renderer


@pytest.fixture
def partials() -> Iterator[None]:
    with override_settings(TEMPLATES=_templates(PARTIALS)):
        yield


# Every test but the demo one renders hand-made sections with the partials above.
hand_made = pytest.mark.usefixtures("partials")


@pytest.fixture
def logo(tmp_path: Path) -> Iterator[str]:
    media = tmp_path / "media"
    (media / "logos").mkdir(parents=True)
    path = media / "logos" / "acme.png"
    # A real 8×8 PNG (red), so that pdfimages finds exactly one raster image: the logo.
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 30, 30)).save(path)
    with override_settings(MEDIA_ROOT=str(media)):
        yield str(path)


@hand_made
def test_pdf_has_cover_contents_sections_and_numbers(charts: ChartRenderer, tmp_path: Path) -> None:
    timings = RenderTimings()
    pdf = pdf_render(make_document(), charts=charts, timings=timings)

    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    for title in ("Board report October", "Contents", "Executive summary", "Reach by platform"):
        assert title in text
    assert "987,654" in text
    assert "Compared with 1 September 2026 – 30 September 2026" in text
    # Running header and footer on the pages after the cover; "Page X of Y" counts them all.
    assert "Confidential" in text
    assert re.search(r"Page 3 of \d+", text)
    # The contents give each section's page: the summary opens page 3 (cover, contents).
    assert re.search(r"Executive summary\s+3\b", text)
    assert timings.figures == 2 and timings.pages == len(_pages(pdf, tmp_path, "hand"))


@hand_made
def test_charts_are_vector_and_only_the_logo_is_raster(
    charts: ChartRenderer, tmp_path: Path, logo: str
) -> None:
    pdf = pdf_render(make_document(logo_path=logo), charts=charts)

    images = _images(pdf, tmp_path)
    assert len(images) == 1, images
    assert images[0].split()[3:5] == ["8", "8"]  # width, height: the logo
    # The chart's axis labels are text in the PDF, not pixels.
    assert "Instagram" in _text(pdf, tmp_path)


@hand_made
def test_figure_not_placed_by_its_partial_is_still_drawn(
    charts: ChartRenderer, tmp_path: Path
) -> None:
    document = make_document()
    html = report_html(document, mode="pdf", charts=charts)

    assert html.count('class="r-figure"') == 2
    engagements = html.index("Engagements were flat.")
    assert html.index('<figcaption class="r-figure__title">Engagements</figcaption>') > (
        engagements
    )


@hand_made
def test_200_posts_table_breaks_across_pages_with_repeated_header(
    charts: ChartRenderer, tmp_path: Path
) -> None:
    pdf = pdf_render(make_document(posts=200), charts=charts)

    text = _text(pdf, tmp_path)
    assert "Post number 199 about the launch" in text
    pages = text.split("\f")
    with_posts = [page for page in pages if "Post number" in page]
    assert len(with_posts) >= 4
    # thead repeats: every page of the table starts with its column headers (drawn uppercase).
    assert all(re.search(r"POST\s+ENGAGEMENTS", page) for page in with_posts)
    # No row is cut in two: each of the 200 values is on a page with its post.
    assert sum(page.count("about the launch") for page in with_posts) == 200


@hand_made
def test_user_text_is_escaped(charts: ChartRenderer, tmp_path: Path) -> None:
    document = make_document(title="Q4 <script>alert(1)</script>")
    html = report_html(document, mode="pdf", charts=charts)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "Acme &lt;Coffee&gt;" in html
    text = _text(pdf_render(document, charts=charts), tmp_path)
    assert "<script>alert('x')</script> & <b>bold</b>" in text


@hand_made
def test_web_mode_embeds_figure_json_for_plotly(charts: ChartRenderer) -> None:
    html = report_html(make_document(), mode="web")

    assert html.lstrip().startswith('<article class="r-document r-document--web"')
    assert "<html" not in html
    assert html.count('type="application/json"') == 2
    assert 'data-figure="figure-r-3-kpi_chart-1"' in html
    # The figure's text reaches the page only inside JSON, where "<" is escaped.
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/style.css",
        "file:///etc/passwd",
        "https://report.rapport.invalid/static/../../etc/passwd",
        "ftp://example.com/x.png",
    ],
)
def test_fetcher_refuses_everything_but_our_files(url: str) -> None:
    with pytest.raises(ForbiddenResource):
        ReportUrlFetcher().fetch(url)


def test_fetcher_reads_static_files_and_the_logo_only(logo: str) -> None:
    fetcher = ReportUrlFetcher(logo_path=logo)

    css = fetcher.fetch("https://report.rapport.invalid/static/css/report.css")
    assert b"@page" in css.read()
    assert fetcher.fetch(Path(logo).as_uri()).read().startswith(b"\x89PNG")
    other = Path(logo).with_name("other.png")
    other.write_bytes(Path(logo).read_bytes())
    with pytest.raises(ForbiddenResource):
        fetcher.fetch(other.as_uri())


@hand_made
def test_document_with_forbidden_resources_still_renders(
    charts: ChartRenderer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = {
        **PARTIALS,
        "test/commentary.html": (
            '<p>{{ text }}</p><img src="http://example.com/x.png">'
            '<img src="file:///etc/passwd"><link rel="stylesheet" href="https://example.com/a.css">'
        ),
    }
    with override_settings(TEMPLATES=_templates(hostile)):
        pdf = pdf_render(make_document(), charts=charts)

    assert pdf.startswith(b"%PDF")
    refused = " ".join(record.getMessage() for record in caplog.records)
    assert "http://example.com/x.png" in refused
    assert "file:///etc/passwd" in refused
    assert "Our comments" in _text(pdf, tmp_path)


@hand_made
def test_french_report_is_rendered_in_french(charts: ChartRenderer, tmp_path: Path) -> None:
    document = make_document()
    document.language = "fr"

    text = _text(pdf_render(document, charts=charts), tmp_path)

    # The date on the cover is formatted in French (Django's own month names).
    assert document.generated_at.strftime("%Y") in text
    month = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ][document.generated_at.month - 1]
    assert month in text
    assert 'lang="fr"' in report_html(document, mode="pdf", charts=charts)


@pytest.mark.django_db
def test_demo_monthly_report_renders(charts: ChartRenderer, tmp_path: Path) -> None:
    from dashboards.reports.build import report_build
    from reporting.report_models import ReportTemplate

    # Enough days for last month and the month before it, the monthly report's two periods.
    call_command("seed_demo", "--days=70", stdout=open(os.devnull, "w"))  # noqa: SIM115
    template = ReportTemplate.objects.get(key="monthly")
    document = report_build(template=template)
    timings = RenderTimings()
    pdf = pdf_render(document, charts=charts, timings=timings)

    text = " ".join(_text(pdf, tmp_path).split())
    for section in document.sections:
        assert " ".join(section.title.split()) in text
    assert timings.figures == document.figure_count() >= 10
    # Every chart is vector, the content analysis' heatmap too; the demo has no logo.
    assert _images(pdf, tmp_path) == []
    pages = _pages(pdf, tmp_path, "demo-monthly")
    assert len(pages) == timings.pages >= 8


@pytest.mark.parametrize(
    ("brand", "ink", "text"),
    [
        ("#1f4e79", "#ffffff", "#1f4e79"),  # dark: white on the band, itself as text
        ("#f0e442", "#111827", "#787221"),  # light yellow: dark ink, darkened for text
        ("not a colour", "#ffffff", theme.ACCENT_COLOR.lower()),  # invalid: the theme's accent
    ],
)
def test_brand_colour_stays_readable(brand: str, ink: str, text: str) -> None:
    document = make_document()
    document.branding = dataclasses.replace(document.branding, color=brand)

    with override_settings(TEMPLATES=_templates(PARTIALS)):
        html = report_html(document, mode="web")

    assert f"--r-brand-ink: {ink}" in html
    assert f"--r-brand-text: {text}" in html
