"""Make report runs and their files: the archive is written here and nowhere else.

A run keeps a snapshot of its template (sections, scope, period rule) and the day it was made
(``as_of``), so rendering it again, after a reviewer edits the commentary, gives the same period
and sections even if the template changed or was deleted meanwhile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from connectors.models import User
from dashboards.reports.build import (
    ReportScopeError,
    report_build,
    report_filters,
    workspace_today,
)
from dashboards.reports.document import ReportDocument
from dashboards.reports.figures import ChartRenderer
from dashboards.reports.limits import RenderLimitExceeded, render_limits, timeout_message
from reporting.report_models import (
    ReportFormat,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    RunStatus,
)

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.CSV: "application/zip",
}
EXTENSIONS = {
    ReportFormat.PDF: "pdf",
    ReportFormat.PPTX: "pptx",
    ReportFormat.XLSX: "xlsx",
    ReportFormat.CSV: "zip",
}
_SNAPSHOT_FIELDS = (
    "key",
    "name",
    "description",
    "sections",
    "period",
    "compare",
    "account_ids",
    "platforms",
    "tags",
    "language",
)


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    content_type: str
    filename: str


def report_filename(document: ReportDocument, fmt: ReportFormat) -> str:
    stem = slugify(f"{document.workspace_slug} {document.title}")[:80] or "report"
    return (
        f"{stem}-{document.period_start:%Y%m%d}-{document.period_end:%Y%m%d}."
        f"{EXTENSIONS[ReportFormat(fmt)]}"
    )


def run_filename(run: ReportRun, *, data: bool = False) -> str:
    """The name a run's file is downloaded or attached under, the same everywhere:
    ``monthly-management-report-2026-10-01-2026-10-31.pdf`` (``-data.xlsx`` for its data)."""
    fmt = ReportFormat.XLSX if data else ReportFormat(run.format)
    stem = slugify(run.title)[:80] or "report"
    suffix = "-data" if data else ""
    return f"{stem}-{run.period_start:%Y-%m-%d}-{run.period_end:%Y-%m-%d}{suffix}.{EXTENSIONS[fmt]}"


def report_file_render(
    *, document: ReportDocument, fmt: ReportFormat | str, charts: ChartRenderer | None = None
) -> RenderedFile:
    """``document`` as a file in ``fmt``; ``charts`` reuses a Chromium already started."""
    fmt = ReportFormat(fmt)
    # Imported here: each renderer pulls in its own heavy library (WeasyPrint, python-pptx).
    if fmt == ReportFormat.PDF:
        from dashboards.reports.render_pdf import pdf_render

        content = pdf_render(document, charts=charts)
    elif fmt == ReportFormat.PPTX:
        from dashboards.reports.render_pptx import pptx_render

        content = pptx_render(document, charts=charts)
    elif fmt == ReportFormat.XLSX:
        from dashboards.reports.render_data import xlsx_render

        content = xlsx_render(document)
    else:
        from dashboards.reports.render_data import csv_zip_render

        content = csv_zip_render(document)
    return RenderedFile(
        content=content, content_type=CONTENT_TYPES[fmt], filename=report_filename(document, fmt)
    )


def template_snapshot(
    template: ReportTemplate, *, as_of: dt.date, start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {name: getattr(template, name) for name in _SNAPSHOT_FIELDS}
    snapshot["fixed_start"] = template.fixed_start.isoformat() if template.fixed_start else None
    snapshot["fixed_end"] = template.fixed_end.isoformat() if template.fixed_end else None
    snapshot["as_of"] = as_of.isoformat()
    snapshot["start"] = start.isoformat() if start else None
    snapshot["end"] = end.isoformat() if end else None
    return snapshot


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def snapshot_template(run: ReportRun) -> ReportTemplate:
    """The template as it was when ``run`` was made (not saved: it only feeds the builder)."""
    snapshot = run.template_snapshot
    template = ReportTemplate(workspace=run.workspace)
    for name in _SNAPSHOT_FIELDS:
        if name in snapshot:
            setattr(template, name, snapshot[name])
    template.fixed_start = _date(snapshot.get("fixed_start"))
    template.fixed_end = _date(snapshot.get("fixed_end"))
    return template


def report_run_create(
    *,
    template: ReportTemplate,
    fmt: ReportFormat | str,
    requested_by: User | None = None,
    schedule: ReportSchedule | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
    commentary: str = "",
    language: str | None = None,
) -> tuple[ReportRun, bool]:
    """A queued run of ``template``; returns (run, created).

    For a schedule, at most one run exists per period: a second call for the same period
    (a restarted or doubled dispatcher) returns the existing run with ``created`` False.
    """
    if (start is None) != (end is None):
        raise ValueError("Give both start and end, or neither.")
    if start and end and start > end:
        raise ValueError("The start date must be on or before the end date.")
    workspace = template.workspace
    as_of = today or workspace_today(workspace)
    filters = report_filters(template, today=as_of, start=start, end=end)
    period, comparison = filters.period, filters.comparison
    values: dict[str, Any] = {
        "workspace": workspace,
        "template": template if template.pk else None,
        "title": template.name,
        "template_snapshot": template_snapshot(template, as_of=as_of, start=start, end=end),
        "compare_start": comparison.start if comparison else None,
        "compare_end": comparison.end if comparison else None,
        "language": language or template.report_language(),
        "format": ReportFormat(fmt),
        "commentary": commentary,
        "requested_by": requested_by,
    }
    if schedule is None:
        run = ReportRun.objects.create(period_start=period.start, period_end=period.end, **values)
        return run, True
    lookup = {"schedule": schedule, "period_start": period.start, "period_end": period.end}
    existing = ReportRun.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return ReportRun.objects.create(**lookup, **values), True
    except IntegrityError:
        # Another dispatcher made it between our read and our insert: the constraint decides.
        return ReportRun.objects.get(**lookup), False


def _progress(run_id: int) -> Any:
    def report(percent: int, label: str) -> None:
        ReportRun.objects.filter(pk=run_id).update(
            progress=max(0, min(99, percent)), progress_label=label[:120]
        )

    return report


RENDERED_FIELDS = [
    "file",
    "data_file",
    "file_sha256",
    "file_size",
    "kpi_versions",
    "data_freshness",
    "has_data",
    "rendered_at",
    "status",
    "progress",
    "progress_label",
    "error",
]


def _failed(run: ReportRun, error: str) -> ReportRun:
    run.status, run.error, run.progress = RunStatus.FAILED, error[:1000], 0
    ReportRun.objects.filter(pk=run.pk).update(
        status=run.status, error=run.error, progress=0, progress_label=""
    )
    return run


def report_run_render(*, run: ReportRun, with_data: bool = False) -> ReportRun:
    """Build and render ``run`` and store the file in the archive.

    Ends READY with the file, its hash and size, the KPI versions and data freshness used; or
    FAILED with the error (logged), never half-written: the previous file stays until the new
    one is complete. ``with_data`` also stores the XLSX of the data behind it.
    """
    ReportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RENDERING, progress=1, progress_label="", error=""
    )
    snapshot = run.template_snapshot
    drawn = run.format in (ReportFormat.PDF, ReportFormat.PPTX)
    try:
        # Chromium boots (about 2.5 s) while the numbers are computed, then draws every chart.
        with render_limits():
            with ChartRenderer() if drawn else nullcontext(None) as charts:
                document = report_build(
                    template=snapshot_template(run),
                    today=_date(snapshot.get("as_of")) or run.period_end + dt.timedelta(days=1),
                    start=_date(snapshot.get("start")),
                    end=_date(snapshot.get("end")),
                    language=run.language,
                    commentary=run.commentary,
                    progress=_progress(run.pk),
                )
                rendered = report_file_render(document=document, fmt=run.format, charts=charts)
            data = None
            if with_data and run.format != ReportFormat.XLSX:
                data = report_file_render(document=document, fmt=ReportFormat.XLSX)
    except ReportScopeError as error:
        return _failed(run, str(error))  # a user's error: said on the run's page, not logged
    except RenderLimitExceeded as error:
        logger.warning("Report run %s was stopped: %s", run.pk, error.message)
        return _failed(run, error.message)
    except SoftTimeLimitExceeded:
        # The task's own limit, a little above the watchdog's: reached only when the render was
        # stuck where the watchdog's exception could not land.
        logger.warning("Report run %s reached the task's time limit.", run.pk)
        return _failed(run, timeout_message(settings.REPORT_RENDER_TIMEOUT))
    except Exception as error:
        logger.exception("Report run %s could not be rendered.", run.pk)
        return _failed(run, str(error))
    old = [f.name for f in (run.file, run.data_file) if f and f.name]
    try:
        run.file.save(rendered.filename, ContentFile(rendered.content), save=False)
        if data is not None:
            run.data_file.save(data.filename, ContentFile(data.content), save=False)
    except OSError as error:  # a full or read-only disk
        logger.exception("Report run %s could not be stored.", run.pk)
        return _failed(run, str(error))
    run.file_sha256 = hashlib.sha256(rendered.content).hexdigest()
    run.file_size = len(rendered.content)
    run.kpi_versions = document.kpi_versions
    run.data_freshness = document.data_freshness
    run.has_data = document.has_data
    run.rendered_at = timezone.now()
    run.status, run.progress, run.progress_label, run.error = RunStatus.READY, 100, "", ""
    # Only the rendering's own columns: the template or schedule may have been deleted while it
    # rendered, and writing back their stale ids would fail the whole save.
    run.save(update_fields=RENDERED_FIELDS)
    for name in old:
        if name and name not in (run.file.name, run.data_file.name):
            run.file.storage.delete(name)
    return run
