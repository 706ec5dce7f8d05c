"""The canonical metric vocabulary.

Every fact Rapport stores is keyed by one of these metrics, whatever the platform calls it.
Connectors and importers map platform names onto these keys; KPIs are formulas over them.
The table is documented in README.md (Metrics); keep both in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Aggregation(StrEnum):
    """How daily values of a metric combine over a period."""

    SUM = "sum"  # flows: impressions, likes… add up over days
    LAST = "last"  # stocks: followers, read at the end of the period


@dataclass(frozen=True)
class Metric:
    key: str
    label: Promise
    description: Promise
    aggregation: Aggregation
    unit: str = "count"


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric(
            "followers",
            _("Followers"),
            _("Audience size at the end of the day (page likes, subscribers, followers)."),
            Aggregation.LAST,
        ),
        Metric(
            "followers_gained",
            _("Followers gained"),
            _("New followers during the day."),
            Aggregation.SUM,
        ),
        Metric(
            "followers_lost",
            _("Followers lost"),
            _("Followers who left during the day."),
            Aggregation.SUM,
        ),
        Metric(
            "impressions",
            _("Impressions"),
            _("Times content was shown, repeats included (Meta calls this “views”)."),
            Aggregation.SUM,
        ),
        Metric(
            "reach",
            _("Reach"),
            _("Distinct accounts that saw content. Daily reach does not add up to a period's."),
            Aggregation.SUM,
        ),
        Metric(
            "engagements",
            _("Engagements"),
            _("Interactions as the platform counts them (likes, comments, shares, saves, clicks)."),
            Aggregation.SUM,
        ),
        Metric("likes", _("Likes"), _("Likes and reactions."), Aggregation.SUM),
        Metric("comments", _("Comments"), _("Comments and replies."), Aggregation.SUM),
        Metric("shares", _("Shares"), _("Shares, retweets and reposts."), Aggregation.SUM),
        Metric("saves", _("Saves"), _("Times content was saved or bookmarked."), Aggregation.SUM),
        Metric("clicks", _("Clicks"), _("Clicks on links and content."), Aggregation.SUM),
        Metric(
            "profile_visits",
            _("Profile visits"),
            _("Visits to the profile or page."),
            Aggregation.SUM,
        ),
        Metric("video_views", _("Video views"), _("Video plays or views."), Aggregation.SUM),
        Metric(
            "watch_time_minutes",
            _("Watch time (minutes)"),
            _("Total minutes of video watched."),
            Aggregation.SUM,
            unit="minutes",
        ),
        Metric(
            "posts_published",
            _("Posts published"),
            _("Posts published during the day."),
            Aggregation.SUM,
        ),
    ]
}

METRIC_CHOICES = [(key, metric.label) for key, metric in METRICS.items()]


def metric_get(key: str) -> Metric:
    try:
        return METRICS[key]
    except KeyError:
        raise ValueError(f"Unknown metric {key!r}; known metrics: {', '.join(METRICS)}") from None
