from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.exports import (
    ExportFormat,
    ExportLevel,
    ExportQuery,
    export_accounts_find,
    export_csv_lines,
    export_csv_write,
    export_xlsx_write,
)
from connectors.models import Workspace


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Export a workspace's facts as CSV or XLSX. Account level: one row per platform, "
        "account, day, metric and value. Post level: one row per post and metric with its "
        "latest value. CSV goes to standard output unless --out is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="Workspace slug.")
        parser.add_argument(
            "--account", help="Only this account (its name or handle); default: all accounts."
        )
        parser.add_argument(
            "--level", required=True, choices=[level.value for level in ExportLevel]
        )
        parser.add_argument("--start", type=_date, help="First day, YYYY-MM-DD (inclusive).")
        parser.add_argument("--end", type=_date, help="Last day, YYYY-MM-DD (inclusive).")
        parser.add_argument(
            "--format",
            choices=[fmt.value for fmt in ExportFormat],
            help="csv or xlsx; default: from the --out file name, else csv.",
        )
        parser.add_argument("--out", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = _date(options["start"]) if options.get("start") else None
            end = _date(options["end"]) if options.get("end") else None
            level = ExportLevel(options["level"])
        except (ArgumentTypeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if start and end and start > end:
            raise CommandError("--start must be on or before --end.")
        out = Path(options["out"]) if options.get("out") else None
        fmt = self._format(options.get("format"), out)

        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with the slug {options['workspace']!r}.")
        accounts = None
        if options.get("account"):
            accounts = export_accounts_find(workspace=workspace, name=options["account"])
            if not accounts:
                raise CommandError(
                    f"No account named {options['account']!r} in workspace {workspace.slug!r}."
                )
        query = ExportQuery(
            workspace=workspace, level=level, accounts=accounts, start=start, end=end
        )

        if fmt == ExportFormat.XLSX:
            if out is None:
                raise CommandError("XLSX is a binary file: give --out FILE.xlsx.")
            with out.open("wb") as stream:
                rows = export_xlsx_write(query, stream)
            self.stderr.write(f"Wrote {rows} rows to {out}.")
        elif out is None:
            for chunk in export_csv_lines(query):
                self.stdout.write(chunk, ending="")
        else:
            with out.open("w", encoding="utf-8", newline="") as stream:
                rows = export_csv_write(query, stream)
            self.stderr.write(f"Wrote {rows} rows to {out}.")

    @staticmethod
    def _format(value: str | None, out: Path | None) -> ExportFormat:
        if value:
            return ExportFormat(value)
        if out is not None and out.suffix.lower() == ".xlsx":
            return ExportFormat.XLSX
        return ExportFormat.CSV
