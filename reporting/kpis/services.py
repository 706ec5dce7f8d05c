"""Creating, editing and seeding KPI definitions.

Every change to what a KPI computes (formula, aggregation, unit, direction) goes through
``kpi_version_sync``, which adds a ``KpiVersion`` rather than rewriting one, so a number
computed earlier can still say exactly how it was computed.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Max

from connectors.models import User, Workspace
from connectors.versioning import workspace_data_changed
from reporting.kpis.library import BUILTIN_KPIS, BuiltinKpi
from reporting.models import KpiDefinition, KpiDirection, KpiVersion

logger = logging.getLogger(__name__)

VERSIONED_FIELDS = ("formula", "aggregation", "unit", "direction")
EDITABLE_FIELDS = frozenset(
    {"name_en", "name_fr", "description_en", "description_fr", *VERSIONED_FIELDS}
)


def kpi_version_sync(*, kpi: KpiDefinition, created_by: User | None = None) -> KpiVersion:
    """Make ``kpi.current_version`` match the definition's formula, aggregation, unit and
    direction: return it when it already does, else add the next version and point to it.

    Call it after saving the definition; old versions are never changed.
    """
    with transaction.atomic():
        locked = KpiDefinition.objects.select_for_update().get(pk=kpi.pk)
        current = locked.current_version
        if current is not None and all(
            getattr(current, field) == getattr(kpi, field) for field in VERSIONED_FIELDS
        ):
            return current
        latest = locked.versions.aggregate(latest=Max("number"))["latest"] or 0
        version = KpiVersion.objects.create(
            definition=locked,
            number=latest + 1,
            created_by=created_by,
            **{field: getattr(kpi, field) for field in VERSIONED_FIELDS},
        )
        KpiDefinition.objects.filter(pk=kpi.pk).update(current_version=version)
    kpi.current_version = version
    return version


def kpi_create(
    *,
    workspace: Workspace,
    key: str,
    name_en: str,
    name_fr: str,
    formula: str,
    unit: str,
    aggregation: str,
    direction: str = KpiDirection.HIGHER_IS_BETTER,
    description_en: str = "",
    description_fr: str = "",
    created_by: User | None = None,
) -> KpiDefinition:
    """Create a workspace's KPI and its version 1.

    Raises ``django.core.exceptions.ValidationError`` for an invalid formula, an unknown unit,
    aggregation or direction, or a key the workspace already uses.
    """
    kpi = KpiDefinition(
        workspace=workspace,
        key=key,
        name_en=name_en,
        name_fr=name_fr,
        description_en=description_en,
        description_fr=description_fr,
        formula=formula,
        unit=unit,
        aggregation=aggregation,
        direction=direction,
    )
    kpi.full_clean()
    with transaction.atomic():
        kpi.save()
        kpi_version_sync(kpi=kpi, created_by=created_by)
        workspace_data_changed(workspace_id=kpi.workspace_id)
    return kpi


def kpi_update(
    *, kpi: KpiDefinition, created_by: User | None = None, **changes: str
) -> KpiDefinition:
    """Edit a KPI's names, definitions, formula, aggregation, unit or direction.

    Changing any of the last four adds a version (see ``kpi_version_sync``); the others are
    edited in place. Raises ValidationError for invalid values, TypeError for other fields.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"kpi_update() cannot change {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(kpi, field, value)
    kpi.full_clean()
    with transaction.atomic():
        kpi.save()
        kpi_version_sync(kpi=kpi, created_by=created_by)
        workspace_data_changed(workspace_id=kpi.workspace_id)
    return kpi


def _builtin_create(workspace: Workspace, builtin: BuiltinKpi) -> KpiDefinition | None:
    try:
        with transaction.atomic():
            kpi = KpiDefinition.objects.create(
                workspace=workspace,
                key=builtin.key,
                name_en=builtin.name_en,
                name_fr=builtin.name_fr,
                description_en=builtin.description_en,
                description_fr=builtin.description_fr,
                formula=builtin.formula,
                unit=builtin.unit,
                aggregation=builtin.aggregation,
                direction=builtin.direction,
                is_builtin=True,
            )
            kpi_version_sync(kpi=kpi)
    except IntegrityError:
        # Seeded at the same moment by another process: the row is there, which is the goal.
        return None
    return kpi


def kpi_library_seed(*, workspace: Workspace) -> list[KpiDefinition]:
    """Add the built-in KPIs the workspace does not have yet; returns those created.

    Idempotent. A KPI the workspace already has under a built-in key is left exactly as it is,
    so a re-seed never undoes an admin's edit.
    """
    existing = set(KpiDefinition.objects.filter(workspace=workspace).values_list("key", flat=True))
    created: list[KpiDefinition] = []
    for builtin in BUILTIN_KPIS:
        if builtin.key in existing:
            continue
        kpi = _builtin_create(workspace, builtin)
        if kpi is not None:
            created.append(kpi)
    if created:
        logger.info("Seeded %d built-in KPIs into workspace %s.", len(created), workspace.slug)
    return created


def kpi_library_seed_all() -> dict[str, int]:
    """Seed the built-in library into every workspace; returns how many KPIs each received."""
    return {
        workspace.slug: len(kpi_library_seed(workspace=workspace))
        for workspace in Workspace.objects.order_by("slug")
    }
