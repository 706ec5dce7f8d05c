"""Plotly figures of the post page, as pure functions in the style of ``dashboards/charts.py``
(the same theme, the same date axis and number separators)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

from connectors.metrics import METRICS
from dashboards import charts, theme


def post_history_chart(history: pd.DataFrame) -> go.Figure:
    """One line per metric: the post's lifetime count on each snapshot day.

    ``history`` follows ``reporting.post_selectors.post_history`` (day, metric, value).
    Snapshots are sparse (often the first days, then weekly or monthly), so points are joined
    by straight lines and drawn as markers: a count between two snapshots is not known. Counts
    of very different sizes share one axis; the legend hides or isolates a metric.
    """
    figure = go.Figure()
    metrics = [key for key in METRICS if key in set(history["metric"])]
    hover = "%{y:,.0f}<extra>%{fullData.name}</extra>"
    for index, key in enumerate(metrics):
        rows = history[history["metric"] == key].sort_values("day")
        figure.add_trace(
            go.Scatter(
                x=rows["day"],
                y=rows["value"].to_numpy(),
                name=str(METRICS[key].label),
                mode="lines+markers",
                line={"color": theme.OKABE_ITO[index % len(theme.OKABE_ITO)]},
                hovertemplate=hover,
                xhoverformat=_("%a %b %-d, %Y"),
            )
        )
    return charts._layout(
        figure,
        xaxis=charts._date_axis(),
        yaxis={"tickformat": ",.0f"},
        showlegend=True,
    )
