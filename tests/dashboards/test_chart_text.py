"""User text reaches the figures escaped, so plotly.js draws it as text (issue #7).

plotly.js reads a subset of HTML in trace names, tick labels, texts and hover texts. Each chart
builder gets hostile names where a user's words go (account, tag, KPI names, notes, import file
names); the figure JSON may then hold them only as entities, which plotly.js decodes back into
the literal characters.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import charts, charts_content, charts_health, charts_insights
from dashboards.reports.figures import figures_render
from reporting.coverage import CellState
from reporting.selectors import ACCOUNT_METRIC_DAILY_COLUMNS, Grain

HOSTILE = [
    "<b>bold</b>",
    '<a href="https://evil.example">x</a>',
    '<span style="color:red">x</span>',
    "&amp;",
    "a < b > c",
]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def followers(name: str) -> go.Figure:
    rows = [
        ("2026-01-01", 1, name, "instagram", "followers", 100.0),
        ("2026-01-02", 1, name, "instagram", "followers", 110.0),
        ("2026-01-01", 2, "Other", "instagram", "followers", 50.0),
    ]
    frame = pd.DataFrame.from_records(rows, columns=ACCOUNT_METRIC_DAILY_COLUMNS)
    return charts.followers_chart(frame.astype({"day": "datetime64[ns]"}))


def kpi_trend(name: str) -> go.Figure:
    current = pd.DataFrame(
        {"period_start": pd.to_datetime(["2026-01-01", "2026-01-02"]), "value": [1.0, 2.0]}
    )
    return charts.kpi_trend_chart(current, current, grain=Grain.DAY, name=name)


def kpi_group(name: str) -> go.Figure:
    current = pd.DataFrame({"group": ["a", "b"], "label": [name, "Plain"], "value": [3.0, 2.0]})
    before = pd.DataFrame({"group": ["a", "b"], "label": [name, "Plain"], "value": [1.0, 1.0]})
    return charts.kpi_group_chart(current, before, name=f"KPI {name}")


def notes(name: str) -> go.Figure:
    figure = go.Figure(go.Scatter(x=["2026-03-01", "2026-03-05"], y=[1, 2]))
    return charts.annotations_add(figure, [(dt.date(2026, 3, 2), name)])


def content_groups(name: str) -> go.Figure:
    groups = pd.DataFrame({"label": [name, "campaign"], "n": [3, 12], "median": [0.1, 0.2]})
    return charts_content.group_bars_chart(groups, name=name, unit="percent", min_posts=5)


def content_heatmap(name: str) -> go.Figure:
    cells = pd.DataFrame({"weekday": [0], "hour": [9], "n": [4], "median": [0.1]})
    return charts_content.weekday_hour_heatmap(cells, name=name, unit="percent", min_posts=2)


def coverage(name: str) -> go.Figure:
    days = pd.DataFrame(
        {
            "day": [dt.date(2026, 1, 1), dt.date(2026, 1, 2)],
            "metric": ["followers", "followers"],
            "state": [CellState.SYNC_FAILED, CellState.IMPORTED],
            "note": [f"HTTP 500: {name}", f"{name}.csv"],
        }
    )
    figure = charts_health.coverage_heatmap(days)
    assert figure is not None
    return figure


def medians(name: str) -> go.Figure:
    groups = pd.DataFrame(
        {
            "group": ["a", "b"],
            "label": [name, "Reels"],
            "n": [10, 12],
            "median": [5.0, 7.0],
            "ci_low": [4.0, 6.0],
            "ci_high": [6.0, 8.0],
        }
    )
    return charts_insights.group_medians_chart(groups, highlight=["a"])


def trend(name: str) -> go.Figure:
    daily = pd.DataFrame({"day": pd.to_datetime(["2026-01-01", "2026-01-02"]), "value": [1, 2]})
    return charts_insights.trend_chart(
        daily,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 1, 2),
        first_fitted=1.0,
        last_fitted=2.0,
        name=name,
    )


def anomaly(name: str) -> go.Figure:
    daily = pd.DataFrame({"day": pd.to_datetime(["2026-01-01", "2026-01-02"]), "value": [1, 9]})
    anomalies = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-01-02"]),
            "value": [9.0],
            "expected": [1.0],
            "low": [0.0],
            "high": [2.0],
            "kind": ["spike"],
        }
    )
    return charts_insights.anomaly_chart(
        daily, anomalies, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 2), name=name
    )


BUILDERS: dict[str, Callable[[str], go.Figure]] = {
    "followers": followers,
    "kpi-trend": kpi_trend,
    "kpi-group": kpi_group,
    "notes": notes,
    "content-groups": content_groups,
    "content-heatmap": content_heatmap,
    "coverage": coverage,
    "medians": medians,
    "trend": trend,
    "anomaly": anomaly,
}


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
def test_user_text_is_only_in_the_figure_escaped(
    builder: Callable[[str], go.Figure], hostile: str
) -> None:
    figure = charts.figure_json(builder(hostile))
    escaped = html.escape(hostile, quote=False)
    texts = list(strings(figure))

    assert any(escaped in text for text in texts), "the name is not in the figure at all"
    for text in texts:
        # What remains once the escaped form is taken out may not hold the raw form.
        assert hostile not in text.replace(escaped, "\0"), text
    # No markup of the user's reached plotly.js: our own hover markup is <b>, <i>, <br>, <extra>.
    tags = set(re.findall(r"<(/?[a-z]+)", json.dumps(figure)))
    assert tags <= {"b", "/b", "i", "/i", "br", "extra", "/extra"}, tags


def test_chart_text_escapes_what_plotly_reads_as_html_and_nothing_else() -> None:
    assert charts.chart_text('<a href="x">O\'Neil & co</a>') == (
        '&lt;a href="x"&gt;O\'Neil &amp; co&lt;/a&gt;'
    )
    # plotly.js decodes &amp; &lt; &gt; but shows &quot; as is: quotes stay quotes.
    assert charts.chart_text(12) == "12"


def test_the_report_renderer_draws_user_markup_as_text() -> None:
    """Kaleido (Chromium) draws the PDF's and the slides' charts with the same plotly.js."""
    name = '<b>Brand</b> <a href="https://evil.example">site</a>'
    (svg,) = figures_render([(kpi_group(name), 680, 320)], "svg")

    # The SVG is our own renderer's, from a figure built here.
    root = ElementTree.fromstring(svg)  # noqa: S314
    assert not [node for node in root.iter() if node.tag.rsplit("}", 1)[-1] == "a"]
    styles = [node.get("style") or "" for node in root.iter() if node.tag.endswith("tspan")]
    assert not [style for style in styles if "bold" in style]
    texts = ["".join(node.itertext()) for node in root.iter() if node.tag.endswith("}text")]
    assert name in texts  # the tick label, as typed
    assert f"KPI {name}" in texts  # the legend
