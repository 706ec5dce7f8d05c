"""Figures of the Content page, as pure functions: DataFrame in, figure out.

Group charts are horizontal bars (long tag and hashtag names stay readable on a phone), the
best group on top. A group with too few posts to be trusted is drawn pale and says so in its
hover. The weekday-by-hour heatmap uses viridis, a sequential scale that stays ordered for the
common forms of colour blindness and in greyscale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from dashboards import theme
from dashboards.charts import chart_text

BAR_COLOR = theme.OKABE_ITO[0]
# Cells of the heatmap with a few posts, too few for a median to mean much.
FEW_POSTS_COLOR = "#e6e8ec"
HEATMAP_SCALE = "Viridis"


def _figure(traces: list[Any], **layout: Any) -> go.Figure:
    # The layout goes to the constructor: plotly validates it once there, where a later
    # update_layout validates the template again (half the time of a small figure).
    return go.Figure(
        data=traces,
        layout={"template": theme.TEMPLATE, "separators": theme.number_separators(), **layout},
    )


def value_format(unit: str) -> str:
    """The d3 format of a metric's values: percentages with one decimal, counts grouped."""
    return ".1%" if unit == "percent" else ",.0f"


def group_bars_chart(groups: pd.DataFrame, *, name: str, unit: str, min_posts: int) -> go.Figure:
    """One horizontal bar per group with the median value of its posts.

    ``groups`` has columns ``label`` (str), ``n`` (int: posts with a value) and ``median``
    (float; NaN draws no bar). Bars keep the frame's order from top to bottom (the caller sorts
    them: best first, or in their natural order such as text lengths); groups with fewer than
    ``min_posts`` posts are pale. ``name`` is what the median is of ("Engagement rate").
    """
    shown = groups[groups["median"].notna()]
    name = chart_text(name)
    few = (shown["n"] < min_posts).tolist()
    fmt = value_format(unit)
    notes = [_("too few posts to compare") if is_few else "" for is_few in few]
    hover = (
        "<b>%{y}</b><br>"
        + _("Median %(name)s: %(value)s") % {"name": name.lower(), "value": "%{x:" + fmt + "}"}
        + "<br>"
        + _("Posts: %(n)s") % {"n": "%{customdata[0]:,d}"}
        + "%{customdata[1]}<extra></extra>"
    )
    bars = go.Bar(
        x=shown["median"].to_numpy(dtype="float64"),
        # Tags and hashtags are the users' words: escaped for plotly.js, which reads HTML.
        y=[chart_text(label) for label in shown["label"]],
        orientation="h",
        marker={
            "color": BAR_COLOR,
            "opacity": [theme.PARTIAL_OPACITY if is_few else 1.0 for is_few in few],
        },
        customdata=[
            [int(n), f"<br><i>{note}</i>" if note else ""]
            for n, note in zip(shown["n"].tolist(), notes, strict=True)
        ],
        hovertemplate=hover,
        name=name,
    )
    return _figure(
        [bars],
        height=max(220, 60 + 28 * len(shown)),
        hovermode="closest",
        showlegend=False,
        xaxis={"tickformat": fmt, "showgrid": True, "rangemode": "tozero"},
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "categoryorder": "trace",
            "automargin": True,
        },
    )


def weekday_hour_heatmap(cells: pd.DataFrame, *, name: str, unit: str, min_posts: int) -> go.Figure:
    """The median value of the posts published in each weekday and hour, Monday on top.

    ``cells`` has columns ``weekday`` (int, 0 is Monday), ``hour`` (int 0-23), ``n`` (int:
    posts with a value) and ``median`` (float). Cells with at least ``min_posts`` posts are
    coloured on the viridis scale; cells with fewer are pale grey, their hover saying why;
    hours nobody posted in stay blank.
    """
    fmt = value_format(unit)
    name = chart_text(name)
    hours = list(range(24))
    weekdays = list(range(7))
    grid_n = np.zeros((7, 24), dtype="int64")
    grid_median = np.full((7, 24), np.nan)
    for weekday, hour, n, median in zip(
        cells["weekday"].tolist(),
        cells["hour"].tolist(),
        cells["n"].tolist(),
        cells["median"].tolist(),
        strict=True,
    ):
        grid_n[weekday, hour] = n
        grid_median[weekday, hour] = median
    enough = grid_n >= min_posts
    few = (grid_n > 0) & ~enough
    x = [f"{hour:02d}:00" for hour in hours]
    y = [str(WEEKDAYS_ABBR[day]) for day in weekdays]
    names = [[str(WEEKDAYS[day])] * 24 for day in weekdays]
    slots = [[f"{hour:02d}:00–{(hour + 1) % 24:02d}:00" for hour in hours] for _day in weekdays]
    pale = go.Heatmap(
        x=x,
        y=y,
        z=np.where(few, 1.0, np.nan),
        colorscale=[[0, FEW_POSTS_COLOR], [1, FEW_POSTS_COLOR]],
        showscale=False,
        hoverongaps=False,
        customdata=np.dstack([names, slots, grid_n]),
        hovertemplate="<b>%{customdata[0]}, %{customdata[1]}</b><br>"
        + _("Posts: %(n)s") % {"n": "%{customdata[2]}"}
        + "<br><i>"
        + _("Too few posts to compare (fewer than %(min)s).") % {"min": min_posts}
        + "</i><extra></extra>",
        xgap=2,
        ygap=2,
        name=_("Too few posts"),
    )
    coloured = go.Heatmap(
        x=x,
        y=y,
        z=np.where(enough, grid_median, np.nan),
        colorscale=HEATMAP_SCALE,
        colorbar={
            "tickformat": fmt,
            "thickness": 12,
            "outlinewidth": 0,
            "title": {"text": _("Median"), "side": "top"},
        },
        customdata=np.dstack([names, slots, grid_n]),
        hovertemplate="<b>%{customdata[0]}, %{customdata[1]}</b><br>"
        + _("Median %(name)s: %(value)s") % {"name": name.lower(), "value": "%{z:" + fmt + "}"}
        + "<br>"
        + _("Posts: %(n)s") % {"n": "%{customdata[2]}"}
        + "<extra></extra>",
        hoverongaps=False,
        xgap=2,
        ygap=2,
        name=name,
    )
    return _figure(
        [pale, coloured],
        height=320,
        hovermode="closest",
        showlegend=False,
        xaxis={"showgrid": False, "tickangle": 0, "nticks": 8, "type": "category"},
        yaxis={"autorange": "reversed", "showgrid": False, "type": "category"},
    )
