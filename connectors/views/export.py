"""Downloading a workspace's data as CSV or XLSX (analysts and up)."""

from __future__ import annotations

import tempfile

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render

from connectors.access import WorkspaceRequest, workspace_required
from connectors.exports import (
    ExportFormat,
    ExportLevel,
    ExportQuery,
    export_csv_lines,
    export_filename,
    export_xlsx_write,
)
from connectors.forms import ExportForm
from connectors.permissions import Action
from connectors.selectors import account_list

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An XLSX is a zip that cannot be streamed while written; it is built in a temporary file that
# stays in memory while small.
XLSX_SPOOL_BYTES = 16 * 1024 * 1024


@workspace_required(Action.EXPORT_DATA)
def export(request: WorkspaceRequest) -> HttpResponseBase:
    workspace = request.membership.workspace
    accounts = list(account_list(workspace=workspace))
    if "level" not in request.GET:
        form = ExportForm(accounts=accounts)
        return render(request, "connectors/export.html", {"form": form, "accounts": accounts})
    form = ExportForm(request.GET, accounts=accounts)
    if not form.is_valid():
        return render(
            request, "connectors/export.html", {"form": form, "accounts": accounts}, status=400
        )
    data = form.cleaned_data
    chosen = form.accounts.get(data["account"]) if data["account"] else None
    query = ExportQuery(
        workspace=workspace,
        level=ExportLevel(data["level"]),
        accounts=[chosen] if chosen else None,
        start=data["start"],
        end=data["end"],
    )
    # ``workspace_required`` is typed for HttpResponse views; a streamed download is a
    # HttpResponseBase, which Django serves the same way.
    return _download(query, ExportFormat(data["format"]))


def _download(query: ExportQuery, fmt: ExportFormat) -> HttpResponseBase:
    filename = export_filename(query, fmt)
    if fmt == ExportFormat.CSV:
        response: HttpResponseBase = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in export_csv_lines(query, bom=True)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        spool = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # noqa: SIM115
        export_xlsx_write(query, spool)
        spool.seek(0)
        response = FileResponse(
            spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE
        )
    response["Cache-Control"] = "private, no-store"
    return response
