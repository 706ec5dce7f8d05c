"""The Data health page's figure: one account's coverage, metric x day, coloured by state.

A pure function of a ``reporting.coverage.coverage_days`` frame, like every chart in
``dashboards/charts.py``. Each state is its own single-colour heatmap layer, so the hover can
name the state in words and the page legend (``STATE_STYLES``) uses exactly the same colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.metrics import METRICS
from dashboards import charts
from reporting.coverage import CellState


@dataclass(frozen=True)
class StateStyle:
    state: str
    color: str
    label: Promise
    help: Promise


# Okabe-Ito hues for the states a reader acts on (stored, imported, failed, gap) and three
# clearly different greys for "nothing expected here", so no two states rely on red/green alone.
STATE_STYLES: tuple[StateStyle, ...] = (
    StateStyle(
        CellState.PRESENT,
        "#0072B2",
        CellState.PRESENT.label,
        gettext_lazy("Collected from the platform."),
    ),
    StateStyle(
        CellState.IMPORTED,
        "#56B4E9",
        CellState.IMPORTED.label,
        gettext_lazy("Filled by an imported export file."),
    ),
    StateStyle(
        CellState.SYNC_FAILED,
        "#D55E00",
        CellState.SYNC_FAILED.label,
        gettext_lazy("The last sync that asked for this day failed: sync again or reconnect."),
    ),
    StateStyle(
        CellState.GAP,
        "#F0E442",
        CellState.GAP.label,
        gettext_lazy(
            "The platform answered but reported nothing for this day, as during an outage on its "
            "side. Importing an export file can fill it."
        ),
    ),
    StateStyle(
        CellState.NOT_COLLECTED,
        "#8a8f98",
        CellState.NOT_COLLECTED.label,
        gettext_lazy("After the latest data: the next sync or import brings it."),
    ),
    StateStyle(
        CellState.BEFORE_START,
        "#eef0f3",
        CellState.BEFORE_START.label,
        gettext_lazy("The account was not added yet, or its history was not fetched."),
    ),
    StateStyle(
        CellState.NOT_PROVIDED,
        "#c9ced6",
        CellState.NOT_PROVIDED.label,
        gettext_lazy("This platform does not report this metric, so nothing is missing."),
    ),
)
# Cells stay readable with a gap between them up to about four months; beyond, the gap would
# be wider than the cell.
_GAPPED_DAYS = 120


def coverage_heatmap(days: pd.DataFrame) -> go.Figure | None:
    """Metrics (rows, in ``METRICS`` order) x days (columns) of one account, coloured by state.

    ``days`` follows ``reporting.coverage.coverage_days``. Returns None for an empty frame.
    The hover names the day, the metric and the state, with the failed sync's error or the
    imported file's name.
    """
    if days.empty:
        return None
    present = set(days["metric"].unique())
    keys = [key for key in METRICS if key in present]
    dates = sorted(days["day"].unique())
    column = {day: index for index, day in enumerate(dates)}
    row = {key: index for index, key in enumerate(keys)}
    rows = days["metric"].map(row).to_numpy()
    columns = days["day"].map(column).to_numpy()
    states = days["state"].to_numpy()
    notes = days["note"].to_numpy()
    labels = [str(METRICS[key].label) for key in keys]
    x = [day.isoformat() for day in dates]
    gap = 1 if len(dates) <= _GAPPED_DAYS else 0
    figure = go.Figure()
    # Drawn from the bottom of the legend up, so the states that matter most sit on top.
    for style in reversed(STATE_STYLES):
        mask = states == style.state
        if not mask.any():
            continue
        # float32 keeps the JSON small over years of days; NaN leaves the cell to other layers.
        z = np.full((len(keys), len(dates)), np.nan, dtype="float32")
        z[rows[mask], columns[mask]] = 1.0
        hover = "%{y}<br>%{x|" + _("%a %b %-d, %Y") + "}<br><b>" + str(style.label) + "</b>"
        text = None
        if style.state in (CellState.SYNC_FAILED, CellState.IMPORTED) and any(notes[mask]):
            grid = np.full((len(keys), len(dates)), "", dtype=object)
            # A sync error or an import file name: text from a platform or a user.
            grid[rows[mask], columns[mask]] = [
                charts.chart_text(note) if note else "" for note in notes[mask]
            ]
            text = grid.tolist()
            hover += "<br>%{text}"
        figure.add_trace(
            go.Heatmap(
                x=x,
                y=labels,
                z=z,
                text=text,
                name=str(style.label),
                colorscale=[[0.0, style.color], [1.0, style.color]],
                zmin=0,
                zmax=1,
                showscale=False,
                hoverongaps=False,
                hovertemplate=hover + "<extra></extra>",
                xgap=gap,
                ygap=2,
            )
        )
    return charts._layout(
        figure,
        hovermode="closest",
        showlegend=False,
        xaxis={**charts._date_axis(), "showgrid": False},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
            "autorange": "reversed",
            "automargin": True,
            "showgrid": False,
        },
    )
