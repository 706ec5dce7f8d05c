"""The System page (workspace admins): background work's health, and this workspace's syncs
and reports that are waiting or failed."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from connectors.access import WorkspaceRequest, workspace_required
from connectors.permissions import Action
from dashboards.system import system_status


@workspace_required(Action.MANAGE_WORKSPACE)
def page(request: WorkspaceRequest) -> HttpResponse:
    status = system_status(workspace=request.membership.workspace)
    return render(request, "system/page.html", {"status": status})
