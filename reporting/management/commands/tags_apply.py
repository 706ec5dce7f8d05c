from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from connectors.models import Workspace
from reporting.tags import tag_rules_apply


class Command(BaseCommand):
    help = "Apply a workspace's tag rules to its posts (safe to re-run)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")

    def handle(self, *args: Any, workspace: str, **options: Any) -> None:
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(_("No workspace with the slug '%(slug)s'.") % {"slug": workspace})
        changed = tag_rules_apply(workspace=found)
        self.stdout.write(_("%(n)d posts retagged.") % {"n": changed})
