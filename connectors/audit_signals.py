"""Log-ins, log-outs and failed log-ins go to the audit log through Django's auth signals.

They belong to no workspace; a workspace's log shows those of its own members
(``audit_events_visible``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from connectors.audit import AuditAction, AuditTarget, audit_record
from connectors.models import User


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.AUTH_LOGIN, workspace=None, request=request, actor=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:  # logging out while logged out sends the signal with no user
        audit_record(action=AuditAction.AUTH_LOGOUT, workspace=None, request=request, actor=user)


def account_for(username: str) -> User | None:
    return User.objects.filter(username__iexact=username.strip()).first() if username else None


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password in ``credentials``; only the user name is read.
    username = str(credentials.get("username") or "")
    user = account_for(username)
    # An existing account is the event's "who", so its workspaces' admins see attempts on it;
    # an unknown name is kept as the target, for the Django admin only.
    audit_record(
        action=AuditAction.AUTH_LOGIN_FAILED,
        workspace=None,
        request=request,
        actor=user,
        target=AuditTarget(type="user", id=str(user.pk), label=user.get_username())
        if user
        else AuditTarget(type="user", id="", label=username[:150]),
    )
