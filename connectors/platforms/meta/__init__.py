"""Meta Graph API plumbing shared by the Facebook Pages and Instagram connectors.

Both platforms are read through ``graph.facebook.com`` with tokens from Facebook Login, answer
errors as ``{"error": {"code": …}}`` bodies, report daily values stamped with the end of a Pacific
day (see ``insights`` for the day rule), and rename or remove metrics often. This package holds
what they share: the error classification (``errors``), the versioned metric tables and the
per-metric fallback (``insights``), and the ``MetaConnector`` base class with authenticated
requests, pagination, OAuth and token refresh (``graph``).
"""

from connectors.platforms.meta.errors import (
    InsightsUnavailable,
    InvalidMetricError,
    meta_classifier,
    regain_access_seconds,
    token_scrub,
)
from connectors.platforms.meta.graph import (
    GRAPH_API_VERSION,
    GRAPH_BASE_URL,
    LOGIN_DIALOG_URL,
    REFRESH_BEFORE,
    TOKEN_URL,
    MetaConnector,
    graph_get,
    next_request,
    token_exchange,
)
from connectors.platforms.meta.insights import (
    MAPPING_VERSION,
    PACIFIC,
    PACIFIC_TZ,
    Capabilities,
    MetricName,
    MetricTable,
    Point,
    data_items,
    day_chunks,
    insight_points,
    insights_fetch,
    number,
    pacific_day,
    pacific_midnight,
    pacific_today,
    parse_time,
    points_merge,
    unavailable_warning,
)

__all__ = [
    "GRAPH_API_VERSION",
    "GRAPH_BASE_URL",
    "LOGIN_DIALOG_URL",
    "MAPPING_VERSION",
    "PACIFIC",
    "PACIFIC_TZ",
    "REFRESH_BEFORE",
    "TOKEN_URL",
    "Capabilities",
    "InsightsUnavailable",
    "InvalidMetricError",
    "MetaConnector",
    "MetricName",
    "MetricTable",
    "Point",
    "data_items",
    "day_chunks",
    "graph_get",
    "insight_points",
    "insights_fetch",
    "meta_classifier",
    "next_request",
    "number",
    "pacific_day",
    "pacific_midnight",
    "pacific_today",
    "parse_time",
    "points_merge",
    "regain_access_seconds",
    "token_exchange",
    "token_scrub",
    "unavailable_warning",
]
