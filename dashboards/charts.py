"""Every Plotly figure Rapport draws, as pure functions: DataFrame in, figure out.

The functions read nothing but their arguments and the active language (for labels and number
separators), so the dashboard and the PDF get the same figure from the same frame. Styling comes
from the one template in ``dashboards/theme.py``; nothing here picks fonts or sizes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

from connectors.models import Platform
from dashboards import theme
from reporting.selectors import Grain

_PLATFORM_LABELS = dict(Platform.choices)


def platform_label(platform: str) -> str:
    return str(_PLATFORM_LABELS.get(platform, platform))


def chart_text(value: object) -> str:
    """User text (account, tag, KPI names, notes, import file names) made safe for a figure.

    plotly.js reads a subset of HTML in trace names, tick labels, texts and hover texts: a name
    ``<a href=...>`` would be a live link in the chart and ``<span style=...>`` a style (drawn by
    the browser and by the PDF's Chromium). ``&``, ``<`` and ``>`` become entities, which
    plotly.js turns back into the very characters, so the chart shows what the user typed.
    ``static/js/charts.js`` decodes them again for the data table and the CSV.
    """
    return html.escape(str(value), quote=False)


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON data, ready for ``json_script``."""
    data: dict[str, Any] = json.loads(figure.to_json())
    return data


def _layout(figure: go.Figure, **layout: Any) -> go.Figure:
    figure.update_layout(template=theme.TEMPLATE, separators=theme.number_separators(), **layout)
    return figure


# More lines than this are unreadable: the chart then draws one line per platform instead.
MAX_ACCOUNT_LINES = 8


def _followers_by_platform(rows: pd.DataFrame) -> pd.DataFrame:
    """Followers summed per platform and day, as rows of ``account_metric_daily`` with the
    platform as the account. A day on which fewer of the platform's accounts reported than on
    its best day is left out, so a missing report is a gap, not a drop."""
    grouped = rows.groupby(["platform", "day"])["value"].agg(["sum", "count"]).reset_index()
    most = grouped.groupby("platform")["count"].transform("max")
    complete = grouped[grouped["count"] == most]
    return pd.DataFrame(
        {
            "day": complete["day"],
            "account_id": complete["platform"],
            "account": complete["platform"].map(platform_label),
            "platform": complete["platform"],
            "metric": "followers",
            "value": complete["sum"],
        }
    )


def followers_chart(daily: pd.DataFrame) -> go.Figure:
    """One line per account with its daily followers (one per platform past
    ``MAX_ACCOUNT_LINES`` accounts).

    ``daily`` follows ``reporting.selectors.account_metric_daily`` (only the ``followers`` rows
    are drawn). Missing days stay gaps in the line rather than dropping to zero. A trace is named
    after its platform, with the account name added when a platform has several accounts.
    """
    rows = daily[daily["metric"] == "followers"]
    if rows["account_id"].nunique() > MAX_ACCOUNT_LINES:
        rows = _followers_by_platform(rows)
    accounts = rows[["account_id", "account", "platform"]].drop_duplicates("account_id")
    accounts = accounts.sort_values(["platform", "account", "account_id"])
    per_platform = {str(k): int(v) for k, v in accounts["platform"].value_counts().items()}
    figure = go.Figure()
    hover = "%{y:,.0f}<extra>%{fullData.name}</extra>"
    for account in accounts.itertuples(index=False):
        name = platform_label(str(account.platform))
        if per_platform.get(str(account.platform), 0) > 1:
            name = f"{name} · {account.account}"
        name = chart_text(name)
        series = rows[rows["account_id"] == account.account_id].set_index("day")["value"]
        # Reindex on every day so that a missing day is an explicit gap, not a straight line
        # drawn across it.
        if not series.empty:
            days = pd.date_range(series.index.min(), series.index.max(), freq="D")
            series = series.reindex(days)
        figure.add_trace(
            go.Scatter(
                x=series.index,
                y=series.to_numpy(),
                name=name,
                mode="lines",
                connectgaps=False,
                line={"color": theme.platform_color(str(account.platform))},
                hovertemplate=hover,
                xhoverformat=_hover_date_format(Grain.DAY),
            )
        )
    return _layout(
        figure,
        xaxis=_date_axis(),
        yaxis={"tickformat": ",.0f", "rangemode": "normal"},
        showlegend=True,
    )


_GRAIN_PERIOD: dict[Grain, str | int] = {
    Grain.DAY: 86_400_000,
    Grain.WEEK: 7 * 86_400_000,
    Grain.MONTH: "M1",
}


def _hover_date_format(grain: Grain) -> str:
    """A d3 time format for the hover header; plotly.js fills in month names per locale."""
    if grain is Grain.WEEK:
        return _("Week of %b %-d, %Y")
    if grain is Grain.MONTH:
        return "%B %Y"
    return _("%a %b %-d, %Y")


def _date_axis() -> dict[str, Any]:
    """Date ticks in the order the active language writes dates (``Mar 3`` / ``3 mars``)."""
    return {
        "type": "date",
        "tickformatstops": [
            # Ticks closer than a day (a post a few days old) name their hour, so that two
            # ticks never read the same date.
            {"dtickrange": [None, 86_400_000], "value": _("%b %-d, %H:%M")},
            {"dtickrange": [86_400_000, "M1"], "value": _("%b %-d")},
            {"dtickrange": ["M1", "M12"], "value": "%b %Y"},
            {"dtickrange": ["M12", None], "value": "%Y"},
        ],
    }


def _period_origin(buckets: pd.DataFrame, grain: Grain) -> str:
    """Where the bucket grid starts, so that Plotly centres each bar on its whole bucket."""
    if grain is Grain.MONTH or buckets.empty:
        return "2000-01-01"
    size = 7 if grain is Grain.WEEK else 1
    origin: pd.Timestamp = buckets["period_end"].max() - pd.Timedelta(days=size - 1)
    return str(origin.date())


def _bucket_days(buckets: pd.DataFrame, grain: Grain) -> tuple[pd.Series, pd.Series]:
    """Days each bucket covers, and the days a whole bucket of its grain would cover."""
    covered = (buckets["period_end"] - buckets["period_start"]).dt.days + 1
    if grain is Grain.MONTH:
        whole = buckets["period_start"].dt.days_in_month
    else:
        whole = pd.Series(7 if grain is Grain.WEEK else 1, index=buckets.index)
    return covered.astype("int64"), whole.astype("int64")


def platform_bars_chart(buckets: pd.DataFrame, *, grain: Grain) -> go.Figure:
    """Stacked bars of a flow metric per platform, one bar per day, week or month.

    ``buckets`` follows ``reporting.selectors.platform_metric_buckets``. Each bar sits on its
    whole bucket; the hover names the bucket by its first day and shows each platform's exact
    value. A bucket cut short by the period (the oldest week, the first and last months) is drawn
    paler and its hover says how many days it covers, so that a short bar is not read as a drop.
    Platforms are stacked in alphabetical order so their colours keep their place.
    """
    figure = go.Figure()
    platforms = sorted(buckets["platform"].unique(), key=lambda p: platform_label(str(p)))
    for platform in platforms:
        rows = buckets[buckets["platform"] == platform]
        covered, whole = _bucket_days(rows, grain)
        partial = (covered < whole).tolist()
        hover = [
            "%{y:,.0f} "
            + _("(%(covered)s of %(whole)s days)") % {"covered": days, "whole": total}
            + "<extra>%{fullData.name}</extra>"
            if short
            else "%{y:,.0f}<extra>%{fullData.name}</extra>"
            for days, total, short in zip(covered, whole, partial, strict=True)
        ]
        figure.add_trace(
            go.Bar(
                x=rows["period_start"],
                y=rows["value"].to_numpy(),
                name=platform_label(str(platform)),
                marker={
                    "color": theme.platform_color(str(platform)),
                    "opacity": [theme.PARTIAL_OPACITY if short else 1.0 for short in partial],
                },
                hovertemplate=hover,
                xperiod=_GRAIN_PERIOD[grain],
                xperiod0=_period_origin(buckets, grain),
                xperiodalignment="middle",
                xhoverformat=_hover_date_format(grain),
            )
        )
    return _layout(
        figure,
        barmode="stack",
        xaxis=_date_axis(),
        yaxis={"tickformat": ",.0f"},
        showlegend=True,
    )


def annotations_add(figure: go.Figure, notes: Sequence[tuple[dt.date, str]]) -> go.Figure:
    """Draw the workspace's dated notes on a time chart: a dotted line on each day and a
    numbered marker at the top whose hover shows the note. Used by every chart with dates on
    its x axis, so "campaign launch" sits in the same place on all of them."""
    if not notes:
        return figure
    by_day: dict[dt.date, list[str]] = {}
    for day, text in notes:
        by_day.setdefault(day, []).append(text)
    for day in by_day:
        figure.add_vline(
            x=pd.Timestamp(day).timestamp() * 1000,
            line={"color": theme.ANNOTATION_COLOR, "width": 1, "dash": "dot"},
        )
    days = sorted(by_day)
    figure.add_trace(
        go.Scatter(
            x=[pd.Timestamp(day) for day in days],
            y=[1.0] * len(days),
            yaxis="y2",
            mode="markers+text",
            text=["✎"] * len(days),
            textposition="middle center",
            textfont={"color": theme.ANNOTATION_COLOR, "size": 11},
            marker={
                "symbol": "square",
                "size": 16,
                "color": "rgba(255,255,255,0.9)",
                "line": {"color": theme.ANNOTATION_COLOR, "width": 1},
            },
            # Plotly reads a few HTML tags in hover text: a note is the user's words, escaped.
            customdata=["<br>".join(chart_text(text) for text in by_day[day]) for day in days],
            hovertemplate="%{x|" + _("%b %-d, %Y") + "}<br>%{customdata}<extra></extra>",
            name=_("Notes"),
            showlegend=False,
            cliponaxis=False,
            meta={"rapport": "annotations"},
        )
    )
    figure.update_layout(
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
    )
    return figure


def _value_format(unit: str) -> str:
    """A d3 number format for a KPI unit (percentages are stored as fractions)."""
    return ".2%" if unit == "percent" else (",.2f" if unit == "decimal" else ",.0f")


def sparkline_chart(breakdown: pd.DataFrame, *, unit: str = "count") -> go.Figure:
    """A small line of a KPI per bucket, without axes, for a KPI card.

    ``breakdown`` follows ``reporting.kpis.engine.kpi_breakdown`` by day, week or month.
    """
    fmt = _value_format(unit)
    figure = go.Figure(
        go.Scatter(
            x=breakdown["period_start"],
            y=breakdown["value"].to_numpy(),
            mode="lines",
            line={"color": theme.ACCENT_COLOR, "width": 2},
            connectgaps=False,
            hovertemplate="%{x|" + _("%b %-d, %Y") + "}: %{y:" + fmt + "}<extra></extra>",
            fill="tozeroy",
            fillcolor=theme.ACCENT_FILL,
        )
    )
    return _layout(
        figure,
        height=56,
        margin={"l": 0, "r": 0, "t": 4, "b": 0},
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True, "rangemode": "tozero"},
        showlegend=False,
        hovermode="x",
    )


def kpi_trend_chart(
    current: pd.DataFrame,
    before: pd.DataFrame | None,
    *,
    grain: Grain,
    name: str,
    unit: str = "count",
) -> go.Figure:
    """A KPI per bucket over the period, and the comparison period's buckets (dashed) laid on
    the same dates so the two can be read against each other; the hover of the comparison
    names its own dates.

    Both frames follow ``kpi_breakdown`` by day, week or month.
    """
    fmt = _value_format(unit)
    date_fmt = _hover_date_format(grain)
    figure = go.Figure()
    if before is not None and not before.empty:
        count = min(len(before), len(current))
        shifted = before.iloc[-count:] if grain is Grain.WEEK else before.iloc[:count]
        x = (
            current["period_start"].iloc[-count:]
            if grain is Grain.WEEK
            else current["period_start"].iloc[:count]
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=shifted["value"].to_numpy(),
                customdata=shifted["period_start"].dt.strftime("%Y-%m-%d"),
                name=_("Comparison period"),
                mode="lines",
                line={"color": theme.MUTED_COLOR, "width": 1.5, "dash": "dash"},
                connectgaps=False,
                hovertemplate="%{y:" + fmt + "} (" + _("from %{customdata}") + ")<extra>"
                "%{fullData.name}</extra>",
                xhoverformat=date_fmt,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=current["period_start"],
            y=current["value"].to_numpy(),
            name=chart_text(name),
            mode="lines+markers" if len(current) <= 31 else "lines",
            line={"color": theme.ACCENT_COLOR, "width": 2.5},
            marker={"size": 5},
            connectgaps=False,
            hovertemplate="%{y:" + fmt + "}<extra>%{fullData.name}</extra>",
            xhoverformat=date_fmt,
        )
    )
    return _layout(
        figure,
        xaxis=_date_axis(),
        yaxis={"tickformat": fmt.replace(",.2f", ",.1f"), "rangemode": "tozero"},
        showlegend=True,
        hovermode="x unified",
    )


def platform_share_chart(mix: pd.DataFrame, *, metric: str, label: str) -> go.Figure:
    """Horizontal bars: each platform's part of a metric (``dashboards.panels.platform_mix``)."""
    rows = mix[mix[metric].notna()].sort_values(metric)
    total = rows[metric].sum()
    # Room on the right for the share printed after the longest bar.
    longest = float(rows[metric].max()) if len(rows) else 0.0
    shares = rows[metric] / total if total else rows[metric] * 0
    figure = go.Figure(
        go.Bar(
            x=rows[metric].to_numpy(),
            y=rows["label"],
            orientation="h",
            marker={"color": [theme.platform_color(str(p)) for p in rows["platform"]]},
            customdata=shares.to_numpy(),
            text=[f"{share:.0%}" for share in shares],
            textposition="outside",
            textangle=0,
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,.0f} (%{customdata:.1%})<extra></extra>",
            name=label,
        )
    )
    return _layout(
        figure,
        xaxis={"tickformat": ",.0f", "range": [0, longest * 1.18 or 1]},
        yaxis={"automargin": True},
        showlegend=False,
        height=max(160, 48 * len(rows) + 60),
    )


def kpi_group_chart(
    current: pd.DataFrame, before: pd.DataFrame | None, *, name: str, unit: str = "count"
) -> go.Figure:
    """Horizontal bars: a KPI per group (platform, account, format or tag), best on top, with
    the comparison period's value as a paler bar beside each.

    Both frames follow ``kpi_breakdown`` by a non-time grouping (columns group, label, value).
    """
    fmt = _value_format(unit)
    shown = current[current["value"].notna()].sort_values("value", ascending=False)
    labels = [chart_text(label) for label in shown["label"]]
    figure = go.Figure()
    if before is not None and not before.empty:
        earlier = before.set_index("group")["value"]
        figure.add_trace(
            go.Bar(
                x=[earlier.get(group) for group in shown["group"]],
                y=labels,
                orientation="h",
                name=_("Comparison period"),
                marker={"color": theme.GRID_COLOR, "line": {"color": theme.AXIS_COLOR, "width": 1}},
                hovertemplate="%{x:" + fmt + "}<extra>%{fullData.name}</extra>",
            )
        )
    figure.add_trace(
        go.Bar(
            x=shown["value"].to_numpy(dtype="float64"),
            y=labels,
            orientation="h",
            name=chart_text(name),
            marker={"color": theme.ACCENT_COLOR},
            text=shown["value"].to_numpy(dtype="float64"),
            texttemplate="%{x:" + fmt + "}",
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x:" + fmt + "}<extra>%{fullData.name}</extra>",
        )
    )
    values = [*shown["value"].tolist()]
    if before is not None and not before.empty:
        values += before["value"].dropna().tolist()
    longest = max([0.0, *values])
    lowest = min([0.0, *values])  # a follower loss is a negative bar
    return _layout(
        figure,
        barmode="group",
        height=max(220, 70 + (44 if before is not None else 28) * len(shown)),
        showlegend=before is not None,
        # Room on the right for the value printed after the longest bar.
        xaxis={
            "tickformat": fmt.replace(",.2f", ",.1f"),
            "range": [lowest * 1.18, longest * 1.18 if longest > 0 else 1],
        },
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
        hovermode="closest",
    )
