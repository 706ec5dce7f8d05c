"""The section types a report template is made of, their options, and how they are validated.

A template stores its sections as a list of dicts, ``{"type": "kpi_chart", "kpi": "reach",
"by": "platform"}``. ``section_clean`` turns whatever a form or an old row holds into a valid
dict (unknown options dropped, numbers bounded), or raises ``ValueError`` with a message a user
can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dashboards.panels import HEADLINE_KPIS

COVER = "cover"
SUMMARY = "summary"
GOALS = "goals"
KPI_CHART = "kpi_chart"
POSTS = "posts"
CONTENT = "content"
INSIGHTS = "insights"
RECOMMENDATIONS = "recommendations"
DATA_NOTES = "data_notes"
COMMENTARY = "commentary"


@dataclass(frozen=True)
class SectionType:
    key: str
    label: str | Promise
    help: str | Promise
    once: bool = False  # at most one per report


SECTION_TYPES: dict[str, SectionType] = {
    section.key: section
    for section in (
        SectionType(COVER, _("Cover"), _("Title page with the period and the logo."), once=True),
        SectionType(
            SUMMARY,
            _("Executive summary"),
            _("KPI cards with their change and the status of their goals."),
        ),
        SectionType(GOALS, _("Goal progress"), _("Every goal that overlaps the period.")),
        SectionType(
            KPI_CHART,
            _("KPI chart"),
            _("One KPI over the period, by platform, account, format or tag."),
        ),
        SectionType(POSTS, _("Top and bottom posts"), _("The best and weakest posts.")),
        SectionType(
            CONTENT,
            _("Content analysis"),
            _("Which formats, tags and posting times work best."),
        ),
        SectionType(INSIGHTS, _("Insights"), _("Trends, anomalies and effects, strongest first.")),
        SectionType(
            RECOMMENDATIONS, _("Recommendations"), _("Concrete next steps, each explained.")
        ),
        SectionType(
            DATA_NOTES,
            _("Data notes"),
            _("Coverage, accounts left out and the KPI definitions used."),
            once=True,
        ),
        SectionType(COMMENTARY, _("Commentary"), _("Your own text.")),
    )
}

BREAKDOWNS: dict[str, str | Promise] = {
    "platform": _("By platform"),
    "account": _("By account"),
    "format": _("By format"),
    "tag": _("By tag"),
}
RANK_METRICS: dict[str, str | Promise] = {
    "engagements": _("Engagements"),
    "reach": _("Reach"),
    "impressions": _("Impressions"),
    "video_views": _("Video views"),
    "shares": _("Shares"),
    "comments": _("Comments"),
}
MAX_SECTIONS = 30
MAX_POSTS = 200
MAX_TEXT = 5000


def _bounded(value: Any, *, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def section_clean(raw: dict[str, Any], *, kpi_keys: set[str]) -> dict[str, Any]:
    """A valid section dict from ``raw``; ``kpi_keys`` are the workspace's KPI keys."""
    kind = str(raw.get("type", ""))
    if kind not in SECTION_TYPES:
        raise ValueError(_("Unknown section type."))
    section: dict[str, Any] = {"type": kind}
    if kind == COVER:
        section["title"] = str(raw.get("title") or "")[:200]
    elif kind == SUMMARY:
        wanted = raw.get("kpis") or list(HEADLINE_KPIS)
        if isinstance(wanted, str):
            wanted = [key.strip() for key in wanted.split(",")]
        kpis = [str(key) for key in wanted if str(key) in kpi_keys]
        section["kpis"] = list(dict.fromkeys(kpis))[:8] or [
            key for key in HEADLINE_KPIS if key in kpi_keys
        ]
    elif kind == KPI_CHART:
        kpi = str(raw.get("kpi") or "")
        if kpi not in kpi_keys:
            raise ValueError(_("Choose a KPI of this workspace for the chart."))
        by = str(raw.get("by") or "platform")
        section["kpi"] = kpi
        section["by"] = by if by in BREAKDOWNS else "platform"
    elif kind == POSTS:
        metric = str(raw.get("metric") or "engagements")
        section["metric"] = metric if metric in RANK_METRICS else "engagements"
        section["top"] = _bounded(raw.get("top"), default=5, low=1, high=MAX_POSTS)
        section["bottom"] = _bounded(raw.get("bottom"), default=3, low=0, high=MAX_POSTS)
    elif kind in (INSIGHTS, RECOMMENDATIONS):
        section["limit"] = _bounded(raw.get("limit"), default=5, low=1, high=20)
    elif kind == COMMENTARY:
        section["title"] = str(raw.get("title") or "")[:200]
        section["text"] = str(raw.get("text") or "")[:MAX_TEXT]
    return section


def sections_clean(raws: list[Any], *, kpi_keys: set[str]) -> list[dict[str, Any]]:
    """Valid sections, in order; invalid ones are dropped, and "once" types kept once."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for raw in raws[:MAX_SECTIONS]:
        if not isinstance(raw, dict):
            continue
        try:
            section = section_clean(raw, kpi_keys=kpi_keys)
        except ValueError:
            continue
        if SECTION_TYPES[section["type"]].once and section["type"] in seen:
            continue
        seen.add(section["type"])
        cleaned.append(section)
    return cleaned


def section_label(section: dict[str, Any]) -> str:
    """A short description for the builder's list: "KPI chart: reach by platform"."""
    kind = SECTION_TYPES[section["type"]]
    return str(kind.label)
