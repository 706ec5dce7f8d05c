"""One builder per section type: numbers, sentences, figures and the tables behind them.

Each ``_section`` method returns a ``ReportSection`` (or None when the section has nothing to
say, such as an empty commentary). Figures are ``go.Figure`` objects built by
``dashboards.charts*`` exactly as on the dashboards; renderers decide SVG or PNG.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from django.db.models import Count
from django.utils import formats
from django.utils.translation import gettext as _

from connectors.models import AccountMetric, PostFormat
from dashboards import charts, panels
from dashboards.cache import panel_cached
from dashboards.charts_goals import goal_chart
from dashboards.reports.document import ReportFigure, ReportSection, ReportTable
from dashboards.reports.sections import (
    BREAKDOWNS,
    COMMENTARY,
    DATA_NOTES,
    RANK_METRICS,
    SECTION_TYPES,
)
from dashboards.scope import DashboardFilters
from dashboards.views_content import DEFAULT_METRIC, METRICS_BY_KEY, content_sections
from reporting.analysis.posts import posts_ranked
from reporting.annotations import annotation_notes
from reporting.goals.selectors import GoalProgress, goal_list, goal_progress
from reporting.insights.generate import insights_generate
from reporting.insights.recommend import recommendations_generate
from reporting.insights.types import Insight
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import kpi_value_with_breakdowns
from reporting.kpis.selectors import kpi_get
from reporting.models import KpiAggregation, KpiLevel

# Beyond these, a chart is unreadable on an A4 page; the table keeps every row.
MAX_GROUP_BARS = 15
MAX_GOAL_CHARTS = 4
TEXT_CHARS = 160


def _number(value: Any) -> float | None:
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


def _figure(data: dict[str, Any] | None) -> go.Figure | None:
    """A dashboard panel's figure JSON back into a figure: the same chart, for the renderers."""
    return go.Figure(data) if data else None


class SectionBuilder:
    def __init__(
        self, *, filters: DashboardFilters, language: str, title: str, commentary: str
    ) -> None:
        self.filters = filters
        self.language = language
        self.title = title
        self.commentary = commentary
        self.kpis_used: list[str] = []
        self.left_out: dict[tuple[str, str], str] = {}  # (kpi label, account) -> reason
        self._findings: list[Insight] | None = None
        self._notes: list[tuple[dt.date, str]] | None = None
        self._goals_found: list[GoalProgress] | None = None

    # -- helpers -----------------------------------------------------------------------------

    @property
    def accounts(self) -> list[Any]:
        return list(self.filters.accounts)

    def notes(self) -> list[tuple[dt.date, str]]:
        if self._notes is None:
            period = self.filters.period
            self._notes = annotation_notes(
                workspace=self.filters.workspace, start=period.start, end=period.end
            )
        return self._notes

    def insights(self) -> list[Insight]:
        if self._findings is None:
            period = self.filters.period
            # Cached like a dashboard panel (keyed on the data version): a preview followed by
            # a download, or a PDF then slides, compute the findings once.
            self._findings = panel_cached(
                self.filters,
                "report-insights",
                lambda: insights_generate(
                    workspace=self.filters.workspace,
                    start=period.start,
                    end=period.end,
                    language=self.language,
                ),
            )
        return self._findings

    def label(self, spec: dict[str, Any]) -> str:
        return str(SECTION_TYPES[spec["type"]].label)

    def build(self, spec: dict[str, Any], *, index: int) -> ReportSection | None:
        method = getattr(self, f"_{spec['type']}")
        section: ReportSection | None
        if spec["type"] in (COMMENTARY, DATA_NOTES):
            # Cheap, and made of this edition's text or of what the other sections used.
            section = method(spec)
        else:
            # Cached like a dashboard panel (keyed on the data version, so never stale): the
            # preview, the PDF and the slides of one report compute each section once.
            section, kpis, left_out = panel_cached(
                self.filters,
                "report-section",
                lambda: self._tracked(method, spec),
                json.dumps(spec, sort_keys=True),
            )
            self.kpis_used += kpis
            self.left_out.update(left_out)
        if section is not None:
            section.key = f"{index + 1}-{spec['type']}"
        return section

    def _tracked(
        self, method: Any, spec: dict[str, Any]
    ) -> tuple[ReportSection | None, list[str], dict[tuple[str, str], str]]:
        """The section, with the KPIs it used and the accounts it left out."""
        kpis, left_out = self.kpis_used, self.left_out
        self.kpis_used, self.left_out = [], {}
        try:
            return method(spec), self.kpis_used, self.left_out
        finally:
            self.kpis_used, self.left_out = kpis, left_out

    def _section(self, spec: dict[str, Any], title: str, **parts: Any) -> ReportSection:
        return ReportSection(
            key="",
            type=spec["type"],
            title=title,
            template=f"reports/sections/{spec['type']}.html",
            **parts,
        )

    # -- sections ----------------------------------------------------------------------------

    def _cover(self, spec: dict[str, Any]) -> ReportSection:
        return self._section(
            spec, spec.get("title") or self.title, context={"spec": spec}, in_toc=False
        )

    def _summary(self, spec: dict[str, Any]) -> ReportSection:
        cards = panels.kpi_cards(self.filters, keys=tuple(spec["kpis"]))
        self.kpis_used += [card.key for card in cards]
        rows, lines, shown = [], [], []
        for card in cards:
            for account, reason in card.explain.left_out:
                self.left_out[(card.label, account)] = reason
            goals = [(progress.goal.name, progress.status) for progress in card.goals]
            shown.append(
                {
                    "label": card.label,
                    "display": card.display,
                    "reference": card.reference_display if card.reference is not None else "",
                    "change": change_display(card.change_pct),
                    "tone": card.tone,
                    "goals": [
                        {
                            "name": name,
                            "status": status.value.replace("_", "-"),
                            "label": status.label,
                        }
                        for name, status in goals
                    ],
                }
            )
            rows.append(
                {
                    _("KPI"): card.label,
                    _("Value"): card.value,
                    _("Comparison"): card.reference,
                    _("Change (%)"): round(card.change_pct, 2)
                    if card.change_pct is not None
                    else None,
                    _("Goals"): "; ".join(f"{n}: {s.label}" for n, s in goals),
                }
            )
            line = f"{card.label}: {card.display}"
            if card.change_pct is not None:
                line += " " + _("(%(change)s vs comparison)") % {
                    "change": change_display(card.change_pct)
                }
            lines.append(line)
        moved = sorted(
            (card for card in cards if card.change_pct is not None),
            key=lambda card: -abs(card.change_pct or 0),
        )[:3]
        lead = "; ".join(
            _("%(kpi)s %(change)s") % {"kpi": card.label, "change": change_display(card.change_pct)}
            for card in moved
        )
        return self._section(
            spec,
            str(SECTION_TYPES[spec["type"]].label),
            context={"cards": shown, "lead": lead},
            tables=[ReportTable(_("Summary"), pd.DataFrame(rows))],
            lines=lines,
        )

    def _goals_in_scope(self) -> list[GoalProgress]:
        if self._goals_found is None:
            self._goals_found = self._goals_measured()
        return self._goals_found

    def _measured_on(self) -> dt.date:
        """Goals are measured as at the end of the report's period (or today, if sooner)."""
        return min(self.filters.today, self.filters.period.end + dt.timedelta(days=1))

    def _goals_measured(self) -> list[GoalProgress]:
        period, filters = self.filters.period, self.filters
        ids = {account.pk for account in filters.accounts}
        measured_on = self._measured_on()
        found = []
        for goal in goal_list(workspace=filters.workspace):
            if goal.start > period.end or goal.end < period.start:
                continue
            if goal.account_id is not None and goal.account_id not in ids:
                continue
            if goal.account_id is None and filters.is_scoped:
                continue  # a workspace target against part of the workspace would mislead
            found.append(goal_progress(goal=goal, today=measured_on))
        return found

    def _goals(self, spec: dict[str, Any]) -> ReportSection:
        progresses = self._goals_in_scope()
        self.kpis_used += [progress.goal.kpi.key for progress in progresses]
        rows, shown, lines = [], [], []
        figures: list[ReportFigure] = []
        for progress in progresses:
            goal = progress.goal
            shown.append(
                {
                    "name": goal.name,
                    "kpi": goal.kpi.name,
                    "account": goal.account.display_name if goal.account else "",
                    "start": goal.start,
                    "end": goal.end,
                    "target": progress.display(progress.target),
                    "actual": progress.display(progress.actual),
                    "achieved": progress.achieved_bar,
                    "status": progress.status.value.replace("_", "-"),
                    "status_label": progress.status.label,
                    "basis": progress.basis,
                }
            )
            rows.append(
                {
                    _("Goal"): goal.name,
                    _("KPI"): goal.kpi.name,
                    _("From"): goal.start,
                    _("To"): goal.end,
                    _("Target"): progress.target,
                    _("Actual"): progress.actual,
                    _("Achieved (%)"): round(progress.achieved * 100, 1)
                    if progress.achieved is not None
                    else None,
                    _("Status"): progress.status.label,
                }
            )
            lines.append(
                _("%(goal)s: %(actual)s of %(target)s (%(status)s)")
                % {
                    "goal": goal.name,
                    "actual": progress.display(progress.actual),
                    "target": progress.display(progress.target),
                    "status": progress.status.label,
                }
            )
            if len(figures) < MAX_GOAL_CHARTS and not progress.series.empty:
                figure = goal_chart(
                    progress.series,
                    target=progress.target,
                    unit=progress.unit,
                    cumulative=progress.aggregation == KpiAggregation.SUM,
                )
                figures.append(ReportFigure(goal.name, figure, height=240))
        return self._section(
            spec,
            str(SECTION_TYPES[spec["type"]].label),
            context={"goals": shown, "measured_until": self._measured_on() - dt.timedelta(days=1)},
            figures=figures,
            tables=[ReportTable(_("Goals"), pd.DataFrame(rows))] if rows else [],
            lines=lines or [_("No goal covers this period.")],
        )

    def _kpi_chart(self, spec: dict[str, Any]) -> ReportSection:
        filters, period = self.filters, self.filters.period
        definition = kpi_get(workspace=filters.workspace, key=spec["kpi"])
        unit = definition.current_version.unit if definition.current_version else "count"
        self.kpis_used.append(definition.key)
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
            "accounts": self.accounts,
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
            self.left_out[(definition.name, item.account.label)] = item.reason
        figures = []
        if trend["value"].notna().any():
            figure = charts.kpi_trend_chart(
                trend, before_trend, grain=period.grain, name=definition.name, unit=unit
            )
            figures.append(
                ReportFigure(
                    _("%(kpi)s over the period") % {"kpi": definition.name},
                    charts.annotations_add(figure, self.notes()),
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
            value = _number(record["value"])
            reference = _number(earlier.get(record["group"])) if len(earlier) else None
            rows.append(
                {
                    str(BREAKDOWNS[by]).split(" ", 1)[-1].capitalize(): record["label"],
                    definition.name: value,
                    _("Comparison"): reference,
                    _("Change (%)"): change_pct(value, reference),
                }
            )
        value = _number(total.value)
        reference = _number(before_total.value) if before_total is not None else None
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
        return self._section(
            spec,
            _("%(kpi)s %(by)s") % {"kpi": definition.name, "by": str(BREAKDOWNS[by]).lower()},
            context={"lead": lead, "note": note, "description": definition.description},
            figures=figures,
            tables=[ReportTable(definition.name[:31], pd.DataFrame(rows))],
            lines=[lead, *([note] if note else [])],
        )

    def _posts(self, spec: dict[str, Any]) -> ReportSection:
        filters, period = self.filters, self.filters.period
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
            accounts=self.accounts,
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
                    "value": _number(row["value"]),
                    "display": kpi_value_display(_number(row["value"]), "count"),
                    "vs_median": _number(row["vs_account_median"]),
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
        return self._section(
            spec,
            str(SECTION_TYPES[spec["type"]].label),
            context={"top": top, "bottom": bottom, "metric_label": label},
            tables=[ReportTable(_("Posts"), table)] if records else [],
            lines=lines or [_("No post was published in the period.")],
        )

    def _content(self, spec: dict[str, Any]) -> ReportSection:
        metric = METRICS_BY_KEY[DEFAULT_METRIC]
        median_label = _("Median %(metric)s") % {"metric": str(metric.label).lower()}
        # The same cache entry as the Content page for the same filters and metric.
        found = panel_cached(
            self.filters, "content", lambda: content_sections(self.filters, metric), metric.key
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
            figure = _figure(part.figure)
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
        return self._section(
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

    def _insights(self, spec: dict[str, Any]) -> ReportSection:
        found = self.insights()[: spec["limit"]]
        return self._section(
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

    def _recommendations(self, spec: dict[str, Any]) -> ReportSection:
        period = self.filters.period
        found = recommendations_generate(
            workspace=self.filters.workspace,
            start=period.start,
            end=period.end,
            language=self.language,
            goals=self._goals_in_scope(),
            findings=self.insights(),
        )[: spec["limit"]]
        return self._section(
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

    def _commentary(self, spec: dict[str, Any]) -> ReportSection | None:
        text = (self.commentary or spec.get("text") or "").strip()
        if not text:
            return None
        return self._section(
            spec,
            spec.get("title") or str(SECTION_TYPES[COMMENTARY].label),
            context={"text": text},
            lines=[paragraph for paragraph in text.split("\n\n") if paragraph.strip()][:6],
            notes=text,
        )

    def _data_notes(self, spec: dict[str, Any]) -> ReportSection:
        filters, period = self.filters, self.filters.period
        days = dict(
            AccountMetric.objects.filter(
                account__in=self.accounts, day__gte=period.start, day__lte=period.end
            )
            .values("account_id")
            .annotate(n=Count("day", distinct=True))
            .values_list("account_id", "n")
        )
        coverage: list[dict[str, Any]] = [
            {
                "account": account.display_name,
                "platform": charts.platform_label(account.platform),
                "days": days.get(account.pk, 0),
                "of": period.days,
                "last_sync": account.last_synced_at,
            }
            for account in filters.accounts
        ]
        definitions = []
        for key in dict.fromkeys(self.kpis_used):
            definition = kpi_get(workspace=filters.workspace, key=key)
            version = definition.current_version
            definitions.append(
                {
                    "name": definition.name,
                    "formula": version.formula if version else definition.formula,
                    "aggregation": KpiAggregation(definition.aggregation).label,
                    "version": version.number if version else None,
                    "description": definition.description,
                }
            )
        left_out = [
            {"kpi": kpi, "account": account, "reason": reason}
            for (kpi, account), reason in sorted(self.left_out.items())
        ]
        incomplete = [row for row in coverage if row["days"] < row["of"]]
        lines = [
            _("%(n)s of %(total)s accounts have data for every day of the period.")
            % {"n": len(coverage) - len(incomplete), "total": len(coverage)}
        ]
        if left_out:
            lines.append(
                _("%(n)s account and KPI pairs were left out; see the table.")
                % {"n": len(left_out)}
            )
        return self._section(
            spec,
            str(SECTION_TYPES[DATA_NOTES].label),
            context={"coverage": coverage, "definitions": definitions, "left_out": left_out},
            tables=[
                ReportTable(
                    _("Coverage"),
                    pd.DataFrame(
                        [
                            {
                                _("Account"): row["account"],
                                _("Platform"): row["platform"],
                                _("Days with data"): row["days"],
                                _("Days in period"): row["of"],
                            }
                            for row in coverage
                        ]
                    ),
                ),
                ReportTable(
                    _("KPI definitions"),
                    pd.DataFrame(
                        [
                            {
                                _("KPI"): d["name"],
                                _("Formula"): d["formula"],
                                _("Aggregation"): str(d["aggregation"]),
                                _("Version"): d["version"],
                            }
                            for d in definitions
                        ]
                    ),
                ),
            ],
            lines=lines,
        )
