from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.importers import FORMATS, ImportFileError
from connectors.imports import ImportSummary, file_import_run
from connectors.models import Workspace


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        # Column names may hold "=", field names never do: split on the last one.
        source, sep, field = pair.rpartition("=")
        if not sep or not source.strip() or not field.strip():
            raise CommandError(
                f'--map {pair!r}: write it as "Source column=field", for example '
                '"Impressions=impressions".'
            )
        if source.strip() in mapping:
            raise CommandError(f"--map: the column {source.strip()!r} is mapped twice.")
        mapping[source.strip()] = field.strip()
    return mapping


class Command(BaseCommand):
    help = (
        "Import a platform's export file (X, YouTube, TikTok, Facebook, Instagram, LinkedIn) or "
        "any CSV/XLSX with a column mapping into an account of a workspace. The account is "
        "created when it does not exist. All or nothing; importing the same file again changes "
        "nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The CSV or XLSX file to import.")
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument(
            "--account", required=True, help="The account's name or handle (created if new)."
        )
        parser.add_argument(
            "--platform",
            help="The account's platform (default: the file's, or 'import' for a generic file).",
        )
        parser.add_argument(
            "--format",
            help=f"Force the file's format instead of detecting it: {', '.join(FORMATS)}.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar='"Source column=field"',
            help="Map a column of a generic file to post_id, published_at, format, paid, text, "
            "permalink, date, or a metric key. Repeat for each column.",
        )
        parser.add_argument(
            "--year", type=int, help="The year of the first date, for dates written without one."
        )
        parser.add_argument(
            "--as-of",
            type=_date,
            help="The day the export was made (YYYY-MM-DD), to date post counters; by default "
            "the date in the file name, else the latest date in the file.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check the file, write nothing."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the summary as one line of JSON."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            known = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"No workspace {options['workspace']!r}. Workspaces: {known or '(none)'}."
            )
        as_of = options.get("as_of")
        if isinstance(as_of, str):  # call_command() hands strings over unconverted
            try:
                as_of = _date(as_of)
            except ArgumentTypeError as exc:
                raise CommandError(str(exc)) from exc
        try:
            summary = file_import_run(
                workspace=workspace,
                content=content,
                filename=path.name,
                account_name=options["account"],
                platform=options.get("platform") or None,
                format=options.get("format") or None,
                mapping=_mapping(options.get("map") or []) or None,
                year=options.get("year"),
                dry_run=options["dry_run"],
                as_of=as_of,
            )
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc.message} Nothing was imported.") from exc
        if options["json"]:
            self.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False))
        else:
            self._report(path.name, summary)

    def _report(self, filename: str, summary: ImportSummary) -> None:
        created = ", created" if summary.account_created else ""
        verb = "Would import" if summary.dry_run else "Imported"
        self.stdout.write(
            f"{verb} {filename} ({summary.format_label}) into {summary.account} "
            f"({summary.platform}{created})."
        )
        period = (
            f"{summary.period[0].isoformat()} to {summary.period[1].isoformat()}"
            if summary.period
            else "-"
        )
        for label, value in (
            ("rows read", summary.rows_read),
            ("posts written", summary.posts_written),
            ("post metric rows written", summary.post_metric_rows_written),
            ("days written", summary.days_written),
            ("account metric rows written", summary.account_metric_rows_written),
            ("metrics", ", ".join(summary.metrics) or "-"),
            ("period", period),
            ("rows skipped", len(summary.skipped)),
        ):
            self.stdout.write(f"  {label:<28} {value}")
        for skipped in summary.skipped:
            self.stdout.write(f"    row {skipped.row}: {skipped.reason}")
        for warning in summary.warnings:
            self.stdout.write(self.style.WARNING(f"  note: {warning}"))
        if summary.dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Done."))
