"""Re-encrypt every stored platform credential with the first of RAPPORT_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.credentials import credentials_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt the platform credentials of every account with the first key of "
        "RAPPORT_ENCRYPTION_KEYS (put the new key first, run this, then drop the old key). "
        "Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = credentials_rotate()
        self.stdout.write(f"Re-encrypted the credentials of {result.rotated} account(s).")
        if result.unreadable:
            ids = ", ".join(str(pk) for pk in result.unreadable)
            raise CommandError(
                f"No configured key can read the credentials of account(s) {ids}: they were "
                "left as they are. Add the key they were saved with to RAPPORT_ENCRYPTION_KEYS "
                "(after the new one) and run this again, or reconnect those accounts."
            )
