from __future__ import annotations

from typing import Any

from django.http import HttpRequest

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
