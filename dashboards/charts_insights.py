"""Plotly figures of the Insights page, one per kind of finding, as pure functions in the style
of ``dashboards/charts.py`` (the same theme, date axis and number separators).

Each function draws a frame returned by a ``reporting.analysis`` selector; nothing here
computes a statistic, so a chart shows the very numbers its finding quotes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from dashboards import charts, theme
from reporting.analysis.timing import DAYPART_LABELS, DAYPART_ORDER

HIGHLIGHT_COLOR = theme.OKABE_ITO[0]
OTHER_COLOR = "#9aa3af"
SERIES_COLOR = theme.OKABE_ITO[0]
FIT_COLOR = theme.OKABE_ITO[1]
BAND_COLOR = theme.MUTED_COLOR
ANOMALY_COLORS = {"spike": "#009E73", "drop": "#D55E00", "outage": "#000000"}
# Cells of the heatmap with too few posts: drawn grey, never coloured as if they meant much.
SPARSE_COLOR = "#e6e8ec"
HEAT_SCALE = [[0.0, "#f1f5fb"], [1.0, theme.OKABE_ITO[0]]]


def group_medians_chart(
    groups: pd.DataFrame, *, highlight: list[str], tickformat: str = ",.0f"
) -> go.Figure:
    """Bars of each group's median with its 95% interval as error bars; the groups a finding
    compares are drawn in colour, the others grey.

    ``groups`` follows ``reporting.analysis.content.content_breakdown`` (group, label, n,
    median, ci_low, ci_high). The hover gives the median, its interval and the posts behind it.
    """
    rows = groups.reset_index(drop=True)
    medians = rows["median"].to_numpy(dtype="float64")
    above = rows["ci_high"].to_numpy(dtype="float64") - medians
    below = medians - rows["ci_low"].to_numpy(dtype="float64")
    posts = [_("%(n)s posts") % {"n": int(n)} if int(n) != 1 else _("1 post") for n in rows["n"]]
    interval = _("95%% interval") % {}
    number = "%{y:" + tickformat + "}"
    hover = (
        "<b>%{x}</b><br>"
        + _("Median")
        + ": "
        + number
        + "<br>"
        + interval
        + ": %{customdata[0]:"
        + tickformat
        + "} \u2013 %{customdata[1]:"
        + tickformat
        + "}<br>%{customdata[2]}<extra></extra>"
    )
    figure = go.Figure(
        go.Bar(
            # Group labels are tags and formats: user text, escaped for plotly.js.
            x=[charts.chart_text(label) for label in rows["label"]],
            y=medians,
            marker={
                "color": [
                    HIGHLIGHT_COLOR if group in highlight else OTHER_COLOR
                    for group in rows["group"]
                ]
            },
            error_y={
                "type": "data",
                "symmetric": False,
                "array": np.maximum(above, 0.0),
                "arrayminus": np.maximum(below, 0.0),
                "color": theme.TEXT_COLOR,
                "thickness": 1.2,
                "width": 6,
            },
            customdata=np.column_stack(
                [rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy(), np.array(posts)]
            ),
            hovertemplate=hover,
            name=_("Median"),
        )
    )
    return charts._layout(
        figure,
        yaxis={"tickformat": tickformat, "rangemode": "tozero"},
        xaxis={"type": "category"},
        showlegend=False,
    )


def best_times_heatmap(cells: pd.DataFrame, *, weekday: int, slot: str) -> go.Figure:
    """A weekday x daypart grid of the posts' median value; cells with too few posts are
    grey, and the cell a finding recommends is outlined.

    ``cells`` follows ``reporting.analysis.timing.best_times`` with ``slot=daypart``
    (weekday, slot, n, median, enough_data).
    """
    days = [str(WEEKDAYS_ABBR[i]) for i in range(7)]
    parts = [str(DAYPART_LABELS[p]) for p in DAYPART_ORDER]
    shape = (len(DAYPART_ORDER), 7)
    strong = np.full(shape, np.nan)
    sparse = np.full(shape, np.nan)
    counts = np.zeros(shape, dtype="int64")
    for weekday_, slot_, n_, median_, enough_ in zip(
        cells["weekday"].tolist(),
        cells["slot"].tolist(),
        cells["n"].tolist(),
        cells["median"].tolist(),
        cells["enough_data"].tolist(),
        strict=True,
    ):
        if str(slot_) not in DAYPART_ORDER:
            continue
        row, col = DAYPART_ORDER.index(str(slot_)), int(weekday_)
        counts[row, col] = int(n_)
        if bool(enough_):
            strong[row, col] = float(median_)
        else:
            sparse[row, col] = 0.0
    posts = _("Posts")
    figure = go.Figure()
    figure.add_trace(
        go.Heatmap(
            x=days,
            y=parts,
            z=sparse,
            customdata=counts,
            colorscale=[[0.0, SPARSE_COLOR], [1.0, SPARSE_COLOR]],
            showscale=False,
            hovertemplate="%{x}, %{y}<br>"
            + posts
            + ": %{customdata}<br>"
            + _("Too few posts to judge")
            + "<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.add_trace(
        go.Heatmap(
            x=days,
            y=parts,
            z=strong,
            customdata=counts,
            colorscale=HEAT_SCALE,
            # Below the grid rather than beside it: on a phone the grid keeps the width.
            colorbar={
                "title": {"text": _("Median"), "side": "top"},
                "orientation": "h",
                "thickness": 10,
                "len": 0.6,
                "y": -0.25,
                "yanchor": "top",
                "tickformat": ",.0f",
            },
            hovertemplate="%{x}, %{y}<br>"
            + _("Median")
            + ": %{z:,.0f}<br>"
            + posts
            + ": %{customdata}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    if slot in DAYPART_ORDER and 0 <= weekday < 7:
        figure.add_trace(
            go.Scatter(
                x=[days[weekday]],
                y=[str(DAYPART_LABELS[slot])],
                mode="markers",
                marker={
                    "symbol": "square-open",
                    "size": 30,
                    "color": theme.TEXT_COLOR,
                    "line": {"width": 2},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return charts._layout(
        figure,
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": days},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": parts,
            "autorange": "reversed",
            "automargin": True,
        },
        showlegend=False,
    )


def _every_day(daily: pd.DataFrame, start: dt.date, end: dt.date) -> pd.Series:
    """The daily values reindexed on every day of the period: a missing day stays a gap."""
    days = pd.date_range(start, end, freq="D")
    if daily.empty:
        return pd.Series(np.nan, index=days, dtype="float64")
    return daily.set_index("day")["value"].astype("float64").reindex(days)


def trend_chart(
    daily: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    first_fitted: float,
    last_fitted: float,
    name: str,
) -> go.Figure:
    """The daily series of the period and the least-squares line a trend finding quotes.

    ``daily`` follows ``reporting.analysis.facts.workspace_daily_totals`` (day, value); the
    line runs from ``first_fitted`` on ``start`` to ``last_fitted`` on ``end``, as in
    ``trend_test``.
    """
    series = _every_day(daily, start, end)
    hover = "%{y:,.0f}<extra>%{fullData.name}</extra>"
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=series.index,
            y=series.to_numpy(),
            name=charts.chart_text(name),
            mode="lines",
            connectgaps=False,
            line={"color": SERIES_COLOR, "width": 1.5},
            hovertemplate=hover,
            xhoverformat=_("%a %b %-d, %Y"),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[pd.Timestamp(start), pd.Timestamp(end)],
            y=[first_fitted, last_fitted],
            name=_("Trend line"),
            mode="lines",
            line={"color": FIT_COLOR, "dash": "dash", "width": 2.5},
            hovertemplate=hover,
            xhoverformat=_("%a %b %-d, %Y"),
        )
    )
    return charts._layout(
        figure,
        xaxis=charts._date_axis(),
        yaxis={"tickformat": ",.0f", "rangemode": "tozero"},
        showlegend=True,
    )


def anomaly_chart(
    daily: pd.DataFrame,
    anomalies: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    name: str,
) -> go.Figure:
    """An account's daily series with its anomalous days marked, each with the value
    expected that day and the band around it (error bars), as ``anomalies_detect`` judged it.

    ``daily`` follows ``reporting.analysis.facts.account_daily`` (day, value) and
    ``anomalies`` ``anomalies_detect`` (day, value, expected, low, high, kind). An outage day
    has no value: its marker sits on the expected value.
    """
    series = _every_day(daily, start, end)
    day_format = _("%a %b %-d, %Y")
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=series.index,
            y=series.to_numpy(),
            name=charts.chart_text(name),
            mode="lines",
            connectgaps=False,
            line={"color": SERIES_COLOR, "width": 1.5},
            hovertemplate="%{y:,.0f}<extra>%{fullData.name}</extra>",
            xhoverformat=day_format,
        )
    )
    names = {"spike": _("Spike"), "drop": _("Drop"), "outage": _("No data (outage)")}
    expected_label = _("Expected")
    band_label = _("usual range")
    for kind in ("outage", "spike", "drop"):
        rows = anomalies[anomalies["kind"] == kind]
        if rows.empty:
            continue
        expected = rows["expected"].to_numpy(dtype="float64")
        shown = rows["value"].to_numpy(dtype="float64")
        y = np.where(np.isnan(shown), expected, shown)
        figure.add_trace(
            go.Scatter(
                x=rows["day"],
                y=expected,
                name=expected_label,
                mode="markers",
                marker={"color": BAND_COLOR, "size": 5, "symbol": "line-ew-open"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (rows["high"] - rows["expected"]).clip(lower=0).to_numpy(),
                    # A count cannot go below zero, so neither does the band drawn.
                    "arrayminus": (rows["expected"] - rows["low"].clip(lower=0))
                    .clip(lower=0)
                    .to_numpy(),
                    "color": BAND_COLOR,
                    "thickness": 1.2,
                    "width": 5,
                },
                customdata=np.column_stack(
                    [rows["low"].clip(lower=0).to_numpy(), rows["high"].to_numpy()]
                ),
                hovertemplate=expected_label
                + ": %{y:,.0f}<br>"
                + band_label
                + ": %{customdata[0]:,.0f} \u2013 %{customdata[1]:,.0f}<extra></extra>",
                xhoverformat=day_format,
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=rows["day"],
                y=y,
                name=names[kind],
                mode="markers",
                marker={
                    "color": ANOMALY_COLORS[kind],
                    "size": 10,
                    "symbol": "x" if kind == "outage" else "circle",
                    "line": {"width": 1, "color": "#ffffff"},
                },
                hovertemplate="%{y:,.0f}<extra>%{fullData.name}</extra>"
                if kind != "outage"
                else "<extra>%{fullData.name}</extra>",
                xhoverformat=day_format,
            )
        )
    return charts._layout(
        figure,
        xaxis=charts._date_axis(),
        yaxis={"tickformat": ",.0f", "rangemode": "tozero"},
        showlegend=True,
    )
