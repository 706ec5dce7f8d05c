"""``render_report``: one report template rendered to a file, for scripts and for checking a
template from the shell. It writes the file and nothing else: no run is archived, nothing is
sent (the UI and the schedules do that through ``dashboards.reports.services``)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.models import LANGUAGE_CHOICES, Workspace
from dashboards.reports.build import report_build
from dashboards.reports.figures import ReportRenderError
from dashboards.reports.limits import RenderLimitExceeded, render_limits
from dashboards.reports.services import report_file_render
from reporting.report_models import ReportFormat, ReportTemplate

# The PDF's page tree, "<</Type /Pages/Kids [...]/Count 7>>". WeasyPrint puts it in a
# compressed object stream, so the streams are inflated to find it.
_PDF_PAGES = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", re.S)
_PDF_STREAM = re.compile(rb"stream\r?\n")


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date in the form YYYY-MM-DD.") from None


def file_parts(content: bytes, fmt: ReportFormat) -> str:
    """ "12 pages", "9 slides", "4 sheets" or "5 files", or "" when it cannot be told."""
    if fmt == ReportFormat.PDF:
        pages = _pdf_pages(content)
        return f"{pages} pages" if pages else ""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
    if fmt == ReportFormat.PPTX:
        slides = [n for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)]
        return f"{len(slides)} slides"
    if fmt == ReportFormat.XLSX:
        sheets = [n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        return f"{len(sheets)} sheets"
    return f"{len(names)} files"


def _pdf_pages(content: bytes) -> int | None:
    """The page count of a PDF's root page tree (the largest count: subtrees count less)."""
    counts = [int(count) for count in _PDF_PAGES.findall(content)]
    for stream in _PDF_STREAM.finditer(content):
        try:
            # A decompressor stops at the stream's end and ignores what follows.
            inflated = zlib.decompressobj().decompress(memoryview(content)[stream.end() :])
        except zlib.error:
            continue  # not a Flate stream (an image, say)
        counts += [int(count) for count in _PDF_PAGES.findall(inflated)]
    return max(counts, default=None)


class Command(BaseCommand):
    help = (
        "Render a workspace's report template to a file: PDF, PPTX (slides), XLSX or CSV (a "
        "zip). The period is the template's unless --start and --end are given. The file is "
        "only written: no run is archived and nothing is sent."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="Workspace slug.")
        parser.add_argument(
            "--template", required=True, help="Template key, e.g. monthly, weekly or client."
        )
        parser.add_argument("--start", help="First day, YYYY-MM-DD (with --end).")
        parser.add_argument("--end", help="Last day, YYYY-MM-DD (with --start).")
        parser.add_argument("--format", required=True, choices=[fmt.value for fmt in ReportFormat])
        parser.add_argument("--out", required=True, help="The file to write.")
        parser.add_argument(
            "--lang",
            choices=[code for code, _label in LANGUAGE_CHOICES],
            help="Language of this rendering; default: the template's.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = self._period(options.get("start"), options.get("end"))
        fmt = ReportFormat(options["format"])
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"The folder {str(out.parent)!r} does not exist.")
        template = self._template(options["workspace"], options["template"])

        def progress(percent: int, label: str) -> None:
            if options["verbosity"] >= 2:
                self.stderr.write(f"{percent:3d}% {label}")

        try:
            with render_limits():
                document = report_build(
                    template=template,
                    start=start,
                    end=end,
                    language=options.get("lang"),
                    progress=progress,
                )
                rendered = report_file_render(document=document, fmt=fmt)
        except ReportRenderError as error:
            raise CommandError(f"The report could not be rendered: {error}") from error
        except RenderLimitExceeded as stopped:
            raise CommandError(stopped.message) from None
        try:
            out.write_bytes(rendered.content)
        except OSError as error:
            raise CommandError(f"Could not write {out}: {error.strerror or error}") from error

        if not document.has_data:
            self.stderr.write(
                self.style.WARNING(f"No data for {document.period_label}: the report is empty.")
            )
        parts = file_parts(rendered.content, fmt)
        details = ", ".join(filter(None, [f"{len(rendered.content):,} bytes", parts]))
        self.stdout.write(f"Wrote {out} ({details}): {document.title}, {document.period_label}.")

    @staticmethod
    def _period(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
        if bool(start) != bool(end):
            raise CommandError("Give --start and --end together, or neither.")
        if not start or not end:
            return None, None
        first, last = _date(start, "--start"), _date(end, "--end")
        if first > last:
            raise CommandError("--start must be on or before --end.")
        return first, last

    @staticmethod
    def _template(slug: str, key: str) -> ReportTemplate:
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            slugs = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No workspace {slug!r}. Workspaces: {slugs or 'none'}.")
        template = (
            ReportTemplate.objects.select_related("workspace")
            .filter(workspace=workspace, key=key)
            .first()
        )
        if template is None:
            keys = ", ".join(
                workspace.report_templates.order_by("key").values_list("key", flat=True)
            )
            raise CommandError(
                f"No report template {key!r} in workspace {slug!r}. Templates: {keys or 'none'}."
            )
        return template
