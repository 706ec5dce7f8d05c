"""Importing export files: upload, preview (with a column-mapping editor), confirm or cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_record, audit_target
from connectors.forms import ColumnMappingForm, ImportOptionsForm, ImportUploadForm
from connectors.metrics import METRICS
from connectors.models import FileImport, ImportStatus, Platform, PostFormat
from connectors.permissions import Action
from connectors.scoping import workspace_object_or_404
from connectors.selectors import account_list
from connectors.views.import_flow import (
    GENERIC_FORMAT,
    ImportStateError,
    file_import_cancel,
    file_import_confirm,
    file_import_create,
    file_import_preview,
    import_columns,
)

EN_DASH = "\u2013"  # a missing value, as the dashboards show it
IMPORTS_PER_PAGE = 15
# Multipart framing and the other fields add a little to the file itself.
_BODY_OVERHEAD = 64 * 1024


def _common(request: WorkspaceRequest) -> dict[str, Any]:
    workspace = request.membership.workspace
    return {
        "account_names": sorted(
            set(account_list(workspace=workspace).values_list("display_name", flat=True))
        ),
        "max_mb": settings.IMPORT_MAX_MB,
    }


def _upload_page(
    request: WorkspaceRequest, form: ImportUploadForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    workspace = request.membership.workspace
    paginator = Paginator(
        FileImport.objects.filter(workspace=workspace)
        .select_related("uploaded_by", "account")
        .order_by("-created_at", "-pk"),
        IMPORTS_PER_PAGE,
    )
    context = _common(request)
    context.update(
        {
            "form": form,
            "page": paginator.get_page(request.GET.get("page")),
            "upload_error": error,
        }
    )
    return render(request, "connectors/import.html", context, status=status)


# The size is checked from Content-Length before the body is parsed. CSRF middleware would
# parse it first (to read the token), so this view defers the CSRF check to ``_upload``.
@csrf_exempt
@workspace_required(Action.MANAGE_ACCOUNTS)
def import_upload(request: WorkspaceRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.IMPORT_MAX_MB * 1024 * 1024 + _BODY_OVERHEAD:
            error = _(
                "The file is larger than %(limit)s MB. Export a shorter period and try again."
            ) % {"limit": settings.IMPORT_MAX_MB}
            # The body is left unread; the connection is closed rather than drained.
            response = _upload_page(request, ImportUploadForm(), status=413, error=error)
            response["Connection"] = "close"
            return response
    return _upload(request)


@csrf_protect
def _upload(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            file_import = file_import_create(
                workspace=workspace,
                user=request.user,
                upload=form.cleaned_data["file"],
                options=form.options(),
            )
            return redirect(
                "connectors:import_preview",
                workspace_slug=workspace.slug,
                import_id=file_import.pk,
            )
        return _upload_page(request, form, status=400)
    form = ImportUploadForm(initial={"account_name": request.GET.get("account", "")})
    return _upload_page(request, form)


def _needs_mapping(file_import: FileImport) -> bool:
    options = file_import.options or {}
    return bool(
        options.get("mapping")
        or options.get("format") == GENERIC_FORMAT
        or file_import.detected_format == GENERIC_FORMAT
        or (file_import.status == ImportStatus.FAILED and not options.get("format"))
    )


def _number(value: Any) -> tuple[str, bool]:
    if value is None:
        return EN_DASH, True
    number = float(value)
    shown = int(number) if number.is_integer() else round(number, 2)
    return formats.number_format(shown, use_l10n=True, force_grouping=True), True


def _metric_label(key: str) -> str:
    metric = METRICS.get(key)
    return str(metric.label) if metric else key


def _sample_tables(sample: dict[str, Any], tz: ZoneInfo) -> list[dict[str, Any]]:
    tables = []
    posts = sample.get("posts") or {}
    if posts.get("rows"):
        metrics = posts.get("metrics", [])
        tables.append(
            {
                "title": ngettext(
                    "The first post (of %(total)s)",
                    "The first %(count)s posts (of %(total)s)",
                    len(posts["rows"]),
                )
                % {"count": len(posts["rows"]), "total": posts.get("total", len(posts["rows"]))},
                "columns": [
                    (_("Post id"), False),
                    (_("Published"), False),
                    (_("Format"), False),
                    (_("Paid"), False),
                    *[(_metric_label(m), True) for m in metrics],
                ],
                "rows": [
                    [
                        (str(post_id), False),
                        (
                            formats.date_format(
                                dt.datetime.fromisoformat(published).astimezone(tz),
                                "SHORT_DATETIME_FORMAT",
                            ),
                            False,
                        ),
                        (_format_label(post_format), False),
                        (_("Yes") if paid else _("No"), False),
                        *[_number(value) for value in values],
                    ]
                    for post_id, published, post_format, paid, *values in posts["rows"]
                ],
            }
        )
    days = sample.get("days") or {}
    if days.get("rows"):
        metrics = days.get("metrics", [])
        tables.append(
            {
                "title": ngettext(
                    "The first day (of %(total)s)",
                    "The first %(count)s days (of %(total)s)",
                    len(days["rows"]),
                )
                % {"count": len(days["rows"]), "total": days.get("total", len(days["rows"]))},
                "columns": [(_("Day"), False), *[(_metric_label(m), True) for m in metrics]],
                "rows": [
                    [
                        (formats.date_format(dt.date.fromisoformat(day), "DATE_FORMAT"), False),
                        *[_number(value) for value in values],
                    ]
                    for day, *values in days["rows"]
                ],
            }
        )
    return tables


def _format_label(key: str) -> str:
    try:
        return str(PostFormat(key).label)
    except ValueError:
        return key


def _preview(file_import: FileImport) -> dict[str, Any] | None:
    """The stored summary of a dry run or an import, ready for the template."""
    summary = file_import.summary or {}
    if "rows_read" not in summary:
        return None
    period = summary.get("period") or [None, None]
    written = (
        summary.get("posts_written", 0)
        + summary.get("post_metric_rows_written", 0)
        + summary.get("account_metric_rows_written", 0)
    )
    platform = summary.get("platform") or ""
    return {
        **summary,
        "platform_label": Platform(platform).label if platform in Platform.values else platform,
        "period_start": dt.date.fromisoformat(period[0]) if period[0] else None,
        "period_end": dt.date.fromisoformat(period[1]) if period[1] else None,
        "metrics": [_metric_label(key) for key in summary.get("metrics", [])],
        "nothing_new": summary.get("rows_read", 0) > 0 and written == 0,
        "tables": _sample_tables(
            summary.get("sample") or {}, ZoneInfo(file_import.workspace.timezone)
        ),
    }


def _import_for(request: WorkspaceRequest, import_id: int) -> FileImport:
    return workspace_object_or_404(
        FileImport.objects.select_related("uploaded_by", "account"),
        pk=import_id,
        workspace=request.membership.workspace,
    )


@workspace_required(Action.MANAGE_ACCOUNTS)
def import_preview(request: WorkspaceRequest, import_id: int) -> HttpResponse:
    file_import = _import_for(request, import_id)
    workspace = request.membership.workspace
    stored = file_import.options or {}
    columns = import_columns(file_import) if _needs_mapping(file_import) else []
    editable = file_import.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED)
    if request.method == "POST" and editable:
        options_form = ImportOptionsForm(request.POST)
        mapping_form = ColumnMappingForm(
            request.POST, columns=columns, initial_mapping=stored.get("mapping") or {}
        )
        mapping_ok = not columns or "map_columns" not in request.POST or mapping_form.is_valid()
        if options_form.is_valid() and mapping_ok:
            options = options_form.options()
            if columns and "map_columns" in request.POST:
                options["mapping"] = mapping_form.mapping()
                options["format"] = options["format"] or GENERIC_FORMAT
            elif stored.get("mapping") and options["format"] in (None, GENERIC_FORMAT):
                options["mapping"] = stored["mapping"]
            file_import_preview(file_import=file_import, options=options)
            return redirect(
                "connectors:import_preview", workspace_slug=workspace.slug, import_id=file_import.pk
            )
        status = 400
    else:
        options_form = ImportOptionsForm(initial=stored)
        mapping_form = ColumnMappingForm(
            columns=columns, initial_mapping=stored.get("mapping") or {}
        )
        status = 200
    summary = file_import.summary or {}
    context = _common(request)
    context.update(
        {
            "file_import": file_import,
            "preview": _preview(file_import),
            "error": summary.get("error") if file_import.status == ImportStatus.FAILED else None,
            "options_form": options_form,
            "mapping_form": mapping_form if columns else None,
            "editable": editable,
            "can_confirm": file_import.status == ImportStatus.PREVIEWED and "rows_read" in summary,
            "needs_mapping": bool(summary.get("needs_mapping")),
        }
    )
    return render(request, "connectors/import_preview.html", context, status=status)


@workspace_required(Action.MANAGE_ACCOUNTS)
@require_POST
def import_confirm(request: WorkspaceRequest, import_id: int) -> HttpResponse:
    file_import = _import_for(request, import_id)
    try:
        result = file_import_confirm(file_import=file_import)
    except ImportStateError as exc:
        messages.info(request, str(exc))
    else:
        audit_record(
            action=AuditAction.IMPORT_CONFIRMED,
            workspace=request.membership.workspace,
            request=request,
            target=audit_target(result, result.original_name),
            changes={"status": result.status, "account": result.account},
        )
        # Success needs no message: the page it lands on says what was imported.
        if result.status != ImportStatus.IMPORTED:
            messages.error(request, _("Nothing was imported: %(error)s") % {"error": result.error})
    return redirect(
        "connectors:import_preview",
        workspace_slug=request.membership.workspace.slug,
        import_id=file_import.pk,
    )


@workspace_required(Action.MANAGE_ACCOUNTS)
@require_POST
def import_cancel(request: WorkspaceRequest, import_id: int) -> HttpResponse:
    file_import = _import_for(request, import_id)
    try:
        file_import_cancel(file_import=file_import)
    except ImportStateError as exc:
        messages.info(request, str(exc))
    else:
        messages.info(
            request,
            _("The import of %(file)s was cancelled; nothing was written.")
            % {"file": file_import.original_name},
        )
    return redirect("connectors:import", workspace_slug=request.membership.workspace.slug)
