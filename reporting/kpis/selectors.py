"""Reading KPI definitions, always within one workspace."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from connectors.models import Workspace
from reporting.models import KpiDefinition


class KpiNotFound(LookupError):
    """No KPI with that key in the workspace; the message lists the keys that exist."""


def kpi_list(*, workspace: Workspace) -> QuerySet[KpiDefinition]:
    return (
        KpiDefinition.objects.filter(workspace=workspace)
        .select_related("current_version")
        .order_by("key")
    )


def kpi_get(*, workspace: Workspace, key: str) -> KpiDefinition:
    """The workspace's KPI with ``key``; raises KpiNotFound naming the available keys."""
    kpi = kpi_list(workspace=workspace).filter(key=key).first()
    if kpi is None:
        keys = list(kpi_list(workspace=workspace).values_list("key", flat=True))
        raise KpiNotFound(
            _("There is no KPI '%(key)s' in %(workspace)s. Available KPIs: %(keys)s.")
            % {"key": key, "workspace": workspace.name, "keys": ", ".join(keys) or _("none")}
        )
    return kpi
