"""The one Plotly look of Rapport: palette, fonts, number formats.

Every figure built in ``dashboards/charts.py`` uses ``TEMPLATE`` (also registered with plotly.io as
``"rapport"``), so a chart looks the same on screen and in the PDF. The palette is Okabe-Ito,
which stays distinguishable for the common forms of colour blindness; each platform keeps the
same colour on every chart so that readers learn it once.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from django.utils import formats

TEMPLATE_NAME = "rapport"

# Matches the font stack in static/css/app.css: the browser draws the same fonts as the page.
FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans", "Liberation Sans", sans-serif'
)
TEXT_COLOR = "#1f2937"
MUTED_COLOR = "#5b6472"
GRID_COLOR = "#e6e8ec"
AXIS_COLOR = "#c9ced6"
# Annotations: a dark neutral that no platform colour uses.
ANNOTATION_COLOR = "#4b5563"
# The one series of a single-KPI chart (trend line, sparkline).
ACCENT_COLOR = "#0072B2"
ACCENT_FILL = "rgba(0, 114, 178, 0.10)"

# Okabe & Ito (2008), "Color Universal Design". Black comes last: it reads as "total" elsewhere.
OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]

PLATFORM_COLORS: dict[str, str] = {
    "facebook": "#0072B2",
    "instagram": "#CC79A7",
    "linkedin": "#56B4E9",
    "youtube": "#D55E00",
    "tiktok": "#009E73",
    "x": "#000000",
    "demo": "#E69F00",
    "import": "#8a8f98",
}
FALLBACK_COLOR = "#8a8f98"
# Bars that cover only part of their week or month are drawn paler (see charts.py).
PARTIAL_OPACITY = 0.45


def platform_color(platform: str) -> str:
    return PLATFORM_COLORS.get(platform, FALLBACK_COLOR)


def number_separators() -> str:
    """Plotly's ``separators`` (decimal mark, then thousands mark) for the active language."""
    decimal = str(formats.get_format("DECIMAL_SEPARATOR"))
    thousands = str(formats.get_format("THOUSAND_SEPARATOR"))
    return f"{decimal}{thousands}"


_axis = {
    "showgrid": True,
    "gridcolor": GRID_COLOR,
    "zeroline": False,
    "linecolor": AXIS_COLOR,
    "ticks": "outside",
    "tickcolor": AXIS_COLOR,
    "ticklen": 4,
    "tickfont": {"color": MUTED_COLOR, "size": 12},
    "title": {"font": {"color": MUTED_COLOR, "size": 12}, "standoff": 8},
    "automargin": True,
}

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
        "colorway": OKABE_ITO,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8, "pad": 0},
        "xaxis": {**_axis, "showgrid": False},
        "yaxis": {**_axis, "linecolor": "rgba(0,0,0,0)", "ticks": "", "rangemode": "tozero"},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "traceorder": "normal",
            "font": {"size": 12, "color": TEXT_COLOR},
            "itemclick": "toggle",
            "itemdoubleclick": "toggleothers",
        },
        "hovermode": "x unified",
        "hoverlabel": {
            "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
            "bgcolor": "#ffffff",
            "bordercolor": AXIS_COLOR,
            "namelength": -1,
        },
        "bargap": 0.25,
        "modebar": {
            "bgcolor": "rgba(255,255,255,0.9)",
            "color": MUTED_COLOR,
            "activecolor": TEXT_COLOR,
        },
    },
    data={
        "scatter": [go.Scatter(line={"width": 2}, marker={"size": 5})],
        "bar": [go.Bar(marker={"line": {"width": 0}})],
    },
)

pio.templates[TEMPLATE_NAME] = TEMPLATE
