"""Write a backup archive of the database and the uploaded files (README, Backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from connectors.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write rapport-YYYYmmdd-HHMMSS.tar.gz (database dump, uploaded files, manifest) into "
        "--directory. The secret key and encryption keys are left out unless --include-keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            default=str(Path(settings.BASE_DIR) / "backups"),
            help="Where to write the archive (default: backups/ in the checkout).",
        )
        parser.add_argument(
            "--include-keys",
            action="store_true",
            help="Also store SECRET_KEY and RAPPORT_ENCRYPTION_KEYS (keep such an archive safe).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup_create(
                directory=Path(options["directory"]),
                include_keys=options["include_keys"],
                now=timezone.now(),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backup written: {path}")
        if not options["include_keys"]:
            self.stdout.write(
                "It holds no keys: keep SECRET_KEY and RAPPORT_ENCRYPTION_KEYS safe separately, "
                "the platform tokens in it cannot be read without them."
            )
