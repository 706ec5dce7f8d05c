"""The PDF renderer and the chart renderer reach no network address, whatever the report's text.

Report texts (commentary, post texts, KPI and account names) are the users'. WeasyPrint loads
every URL a document names (images, stylesheets, ``@import``, fonts, SVG images) through
``ReportUrlFetcher``, which serves our static files, the vetted logo and ``data:`` URLs only.
Chart texts go to plotly.js in Kaleido's Chromium, which draws them as SVG text, never as HTML,
but applies the style of a ``<span style>``: its ``url()`` was fetched until the renderer's Chromium
was started with no name resolution at all (figures.NO_NETWORK_FLAGS).

Here every socket connection and name lookup of this process is recorded and refused, so a
request to 127.0.0.1:6379 (Redis), 169.254.169.254 (cloud metadata) or 10.0.0.1 would show; the
chart test listens on a loopback port of its own and checks Chromium never knocks.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go
import pytest
from django.test import override_settings

from dashboards.reports.document import ReportFigure, ReportSection
from dashboards.reports.figures import ChartRenderer
from dashboards.reports.render_pdf import FIGURE_WIDTH, pdf_render
from tests.dashboards.reports.test_pdf import PARTIALS, _templates, _text, make_document

HOSTILE_URLS = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    # Redirects to the metadata service: refused before any request, so it cannot redirect.
    "https://httpbin.org/redirect-to?url=http://169.254.169.254/latest/meta-data/",
    # Looks like the document's own origin to a careless prefix check.
    "https://report.rapport.invalid.evil.example/static/css/report.css",
    "//10.0.0.2/x.png",
]

# What a template that forgot to escape would let through: every way HTML and CSS load a URL.
RAW_HTML = "".join(
    [f'<img src="{url}" alt="">' for url in HOSTILE_URLS]
    + [
        "<style>@import url(http://10.0.0.1/);"
        "@font-face{font-family:x;src:url(http://10.0.0.1/font.woff)}"
        "p{background:url(http://127.0.0.1:6379/bg.png)}</style>",
        '<link rel="stylesheet" href="http://10.0.0.1/a.css">',
        '<div style="background-image:url(http://169.254.169.254/latest/meta-data/)">box</div>',
        '<svg width="10" height="10"><image href="http://127.0.0.1:6379/svg.png"'
        ' width="10" height="10"/></svg>',
        '<object data="http://127.0.0.1:6379/object"></object>',
        '<embed src="http://127.0.0.1:6379/embed">',
        '<iframe src="http://127.0.0.1:6379/iframe"></iframe>',
    ]
)

USER_TEXT = (
    '<img src="http://127.0.0.1:6379/"> <img src="http://169.254.169.254/latest/meta-data/"> '
    '<img src="file:///etc/passwd"> <style>@import url(http://10.0.0.1/);</style> End of note.'
)


@pytest.fixture(scope="module")
def charts() -> Iterator[ChartRenderer]:
    with ChartRenderer() as renderer:
        yield renderer


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection or lookup this process tries, refused; the test asserts it stays empty.

    Recorded rather than only raised: WeasyPrint catches a fetcher's errors and carries on.
    """
    attempts: list[Any] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append((what, args[1:] if what.startswith("socket.") else args))
            raise ConnectionRefusedError(f"the report renderer tried to connect: {what} {args}")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def _hostile_document() -> Any:
    document = make_document(posts=3)
    commentary = ReportSection(
        "7-commentary",
        "commentary",
        "Comments",
        "reports/sections/commentary.html",
        context={"text": USER_TEXT},
    )
    raw = ReportSection("8-raw", "commentary", "Raw", "test/raw.html", context={})
    return dataclasses.replace(document, sections=[*document.sections, commentary, raw])


def test_pdf_with_hostile_urls_makes_no_connection_and_still_renders(
    charts: ChartRenderer,
    no_network: list[Any],
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with override_settings(TEMPLATES=_templates({**PARTIALS, "test/raw.html": RAW_HTML})):
        pdf = pdf_render(_hostile_document(), charts=charts)

    assert no_network == []
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    # The users' text is printed as text, the document goes on after it.
    assert '<img src="http://127.0.0.1:6379/">' in text
    assert "End of note." in text
    assert "box" in text
    # WeasyPrint did ask for them: the fetcher refused each one, no socket was needed to do so.
    refused = " ".join(record.getMessage() for record in caplog.records)
    for url in (
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://httpbin.org/redirect-to",
        "https://report.rapport.invalid.evil.example/static/css/report.css",
        "http://10.0.0.1/",
        "http://10.0.0.1/a.css",
        "http://127.0.0.1:6379/svg.png",
    ):
        assert url in refused, f"WeasyPrint never asked for {url}"


class Listener:
    """A loopback port that counts the connections made to it (by Chromium, another process)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self.server.accept()
            except TimeoutError:
                continue
            connection.settimeout(1)
            try:
                self.requests.append(connection.recv(1024).split(b"\r\n", 1)[0].decode())
            except OSError:
                self.requests.append("(no request line)")
            connection.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


def test_chart_texts_never_make_chromium_fetch(charts: ChartRenderer) -> None:
    with Listener() as listener:
        url = f"http://127.0.0.1:{listener.port}"
        payloads = [
            f"<img src={url}/img>",
            f'<img src="{url}/quoted" onerror="fetch(\'{url}/js\')">',
            f'<a href="{url}/link">link</a>',
            f'<span style="fill:url({url}/paint.svg#p);background:url({url}/bg)">styled</span>',
            f"<svg><image href='{url}/svg'/></svg>",
            f"<style>@import url({url}/import);</style>",
            f'<span style="background:url(http://localhost:{listener.port}/by-name)">n</span>',
        ]
        figure = go.Figure(
            go.Bar(
                x=payloads,
                y=list(range(1, len(payloads) + 1)),
                name=payloads[0],
                text=payloads,
                hovertext=payloads,
            )
        )
        figure.update_layout(
            template="rapport",
            title={"text": payloads[1]},
            annotations=[{"text": payloads[3], "x": 0, "y": 1, "showarrow": False}],
        )
        svg = charts.render([(figure, FIGURE_WIDTH, 400)], "svg")[0]
        # Chromium has finished the drawing; a request it started would have arrived by now.
        time.sleep(0.5)

    assert listener.requests == []
    drawn = svg.decode()
    assert "<image" not in drawn
    assert f"{url}/img" in drawn  # written out as text, escaped
    assert "<img" not in drawn


def test_pdf_with_hostile_chart_texts_makes_no_connection(
    charts: ChartRenderer, no_network: list[Any], tmp_path: Any
) -> None:
    figure = go.Figure(go.Bar(x=["<img src=http://127.0.0.1:1/>", "plain"], y=[3, 4], name="posts"))
    figure.update_layout(template="rapport", title={"text": "<img src=http://127.0.0.1:1/>"})
    document = make_document(posts=1)
    chart = ReportSection(
        "9-chart",
        "kpi_chart",
        "Post texts",
        "test/chart.html",
        context={"lead": "Posts"},
        figures=[ReportFigure("<img src=http://127.0.0.1:1/>", figure)],
    )
    document = dataclasses.replace(document, sections=[*document.sections, chart])

    with override_settings(TEMPLATES=_templates(PARTIALS)):
        pdf = pdf_render(document, charts=charts)

    assert no_network == []
    assert "<img src=http://127.0.0.1:1/>" in _text(pdf, tmp_path)
