"""Creating, editing and deleting goals; every write validates through ``Goal.full_clean``."""

from __future__ import annotations

import datetime as dt

from connectors.models import SocialAccount, User, Workspace
from connectors.versioning import workspace_data_changed
from reporting.models import Goal, KpiDefinition

EDITABLE_FIELDS = frozenset({"name", "kpi", "account", "period_kind", "start", "end", "target"})


def goal_create(
    *,
    workspace: Workspace,
    kpi: KpiDefinition,
    name: str,
    period_kind: str,
    start: dt.date,
    end: dt.date,
    target: float,
    account: SocialAccount | None = None,
    created_by: User | None = None,
) -> Goal:
    """Create a goal; raises ValidationError for dates that do not fit ``period_kind``, a last
    day before the first, or a KPI or account of another workspace."""
    goal = Goal(
        workspace=workspace,
        kpi=kpi,
        account=account,
        name=name,
        period_kind=period_kind,
        start=start,
        end=end,
        target=target,
        created_by=created_by,
    )
    goal.full_clean()
    goal.save()
    workspace_data_changed(workspace_id=goal.workspace_id)
    return goal


def goal_update(*, goal: Goal, **changes: object) -> Goal:
    """Change a goal's name, KPI, account, period or target (validated as in ``goal_create``).

    Raises TypeError for any other field.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"goal_update() cannot change {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(goal, name, value)
    goal.full_clean()
    goal.save()
    workspace_data_changed(workspace_id=goal.workspace_id)
    return goal


def goal_delete(*, goal: Goal) -> None:
    workspace_id = goal.workspace_id
    goal.delete()
    workspace_data_changed(workspace_id=workspace_id)
