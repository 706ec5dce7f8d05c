"""Connecting a platform: start the authorisation, take the provider's answer, pick accounts."""

from __future__ import annotations

import logging
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_record
from connectors.base import ConnectorError, DiscoveredAccount
from connectors.forms import ConnectPickForm
from connectors.models import SocialAccount, User, Workspace
from connectors.oauth import (
    OAuthFlowError,
    accounts_connect,
    authorize_url_build,
    connect_pending_drop,
    connect_pending_get,
    connect_pending_store,
    oauth_accounts_discover,
    oauth_state_consume,
    platform_app,
)
from connectors.permissions import Action, role_can
from connectors.selectors import membership_get

logger = logging.getLogger(__name__)

# Providers put their own words in ``error_description``; a long one is cut rather than shown
# in full on the page.
MAX_PROVIDER_MESSAGE = 300


@workspace_required(Action.MANAGE_ACCOUNTS)
@require_POST
def connect_start(request: WorkspaceRequest, platform: str) -> HttpResponse:
    workspace = request.membership.workspace
    try:
        platform_app(platform)
    except KeyError:
        raise Http404("No such platform.") from None
    try:
        url = authorize_url_build(
            session=request.session, user=request.user, workspace=workspace, platform=platform
        )
    except OAuthFlowError as exc:
        messages.error(request, str(exc))
        return redirect("connectors:accounts", workspace_slug=workspace.slug)
    return redirect(url)


def _failure(
    request: HttpRequest,
    message: str,
    *,
    workspace: Workspace | None,
    platform: str | None,
    status: int = 400,
    title: str | None = None,
) -> HttpResponse:
    return render(
        request,
        "connectors/connect_error.html",
        {
            "message": message,
            "title": title or _("The connection did not go through"),
            "failed_workspace": workspace,
            "platform_label": platform_app(platform).label if platform else "",
            "platform": platform,
        },
        status=status,
    )


@login_required
def connect_callback(request: HttpRequest, platform: str) -> HttpResponse:
    """Where every provider sends the browser back, with ``code`` and ``state`` or an error."""
    try:
        platform_app(platform)
    except KeyError:
        raise Http404("No such platform.") from None
    user = cast(User, request.user)
    try:
        state = oauth_state_consume(
            session=request.session,
            state=request.GET.get("state", ""),
            platform=platform,
            user=user,
        )
    except OAuthFlowError as exc:
        workspace = None
        if exc.workspace_id is not None:
            workspace = _managed_workspace(request, exc.workspace_id)
        return _failure(request, str(exc), workspace=workspace, platform=platform)

    workspace = _managed_workspace(request, state.workspace_id)
    label = platform_app(platform).label
    error = request.GET.get("error", "")
    if error:
        if error in ("access_denied", "user_cancelled_login", "user_cancelled_authorize"):
            return _failure(
                request,
                _(
                    "You cancelled the authorisation on %(platform)s, so nothing was connected. "
                    "Click Connect again when you are ready, and accept the permissions asked."
                )
                % {"platform": label},
                workspace=workspace,
                platform=platform,
                status=200,
                title=_("Connection cancelled"),
            )
        detail = request.GET.get("error_description", "") or error
        return _failure(
            request,
            _("%(platform)s refused the authorisation: %(detail)s")
            % {"platform": label, "detail": detail[:MAX_PROVIDER_MESSAGE]},
            workspace=workspace,
            platform=platform,
        )
    code = request.GET.get("code", "")
    if not code:
        return _failure(
            request,
            _("%(platform)s sent no authorisation code back. Click Connect again.")
            % {"platform": label},
            workspace=workspace,
            platform=platform,
        )
    try:
        discovered = oauth_accounts_discover(
            platform=platform, code=code, code_verifier=state.code_verifier
        )
    except ConnectorError as exc:
        # The message says what the platform answered; connectors keep tokens out of it.
        logger.warning("OAuth exchange for %s failed: %s", platform, exc.__class__.__name__)
        return _failure(
            request,
            _("%(platform)s did not complete the connection: %(error)s")
            % {"platform": label, "error": str(exc)},
            workspace=workspace,
            platform=platform,
            status=502,
        )
    if not discovered:
        return _failure(
            request,
            _(
                "The %(platform)s user who authorised Rapport cannot read any account. Sign in "
                "on %(platform)s as a user who manages the page or account, then connect again."
            )
            % {"platform": label},
            workspace=workspace,
            platform=platform,
            status=200,
            title=_("No account to add"),
        )
    pending_id = connect_pending_store(
        session=request.session,
        workspace=workspace,
        platform=platform,
        user=user,
        accounts=discovered,
    )
    return redirect(
        "connectors:connect_choose", workspace_slug=workspace.slug, pending_id=pending_id
    )


def _preselected(accounts: list[DiscoveredAccount], existing: set[str]) -> list[str]:
    # Reconnecting ticks the accounts already here; a single discovered account is surely the
    # one wanted; otherwise (an agency's fifty pages) nothing is ticked for the admin.
    if existing:
        return sorted(existing)
    return [accounts[0].external_id] if len(accounts) == 1 else []


def _managed_workspace(request: HttpRequest, workspace_id: int) -> Workspace:
    """The workspace, when the user may still manage its accounts: 404 for a non-member, 403
    for a member whose role cannot, as on every workspace page. The page then shows the
    workspace in its header, as ``workspace_required`` pages do."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    membership = (
        membership_get(user=cast(User, request.user), workspace_slug=workspace.slug)
        if workspace
        else None
    )
    if membership is None:
        raise Http404("No such workspace.")
    if not role_can(membership.role, Action.MANAGE_ACCOUNTS):
        raise PermissionDenied
    request.membership = membership  # type: ignore[attr-defined]
    return membership.workspace


@workspace_required(Action.MANAGE_ACCOUNTS)
def connect_choose(request: WorkspaceRequest, pending_id: str) -> HttpResponse:
    workspace = request.membership.workspace
    try:
        pending = connect_pending_get(
            session=request.session, pending_id=pending_id, workspace=workspace, user=request.user
        )
    except OAuthFlowError as exc:
        messages.error(request, str(exc))
        return redirect("connectors:accounts", workspace_slug=workspace.slug)
    existing = set(
        SocialAccount.objects.filter(
            workspace=workspace,
            platform=pending.platform,
            external_id__in=[a.external_id for a in pending.accounts],
        ).values_list("external_id", flat=True)
    )
    if request.method == "POST":
        form = ConnectPickForm(request.POST, discovered=pending.accounts)
        if form.is_valid():
            chosen = set(form.cleaned_data["accounts"])
            saved = accounts_connect(
                workspace=workspace,
                platform=pending.platform,
                accounts=[a for a in pending.accounts if a.external_id in chosen],
            )
            for account in saved:
                # Credentials are never part of the event; only which account and how.
                audit_record(
                    action=AuditAction.ACCOUNT_REAUTH
                    if account.external_id in existing
                    else AuditAction.ACCOUNT_CONNECTED,
                    workspace=workspace,
                    request=request,
                    target=account,
                    changes={"platform": account.platform},
                )
            connect_pending_drop(session=request.session, pending_id=pending_id)
            messages.success(
                request,
                _("Connected: %(names)s. The first sync collects their recent history.")
                % {"names": ", ".join(account.display_name for account in saved)},
            )
            return redirect("connectors:accounts", workspace_slug=workspace.slug)
    else:
        form = ConnectPickForm(
            discovered=pending.accounts,
            initial={"accounts": _preselected(pending.accounts, existing)},
        )
    return render(
        request,
        "connectors/connect_choose.html",
        {
            "form": form,
            "pending": pending,
            "platform_label": platform_app(pending.platform).label,
            "choices": [
                {"account": account, "existing": account.external_id in existing}
                for account in pending.accounts
            ],
            "selected": set(form["accounts"].value() or []),
        },
    )
