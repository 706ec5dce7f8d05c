"""The Members page of a workspace (admins): add by e-mail address, change a role, remove.

Every change is recorded in the audit log. A member removed or demoted loses access at the
next request, since ``workspace_required`` reads the membership from the database each time.
"""

from __future__ import annotations

import logging
import smtplib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_record, member_target
from connectors.forms_members import MemberAddForm, MemberRoleForm
from connectors.members import (
    MemberError,
    member_add,
    member_invitation_send,
    member_list,
    member_remove,
    member_role_change,
)
from connectors.models import Membership, Role
from connectors.permissions import Action
from connectors.scoping import workspace_object_or_404

logger = logging.getLogger(__name__)


def _membership(request: WorkspaceRequest, membership_id: int) -> Membership:
    return workspace_object_or_404(
        Membership.objects.select_related("user", "workspace"),
        pk=membership_id,
        workspace=request.membership.workspace,
    )


def _after_change(request: WorkspaceRequest) -> HttpResponse:
    # Who removed or demoted themselves no longer manages members: send them somewhere they
    # may still go.
    workspace = request.membership.workspace
    mine = Membership.objects.filter(pk=request.membership.pk).values_list("role", flat=True)
    if not mine:
        return redirect("home")
    if mine[0] != Role.ADMIN:
        return redirect("overview", workspace_slug=workspace.slug)
    return redirect("connectors:members", workspace_slug=workspace.slug)


@workspace_required(Action.MANAGE_MEMBERS)
def members(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = MemberAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            added = member_add(
                workspace=workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except MemberError as error:
            form.add_error("email", str(error))
        except (OSError, smtplib.SMTPException):
            # member_add rolled the new user back: nothing half-done is left behind.
            logger.exception("Invitation e-mail to a new member failed")
            form.add_error(
                None,
                _(
                    "The invitation e-mail could not be sent, so nobody was added. Check the "
                    "e-mail settings (README, Configuration) and try again."
                ),
            )
        else:
            membership = added.membership
            audit_record(
                action=AuditAction.MEMBER_ADDED,
                workspace=workspace,
                request=request,
                target=member_target(membership),
                changes={"role": [None, membership.role], "invited": added.invited},
            )
            name = membership.user.get_username()
            if added.invited:
                messages.success(
                    request,
                    _("%(name)s is added and was sent an invitation to choose a password.")
                    % {"name": name},
                )
            else:
                messages.success(request, _("%(name)s is added.") % {"name": name})
            return redirect("connectors:members", workspace_slug=workspace.slug)
    memberships = list(member_list(workspace=workspace))
    rows = [
        {"membership": membership, "role_form": MemberRoleForm(initial={"role": membership.role})}
        for membership in memberships
    ]
    admin_count = sum(membership.role == Role.ADMIN for membership in memberships)
    return render(
        request,
        "connectors/members.html",
        {"form": form, "rows": rows, "admin_count": admin_count},
    )


@workspace_required(Action.MANAGE_MEMBERS)
@require_POST
def member_role(request: WorkspaceRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("connectors:members", workspace_slug=membership.workspace.slug)
    try:
        previous = member_role_change(membership=membership, role=form.cleaned_data["role"])
    except MemberError as error:
        messages.error(request, str(error))
        return redirect("connectors:members", workspace_slug=membership.workspace.slug)
    if previous != membership.role:
        audit_record(
            action=AuditAction.MEMBER_ROLE_CHANGED,
            workspace=membership.workspace,
            request=request,
            target=member_target(membership),
            changes={"role": [previous, membership.role]},
        )
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {"name": membership.user.get_username(), "role": membership.get_role_display()},
        )
    return _after_change(request)


@workspace_required(Action.MANAGE_MEMBERS)
def member_remove_confirm(request: WorkspaceRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    if request.method == "POST":
        target = member_target(membership)
        try:
            member_remove(membership=membership)
        except MemberError as error:
            messages.error(request, str(error))
            return redirect("connectors:members", workspace_slug=membership.workspace.slug)
        audit_record(
            action=AuditAction.MEMBER_REMOVED,
            workspace=membership.workspace,
            request=request,
            target=target,
            changes={"role": [membership.role, None]},
        )
        messages.success(
            request,
            _("%(name)s no longer has access to this workspace.")
            % {"name": membership.user.get_username()},
        )
        return _after_change(request)
    return render(request, "connectors/member_remove.html", {"member": membership})


@workspace_required(Action.MANAGE_MEMBERS)
@require_POST
def member_invite_again(request: WorkspaceRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    user = membership.user
    if user.has_usable_password() or not user.email:
        messages.info(request, _("%(name)s has already chosen a password.") % {"name": user})
    else:
        try:
            member_invitation_send(
                user=user, workspace=membership.workspace, invited_by=request.user
            )
        except (OSError, smtplib.SMTPException):
            logger.exception("Invitation e-mail to a member failed")
            messages.error(
                request,
                _(
                    "The invitation e-mail could not be sent. Check the e-mail settings "
                    "(README, Configuration) and try again."
                ),
            )
        else:
            messages.success(
                request, _("A new invitation was sent to %(email)s.") % {"email": user.email}
            )
    return redirect("connectors:members", workspace_slug=membership.workspace.slug)
