"""Resolve the workspace of a request from its URL and check the member's role.

A user who is not a member gets 404, as if the workspace did not exist, so that slugs of other
tenants cannot be probed; a member whose role lacks the action gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from connectors.models import Membership, User
from connectors.permissions import Action, role_can
from connectors.selectors import membership_get

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class WorkspaceRequest(HttpRequest):
    membership: Membership
    user: User


def workspace_required(action: Action) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, workspace_slug: str, **kwargs: Any) -> Any:
            membership = membership_get(
                user=cast(User, request.user), workspace_slug=workspace_slug
            )
            if membership is None:
                raise Http404("No such workspace.")
            if not role_can(membership.role, action):
                raise PermissionDenied
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
