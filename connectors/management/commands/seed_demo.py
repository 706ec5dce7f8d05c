from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from connectors.demo import DEMO_DAYS, demo_workspace_seed
from connectors.demo.profiles import DEMO_LOGINS
from connectors.models import AccountMetric, Post, PostMetric


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _positive(value: str) -> int:
    days = int(value)
    if days < 1:
        raise ArgumentTypeError("--days must be at least 1")
    return days


class Command(BaseCommand):
    help = (
        "Create the demo workspace (slug 'demo') with five accounts, demo logins and "
        "deterministic daily history. Safe to re-run: existing rows are left as they are."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--days",
            type=_positive,
            default=DEMO_DAYS,
            help=f"Days of history (default {DEMO_DAYS}).",
        )
        parser.add_argument(
            "--end",
            type=_date,
            default=None,
            help="Last day of history, YYYY-MM-DD (default: yesterday in the workspace timezone).",
        )

    def handle(self, *args: Any, days: int, end: dt.date | str | None, **options: Any) -> None:
        # call_command(end="2026-01-31") hands the string over without argparse's conversion.
        try:
            if isinstance(end, str):
                end = _date(end)
            result = demo_workspace_seed(end=end, days=int(days))
        except (ArgumentTypeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

        workspace = result.workspace
        totals = {
            "posts": Post.objects.filter(account__workspace=workspace).count(),
            "post snapshots": PostMetric.objects.filter(post__account__workspace=workspace).count(),
            "account facts": AccountMetric.objects.filter(account__workspace=workspace).count(),
        }
        written = result.written
        self.stdout.write(
            f"Demo workspace '{workspace.slug}' ({workspace.name}): "
            f"{result.start.isoformat()} to {result.end.isoformat()}, "
            f"{workspace.accounts.aggregate(n=Count('id'))['n']} accounts "
            f"({result.accounts_created} new)."
        )
        for label, wrote in (
            ("posts", written.posts),
            ("post snapshots", written.post_metrics),
            ("account facts", written.account_metrics),
        ):
            self.stdout.write(f"  {label:<15} {wrote:>8} written, {totals[label]:>8} in total")

        created = set(result.users_created)
        self.stdout.write("")
        self.stdout.write(f"  {'Login':<14} {'Password':<20} {'Role':<9} Language")
        for login in DEMO_LOGINS:
            note = "" if login.username in created else "  (existing: password unchanged)"
            row = f"{login.username:<14} {login.password:<20} {login.role:<9} {login.language}"
            self.stdout.write(f"  {row}{note}")
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
