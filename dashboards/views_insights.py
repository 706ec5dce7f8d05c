"""The Insights page: recommendations, then the period's significant findings, each with the
chart that shows it (reachable at ``#finding-<key>``).

Findings and recommendations come from ``reporting.insights`` (one call of each per request);
the charts run the same ``reporting.analysis`` selectors with the finding's own account,
metric and period, on the frames the findings were computed from (one ``InsightContext``
per request), so a chart shows the numbers its text quotes without reading them again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from connectors.access import WorkspaceRequest, workspace_required
from connectors.metrics import METRICS
from connectors.models import SocialAccount, Workspace
from connectors.permissions import Action
from dashboards import charts, charts_insights
from dashboards.cache import panel_cached
from dashboards.scope import filters_from_query
from reporting.analysis.content import (
    ContentBy,
    content_breakdown,
    content_groups,
    relative_to_account,
)
from reporting.analysis.facts import account_daily, workspace_daily_totals
from reporting.analysis.stats import median_ci
from reporting.annotations import annotation_notes
from reporting.insights import (
    Insight,
    InsightKind,
    Recommendation,
    insights_generate,
    recommendations_generate,
)
from reporting.insights.generate import InsightContext

EXCERPT_CHARS = 280
# A tag chart shows the tag of the finding and the largest other groups, not every tag.
MAX_TAG_BARS = 8


@dataclass(frozen=True)
class FindingCard:
    insight: Insight
    anchor: str  # the element id, "finding-<key>"
    evidence_line: str
    figure: dict[str, Any] | None
    figure_id: str
    chart_label: str
    post: dict[str, Any] | None  # top posts: excerpt, date, permalink, value vs median


@dataclass(frozen=True)
class RecommendationCard:
    recommendation: Recommendation
    href: str
    link_label: str


def anchor_for(key: str) -> str:
    """The id of a finding's section: ``finding-`` and its key, without whitespace (which an
    HTML id cannot hold) or characters that would need escaping in a URL fragment."""
    return "finding-" + re.sub(r"[^\w:.-]+", "-", key)


def active_language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _date(value: str) -> str:
    return str(formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT"))


def _p_value(p: float) -> str:
    if p < 0.001:
        return _("p < %(p)s") % {"p": formats.number_format(0.001, 3)}
    return _("p = %(p)s") % {"p": formats.number_format(round(p, 3), 3)}


def _test_name(test: str) -> str:
    names = {
        "Mann-Whitney U": _("Mann–Whitney test"),
        "Mann-Kendall": _("Mann–Kendall trend test"),
        "Welch t": _("Welch’s t-test"),
    }
    return names.get(test, test)


def evidence_line(insight: Insight) -> str:
    """One line of evidence in plain words: sample sizes, period, test and p-value."""
    e = insight.evidence
    parts: list[str] = []
    if insight.kind in (InsightKind.FORMAT_EFFECT, InsightKind.TAG_EFFECT):
        parts.append(_("%(n)s vs %(n_against)s posts") % {"n": e["n"], "n_against": e["n_against"]})
    elif insight.kind == InsightKind.BEST_TIME:
        parts.append(
            _("%(n)s posts in this slot, of %(total)s")
            % {"n": e["n"], "total": e.get("n_account", e["n"])}
        )
    elif insight.kind == InsightKind.TREND:
        parts.append(_("%(n)s days with data") % {"n": e["n"]})
    elif insight.kind == InsightKind.TOP_POST:
        parts.append(_("%(n)s posts of the account") % {"n": e["n"]})
    if insight.kind == InsightKind.ANOMALY:
        days = int(e["days"])
        if days == 1:
            parts.append(_date(e["first_day"]))
        else:
            parts.append(
                _("%(first)s to %(last)s (%(days)s days)")
                % {"first": _date(e["first_day"]), "last": _date(e["last_day"]), "days": days}
            )
        parts.append(_("baseline: the same weekday over the previous 8 weeks (median ± 3.5 MAD)"))
    elif e.get("start") and e.get("end"):
        parts.append(
            _("%(start)s to %(end)s") % {"start": _date(e["start"]), "end": _date(e["end"])}
        )
    if "p_value" in e and e.get("test") in ("Mann-Whitney U", "Mann-Kendall", "Welch t"):
        parts.append(f"{_test_name(str(e['test']))}, {_p_value(float(e['p_value']))}")
    return " · ".join(parts)


def _metric_name(metric: str) -> str:
    return str(METRICS[metric].label) if metric in METRICS else metric


def _tag_medians(ctx: InsightContext) -> pd.DataFrame:
    """Every tag of the period's posts, each post relative to its account's median (the
    scale the tag finding compares on), in ``content_breakdown``'s columns, highest first."""
    columns = ["group", "label", "n", "median", "ci_low", "ci_high"]
    posts = ctx.posts
    if posts.empty:
        return pd.DataFrame(columns=columns)
    posts = posts.assign(value=relative_to_account(posts))
    posts = posts[posts["value"].notna()]
    keyed = content_groups(posts, by=ContentBy.TAG)
    records = []
    for group, part in keyed.groupby("group", dropna=False, sort=False):
        values = part["value"].to_numpy(dtype="float64")
        low, high = median_ci(values)
        key = group if isinstance(group, str) else None
        records.append(
            {
                "group": key,
                "label": key if key is not None else _("(no tag)"),
                "n": len(values),
                "median": float(np.median(values)),
                "ci_low": low,
                "ci_high": high,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.sort_values(["median", "n"], ascending=False, ignore_index=True)


def _tag_groups(medians: pd.DataFrame, tag: str) -> pd.DataFrame:
    """The bars of a tag finding: its tag and the most used other tags (of ``_tag_medians``)."""
    if medians.empty:
        return medians
    chosen = medians[medians["group"] == tag]
    others = medians[medians["group"] != tag].sort_values("n", ascending=False)
    shown = pd.concat([chosen, others.head(MAX_TAG_BARS - len(chosen))])
    return shown.sort_values("median", ascending=False, ignore_index=True)


class _FigureMaker:
    """Builds the figure of each finding shown from the frames of the findings' context:
    each selector reads once per request, and each chart takes its account's slice."""

    def __init__(self, ctx: InsightContext) -> None:
        self.ctx = ctx
        self.workspace, self.start, self.end = ctx.workspace, ctx.start, ctx.end
        self.accounts: dict[int, SocialAccount] = {a.pk: a for a in ctx.accounts}
        self._tags: pd.DataFrame | None = None
        self._daily: dict[str, pd.DataFrame] = {}
        self._notes: list[tuple[dt.date, str]] | None = None

    def figure(self, insight: Insight) -> tuple[dict[str, Any] | None, str]:
        e = insight.evidence
        account = self.accounts.get(int(e.get("account_id") or 0))
        if insight.kind == InsightKind.FORMAT_EFFECT and account is not None:
            groups = content_breakdown(
                workspace=self.workspace,
                start=self.start,
                end=self.end,
                metric_or_kpi=e["metric"],
                by=ContentBy.FORMAT,
                accounts=[account],
                values=self.ctx.values(e["metric"]),
            )
            figure = charts_insights.group_medians_chart(
                groups, highlight=[e["format"], e["against"]]
            )
            label = _(
                "Bar chart of the median %(metric)s per post format on %(account)s, with the "
                "95%% interval of each median."
            ) % {"metric": _metric_name(e["metric"]).lower(), "account": e["account"]}
            return charts.figure_json(figure), label
        if insight.kind == InsightKind.TAG_EFFECT:
            if self._tags is None:
                self._tags = _tag_medians(self.ctx)
            groups = _tag_groups(self._tags, e["tag"])
            figure = charts_insights.group_medians_chart(
                groups, highlight=[e["tag"]], tickformat=",.2f"
            )
            label = (
                _(
                    "Bar chart of the median post per tag, relative to its account's median post "
                    "(1 is a typical post), with the 95%% interval of each median."
                )
                % {}
            )
            return charts.figure_json(figure), label
        if insight.kind == InsightKind.BEST_TIME and account is not None:
            cells = self.ctx.best_times(
                account=account, metric=e["metric"], min_posts=int(e.get("min_posts", 5))
            )
            figure = charts_insights.best_times_heatmap(
                cells, weekday=int(e["weekday"]), slot=str(e["slot"])
            )
            label = _(
                "Heatmap of the median %(metric)s of the posts of %(account)s by weekday and "
                "time of day; grey cells have too few posts."
            ) % {"metric": _metric_name(e["metric"]).lower(), "account": e["account"]}
            return charts.figure_json(figure), label
        if insight.kind == InsightKind.TREND:
            daily = workspace_daily_totals(
                workspace=self.workspace, metric=e["metric"], start=self.start, end=self.end
            )
            figure = charts_insights.trend_chart(
                daily,
                start=self.start,
                end=self.end,
                first_fitted=float(e["first_fitted"]),
                last_fitted=float(e["last_fitted"]),
                name=_metric_name(e["metric"]),
            )
            label = _(
                "Line chart of the daily %(metric)s of the workspace, with the fitted trend line."
            ) % {"metric": _metric_name(e["metric"]).lower()}
            return charts.figure_json(charts.annotations_add(figure, self.notes())), label
        if insight.kind == InsightKind.ANOMALY and account is not None:
            metric = str(e["metric"])
            daily = self._daily_of(account, metric)
            found = self._anomalies_of(account, metric)
            days = found["day"].dt.date.astype("str")
            own = found[
                (found["kind"] == e["anomaly"])
                & (days >= str(e["first_day"]))
                & (days <= str(e["last_day"]))
            ]
            figure = charts_insights.anomaly_chart(
                daily,
                own,
                start=self.start,
                end=self.end,
                name=_metric_name(metric),
            )
            label = _(
                "Line chart of the daily %(metric)s of %(account)s; unusual days are marked "
                "with the value expected that day and its usual range."
            ) % {"metric": _metric_name(metric).lower(), "account": e["account"]}
            return charts.figure_json(charts.annotations_add(figure, self.notes())), label
        return None, ""

    def notes(self) -> list[tuple[dt.date, str]]:
        """The workspace's notes of the period, drawn on the time charts (read once)."""
        if self._notes is None:
            self._notes = annotation_notes(workspace=self.workspace, start=self.start, end=self.end)
        return self._notes

    def _daily_of(self, account: SocialAccount, metric: str) -> pd.DataFrame:
        # Several findings (an outage, a spike) may come from one account or several: one
        # read of every account's days, sliced per account (rows are per account anyway).
        if metric not in self._daily:
            self._daily[metric] = account_daily(
                workspace=self.workspace, metric=metric, start=self.start, end=self.end
            )
        daily = self._daily[metric]
        return daily[daily["account_id"] == account.pk].reset_index(drop=True)

    def _anomalies_of(self, account: SocialAccount, metric: str) -> pd.DataFrame:
        found = self.ctx.anomalies(metric)
        return found[found["account_id"] == account.pk].reset_index(drop=True)


def _top_post(ctx: InsightContext, insight: Insight) -> dict[str, Any]:
    e = insight.evidence
    posts = ctx.values(str(e["metric"]))
    texts = posts.loc[posts["post_id"] == int(e["post_id"]), "text"]
    text = str(texts.iloc[0] or "") if len(texts) else ""
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"
    return {
        "excerpt": excerpt,
        "published": dt.date.fromisoformat(e["published"]),
        "permalink": e["permalink"] if str(e["permalink"]).startswith("https://") else "",
        "account": e["account"],
        "metric": _metric_name(e["metric"]),
        "value": e["value"],
        "account_median": e["account_median"],
        "times": e["vs_account_median"],
    }


def _recommendation_card(
    recommendation: Recommendation, anchors: list[tuple[dict[str, Any], str]], slug: str
) -> RecommendationCard:
    if recommendation.link.get("view") == "goals":
        try:
            href = reverse("kpis:goals", kwargs={"workspace_slug": slug})
        except NoReverseMatch:
            href = ""
        return RecommendationCard(recommendation, href, _("Open the goals"))
    # A recommendation carries the evidence of the finding it comes from.
    for evidence, anchor in anchors:
        if evidence == recommendation.evidence:
            return RecommendationCard(recommendation, f"#{anchor}", _("See the evidence"))
    return RecommendationCard(recommendation, "", "")


def _insight_cards(
    workspace: Workspace, start: dt.date, end: dt.date
) -> tuple[list[FindingCard], list[RecommendationCard]]:
    """Findings with their evidence charts, and recommendations linked to them."""
    language = active_language()
    ctx = InsightContext(workspace=workspace, start=start, end=end)
    found = insights_generate(
        workspace=workspace, start=start, end=end, language=language, context=ctx
    )
    advice = recommendations_generate(
        workspace=workspace,
        start=start,
        end=end,
        language=language,
        findings=found,
    )
    maker = _FigureMaker(ctx)
    cards = []
    for insight in found:
        figure, label = maker.figure(insight)
        anchor = anchor_for(insight.key)
        cards.append(
            FindingCard(
                insight=insight,
                anchor=anchor,
                evidence_line=evidence_line(insight),
                figure=figure,
                figure_id=f"figure-{anchor}",
                chart_label=label,
                post=_top_post(ctx, insight) if insight.kind == InsightKind.TOP_POST else None,
            )
        )
    anchors = [(card.insight.evidence, card.anchor) for card in cards]
    # Two findings can lead to the same advice ("post more reels", from reels against photos
    # and against carousels): it is shown once, linked to the first (strongest) finding.
    shown: dict[str, Recommendation] = {}
    for recommendation in advice:
        shown.setdefault(recommendation.title, recommendation)
    return cards, [_recommendation_card(r, anchors, workspace.slug) for r in shown.values()]


@workspace_required(Action.VIEW)
def insights(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    filters = filters_from_query(request.GET, workspace=workspace)
    period = filters.period
    accounts = filters.all_accounts
    context: dict[str, Any] = {
        "filters": filters,
        "period": period,
        "hide_scope": True,
        "fact_bounds": filters.fact_bounds,
        "accounts": accounts,
        "findings": [],
        "recommendations": [],
    }
    if not accounts:
        return render(request, "insights/list.html", context)

    cards, recommendations = panel_cached(
        filters, "insights", lambda: _insight_cards(workspace, period.start, period.end)
    )
    context.update({"findings": cards, "recommendations": recommendations})
    return render(request, "insights/list.html", context)
