from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.models import Workspace
from reporting.kpis.services import kpi_library_seed, kpi_library_seed_all


class Command(BaseCommand):
    help = (
        "Add the built-in KPIs that a workspace does not have yet (all workspaces by default). "
        "Safe to re-run: existing KPIs, edited or not, are left as they are."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options.get("workspace")
        if slug:
            workspace = Workspace.objects.filter(slug=slug).first()
            if workspace is None:
                raise CommandError(f"No workspace '{slug}'.")
            created = {workspace.slug: len(kpi_library_seed(workspace=workspace))}
        else:
            created = kpi_library_seed_all()
        for workspace_slug, count in created.items():
            self.stdout.write(f"{workspace_slug}: {count} built-in KPI(s) added.")
        if not created:
            self.stdout.write("No workspace yet: nothing to seed.")
