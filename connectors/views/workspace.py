"""The workspace settings page (admins): name, timezone, report language and branding."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_form_changes, audit_record
from connectors.forms_workspace import WorkspaceSettingsForm
from connectors.permissions import Action
from connectors.versioning import workspace_data_changed


@workspace_required(Action.MANAGE_WORKSPACE)
def workspace_settings(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    old_logo = workspace.logo.name if workspace.logo else ""
    form = WorkspaceSettingsForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instance=workspace,
    )
    if request.method == "POST" and form.is_valid():
        changes = audit_form_changes(form)
        saved = form.save(commit=False)
        if form.cleaned_data.get("remove_logo") and "logo" not in request.FILES:
            saved.logo = None
        saved.save()
        if old_logo and old_logo != (saved.logo.name if saved.logo else ""):
            saved.logo.storage.delete(old_logo)
        # The timezone moves every day boundary: computed panels must be computed again.
        workspace_data_changed(workspace_id=saved.pk)
        if changes:
            audit_record(
                action=AuditAction.WORKSPACE_SETTINGS_CHANGED,
                workspace=saved,
                request=request,
                target=saved,
                changes=changes,
            )
        messages.success(request, _("The workspace settings are saved."))
        return redirect("connectors:workspace_settings", workspace_slug=saved.slug)
    return render(request, "connectors/workspace_settings.html", {"form": form})


@workspace_required(Action.VIEW)
def workspace_logo(request: WorkspaceRequest) -> FileResponse:
    """The workspace's logo, for its members. Media files are never served as a folder: report
    archives live there too, and each must be reached through a view that checks access."""
    workspace = request.membership.workspace
    if not workspace.logo:
        raise Http404("No logo.")
    content_type = "image/png" if (workspace.logo.name or "").endswith(".png") else "image/jpeg"
    response = FileResponse(workspace.logo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
