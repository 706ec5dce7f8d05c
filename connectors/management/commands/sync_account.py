from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.base import ConnectorError
from connectors.models import SocialAccount, SyncRun, SyncStatus, SyncTrigger, Workspace
from connectors.sync import SyncRetry, account_sync
from connectors.tasks import sync_retry_countdown


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def account_find(*, workspace: Workspace, name: str) -> SocialAccount:
    """The workspace's account whose display name or handle is ``name`` (case-insensitive, the
    handle with or without its @). Raises ``CommandError`` listing the candidates otherwise."""
    wanted = name.strip()
    handle = wanted.removeprefix("@")
    accounts = list(workspace.accounts.order_by("platform", "display_name"))
    found = [
        a
        for a in accounts
        if a.display_name.casefold() == wanted.casefold()
        or (handle and a.handle.removeprefix("@").casefold() == handle.casefold())
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise CommandError(
            f"{len(found)} accounts of workspace '{workspace.slug}' match '{name}'; use one "
            f"of these handles (or the name, where it is unique):\n{_listing(found)}"
        )
    if not accounts:
        raise CommandError(f"Workspace '{workspace.slug}' has no accounts yet.")
    raise CommandError(
        f"No account of workspace '{workspace.slug}' is named '{name}'. Its accounts:\n"
        f"{_listing(accounts)}"
    )


def _listing(accounts: list[SocialAccount]) -> str:
    return "\n".join(
        f"  {a.display_name} ({a.get_platform_display()}{', ' + a.handle if a.handle else ''})"
        for a in accounts
    )


class Command(BaseCommand):
    help = (
        "Sync one account from its platform's API now, with the same service as the scheduled "
        "sync, and print what it wrote. --start/--end backfill a period. Exits with an error "
        "when the sync fails or is skipped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument(
            "--account", required=True, help="The account's name or handle in that workspace."
        )
        parser.add_argument(
            "--start",
            type=_date,
            default=None,
            help="First day to fetch, YYYY-MM-DD (default: the last synced day minus the "
            "platform's lookback, or 90 days back on a first sync).",
        )
        parser.add_argument(
            "--end",
            type=_date,
            default=None,
            help="Last day to fetch, YYYY-MM-DD (default and latest: yesterday in the account's "
            "timezone; today for platforms that only report current counters).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = _date(options["start"]) if options["start"] else None
            end = _date(options["end"]) if options["end"] else None
        except ArgumentTypeError as exc:
            raise CommandError(str(exc)) from exc
        if start and end and start > end:
            raise CommandError(f"--start {start} falls after --end {end}.")
        slug = options["workspace"]
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            known = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No workspace has the slug '{slug}'. Known: {known or 'none'}.")
        account = account_find(workspace=workspace, name=options["account"])
        run = SyncRun.objects.create(
            account=account, trigger=SyncTrigger.COMMAND, window_start=start, window_end=end
        )
        run = self._sync(run)
        self._report(account, run)
        if run.status in (SyncStatus.FAILED, SyncStatus.SKIPPED):
            raise CommandError(f"Sync {run.get_status_display().lower()}: {run.error}")

    def _sync(self, run: SyncRun) -> SyncRun:
        # The task's retry policy, waiting here instead of in the broker: a backfill should not
        # fail on one server error or a short rate limit.
        retries = 0

        def retry_in(error: ConnectorError) -> float | None:
            return sync_retry_countdown(error, retries=retries)

        while True:
            try:
                return account_sync(run_id=run.pk, retry_in=retry_in)
            except SyncRetry as pending:
                self.stdout.write(str(pending))
                time.sleep(pending.countdown)
                retries += 1

    def _report(self, account: SocialAccount, run: SyncRun) -> None:
        self.stdout.write(
            f"Sync {run.pk} of {account.display_name} ({account.get_platform_display()}) in "
            f"workspace '{account.workspace.slug}': {run.get_status_display()}"
        )
        if run.window_start and run.window_end:
            self.stdout.write(f"  days           {run.window_start} to {run.window_end}")
        for label, count in (
            ("account rows", run.account_rows_written),
            ("posts", run.posts_written),
            ("post rows", run.post_rows_written),
        ):
            self.stdout.write(f"  {label:<14} {count:>8} written")
        for warning in run.warnings:
            self.stdout.write(self.style.WARNING(f"  warning: {warning}"))
        if run.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL):
            self.stdout.write(self.style.SUCCESS("Done."))
