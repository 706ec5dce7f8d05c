"""What insights and recommendations look like to their callers (dashboards, reports, CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class InsightKind(StrEnum):
    FORMAT_EFFECT = "format_effect"
    TAG_EFFECT = "tag_effect"
    BEST_TIME = "best_time"
    TREND = "trend"
    ANOMALY = "anomaly"
    TOP_POST = "top_post"


@dataclass(frozen=True)
class Insight:
    """One finding, computed by ``reporting.analysis`` from stored facts.

    ``key`` is stable for the same finding (kind + subject), so callers can de-duplicate or
    remember a dismissed one. ``evidence`` is JSON-ready: the numbers quoted in ``text``,
    the sample sizes, the period (ISO dates), the test used and its p-value when one applies.
    ``link`` names the dashboard view that shows it and its query parameters:
    ``{"view": "content", "params": {"by": "format", "start": "2026-06-01", ...}}``.
    """

    key: str
    kind: str
    title: str
    text: str
    evidence: dict[str, Any]
    score: float  # higher first
    significant: bool
    link: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recommendation:
    """Something to do, derived from significant findings or from a goal's progress.

    ``why`` explains it in one sentence with the numbers; ``priority`` is 1 (most urgent)
    to 3.
    """

    key: str
    title: str
    text: str
    why: str
    evidence: dict[str, Any]
    link: dict[str, Any]
    priority: int
