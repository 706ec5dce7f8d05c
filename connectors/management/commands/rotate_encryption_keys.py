"""Re-encrypt every stored platform credential and two-factor secret with the first of
RAPPORT_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.credentials import credentials_rotate
from connectors.twofactor.services import two_factor_secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt the platform credentials of every account and the two-factor secret of "
        "every user with the first key of RAPPORT_ENCRYPTION_KEYS (put the new key first, run "
        "this, then drop the old key). Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = credentials_rotate()
        self.stdout.write(f"Re-encrypted the credentials of {result.rotated} account(s).")
        secrets = two_factor_secrets_rotate()
        self.stdout.write(f"Re-encrypted the two-factor secrets of {secrets.rotated} user(s).")
        problems = []
        if result.unreadable:
            ids = ", ".join(str(pk) for pk in result.unreadable)
            problems.append(
                f"No configured key can read the credentials of account(s) {ids}: they were "
                "left as they are. Add the key they were saved with to RAPPORT_ENCRYPTION_KEYS "
                "(after the new one) and run this again, or reconnect those accounts."
            )
        if secrets.unreadable:
            ids = ", ".join(str(pk) for pk in secrets.unreadable)
            problems.append(
                f"No configured key can read the two-factor secrets of user(s) {ids}: they were "
                "left as they are. Add the key they were saved with to RAPPORT_ENCRYPTION_KEYS "
                "(after the new one) and run this again, or reset those users' two-factor "
                "authentication in the admin."
            )
        if problems:
            raise CommandError(" ".join(problems))
