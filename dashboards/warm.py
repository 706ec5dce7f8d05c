"""Computing the overview ahead of the first visit after new data.

The first visit after a sync would otherwise pay for every KPI, chart and insight of the page
(seconds on a large workspace). The warm-up computes the default overview (the last 90 days,
against the previous period) in each language the workspace's members read, into the shared
cache (``CACHE_URL``), once per data version.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import QueryDict
from django.utils import translation

from connectors.models import Membership, Workspace
from dashboards.overview import overview_panels_cached, top_insights_cached
from dashboards.scope import filters_from_query

logger = logging.getLogger(__name__)


def _warm_key(workspace: Workspace) -> str:
    return f"panels-warmed:{workspace.pk}"


def workspace_panels_warm(*, workspace: Workspace) -> bool:
    """Compute the workspace's default overview unless this data version was already done;
    returns whether anything was computed."""
    if cache.get(_warm_key(workspace)) == workspace.data_version:
        return False
    languages = {workspace.language} | set(
        Membership.objects.filter(workspace=workspace).values_list("user__language", flat=True)
    )
    for language in sorted(languages):
        with translation.override(language):
            filters = filters_from_query(QueryDict(""), workspace=workspace)
            if not filters.all_accounts:
                break
            overview_panels_cached(filters)
            top_insights_cached(filters, language=language)
    cache.set(_warm_key(workspace), workspace.data_version, None)
    return True


def panels_warm_all() -> int:
    """Warm every workspace whose data changed since its last warm-up; one failing workspace
    does not stop the others. Returns how many were computed."""
    done = 0
    for workspace in Workspace.objects.order_by("pk"):
        try:
            done += workspace_panels_warm(workspace=workspace)
        except Exception:  # one broken workspace must not keep the others cold
            logger.exception("could not warm the dashboards of workspace %s", workspace.pk)
    return done
