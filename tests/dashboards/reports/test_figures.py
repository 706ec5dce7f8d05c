"""Charts for reports: SVG and PNG from Kaleido in the system Chromium, one warm session."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
import plotly.graph_objects as go
import pytest
from django.test import override_settings

from dashboards import theme
from dashboards.reports.figures import (
    PNG_SCALE,
    ChartRenderer,
    ReportRenderError,
    chromium_path,
    figure_for_print,
    figures_render,
)


@pytest.fixture(scope="module")
def charts() -> Iterator[ChartRenderer]:
    with ChartRenderer() as renderer:
        yield renderer


def _bars(title: str = "") -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=[120, 48],
            y=["Instagram", "LinkedIn"],
            orientation="h",
            text=["120", "48"],
            textposition="outside",
        )
    )
    figure.update_layout(template=theme.TEMPLATE, title_text=title)
    return figure


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_one_session_draws_svg_and_png_at_the_asked_size(charts: ChartRenderer) -> None:
    svgs = charts.render([(_bars(), 680, 320), (_bars(), 400, 200)], "svg")
    pngs = charts.render([(_bars(), 680, 320)], "png")

    assert [svg.lstrip().startswith(b"<svg") for svg in svgs] == [True, True]
    assert b'width="680"' in svgs[0] and b'height="200"' in svgs[1]
    assert b"Instagram" in svgs[0]  # text stays text: the PDF can select and search it
    assert pngs[0].startswith(b"\x89PNG")
    assert _png_size(pngs[0]) == (680 * PNG_SCALE, 320 * PNG_SCALE)


def test_printing_does_not_touch_the_callers_figure(charts: ChartRenderer) -> None:
    figure = _bars()
    before = figure.to_json()

    charts.render([(figure, 500, 300)], "svg")
    printed = figure_for_print(figure, width=500, height=300)

    assert figure.to_json() == before
    assert printed.layout.paper_bgcolor == "#ffffff"
    assert printed.layout.plot_bgcolor == "#ffffff"
    assert "DejaVu Sans" in printed.layout.font.family
    # Value labels outside the bars may run into the margin instead of being cut off.
    assert printed.data[0].cliponaxis is False and printed.layout.margin.r >= 56


def test_text_in_a_figure_is_escaped_by_plotly(charts: ChartRenderer) -> None:
    (svg,) = charts.render([(_bars("<script>alert(1)</script> & co"), 680, 320)], "svg")

    assert b"<script" not in svg
    assert b"&#60;script&#62;alert(1)&#60;/script&#62; &amp; co" in svg


def test_heatmap_is_drawn_as_vector_shapes(charts: ChartRenderer) -> None:
    z = np.array([[1.0, 2.0, np.nan], [4.0, 5.0, 6.0]])
    heatmap = go.Figure(go.Heatmap(z=z, x=["a", "b", "c"], y=["Mon", "Tue"], xgap=2, ygap=2))

    (svg,) = charts.render([(heatmap, 680, 320)], "svg")
    # The same figure sent as JSON (``{dtype, bdata}`` arrays), as a cached figure would be.
    (from_json,) = charts.render([(go.Figure(heatmap.to_plotly_json()), 680, 320)], "svg")

    for drawn in (svg, from_json):
        assert b"<image" not in drawn
        # Five cells with a value, the gap left empty; the colour bar keeps its scale.
        assert drawn.count(b'class="shape-group"') == 5
        assert b"colorbar" in drawn


def test_heatmap_on_numeric_axes_keeps_its_cells_in_place() -> None:
    from dashboards.reports.figures import _heatmap_as_shapes

    heatmap = go.Figure(go.Heatmap(z=[[1.0, 2.0], [3.0, 4.0]], x=[10, 20], y=[0, 1]))

    shapes = _heatmap_as_shapes(heatmap).layout.shapes

    # Numbers are cell centres: the first column spans 5 to 15, half-way to its neighbour.
    assert (shapes[0].x0, shapes[0].x1) == (5.0, 15.0)
    assert (shapes[3].y0, shapes[3].y1) == (0.5, 1.5)
    assert shapes[0].fillcolor != shapes[3].fillcolor


def test_figures_render_opens_and_closes_its_own_session() -> None:
    (png,) = figures_render([(_bars(), 300, 200)], "png")

    assert png.startswith(b"\x89PNG")
    assert figures_render([], "svg") == []


def test_missing_chromium_is_a_clear_error() -> None:
    with pytest.raises(ReportRenderError, match="RAPPORT_CHROMIUM"):
        ChartRenderer(path="/nonexistent/chromium").open()


def test_chromium_path_prefers_the_setting_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAPPORT_CHROMIUM", raising=False)
    monkeypatch.setenv("BROWSER_PATH", "/opt/chrome/chrome")
    assert chromium_path() == "/opt/chrome/chrome"
    monkeypatch.setenv("RAPPORT_CHROMIUM", "/usr/local/bin/chromium")
    assert chromium_path() == "/usr/local/bin/chromium"
    with override_settings(RAPPORT_CHROMIUM="/srv/chromium"):
        assert chromium_path() == "/srv/chromium"
