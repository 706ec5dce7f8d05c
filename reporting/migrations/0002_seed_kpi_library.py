"""Seed the built-in KPI library into the workspaces that exist before KPIs did.

Workspaces created later get it from the post_save signal in ``reporting.models``; both only add
keys a workspace does not have, so running either twice changes nothing.
"""

from typing import Any

from django.db import migrations

from reporting.kpis.library import BUILTIN_KPIS


def seed(apps: Any, schema_editor: Any) -> None:
    Workspace = apps.get_model("connectors", "Workspace")
    KpiDefinition = apps.get_model("reporting", "KpiDefinition")
    KpiVersion = apps.get_model("reporting", "KpiVersion")
    for workspace in Workspace.objects.all():
        existing = set(
            KpiDefinition.objects.filter(workspace=workspace).values_list("key", flat=True)
        )
        for builtin in BUILTIN_KPIS:
            if builtin.key in existing:
                continue
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
            kpi.current_version = KpiVersion.objects.create(
                definition=kpi,
                number=1,
                formula=builtin.formula,
                aggregation=builtin.aggregation,
                unit=builtin.unit,
                direction=builtin.direction,
            )
            kpi.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_kpi_definitions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
