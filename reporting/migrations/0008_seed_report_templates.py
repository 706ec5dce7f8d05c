"""Give the workspaces that exist before reports did the three ready report templates.

Workspaces created later get them from the post_save signal in ``reporting.models``; both only
add keys a workspace does not have, so running either twice changes nothing.
"""

from typing import Any

from django.db import migrations

from reporting.report_defaults import report_templates_ensure


def seed(apps: Any, schema_editor: Any) -> None:
    Workspace = apps.get_model("connectors", "Workspace")
    ReportTemplate = apps.get_model("reporting", "ReportTemplate")
    for workspace in Workspace.objects.all():
        report_templates_ensure(workspace=workspace, model=ReportTemplate)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0007_reports")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
