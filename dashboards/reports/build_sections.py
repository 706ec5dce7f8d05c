"""One builder per section type: numbers, sentences, figures and the tables behind them.

The analytical sections (KPI chart, posts, content, insights, recommendations) are in
``build_analysis``. Each ``_<type>`` method returns a ``ReportSection`` (or None when the
section has nothing to say, such as an empty commentary). Figures are ``go.Figure`` objects
built by ``dashboards.charts*`` exactly as on the dashboards; renderers decide SVG or PNG.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from django.db.models import Count
from django.utils.translation import gettext as _

from connectors.models import AccountMetric
from dashboards import charts, panels
from dashboards.cache import panel_cached
from dashboards.charts_goals import goal_chart
from dashboards.reports import build_analysis
from dashboards.reports.build_analysis import change_display
from dashboards.reports.document import ReportFigure, ReportSection, ReportTable
from dashboards.reports.sections import (
    COMMENTARY,
    COVER,
    DATA_NOTES,
    SECTION_TYPES,
)
from dashboards.scope import DashboardFilters
from reporting.annotations import annotation_notes
from reporting.goals.selectors import GoalProgress, goal_list, goal_progress
from reporting.insights.generate import insights_generate
from reporting.insights.types import Insight
from reporting.kpis.selectors import kpi_get
from reporting.models import KpiAggregation

# Beyond this, the goal charts would fill pages; the table keeps every goal.
MAX_GOAL_CHARTS = 4
# Accounts named in a data note before "and N more" (the data export lists them all).
LISTED_ACCOUNTS = 4


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
        if spec["type"] in (COVER, COMMENTARY, DATA_NOTES):
            # Cheap, and made of this report's own title and text or of what the other
            # sections used: the cache key (filters and options) would mix two reports up.
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

    def section(self, spec: dict[str, Any], title: str, **parts: Any) -> ReportSection:
        return ReportSection(
            key="",
            type=spec["type"],
            title=title,
            template=f"reports/sections/{spec['type']}.html",
            **parts,
        )

    # -- sections ----------------------------------------------------------------------------

    def _cover(self, spec: dict[str, Any]) -> ReportSection:
        cover = self.section(
            spec, spec.get("title") or self.title, context={"spec": spec}, in_toc=False
        )
        cover.template = ""  # the document shell lays out the cover itself (render_pdf)
        return cover

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
        return self.section(
            spec,
            str(SECTION_TYPES[spec["type"]].label),
            context={"cards": shown, "lead": lead},
            tables=[ReportTable(_("Summary"), pd.DataFrame(rows))],
            lines=lines,
        )

    def goals_in_scope(self) -> list[GoalProgress]:
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
        progresses = self.goals_in_scope()
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
        return self.section(
            spec,
            str(SECTION_TYPES[spec["type"]].label),
            context={"goals": shown, "measured_until": self._measured_on() - dt.timedelta(days=1)},
            figures=figures,
            tables=[ReportTable(_("Goals"), pd.DataFrame(rows))] if rows else [],
            lines=lines or [_("No goal covers this period.")],
        )

    def _kpi_chart(self, spec: dict[str, Any]) -> ReportSection:
        return build_analysis.kpi_chart_section(self, spec)

    def _posts(self, spec: dict[str, Any]) -> ReportSection:
        return build_analysis.posts_section(self, spec)

    def _content(self, spec: dict[str, Any]) -> ReportSection:
        return build_analysis.content_section(self, spec)

    def _insights(self, spec: dict[str, Any]) -> ReportSection:
        return build_analysis.insights_section(self, spec)

    def _recommendations(self, spec: dict[str, Any]) -> ReportSection:
        return build_analysis.recommendations_section(self, spec)

    def _commentary(self, spec: dict[str, Any]) -> ReportSection | None:
        text = (self.commentary or spec.get("text") or "").strip()
        if not text:
            return None
        return self.section(
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
        # On paper, one row per reason ("LinkedIn does not report reach."): with many accounts a
        # row per account and KPI runs to pages. The data export keeps every pair.
        reasons: dict[str, tuple[list[str], list[str]]] = {}
        for row in left_out:
            kpis, accounts = reasons.setdefault(row["reason"], ([], []))
            if row["kpi"] not in kpis:
                kpis.append(row["kpi"])
            if row["account"] not in accounts:
                accounts.append(row["account"])
        left_out_by_reason = [
            {
                "reason": reason,
                "kpis": ", ".join(kpis),
                "accounts": ", ".join(accounts[:LISTED_ACCOUNTS]),
                "more": max(0, len(accounts) - LISTED_ACCOUNTS),
            }
            for reason, (kpis, accounts) in reasons.items()
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
        return self.section(
            spec,
            str(SECTION_TYPES[DATA_NOTES].label),
            context={
                "incomplete": incomplete,
                "complete": len(coverage) - len(incomplete),
                "period_days": period.days,
                "definitions": definitions,
                "left_out": left_out_by_reason,
            },
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
                    _("Left out of a KPI"),
                    pd.DataFrame(
                        [
                            {_("KPI"): r["kpi"], _("Account"): r["account"], _("Why"): r["reason"]}
                            for r in left_out
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
