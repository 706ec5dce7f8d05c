"""Plotly figures of the goal pages, as pure functions in the style of ``dashboards/charts.py``
(the same theme, the same date axis and number separators)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

from dashboards import charts, theme

ACTUAL_COLOR = theme.OKABE_ITO[0]
PROJECTION_COLOR = theme.OKABE_ITO[1]
TARGET_COLOR = theme.MUTED_COLOR


def _tickformat(unit: str) -> str:
    return ".1%" if unit == "percent" else ",.0f" if unit == "count" else ",.2f"


def goal_chart(series: pd.DataFrame, *, target: float, unit: str, cumulative: bool) -> go.Figure:
    """The actual to date (solid), the projection to the end (dashed) and the target (a flat
    dotted line) over the goal's period.

    ``series`` follows ``GoalProgress.series`` (columns day, actual, projection). ``cumulative``
    names the actual a running total (sum KPIs) rather than a daily value.
    """
    number = _tickformat(unit)
    hover = "%{y:" + number + "}<extra>%{fullData.name}</extra>"
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=series["day"],
            y=series["actual"],
            name=_("Actual (running total)") if cumulative else _("Actual"),
            mode="lines",
            connectgaps=False,
            line={"color": ACTUAL_COLOR},
            hovertemplate=hover,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=series["day"],
            y=series["projection"],
            name=_("Projection"),
            mode="lines",
            line={"color": PROJECTION_COLOR, "dash": "dash"},
            hovertemplate=hover,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[series["day"].iloc[0], series["day"].iloc[-1]] if len(series) else [],
            y=[target, target] if len(series) else [],
            name=_("Target"),
            mode="lines",
            line={"color": TARGET_COLOR, "dash": "dot", "width": 1.5},
            hovertemplate=hover,
        )
    )
    return charts._layout(
        figure,
        xaxis=charts._date_axis(),
        yaxis={"tickformat": number, "rangemode": "tozero"},
        showlegend=True,
        height=220,
    )
