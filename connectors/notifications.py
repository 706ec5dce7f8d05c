"""Emails about connected accounts, sent to the workspace's admins through Django's backend."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from connectors.models import Role, SocialAccount, User, Workspace

logger = logging.getLogger(__name__)


def workspace_admins(*, workspace: Workspace) -> list[User]:
    """Active admins of ``workspace`` who have an email address."""
    return list(
        User.objects.filter(
            memberships__workspace=workspace, memberships__role=Role.ADMIN, is_active=True
        )
        .exclude(email="")
        .order_by("pk")
    )


def account_needs_reauth_notify(*, account: SocialAccount, error: str) -> int:
    """Tell the workspace admins that ``account`` must be reconnected; returns emails sent.

    Each admin gets one email in their own language. A mail server failure is logged, not
    raised: the account's status already says what happened, and the sync must not fail on it.
    """
    workspace = account.workspace
    messages = []
    for user in workspace_admins(workspace=workspace):
        with translation.override(user.language or workspace.language):
            context = {
                "user": user,
                "account": account,
                "platform": account.get_platform_display(),
                "workspace": workspace,
                "error": error,
                "url": _account_url(account),
            }
            subject = render_to_string("connectors/email/needs_reauth_subject.txt", context)
            body = render_to_string("connectors/email/needs_reauth.txt", context)
        # A header cannot hold a line break, and a long account name must not produce one.
        messages.append(EmailMessage(" ".join(subject.split()), body, to=[user.email]))
    if not messages:
        logger.warning("Account %s needs reauth but its workspace has no admin email.", account.pk)
        return 0
    try:
        with get_connection() as connection:
            return int(connection.send_messages(messages) or 0)
    except Exception:
        logger.exception("Could not email the admins that account %s needs reauth.", account.pk)
        return 0


def _account_url(account: SocialAccount) -> str:
    try:
        path = reverse(
            "connectors:account_detail",
            kwargs={"workspace_slug": account.workspace.slug, "account_id": account.pk},
        )
    except NoReverseMatch:
        # The accounts pages are not mounted (a stripped-down deployment): the site will do.
        path = "/"
    return f"{settings.SITE_URL}{path}"
