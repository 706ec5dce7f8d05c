"""Recommendations: what to do more or less of, when to post, which goal needs attention.

Each one comes from a significant finding of ``insights_generate`` or from a goal's progress
(``reporting.goals``), and carries the finding's text as its ``why``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from connectors.models import Workspace
from reporting.analysis.timing import slot_label
from reporting.insights.generate import (
    _format_label,
    _metric_label,
    insights_generate,
    num,
    times,
)
from reporting.insights.types import Insight, InsightKind, Recommendation

# Goals that need attention, and how urgent each status is.
GOAL_PRIORITY = {"off_track": 1, "at_risk": 2}


def _goal_reader() -> Callable[..., Sequence[Any]] | None:
    # Goals are another part of the app; without them, recommendations simply skip goals.
    for module in ("reporting.goals", "reporting.goals.selectors"):
        try:
            found = getattr(importlib.import_module(module), "goal_list_progress", None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


def _from_insight(insight: Insight) -> Recommendation | None:
    e = insight.evidence
    if insight.kind == InsightKind.FORMAT_EFFECT and e["ratio"] > 1:
        values = {
            "format": _format_label(e["format"]),
            "against": _format_label(e["against"]),
            "account": e["account"],
            "ratio": times(e["ratio"]),
            "metric": _metric_label(e["metric"]),
        }
        return Recommendation(
            key=f"more:{insight.key}",
            title=_("Post more %(format)s posts on %(account)s") % values,
            text=_(
                "Shift some %(against)s posts on %(account)s to %(format)s: they got "
                "%(ratio)s the %(metric)s."
            )
            % values,
            why=insight.text,
            evidence=e,
            link=insight.link,
            priority=2,
        )
    if insight.kind == InsightKind.TAG_EFFECT:
        values = {"tag": e["tag"], "ratio": times(e["ratio"])}
        more = e["ratio"] > 1
        return Recommendation(
            key=f"{'more' if more else 'less'}:{insight.key}",
            title=(_("Do more %(tag)s content") if more else _("Rethink %(tag)s content")) % values,
            text=(
                _("Content tagged %(tag)s travels %(ratio)s as far as usual: plan more of it.")
                if more
                else _(
                    "Content tagged %(tag)s gets only %(ratio)s the usual reach: change "
                    "how it is made, or post less of it."
                )
            )
            % values,
            why=insight.text,
            evidence=e,
            link=insight.link,
            priority=2,
        )
    if insight.kind == InsightKind.BEST_TIME:
        values = {"account": e["account"], "slot": slot_label(e["weekday"], e["slot"])}
        return Recommendation(
            key=f"when:{insight.key}",
            title=_("Post on %(account)s on %(slot)s") % values,
            text=_("Schedule the important posts of %(account)s on %(slot)s.") % values,
            why=insight.text,
            evidence=e,
            link=insight.link,
            priority=3,
        )
    return None


def _from_goal(progress: Any) -> Recommendation | None:
    status = str(getattr(progress, "status", ""))
    if status not in GOAL_PRIORITY:
        return None
    goal = progress.goal
    projection = getattr(progress, "projection", None)
    projected = getattr(projection, "value", projection)
    target = float(progress.target)
    actual = progress.actual
    gap = None if projected is None else target - float(projected)
    values = {
        "goal": str(getattr(goal, "name", goal)),
        "target": num(target, 2 if abs(target) < 10 else 0),
        "actual": num(float(actual), 2 if abs(target) < 10 else 0) if actual is not None else "-",
        "projection": num(float(projected), 2 if abs(target) < 10 else 0)
        if projected is not None
        else "-",
        # Counts are whole numbers; only small values (rates, averages) keep two decimals.
        "pace": num(float(progress.pace_needed), 2 if abs(float(progress.pace_needed)) < 10 else 0)
        if getattr(progress, "pace_needed", None) is not None
        else "-",
        "gap": num(abs(gap), 2 if abs(target) < 10 else 0) if gap is not None else "-",
    }
    return Recommendation(
        key=f"goal:{getattr(goal, 'pk', values['goal'])}",
        title=_("Goal “%(goal)s” needs attention") % values,
        text=_(
            "To reach %(target)s, the pace needed from now on is %(pace)s; at the current "
            "pace it would end at %(projection)s, %(gap)s short."
        )
        % values,
        why=_("Actual so far: %(actual)s of a target of %(target)s; projection: %(projection)s.")
        % values,
        evidence={
            "goal_id": getattr(goal, "pk", None),
            "status": status,
            "actual": actual,
            "target": target,
            "projection": projected,
            "pace_needed": getattr(progress, "pace_needed", None),
        },
        link={"view": "goals", "params": {"goal": getattr(goal, "pk", None)}},
        priority=GOAL_PRIORITY[status],
    )


def recommendations_generate(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    language: str,
    goals: Sequence[Any] | None = None,
    findings: Sequence[Insight] | None = None,
) -> list[Recommendation]:
    """What to do, most urgent first, in ``language``.

    From significant findings only: more of a format that beats the others on an account,
    more or less of a tag, when to post (cells with enough posts). From goals: those off
    track or at risk (``goals``: GoalProgress objects; default: every goal of the workspace
    measured on ``end``, when the goals module is installed). ``findings``: the result of
    ``insights_generate`` for the same arguments, when the caller has it already; only the
    significant ones are used.
    """
    if findings is None:
        findings = insights_generate(workspace=workspace, start=start, end=end, language=language)
    findings = [i for i in findings if i.significant]
    if goals is None:
        reader = _goal_reader()
        goals = reader(workspace=workspace, today=end) if reader is not None else []
    with translation.override(language):
        made = [_from_goal(g) for g in goals] + [_from_insight(i) for i in findings]
    found = [r for r in made if r is not None]
    seen: set[str] = set()
    unique = []
    for recommendation in found:
        if recommendation.key not in seen:
            seen.add(recommendation.key)
            unique.append(recommendation)
    return sorted(unique, key=lambda r: r.priority)
