"""Share links: the public pages they open (no login) and their management (managers).

Public pages show one workspace's data only, the link's own: every query starts from the link's
workspace, and the visitor's session, if any, plays no part. They carry no app navigation and
are neither indexed, cached, framed nor referred from; a page of an unknown, expired or revoked
link says only that.
"""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_record, audit_target, client_ip
from connectors.models import SocialAccount, Workspace
from connectors.permissions import Action
from connectors.scoping import workspace_object_or_404
from dashboards.forms_share import ShareLinkForm, shareable_runs
from dashboards.overview import overview_panels_cached, top_insights_cached
from dashboards.reports.build import ReportScopeError
from dashboards.reports.limits import RenderLimitExceeded
from dashboards.reports.sections import SECTION_TYPES
from dashboards.reports.services import CONTENT_TYPES, run_filename
from dashboards.reports.sharing import (
    PASSWORD_WINDOW,
    ShareState,
    share_link_check_password,
    share_link_create,
    share_link_lookup,
    share_link_revoke,
    share_link_state,
    share_link_viewed,
    share_link_what,
    share_links_for,
    share_live_pdf,
    share_live_report,
    share_password_blocked,
)
from dashboards.scope import filters_from_query
from reporting.report_models import ReportFormat, ReportRun, ReportTemplate, ShareKind, ShareLink

SESSION_KEY = "share_ok"
SESSION_MAX = 50  # unlocked links remembered per browser
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOR = "#1f4e79"
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}

logger = logging.getLogger(__name__)


def _private(response: HttpResponseBase) -> HttpResponseBase:
    # The token is in the address: no other site may see it. "same-origin", not "no-referrer":
    # with no referrer at all, Chromium posts forms with "Origin: null", which fails CSRF.
    response["Referrer-Policy"] = "same-origin"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["X-Content-Type-Options"] = "nosniff"
    return response


PublicView = Callable[[HttpRequest, ShareLink, str], HttpResponseBase]


def public(*, entry: bool = False) -> Callable[[PublicView], Callable[..., HttpResponseBase]]:
    """Resolve the token to an active, unlocked link, or answer with the right page; every
    response gets the private headers. Only the ``entry`` page asks for a password; the
    others send a locked visitor there."""

    def decorator(view: PublicView) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str) -> HttpResponseBase:
            found = share_link_lookup(token=token)
            if found.link is None:
                return _private(_gone(request, found.state))
            if not _unlocked(request, found.link):
                if entry:
                    return _private(_password_page(request, found.link, token))
                return _private(redirect("share:open", token))
            try:
                return _private(view(request, found.link, token))
            except Http404:
                # The app's 404 page would link into the app; this one shows nothing.
                return _private(_gone(request, None))

        return wrapped

    return decorator


def _gone(request: HttpRequest, state: ShareState | None) -> HttpResponse:
    """The page of a link that opens nothing; ``state`` None: a part of it is missing."""
    messages_by_state = {
        ShareState.EXPIRED: _("This link has expired."),
        ShareState.REVOKED: _("This link was revoked."),
        ShareState.UNKNOWN: _("This link does not exist."),
        None: _("There is nothing to show at this address."),
    }
    return render(
        request,
        "reports/share/gone.html",
        {"message": messages_by_state[state]},
        status=410 if state in (ShareState.EXPIRED, ShareState.REVOKED) else 404,
    )


def _unlocked(request: HttpRequest, link: ShareLink) -> bool:
    return not link.password_hash or link.pk in request.session.get(SESSION_KEY, [])


class SharePasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def _client_bucket(request: HttpRequest) -> str:
    """Whose wrong passwords count together: one IPv4 address, or one IPv6 /64 (a single
    household or server is handed a whole /64, so single IPv6 addresses cost nothing)."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def _password_page(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    # Neutral: nothing of the workspace is shown before the password is given.
    form = SharePasswordForm(request.POST if request.method == "POST" else None)
    address = _client_bucket(request)
    blocked = share_password_blocked(link=link, address=address)
    if request.method == "POST" and not blocked and form.is_valid():
        password = form.cleaned_data["password"]
        if share_link_check_password(link=link, password=password, address=address):
            unlocked = [pk for pk in request.session.get(SESSION_KEY, []) if pk != link.pk]
            request.session[SESSION_KEY] = [*unlocked, link.pk][-SESSION_MAX:]
            return redirect("share:open", token)
        blocked = share_password_blocked(link=link, address=address)
        if not blocked:
            form.add_error("password", _("Wrong password."))
    return render(
        request,
        "reports/share/password.html",
        {"form": form, "blocked": blocked, "minutes": PASSWORD_WINDOW // 60},
        status=429 if blocked else 200,
    )


def _branding(workspace: Workspace, token: str) -> dict[str, Any]:
    color = workspace.primary_color if COLOR.match(workspace.primary_color or "") else None
    return {
        "name": workspace.name,
        "color": color or DEFAULT_COLOR,
        "footer": workspace.report_footer,
        "timezone": workspace.timezone,
        "logo_url": reverse("share:logo", args=[token]) if workspace.logo else "",
    }


@require_http_methods(["GET", "HEAD", "POST"])
@public(entry=True)
def share_open(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    if request.method == "POST":  # a password form sent again after it was accepted
        return redirect("share:open", token)
    share_link_viewed(link=link)
    context: dict[str, Any] = {"link": link, "brand": _branding(link.workspace, token)}
    if link.kind == ShareKind.RUN and link.run is not None:
        return _run_page(request, link, token, context)
    if link.kind == ShareKind.TEMPLATE and link.template is not None:
        return _template_page(request, link, token, context)
    if link.kind == ShareKind.DASHBOARD:
        return _dashboard_page(request, link, context)
    raise Http404("This link shares nothing any more.")


def _run_page(
    request: HttpRequest, link: ShareLink, token: str, context: dict[str, Any]
) -> HttpResponse:
    run = link.run
    assert run is not None
    sections = []
    for section in (run.template_snapshot or {}).get("sections", []):
        kind = SECTION_TYPES.get(str(section.get("type", "")))
        if kind is not None:
            sections.append(str(section.get("title") or "") or str(kind.label))
    with translation.override(run.language or link.workspace.language):
        return render(
            request,
            "reports/share/run.html",
            {
                **context,
                "run": run,
                "sections": sections,
                "has_file": bool(run.file),
                "file_url": reverse("share:file", args=[token]),
                "language": run.language,
            },
        )


def _template_page(
    request: HttpRequest, link: ShareLink, token: str, context: dict[str, Any]
) -> HttpResponse:
    template = link.template
    assert template is not None
    language = template.report_language()
    try:
        report = share_live_report(template=template)
    except ReportScopeError as lost:
        raise Http404("The scope of this report no longer exists.") from lost
    with translation.override(language):
        return render(
            request,
            "reports/share/live.html",
            {
                **context,
                "report": report,
                "report_html": mark_safe(report.html),  # noqa: S308 (report_html escaped it)
                "pdf_url": reverse("share:pdf", args=[token]),
                "language": language,
            },
        )


def _dashboard_page(request: HttpRequest, link: ShareLink, context: dict[str, Any]) -> HttpResponse:
    workspace = link.workspace
    language = workspace.language or "en"
    with translation.override(language):
        filters = filters_from_query(QueryDict(link.dashboard_query), workspace=workspace)
        context |= {
            "workspace": workspace,
            "filters": filters,
            "language": language,
            "insights": [],
            "has_data": False,
        }
        if filters.scope_lost:
            # The link was made for accounts or tags that are gone: show nothing rather than
            # the whole workspace.
            raise Http404("The scope of this link no longer exists.")
        if filters.accounts:
            context |= overview_panels_cached(filters)
            if not filters.is_scoped:
                context["insights"] = top_insights_cached(filters, language=language)
        return render(request, "reports/share/dashboard.html", context)


@require_http_methods(["GET", "HEAD"])
@public()
def share_file(request: HttpRequest, link: ShareLink, token: str) -> HttpResponseBase:
    run = link.run
    if link.kind != ShareKind.RUN or run is None or not run.file:
        raise Http404("No file behind this link.")
    fmt = ReportFormat(run.format)
    content_type = CONTENT_TYPES[fmt]
    try:
        handle = run.file.open("rb")
    except FileNotFoundError as missing:  # deleted from the disk, say by a cleanup of old files
        raise Http404("The archived file is missing.") from missing
    share_link_viewed(link=link)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=run_filename(run),
        content_type=content_type,
    )


@require_http_methods(["GET", "HEAD"])
@public()
def share_pdf(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    template = link.template
    if link.kind != ShareKind.TEMPLATE or template is None:
        raise Http404("No live report behind this link.")
    try:
        rendered = share_live_pdf(template=template)
    except ReportScopeError as lost:
        raise Http404("The scope of this report no longer exists.") from lost
    except RenderLimitExceeded as stopped:
        logger.warning("The live PDF of share link %s was stopped: %s", link.pk, stopped.message)
        return HttpResponse(
            _("This report is too large to be made as a PDF now. Ask its sender for the file."),
            content_type="text/plain; charset=utf-8",
            status=503,
        )
    share_link_viewed(link=link)
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    response["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    return response


@require_http_methods(["GET", "HEAD"])
@public()
def share_logo(request: HttpRequest, link: ShareLink, token: str) -> HttpResponseBase:
    logo = link.workspace.logo
    content_type = mimetypes.guess_type(logo.name or "")[0] if logo else None
    if not logo or content_type not in LOGO_TYPES:
        raise Http404("No logo.")
    try:
        handle = logo.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The logo file is missing.") from missing
    response = FileResponse(handle, content_type=content_type)
    # An SVG opened on its own must not run scripts in Rapport's origin.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# Management -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    link: ShareLink
    state: str
    what: str


def _account_names(workspace: Workspace) -> dict[int, str]:
    return dict(SocialAccount.objects.filter(workspace=workspace).values_list("pk", "display_name"))


@workspace_required(Action.MANAGE_REPORTS)
def share_manage(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    now = timezone.now()
    names = _account_names(workspace)
    rows = [
        LinkRow(
            link,
            share_link_state(link, now=now).value,
            share_link_what(link=link, account_names=names),
        )
        for link in share_links_for(workspace=workspace)
    ]
    return render(request, "reports/share/manage.html", {"rows": rows})


def _pk(value: str) -> int:
    if not (value.isascii() and value.isdecimal()):
        raise Http404("No such report.")
    return int(value)


def _initial(request: WorkspaceRequest) -> dict[str, Any]:
    """Prefill from the page that offered "Share": ?run=, ?template= or ?q= (the overview's
    filters). An object of another workspace is a 404, as if it did not exist."""
    workspace = request.membership.workspace
    initial: dict[str, Any] = {"kind": ShareKind.RUN, "expiry": "30"}
    if request.GET.get("run"):
        run = workspace_object_or_404(ReportRun, pk=_pk(request.GET["run"]), workspace=workspace)
        if shareable_runs(workspace).filter(pk=run.pk).exists():
            initial["run"] = run
        else:
            messages.warning(
                request,
                _("This report cannot be shared yet: only a report that is ready or sent can."),
            )
        initial["kind"] = ShareKind.RUN
    elif request.GET.get("template"):
        initial["template"] = workspace_object_or_404(
            ReportTemplate, pk=_pk(request.GET["template"]), workspace=workspace
        )
        initial["kind"] = ShareKind.TEMPLATE
    elif "q" in request.GET:
        initial["dashboard_query"] = request.GET["q"]
        initial["kind"] = ShareKind.DASHBOARD
    if request.GET.get("kind") in ShareKind.values:
        initial["kind"] = request.GET["kind"]
    return initial


@workspace_required(Action.MANAGE_REPORTS)
def share_create(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    if request.method == "POST":
        form = ShareLinkForm(request.POST, workspace=workspace)
    else:
        form = ShareLinkForm(workspace=workspace, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        link, token = share_link_create(
            workspace=workspace,
            kind=data["kind"],
            run=data.get("run"),
            template=data.get("template"),
            dashboard_query=data.get("dashboard_query", ""),
            expires_at=form.expires_at(),
            password=data.get("password", ""),
            created_by=request.user,
            label=data.get("label", ""),
        )
        # The log names the link by its label, never by its token or the token's prefix.
        audit_record(
            action=AuditAction.SHARE_LINK_CREATED,
            workspace=workspace,
            request=request,
            target=audit_target(link, link.label or str(link.get_kind_display())),
            changes={
                "kind": link.kind,
                "expires_at": link.expires_at,
                "protected": bool(link.password_hash),
            },
        )
        # Shown in this response only: the token is not stored anywhere it could be read back.
        url = settings.SITE_URL + reverse("share:open", args=[token])
        response = render(
            request,
            "reports/share/created.html",
            {
                "link": link,
                "url": url,
                "what": share_link_what(link=link, account_names=_account_names(workspace)),
            },
        )
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    return render(request, "reports/share/form.html", {"form": form})


@workspace_required(Action.MANAGE_REPORTS)
@require_POST
def share_revoke(request: WorkspaceRequest, link_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    link = workspace_object_or_404(ShareLink, pk=link_id, workspace=workspace)
    share_link_revoke(link=link)
    audit_record(
        action=AuditAction.SHARE_LINK_REVOKED,
        workspace=workspace,
        request=request,
        target=audit_target(link, link.label or str(link.get_kind_display())),
    )
    messages.success(request, _("The link is revoked: it no longer opens anything."))
    return redirect("share:manage", workspace_slug=workspace.slug)
