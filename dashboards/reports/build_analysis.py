"""The analytical sections of a report: a KPI chart, ranked posts, content, insights and
recommendations. Each function takes the ``SectionBuilder`` (its filters, caches and the record
of KPIs used) and returns the section; ``build_sections`` dispatches to them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from django.utils import formats
from django.utils.translation import gettext as _

from connectors.models import PostFormat
from dashboards import charts
from dashboards.cache import panel_cached
from dashboards.reports.document import ReportFigure, ReportSection, ReportTable
from dashboards.reports.sections import BREAKDOWNS, RANK_METRICS, SECTION_TYPES
from dashboards.views_content import DEFAULT_METRIC, METRICS_BY_KEY, content_sections
from reporting.analysis.posts import posts_ranked
from reporting.insights.recommend import recommendations_generate
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import kpi_value_with_breakdowns
from reporting.kpis.selectors import kpi_get
from reporting.models import KpiAggregation, KpiLevel

if TYPE_CHECKING:
    from dashboards.reports.build_sections import SectionBuilder

# Beyond this, a chart is unreadable on an A4 page; the table keeps every row.
MAX_GROUP_BARS = 15
TEXT_CHARS = 160


def number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def change_pct(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference == 0:
        return None
    return (value - reference) / abs(reference) * 100


def change_display(change: float | None) -> str:
    """ "+5.2%" ("+5,2 %" in French), or a dash when there is nothing to compare with."""
    if change is None:
        return "–"
    sign = "+" if change > 0 else "\u2212" if change < 0 else ""  # a true minus sign
    shown = formats.number_format(round(abs(change), 1), decimal_pos=1, use_l10n=True)
    return sign + _("%(number)s%%") % {"number": shown}


def figure_from_json(data: dict[str, Any] | None) -> go.Figure | None:
    """A dashboard panel's figure JSON back into a figure: the same chart, for the renderers."""
    return go.Figure(data) if data else None


def kpi_chart_section(builder: SectionBuilder, spec: dict[str, Any]) -> ReportSection:
    filters, period = builder.filters, builder.filters.period
    definition = kpi_get(workspace=filters.workspace, key=spec["kpi"])
    unit = definition.current_version.unit if definition.current_version else "count"
    builder.kpis_used.append(definition.key)
    by, note = spec["by"], ""
    post_level = KpiAggregation(definition.aggregation).level == KpiLevel.POST
    if by in ("format", "tag") and not post_level:
        note = _(
            "%(kpi)s is computed from accounts' daily figures, not per post, so it cannot "
            "be split by format or tag; it is shown by platform."
        ) % {"kpi": definition.name}
        by = "platform"
    common: dict[str, Any] = {
        "workspace": filters.workspace,
        "kpi": definition,
        "accounts": builder.accounts,
        "by": [period.grain.value, by],
    }
    # One read of the facts per period gives the total, the trend and the split.
    total, split = kpi_value_with_breakdowns(start=period.start, end=period.end, **common)
    trend, groups = split[period.grain.value], split[by]
    comparison = filters.comparison
    before_groups = before_trend = before_total = None
    if comparison:
        before_total, before_split = kpi_value_with_breakdowns(
            start=comparison.start, end=comparison.end, **common
        )
        before_trend, before_groups = before_split[period.grain.value], before_split[by]
    for item in total.left_out:
        builder.left_out[(definition.name, item.account.label)] = item.reason
    figures = []
    if trend["value"].notna().any():
        figure = charts.kpi_trend_chart(
            trend, before_trend, grain=period.grain, name=definition.name, unit=unit
        )
        figures.append(
            ReportFigure(
                _("%(kpi)s over the period") % {"kpi": definition.name},
                charts.annotations_add(figure, builder.notes()),
                height=280,
            )
        )
    valued = groups[groups["value"].notna()].sort_values("value", ascending=False)
    if len(valued) > 1:
        top = valued.head(MAX_GROUP_BARS)
        title = str(BREAKDOWNS[by])
        if len(valued) > MAX_GROUP_BARS:
            title += " " + _("(top %(n)s of %(total)s)") % {
                "n": MAX_GROUP_BARS,
                "total": len(valued),
            }
        figure = charts.kpi_group_chart(top, before_groups, name=definition.name, unit=unit)
        figures.append(ReportFigure(title, figure, height=int(figure.layout.height or 300)))
    earlier = (
        before_groups.set_index("group")["value"] if before_groups is not None else pd.Series()
    )
    rows = []
    for record in groups.to_dict("records"):
        value = number(record["value"])
        reference = number(earlier.get(record["group"])) if len(earlier) else None
        rows.append(
            {
                str(BREAKDOWNS[by]).split(" ", 1)[-1].capitalize(): record["label"],
                definition.name: value,
                _("Comparison"): reference,
                _("Change (%)"): change_pct(value, reference),
            }
        )
    value = number(total.value)
    reference = number(before_total.value) if before_total is not None else None
    lead = _("%(kpi)s: %(value)s over the period") % {
        "kpi": definition.name,
        "value": kpi_value_display(value, unit),
    }
    if reference is not None:
        lead += " " + _("(%(reference)s in the comparison period, %(change)s).") % {
            "reference": kpi_value_display(reference, unit),
            "change": change_display(change_pct(value, reference)),
        }
    else:
        lead += "."
    return builder.section(
        spec,
        _("%(kpi)s %(by)s") % {"kpi": definition.name, "by": str(BREAKDOWNS[by]).lower()},
        context={"lead": lead, "note": note, "description": definition.description},
        figures=figures,
        tables=[ReportTable(definition.name[:31], pd.DataFrame(rows))],
        lines=[lead, *([note] if note else [])],
    )


def posts_section(builder: SectionBuilder, spec: dict[str, Any]) -> ReportSection:
    filters, period = builder.filters, builder.filters.period
    metric = spec["metric"]
    ranked = posts_ranked(
        workspace=filters.workspace,
        # A post's engagements are the workspace's own definition (its KPI), as on the
        # Posts page; the other choices are plain metrics.
        kpi_or_metric="engagements_per_post" if metric == "engagements" else metric,
        start=period.start,
        end=period.end,
        top=spec["top"],
        bottom=spec["bottom"],
        normalise=False,
        accounts=builder.accounts,
        tags=filters.tags or None,
    )
    label = str(RANK_METRICS[metric])
    formats = dict(PostFormat.choices)
    records = []
    for row in ranked.to_dict("records"):
        text = " ".join(str(row["text"] or "").split())
        records.append(
            {
                "position": row["position"],
                "rank": int(row["rank"]),
                "published": row["published"].date(),
                "account": row["account"],
                "platform": charts.platform_label(str(row["platform"])),
                "format": str(formats.get(row["format"], row["format"])),
                "text": text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else ""),
                "value": number(row["value"]),
                "display": kpi_value_display(number(row["value"]), "count"),
                "vs_median": number(row["vs_account_median"]),
                "permalink": row["permalink"],
            }
        )
    top = [r for r in records if r["position"] == "top"]
    bottom = [r for r in records if r["position"] == "bottom"]
    table = pd.DataFrame(
        [
            {
                _("Rank"): r["rank"],
                _("Published"): r["published"],
                _("Account"): r["account"],
                _("Platform"): r["platform"],
                _("Format"): r["format"],
                _("Text"): r["text"],
                label: r["value"],
                _("× account median"): round(r["vs_median"], 2)
                if r["vs_median"] is not None
                else None,
                _("Link"): r["permalink"],
            }
            for r in records
        ]
    )
    lines = [
        _("#%(rank)s %(account)s (%(platform)s): %(value)s %(metric)s")
        % {
            "rank": r["rank"],
            "account": r["account"],
            "platform": r["platform"],
            "value": r["display"],
            "metric": label.lower(),
        }
        for r in top[:5]
    ]
    return builder.section(
        spec,
        str(SECTION_TYPES[spec["type"]].label),
        context={"top": top, "bottom": bottom, "metric_label": label},
        tables=[ReportTable(_("Posts"), table)] if records else [],
        lines=lines or [_("No post was published in the period.")],
    )


def content_section(builder: SectionBuilder, spec: dict[str, Any]) -> ReportSection:
    metric = METRICS_BY_KEY[DEFAULT_METRIC]
    median_label = _("Median %(metric)s") % {"metric": str(metric.label).lower()}
    # The same cache entry as the Content page for the same filters and metric.
    found = panel_cached(
        builder.filters, "content", lambda: content_sections(builder.filters, metric), metric.key
    )
    figures, tables, lines = [], [], []
    parts = []
    for key, title in (
        ("formats", _("By format")),
        ("tags", _("By tag")),
        ("heatmap", _("By day and hour of publication")),
    ):
        part = found.get(key)
        if part is None:
            continue
        figure = figure_from_json(part.figure)
        if figure is not None:
            height = int(figure.layout.height or 300)
            figures.append(ReportFigure(title, figure, height=min(height, 420)))
        if part.takeaway:
            lines.append(part.takeaway)
        rows = getattr(part, "rows", [])
        parts.append({"title": title, "takeaway": part.takeaway, "rows": rows})
        if rows:
            tables.append(
                ReportTable(
                    _("Content %(by)s") % {"by": title.lower()},
                    pd.DataFrame(
                        [
                            {
                                _("Group"): row["label"],
                                _("Posts"): row["posts"],
                                median_label: row["median"],
                                _("Median engagements"): row["engagements"],
                            }
                            for row in rows
                        ]
                    ),
                )
            )
    return builder.section(
        spec,
        str(SECTION_TYPES[spec["type"]].label),
        context={
            "parts": parts,
            "posts_count": found.get("posts_count", 0),
            "coverage": found.get("coverage", ""),
            "metric_label": str(metric.label),
        },
        figures=figures,
        tables=tables,
        lines=lines or [_("No post was published in the period.")],
    )


def insights_section(builder: SectionBuilder, spec: dict[str, Any]) -> ReportSection:
    found = builder.insights()[: spec["limit"]]
    return builder.section(
        spec,
        str(SECTION_TYPES[spec["type"]].label),
        context={"items": found},
        tables=[
            ReportTable(
                _("Insights"),
                pd.DataFrame([{_("Finding"): i.title, _("Detail"): i.text} for i in found]),
            )
        ]
        if found
        else [],
        lines=[i.title for i in found] or [_("No significant finding in this period.")],
    )


def recommendations_section(builder: SectionBuilder, spec: dict[str, Any]) -> ReportSection:
    period = builder.filters.period
    found = recommendations_generate(
        workspace=builder.filters.workspace,
        start=period.start,
        end=period.end,
        language=builder.language,
        goals=builder.goals_in_scope(),
        findings=builder.insights(),
    )[: spec["limit"]]
    return builder.section(
        spec,
        str(SECTION_TYPES[spec["type"]].label),
        context={"items": found},
        tables=[
            ReportTable(
                _("Recommendations"),
                pd.DataFrame(
                    [{_("Do"): r.title, _("How"): r.text, _("Why"): r.why} for r in found]
                ),
            )
        ]
        if found
        else [],
        lines=[r.title for r in found] or [_("Nothing to change: keep going.")],
    )
