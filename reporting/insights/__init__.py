"""Explained findings and recommendations, generated only from ``reporting.analysis``."""

from reporting.insights.generate import insights_generate
from reporting.insights.recommend import recommendations_generate
from reporting.insights.types import Insight, InsightKind, Recommendation

__all__ = [
    "Insight",
    "InsightKind",
    "Recommendation",
    "insights_generate",
    "recommendations_generate",
]
