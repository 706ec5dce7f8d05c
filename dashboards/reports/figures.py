"""Plotly figures as SVG (the PDF) or PNG (the slides), drawn by Kaleido in the system Chromium.

Starting Chromium costs about 2.5 s and each chart then about 0.15 s, so one ``ChartRenderer``
(one browser) draws every chart of a document::

    with ChartRenderer() as charts:
        svgs = charts.render([(figure, 680, 320), ...], fmt="svg")

Entering the ``with`` starts Chromium without waiting for it; ``render`` waits. So a caller that
builds the report inside the block hides Chromium's start behind the report's queries::

    with ChartRenderer() as charts:
        document = report_build(template=template)
        pdf = pdf_render(document, charts=charts)

``figures_render`` draws a single batch in a session of its own. Kaleido is asynchronous; the
renderer runs its own event loop in a thread, so it works the same from a view, a Celery task, a
management command or a test that already runs an event loop (Playwright's sync API does).

The browser is found in this order: ``settings.RAPPORT_CHROMIUM``, the ``RAPPORT_CHROMIUM`` and
``BROWSER_PATH`` environment variables (the latter is Kaleido's own), ``/usr/bin/chromium``.
Chromium's sandbox stays off (choreographer's default): the worker often runs as root in a
container, where the sandbox cannot start, and the pages it loads are our own figures.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future
from itertools import pairwise
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np
import plotly.graph_objects as go
from django.conf import settings
from plotly.colors import get_colorscale, sample_colorscale

# Kaleido and choreographer log every tab at INFO: settings.LOGGING sets them to WARNING.
logger = logging.getLogger(__name__)

Format = Literal["svg", "png"]
# Tabs drawing at once. Two draw 13 charts in 1.9 s instead of 2.6 s once Chromium runs, but
# take longer to open and about 100 MB more, so a report made from cold is no faster
# (bench/README.md): one tab by default.
TABS = 1
T = TypeVar("T")

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# The PDF's font (static/css/report.css); Chromium measures the text with the same face that
# WeasyPrint then draws, so labels fit their boxes on paper.
PRINT_FONT = '"DejaVu Sans", Verdana, Symbola, sans-serif'
# Slides are shown on screens far larger than a page: draw PNGs at twice their CSS size.
PNG_SCALE = 2
# Seconds for Chromium to start, and for one chart to be drawn.
OPEN_TIMEOUT = 60
RENDER_TIMEOUT = 60


class ReportRenderError(RuntimeError):
    """A report (or one of its charts) could not be rendered; the message says why."""


def chromium_path() -> str:
    configured = getattr(settings, "RAPPORT_CHROMIUM", "") or ""
    return (
        configured
        or os.environ.get("RAPPORT_CHROMIUM")
        or os.environ.get("BROWSER_PATH")
        or DEFAULT_CHROMIUM
    )


def figure_for_print(figure: go.Figure, *, width: int, height: int) -> go.Figure:
    """A copy of ``figure`` on white with the print font; the caller's figure is not touched."""
    printed = go.Figure(figure)
    printed.update_layout(
        width=width,
        height=height,
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        font_family=PRINT_FONT,
        hoverlabel_font_family=PRINT_FONT,
    )
    # Value labels outside the bars are clipped at the plot's edge on paper, where no hover
    # can show them: let them run into a margin wide enough for them.
    outside = [
        trace for trace in printed.data if trace.type == "bar" and trace.textposition == "outside"
    ]
    if outside:
        printed.update_traces(cliponaxis=False, selector={"type": "bar"})
        horizontal = any(trace.orientation == "h" for trace in outside)
        margin = printed.layout.margin
        if horizontal:
            printed.update_layout(margin_r=max(margin.r or 0, 56))
        else:
            printed.update_layout(margin_t=max(margin.t or 0, 24))
    return printed


def _array(value: Any) -> np.ndarray:
    """Plotly data as a float array, also from its JSON form ``{dtype, bdata, shape}``."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = [int(part) for part in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape).astype(float)
    return np.asarray(value, dtype=float)


def _values(value: Any, count: int) -> list[Any]:
    if value is None:
        return list(range(count))
    if isinstance(value, dict):
        return list(_array(value).tolist())
    return list(value)


def _cells(values: list[Any]) -> list[tuple[float, float]]:
    """Each cell's start and end along an axis: around its index for categories, half-way to
    its neighbours for numbers (a heatmap's x or y gives the centres of its cells)."""
    if not values or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        return [(i - 0.5, i + 0.5) for i in range(len(values))]
    centres = [float(v) for v in values]
    if len(centres) == 1:
        return [(centres[0] - 0.5, centres[0] + 0.5)]
    bounds = [(a + b) / 2 for a, b in pairwise(centres)]
    bounds = [2 * centres[0] - bounds[0], *bounds, 2 * centres[-1] - bounds[-1]]
    return list(pairwise(bounds))


def _inset(cell: tuple[float, float], share: float) -> tuple[float, float]:
    start, end = cell
    margin = (end - start) * share
    return start + margin, end - margin


def _heatmap_as_shapes(figure: go.Figure) -> go.Figure:
    """Heatmaps redrawn as one rectangle per cell, so that an SVG has no raster in it.

    plotly.js paints a heatmap into a bitmap even in SVG output, which would put a blurry image
    in the PDF. Each cell becomes a layout shape filled with the trace's colour for its value;
    an invisible scatter trace keeps the category axes and, when the heatmap had one, draws the
    colour bar. Gaps (NaN) stay empty, as on the screen.
    """
    traces = []
    shapes = list(figure.layout.shapes or ())
    for trace in figure.data:
        if trace.type != "heatmap" or trace.z is None:
            traces.append(trace)
            continue
        z = _array(trace.z)
        if z.ndim != 2 or not np.isfinite(z).any():
            continue
        rows, columns = z.shape
        xs, ys = _values(trace.x, columns), _values(trace.y, rows)
        x_cells, y_cells = _cells(xs), _cells(ys)
        low = float(trace.zmin) if trace.zmin is not None else float(np.nanmin(z))
        high = float(trace.zmax) if trace.zmax is not None else float(np.nanmax(z))
        # Plotly stores the scale as tuples, which sample_colorscale mistakes for colours.
        scale = [list(stop) for stop in trace.colorscale or get_colorscale("Viridis")]
        if trace.reversescale:
            scale = [[1 - position, color] for position, color in reversed(scale)]
        # A small inset, a share of the cell, stands for xgap/ygap (given in pixels).
        inset_x = 0.06 if trace.xgap else 0.0
        inset_y = 0.06 if trace.ygap else 0.0
        for row in range(rows):
            for column in range(columns):
                value = z[row, column]
                if not np.isfinite(value):
                    continue
                share = 0.5 if high == low else (value - low) / (high - low)
                color = sample_colorscale(scale, [min(max(share, 0.0), 1.0)])[0]
                shapes.append(
                    {
                        "type": "rect",
                        "xref": trace.xaxis or "x",
                        "yref": trace.yaxis or "y",
                        "x0": _inset(x_cells[column], inset_x)[0],
                        "x1": _inset(x_cells[column], inset_x)[1],
                        "y0": _inset(y_cells[row], inset_y)[0],
                        "y1": _inset(y_cells[row], inset_y)[1],
                        "fillcolor": color,
                        "line": {"width": 0},
                        "layer": "below",
                    }
                )
        grid_x = [xs[column] for _row in range(rows) for column in range(columns)]
        grid_y = [ys[row] for row in range(rows) for _column in range(columns)]
        marker: dict[str, Any] = {"opacity": 0, "size": 1}
        if trace.showscale is not False:
            marker |= {
                "color": [low] * len(grid_x),
                "colorscale": scale,
                "cmin": low,
                "cmax": high,
                "showscale": True,
                "colorbar": trace.colorbar.to_plotly_json(),
            }
        traces.append(
            go.Scatter(
                x=grid_x,
                y=grid_y,
                mode="markers",
                marker=marker,
                hoverinfo="skip",
                showlegend=False,
                xaxis=trace.xaxis,
                yaxis=trace.yaxis,
            )
        )
    vector = go.Figure(data=traces, layout=figure.layout)
    vector.update_layout(shapes=shapes)
    return vector


# V8 trades a little speed for a smaller heap, which otherwise grows with every chart (about
# 100 MB over a 13-chart report); the GPU process (software only here) runs inside the browser's.
LEAN_FLAGS = ("--js-flags=--optimize-for-size", "--in-process-gpu")
# Chart texts are the users' (tag, account and post names), and plotly.js draws the style of a
# <span style="..."> in any text: a url() there made this Chromium fetch it (a blind request from
# the server to any address, 169.254.169.254 included). Every host name and IP literal resolves
# to nothing instead; Kaleido loads its page and plotly.js from files, so nothing else is lost.
NO_NETWORK_FLAGS = ("--host-resolver-rules=MAP * ~NOTFOUND",)


def _lean_browser_cls() -> type:
    """choreographer's Chromium launcher with our flags added (its ``browser_cls`` hook)."""
    from choreographer.browsers.chromium import Chromium

    class LeanChromium(Chromium):
        def get_cli(self) -> list[str]:
            return [*super().get_cli(), *LEAN_FLAGS, *NO_NETWORK_FLAGS]

    return LeanChromium


class ChartRenderer:
    """One headless Chromium that draws many figures; use it as a context manager."""

    def __init__(self, *, path: str | None = None, tabs: int = TABS) -> None:
        self.path = path or chromium_path()
        self.tabs = tabs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._opening: Future[Any] | None = None

    def __enter__(self) -> ChartRenderer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        assert self._loop is not None
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=timeout)

    def start(self) -> ChartRenderer:
        """Start Chromium without waiting for it: it boots while the caller computes numbers.

        ``render`` (or ``open``) waits for it. A missing binary raises at once.
        """
        if self._opening is not None:
            return self
        if not Path(self.path).is_file():
            raise ReportRenderError(
                f"Chromium was not found at {self.path}: charts in reports need it. Install the "
                "`chromium` package or set RAPPORT_CHROMIUM to a Chromium or Chrome binary "
                "(README.md, Configuration)."
            )
        import kaleido  # Imported here: it registers encoders and logs on import.

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="rapport-kaleido", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

        async def launch() -> Any:
            # mathjax=False: Kaleido would otherwise load MathJax from a CDN; the plotly.js it
            # uses is the one inside the plotly package, so nothing is fetched from the network.
            browser = kaleido.Kaleido(
                n=self.tabs,
                timeout=RENDER_TIMEOUT,
                mathjax=False,
                path=self.path,
                enable_extensions=False,
                browser_cls=_lean_browser_cls(),
            )
            await browser.open()
            return browser

        self._opening = asyncio.run_coroutine_threadsafe(launch(), loop)
        return self

    def open(self) -> None:
        """Start Chromium if needed and wait until it can draw."""
        if self._kaleido is not None:
            return
        self.start()
        assert self._opening is not None
        try:
            self._kaleido = self._opening.result(timeout=OPEN_TIMEOUT)
        except Exception as error:
            self._opening = None
            self._stop_loop()
            raise ReportRenderError(
                f"Chromium at {self.path} could not be started for the charts: {error}"
            ) from error

    def render(self, figures: Sequence[tuple[go.Figure, int, int]], fmt: Format) -> list[bytes]:
        """Each ``(figure, width, height)`` as SVG or PNG bytes, in order (sizes in CSS px)."""
        if not figures:
            return []
        self.open()
        kaleido_browser = self._kaleido
        scale = PNG_SCALE if fmt == "png" else 1

        printed_all = []
        for figure, width, height in figures:
            printed = figure_for_print(figure, width=width, height=height)
            if fmt == "svg" and any(trace.type == "heatmap" for trace in printed.data):
                printed = _heatmap_as_shapes(printed)
            printed_all.append((printed, width, height))

        async def draw_all() -> list[bytes]:
            # Kaleido hands each call a free tab: with several tabs the charts draw in parallel.
            return list(
                await asyncio.gather(
                    *(
                        kaleido_browser.calc_fig(
                            printed,
                            opts={"format": fmt, "width": width, "height": height, "scale": scale},
                        )
                        for printed, width, height in printed_all
                    )
                )
            )

        try:
            return self._call(draw_all(), RENDER_TIMEOUT * len(figures))
        except Exception as error:
            raise ReportRenderError(f"A chart could not be drawn: {error}") from error

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._loop is not None and not self._loop.is_running():
            self._loop.close()
        self._loop, self._thread = None, None

    def close(self) -> None:
        if self._kaleido is None and self._opening is not None:
            # Started but never used: wait for it, so that its processes can be closed.
            try:
                self._kaleido = self._opening.result(timeout=OPEN_TIMEOUT)
            except Exception:
                logger.warning("Chromium did not start for the charts", exc_info=True)
        self._opening = None
        if self._kaleido is not None:
            try:
                self._call(self._kaleido.close(), OPEN_TIMEOUT)
            except Exception:
                # The document is already rendered; a browser that will not close cleanly is
                # killed with the process group by choreographer's own cleanup.
                logger.warning("Chromium did not close cleanly after the charts", exc_info=True)
            self._kaleido = None
        self._stop_loop()


def figures_render(figures: Sequence[tuple[go.Figure, int, int]], fmt: Format) -> list[bytes]:
    """Each ``(figure, width, height)`` as SVG or PNG bytes, drawn in one Chromium session."""
    if not figures:
        return []
    with ChartRenderer() as charts:
        return charts.render(figures, fmt)
