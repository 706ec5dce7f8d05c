"""The workspace's data version, and the cache of numbers computed from the workspace's data.

A computed value is keyed on everything it depends on: the workspace and its ``data_version``
(bumped by every service that writes facts, posts, tags, KPIs, goals or notes), the language and
the caller's own parts. A write therefore makes every older entry unreachable at once; entries
also expire after ``DASHBOARD_CACHE_SECONDS``. A cache that is down or full only costs time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import translation

from connectors.models import Workspace

T = TypeVar("T")
logger = logging.getLogger(__name__)
_MISSING = object()


def workspace_data_changed(*, workspace_id: int) -> None:
    """Mark the workspace's computed numbers stale (call after any write they depend on)."""
    Workspace.objects.filter(pk=workspace_id).update(data_version=F("data_version") + 1)


def cache_key(workspace: Workspace, name: str, *parts: Any) -> str:
    """A key for ``name`` of ``workspace`` at its current data version, in the active language."""
    material = [
        workspace.pk,
        workspace.data_version,
        name,
        translation.get_language() or settings.LANGUAGE_CODE,
        list(parts),
    ]
    digest = hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()[:32]
    return f"panel:{workspace.pk}:{name}:{digest}"


def workspace_cached(workspace: Workspace, name: str, build: Callable[[], T], *parts: Any) -> T:
    """``build()``, or its result from the cache when nothing it depends on has changed:
    ``parts`` must hold every input of ``build`` besides the workspace's data."""
    key = cache_key(workspace, name, *parts)
    try:
        found = cache.get(key, _MISSING)
    except Exception:  # a cache server that is down must not take the page with it
        logger.warning("dashboard cache unavailable for %s", name, exc_info=True)
        found = _MISSING
    if found is not _MISSING:
        return cast(T, found)
    value = build()
    try:
        cache.set(key, value, settings.DASHBOARD_CACHE_SECONDS)
    except Exception:
        logger.warning("dashboard cache unavailable for %s", name, exc_info=True)
    return value
