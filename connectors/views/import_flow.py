"""The steps of an import from the UI: upload and preview, confirm, cancel.

Each step is a ``FileImport`` row, so that the preview, the result and a failure stay visible in
the list of past imports. The file itself is read by ``connectors.imports.file_import_run``;
nothing here parses data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from connectors.importers import ImportFileError, file_columns, file_parse
from connectors.imports import file_import_run
from connectors.models import FileImport, ImportStatus, SocialAccount, User, Workspace

# The format key of ``connectors.importers.FORMATS`` read through a column mapping.
GENERIC_FORMAT = "generic"
# Rows of each kind shown in a preview.
SAMPLE_SIZE = 20


class ImportStateError(Exception):
    """The import is not in a state that allows this step (already imported, cancelled…)."""


def file_import_create(
    *, workspace: Workspace, user: User, upload: UploadedFile, options: dict[str, Any]
) -> FileImport:
    """Store the uploaded file as a new ``FileImport`` and preview it (a dry run)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = os.path.basename(upload.name or "import")[:255]
    file_import = FileImport(
        workspace=workspace,
        uploaded_by=user,
        original_name=original,
        sha256=digest.hexdigest(),
        options=options,
    )
    try:
        stored_name = get_valid_filename(original)
    except SuspiciousFileOperation:
        stored_name = "import"
    file_import.file.save(stored_name, upload, save=False)
    file_import.save()
    return file_import_preview(file_import=file_import)


def file_import_preview(
    *, file_import: FileImport, options: dict[str, Any] | None = None
) -> FileImport:
    """Dry-run the file with ``options`` (default: those stored) and store what it would do.

    A file the importer rejects leaves the import ``failed`` with the reason; changing the
    options and previewing again can make it ``previewed``.
    """
    if file_import.status not in (ImportStatus.PREVIEWED, ImportStatus.FAILED):
        raise ImportStateError(_("This import is finished; upload the file again to redo it."))
    if options is not None:
        file_import.options = options
    if file_import.options.get("format") == GENERIC_FORMAT and not file_import.options.get(
        "mapping"
    ):
        # A spreadsheet chosen as generic cannot be read before its columns are mapped: that is
        # the next step, not a failure.
        file_import.status = ImportStatus.PREVIEWED
        file_import.error = ""
        file_import.summary = {"needs_mapping": True}
        file_import.detected_format = GENERIC_FORMAT
        file_import.save()
        return file_import
    try:
        summary = file_import_run(
            workspace=file_import.workspace,
            content=_content(file_import),
            filename=file_import.original_name,
            dry_run=True,
            **_run_options(file_import.options),
        )
        sample = import_sample(file_import=file_import, account=summary.account)
    except ImportFileError as exc:
        file_import.status = ImportStatus.FAILED
        file_import.error = import_error_text(exc)
        file_import.summary = {"error": import_error_dict(exc)}
        file_import.detected_format = ""
    else:
        file_import.status = ImportStatus.PREVIEWED
        file_import.error = ""
        file_import.summary = {**summary.to_dict(), "sample": sample}
        file_import.detected_format = summary.format
    file_import.save()
    return file_import


def file_import_confirm(*, file_import: FileImport) -> FileImport:
    """Write what the preview showed. All or nothing: a failure writes no fact.

    Raises ``ImportStateError`` unless the import is ``previewed`` (a second click, a cancelled
    import). The row is locked meanwhile, so two confirmations never import twice.
    """
    with transaction.atomic():
        locked = FileImport.objects.select_for_update().get(pk=file_import.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise ImportStateError(_("This import was already confirmed or cancelled."))
        if "rows_read" not in (locked.summary or {}):
            raise ImportStateError(_("Preview the file before importing it."))
        try:
            # A savepoint: a rejected file rolls back its own writes, not the failure record.
            with transaction.atomic():
                summary = file_import_run(
                    workspace=locked.workspace,
                    content=_content(locked),
                    filename=locked.original_name,
                    dry_run=False,
                    **_run_options(locked.options),
                )
        except ImportFileError as exc:
            locked.status = ImportStatus.FAILED
            locked.error = import_error_text(exc)
            locked.summary = {"error": import_error_dict(exc)}
        else:
            locked.status = ImportStatus.IMPORTED
            locked.error = ""
            locked.summary = {**summary.to_dict(), "sample": locked.summary.get("sample")}
            locked.detected_format = summary.format
            locked.imported_at = timezone.now()
            locked.account = (
                SocialAccount.objects.filter(
                    workspace=locked.workspace,
                    display_name=summary.account,
                    **({"platform": summary.platform} if summary.platform else {}),
                )
                .order_by("-pk")
                .first()
            )
        locked.save()
    return locked


def import_sample(*, file_import: FileImport, account: str) -> dict[str, Any]:
    """The first posts and days the import writes, as JSON-ready rows for the preview.

    Reads the file again with the options of the import (``file_import_run`` reports counts,
    not rows), in the timezone the run uses: the account's, else the workspace's.
    """
    options = _run_options(file_import.options)
    existing = SocialAccount.objects.filter(
        workspace=file_import.workspace, display_name=account
    ).first()
    parsed = file_parse(
        content=_content(file_import),
        filename=file_import.original_name,
        platform=options["platform"],
        format=options["format"],
        mapping=options["mapping"],
        year=options["year"],
        timezone=existing.timezone if existing else file_import.workspace.timezone,
    )
    posts = parsed.posts[:SAMPLE_SIZE]
    shown = {post.external_id for post in posts}
    latest: dict[tuple[str, str], tuple[dt.date, float]] = {}
    for fact in parsed.post_metrics:
        key = (fact.post_external_id, fact.metric)
        if fact.post_external_id in shown and (key not in latest or latest[key][0] < fact.day):
            latest[key] = (fact.day, fact.value)
    post_metrics = sorted({metric for _post, metric in latest})
    all_days = sorted({fact.day for fact in parsed.account_metrics})
    days = set(all_days[:SAMPLE_SIZE])
    day_metrics = sorted({fact.metric for fact in parsed.account_metrics})
    values = {(f.day, f.metric): f.value for f in parsed.account_metrics if f.day in days}
    return {
        "posts": {
            "total": len(parsed.posts),
            "metrics": post_metrics,
            "rows": [
                [
                    post.external_id,
                    post.published_at.isoformat(),
                    post.format,
                    post.is_paid,
                    *[latest.get((post.external_id, m), (None, None))[1] for m in post_metrics],
                ]
                for post in posts
            ],
        },
        "days": {
            "total": len(all_days),
            "metrics": day_metrics,
            "rows": [
                [day.isoformat(), *[values.get((day, m)) for m in day_metrics]]
                for day in sorted(days)
            ],
        },
    }


def file_import_cancel(*, file_import: FileImport) -> FileImport:
    updated = FileImport.objects.filter(
        pk=file_import.pk, status__in=[ImportStatus.PREVIEWED, ImportStatus.FAILED]
    ).update(status=ImportStatus.CANCELLED)
    if not updated:
        raise ImportStateError(_("This import was already confirmed or cancelled."))
    file_import.refresh_from_db()
    return file_import


def import_error_dict(exc: Exception) -> dict[str, Any]:
    return {
        "message": str(getattr(exc, "message", None) or exc),
        "row": getattr(exc, "row", None),
        "column": getattr(exc, "column", None),
    }


def import_error_text(exc: Exception) -> str:
    details = import_error_dict(exc)
    where = []
    if details["row"] is not None:
        where.append(_("row %(row)s") % {"row": details["row"]})
    if details["column"]:
        where.append(_("column “%(column)s”") % {"column": details["column"]})
    if where:
        return f"{', '.join(where)}: {details['message']}"
    return str(details["message"])


def import_columns(file_import: FileImport) -> list[str]:
    """The header of the file as a column mapping names it; empty when it cannot be read."""
    try:
        return list(file_columns(content=_content(file_import), filename=file_import.original_name))
    except (ImportFileError, OSError):
        return []


def _content(file_import: FileImport) -> bytes:
    with file_import.file.open("rb") as stream:
        return bytes(stream.read())


def _run_options(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "account_name": options.get("account_name") or "",
        "platform": options.get("platform") or None,
        "format": options.get("format") or None,
        "mapping": options.get("mapping") or None,
        "year": options.get("year") or None,
    }
