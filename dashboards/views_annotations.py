"""Adding and deleting the dated notes drawn on time charts (analysts and up)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.models import User
from connectors.permissions import Action
from reporting.annotations import annotation_create, annotation_delete


def _back(request: WorkspaceRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("overview", kwargs={"workspace_slug": request.membership.workspace.slug})
    return redirect(target)


@workspace_required(Action.EDIT_ANNOTATIONS)
@require_POST
def annotation_add(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, _("Choose the date of the note."))
        return _back(request)
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        messages.error(request, _("Choose the date of the note."))
        return _back(request)
    try:
        annotation_create(
            workspace=workspace,
            day=day,
            text=request.POST.get("text", ""),
            user=request.user if isinstance(request.user, User) else None,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request)
    messages.success(request, _("Note added; it shows on every chart that covers its date."))
    return _back(request)


@workspace_required(Action.EDIT_ANNOTATIONS)
@require_POST
def annotation_remove(request: WorkspaceRequest, annotation_id: int) -> HttpResponse:
    if annotation_delete(workspace=request.membership.workspace, annotation_id=annotation_id):
        messages.success(request, _("Note deleted."))
    else:
        messages.error(request, _("That note no longer exists."))
    return _back(request)
