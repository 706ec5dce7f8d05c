"""Restore a backup archive written by ``manage.py backup`` (README, Backups)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from connectors.backup import (
    KEYS,
    BackupError,
    archive_open,
    database_is_empty,
    database_restore,
    media_is_empty,
    media_restore,
)


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database and media folder (--force to replace what is "
        "there), then apply migrations. The archive is checked whole before anything is touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The rapport-….tar.gz file to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore over a database and media folder that already hold data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        media_root = Path(settings.MEDIA_ROOT)
        now = timezone.now()
        with tempfile.TemporaryDirectory(prefix="rapport-restore-") as workdir:
            try:
                archive = archive_open(path=Path(options["archive"]), into=Path(workdir))
            except BackupError as exc:
                raise CommandError(str(exc)) from None
            manifest = archive.manifest
            self.stdout.write(
                f"Checked {Path(options['archive']).name}: Rapport {manifest['rapport_version']} "
                f"({manifest['commit'][:12]}), made {manifest['created_at']}, "
                f"{len(manifest['files'])} files."
            )
            if not options["force"]:
                if not database_is_empty():
                    raise CommandError(
                        "The database already has tables: restore into a new, empty database, "
                        "or add FORCE=1 (--force) to replace its contents. Nothing was changed."
                    )
                if not media_is_empty(media_root):
                    raise CommandError(
                        f"{media_root} already holds files: restore into an empty data folder, "
                        "or add FORCE=1 (--force); they are then moved aside, not deleted. "
                        "Nothing was changed."
                    )
            try:
                database_restore(archive=archive)
            except BackupError as exc:
                raise CommandError(f"{exc} The database was left as it was.") from None
            replaced = media_restore(archive=archive, media_root=media_root, now=now)
            if manifest.get("includes_keys"):
                keys_file = Path(settings.DATA_DIR) / f"keys-from-backup-{now:%Y%m%d-%H%M%S}.json"
                # Created readable by the owner only, never for a moment by anyone else.
                descriptor = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write((archive.root / KEYS).read_bytes())
                self.stdout.write(
                    f"The archive held the keys: they are in {keys_file}. Set SECRET_KEY and "
                    "RAPPORT_ENCRYPTION_KEYS from it, then delete the file."
                )
        self.stdout.write("Database and files restored; applying migrations.")
        call_command("migrate", interactive=False, verbosity=1, stdout=self.stdout)
        if replaced is not None:
            self.stdout.write(f"The files that were there before are kept in {replaced}.")
        self.stdout.write(self.style.SUCCESS("Restore complete."))
