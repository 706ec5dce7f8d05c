from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from connectors.access import workspace_required
from connectors.models import User
from connectors.permissions import Action
from connectors.selectors import membership_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(membership_list(user=cast(User, request.user)))
    if len(memberships) == 1:
        return redirect("overview", workspace_slug=memberships[0].workspace.slug)
    return render(request, "dashboards/home.html", {"memberships": memberships})


@workspace_required(Action.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/overview.html", {})
