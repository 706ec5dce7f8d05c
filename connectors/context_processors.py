from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from config.background import broker_configured, broker_state_cached
from connectors.models import SocialAccount
from connectors.permissions import Action, role_can
from connectors.selectors import membership_list


def workspaces(request: HttpRequest) -> dict[str, Any]:
    """The workspace switcher's entries and the current workspace, for every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "memberships": list(membership_list(user=user)),
        "membership": membership,
        "workspace": membership.workspace if membership else None,
        # What the member may do here, from the one permission matrix: {% if can.export_data %}.
        "can": {a.value: role_can(membership.role, a) for a in Action} if membership else {},
    }


def background_work(request: HttpRequest) -> dict[str, Any]:
    """``background_paused`` for signed-in users when the broker cannot be reached, with the
    time this workspace's data was last refreshed (``data_as_of``) for the banner.

    The probe is cached per process for a few seconds (``config.background``), so a page pays
    for it at most once in that time, and never more than about a second."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not broker_configured():
        return {}
    if broker_state_cached().reachable:
        return {"background_paused": False}
    membership = getattr(request, "membership", None)
    as_of = None
    if membership is not None:
        as_of = (
            SocialAccount.objects.filter(
                workspace=membership.workspace, last_synced_at__isnull=False
            )
            .order_by("-last_synced_at")
            .values_list("last_synced_at", flat=True)
            .first()
        )
    return {"background_paused": True, "data_as_of": as_of}
