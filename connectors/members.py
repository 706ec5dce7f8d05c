"""Workspace members: adding by e-mail address, changing a role, removing; one rule guards them all.

The rule: a workspace always keeps at least one admin, so nobody can lock everyone out of its
settings. The check and the change run in one transaction with the workspace's memberships
locked, so two admins demoting each other at once cannot both succeed.

These services change data only; the views and the Django admin record the audit events.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from connectors.models import Membership, Role, User, Workspace


class MemberError(ValueError):
    """The change is refused; the message says why in plain words."""


@dataclass(frozen=True)
class MemberAdded:
    membership: Membership
    invited: bool  # a new user was created and sent an invitation


def member_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    )


def _membership_locked(membership: Membership) -> Membership:
    """``membership`` re-read under lock, after its workspace's row: every change to a
    workspace's members takes the workspace first, so two admins demoting each other at once
    wait for one another instead of deadlocking on each other's rows."""
    Workspace.objects.select_for_update().filter(pk=membership.workspace_id).first()
    return Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)


def _admins_locked(workspace: Workspace) -> list[int]:
    return list(
        Membership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


def _last_admin_guard(workspace: Workspace, membership: Membership) -> None:
    admins = _admins_locked(workspace)
    if admins == [membership.pk]:
        raise MemberError(
            _("%(name)s is the last admin of this workspace: make another member an admin first.")
            % {"name": membership.user.get_username()}
        )


def member_role_change(*, membership: Membership, role: str) -> str:
    """Give ``membership`` the role ``role``; returns the previous role.

    Raises ``MemberError`` for an unknown role or for demoting the workspace's last admin."""
    if role not in Role.values:
        raise MemberError(_("Choose one of the roles."))
    with transaction.atomic():
        locked = _membership_locked(membership)
        previous = locked.role
        if previous == Role.ADMIN and role != Role.ADMIN:
            _last_admin_guard(locked.workspace, locked)
        Membership.objects.filter(pk=locked.pk).update(role=role)
    membership.role = role
    return previous


def member_remove(*, membership: Membership) -> None:
    """Remove ``membership``: its user's next request to the workspace is a 404.

    Raises ``MemberError`` when it is the workspace's last admin."""
    with transaction.atomic():
        locked = _membership_locked(membership)
        if locked.role == Role.ADMIN:
            _last_admin_guard(locked.workspace, locked)
        locked.delete()


def _username_for(email: str) -> str:
    # The address is the user name the invitation tells them; another user may already hold
    # that name (with another address), so a number is added then.
    base = email[:140]
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def member_add(*, workspace: Workspace, email: str, role: str, invited_by: User) -> MemberAdded:
    """Add the user with address ``email`` to ``workspace`` with ``role``.

    An unknown address gets a new user without a usable password and an invitation e-mail
    whose link is a password-reset link (``password_reset_confirm``): setting a password there
    is how they first log in. Raises ``MemberError`` for an unknown role, an address several
    users share, or someone already a member.
    """
    email = email.strip()
    if role not in Role.values:
        raise MemberError(_("Choose one of the roles."))
    users = list(User.objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise MemberError(
            _("Several users have this address: add the right one in the Django admin.")
        )
    with transaction.atomic():
        invited = not users
        if invited:
            user = User(username=_username_for(email), email=email, language=workspace.language)
            user.set_unusable_password()
            user.save()
        else:
            user = users[0]
            if Membership.objects.filter(workspace=workspace, user=user).exists():
                raise MemberError(
                    _("%(name)s is already a member of this workspace.")
                    % {"name": user.get_username()}
                )
        membership = Membership.objects.create(workspace=workspace, user=user, role=role)
        if invited:
            # Sent once the user exists for sure; a mail error rolls the new user back, so
            # the admin can simply try again.
            member_invitation_send(user=user, workspace=workspace, invited_by=invited_by)
    return MemberAdded(membership=membership, invited=invited)


def member_invitation_url(*, user: User) -> str:
    """A one-use link to set a first password (Django's password-reset token: it expires after
    PASSWORD_RESET_TIMEOUT and stops working once a password is set)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def member_invitation_send(*, user: User, workspace: Workspace, invited_by: User) -> None:
    context = {
        "user": user,
        "workspace": workspace,
        "invited_by": invited_by.get_full_name() or invited_by.get_username(),
        "url": member_invitation_url(user=user),
        "login_url": settings.SITE_URL + reverse("login"),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with translation.override(workspace.language):
        subject = render_to_string("connectors/email/member_invite_subject.txt", context)
        body = render_to_string("connectors/email/member_invite.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
