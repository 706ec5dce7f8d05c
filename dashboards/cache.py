"""Computed dashboard panels kept between requests (see ``connectors.versioning``).

A panel's key adds the page's filters, the accounts in scope and today's date to what
``workspace_cached`` keys on (the workspace's data version and the language).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.versioning import workspace_cached

if TYPE_CHECKING:
    from dashboards.scope import DashboardFilters

__all__ = ["panel_cached", "workspace_cached"]

T = TypeVar("T")


def panel_cached(filters: DashboardFilters, name: str, build: Callable[[], T], *extra: Any) -> T:
    """``workspace_cached`` for a panel of a filtered dashboard page."""
    return workspace_cached(
        filters.workspace,
        name,
        build,
        filters.params(),
        [account.pk for account in filters.accounts],
        filters.today.isoformat(),
        *extra,
    )
