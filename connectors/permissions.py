"""Who may do what in a workspace: the one permission matrix (documented in README.md).

Views, exports, tasks and the admin ask ``role_can``; nothing else decides access.
"""

from __future__ import annotations

from enum import StrEnum

from connectors.models import Role


class Action(StrEnum):
    VIEW = "view"  # dashboards, posts, goals, reports already sent
    EXPORT_DATA = "export_data"
    EDIT_TAGS = "edit_tags"
    EDIT_ANNOTATIONS = "edit_annotations"
    MANAGE_REPORTS = "manage_reports"  # templates, schedules, share links
    MANAGE_ACCOUNTS = "manage_accounts"  # connect, import, sync
    MANAGE_KPIS = "manage_kpis"  # KPI definitions, goals, alerts
    MANAGE_MEMBERS = "manage_members"
    MANAGE_WORKSPACE = "manage_workspace"  # name, timezone, branding


_ALL = frozenset(Role)
_ANALYST_UP = frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
_MANAGER_UP = frozenset({Role.ADMIN, Role.MANAGER})
_ADMIN = frozenset({Role.ADMIN})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW: _ALL,
    Action.EXPORT_DATA: _ANALYST_UP,
    Action.EDIT_TAGS: _ANALYST_UP,
    Action.EDIT_ANNOTATIONS: _ANALYST_UP,
    Action.MANAGE_REPORTS: _MANAGER_UP,
    Action.MANAGE_ACCOUNTS: _ADMIN,
    Action.MANAGE_KPIS: _ADMIN,
    Action.MANAGE_MEMBERS: _ADMIN,
    Action.MANAGE_WORKSPACE: _ADMIN,
}


def role_can(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action]
