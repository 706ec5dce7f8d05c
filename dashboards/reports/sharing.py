"""Share links: read-only pages of one report or one dashboard view, opened without a login.

The token is 32 random bytes, shown once when the link is made; only its SHA-256 is stored, so
a copy of the database opens nothing. A visit hashes the token and looks the hash up through its
unique index: no comparison of secrets happens in Python, so timing tells nothing about other
tokens. A link stops working when it expires or is revoked; the page then says which, and
nothing else.

Wrong passwords are counted in the cache, per link and client address: after
``PASSWORD_MAX_TRIES`` within ``PASSWORD_WINDOW`` seconds that address is refused for
``PASSWORD_WINDOW`` seconds, so whoever else holds the link cannot lock its real recipient out by
typing wrong passwords. All addresses together are capped too: after ``PASSWORD_LINK_MAX_TRIES``
the link refuses everyone for the window, so a leaked link cannot be brute-forced however many
addresses the attacker has (about 10,000 guesses a day at most).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.cache import cache_count
from connectors.models import Platform, User, Workspace
from connectors.versioning import workspace_cached
from dashboards.filters import CUSTOM, DEFAULT_PRESET, RANGE_CHOICES
from dashboards.reports.build import report_build, workspace_today
from dashboards.reports.limits import render_limits
from dashboards.reports.services import RenderedFile, report_file_render
from dashboards.scope import FILTER_KEYS
from reporting.report_models import (
    ReportFormat,
    ReportRun,
    ReportTemplate,
    ShareKind,
    ShareLink,
)

TOKEN_BYTES = 32
PREFIX_LENGTH = 8
PASSWORD_MAX_TRIES = 10  # per client address
PASSWORD_LINK_MAX_TRIES = 100  # all addresses together
PASSWORD_WINDOW = 15 * 60  # seconds
MAX_QUERY = 500  # ShareLink.dashboard_query's length


class ShareState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ShareLookup:
    """What a token opens: ``link`` is set only when ``state`` is ACTIVE."""

    state: ShareState
    link: ShareLink | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_link_state(link: ShareLink, *, now: dt.datetime | None = None) -> ShareState:
    if link.revoked_at is not None:
        return ShareState.REVOKED
    if link.expires_at is not None and link.expires_at <= (now or timezone.now()):
        return ShareState.EXPIRED
    return ShareState.ACTIVE


def dashboard_query_clean(query: str) -> str:
    """Only the dashboards' filter keys of ``query`` (``?`` optional), re-encoded.

    Anything else (a sort, a page, a stray parameter) is dropped, so a dashboard link can only
    ever mean "the overview with these filters"; the values are checked against the workspace
    each time the link is opened (``dashboards.scope.filters_from_query``)."""
    parsed = QueryDict(query.strip().lstrip("?"))
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        values = [value for value in parsed.getlist(key) if value]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


def share_link_create(
    *,
    workspace: Workspace,
    kind: str,
    run: ReportRun | None = None,
    template: ReportTemplate | None = None,
    dashboard_query: str = "",
    expires_at: dt.datetime | None = None,
    password: str = "",
    created_by: User | None = None,
    label: str = "",
) -> tuple[ShareLink, str]:
    """A new link and its token (the only time the token exists in clear).

    Raises ``ValueError`` when the shared object is missing or belongs to another workspace."""
    if kind == ShareKind.RUN:
        if run is None or run.workspace_id != workspace.pk:
            raise ValueError("The report to share is not in this workspace.")
        template, dashboard_query = None, ""
    elif kind == ShareKind.TEMPLATE:
        if template is None or template.workspace_id != workspace.pk:
            raise ValueError("The report template to share is not in this workspace.")
        run, dashboard_query = None, ""
    elif kind == ShareKind.DASHBOARD:
        run, template = None, None
        dashboard_query = dashboard_query_clean(dashboard_query)
        if len(dashboard_query) > MAX_QUERY:
            raise ValueError("The dashboard filters are too long to share.")
    else:
        raise ValueError(f"Unknown kind of share link: {kind!r}.")
    if expires_at is not None and timezone.is_naive(expires_at):
        raise ValueError("expires_at must be an aware datetime.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        workspace=workspace,
        kind=kind,
        run=run,
        template=template,
        dashboard_query=dashboard_query,
        label=label[:120],
        token_hash=token_hash(token),
        token_prefix=token[:PREFIX_LENGTH],
        password_hash=make_password(password) if password else "",
        expires_at=expires_at,
        created_by=created_by,
    )
    return link, token


def share_link_lookup(*, token: str, now: dt.datetime | None = None) -> ShareLookup:
    """The link ``token`` opens and its state; UNKNOWN for a token that was never issued."""
    if not token or len(token) > 100:
        return ShareLookup(ShareState.UNKNOWN)
    link = (
        ShareLink.objects.select_related("workspace", "run", "template")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        return ShareLookup(ShareState.UNKNOWN)
    state = share_link_state(link, now=now)
    return ShareLookup(state, link if state is ShareState.ACTIVE else None)


def share_link_resolve(*, token: str) -> ShareLink | None:
    """The active link ``token`` opens, or None (unknown, expired or revoked)."""
    return share_link_lookup(token=token).link


def share_link_revoke(*, link: ShareLink) -> None:
    """Revoke ``link``; revoking twice keeps the first time."""
    now = timezone.now()
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
    link.refresh_from_db(fields=["revoked_at"])


def share_link_viewed(*, link: ShareLink) -> None:
    """Count one visit, in one UPDATE so concurrent visits are all counted."""
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )


def share_links_for(*, workspace: Workspace) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(workspace=workspace).select_related(
        "run", "template", "created_by"
    )


def _dashboard_what(query: str, names: dict[int, str]) -> str:
    """ "Overview · Last month · Instagram · #launch": the link's filters in words."""
    filters = QueryDict(query)
    preset = filters.get("range") or DEFAULT_PRESET
    if preset == CUSTOM:
        period = f"{filters.get('start', '')} – {filters.get('end', '')}"
    else:
        period = str(dict(RANGE_CHOICES).get(preset, preset))
    platforms = dict(Platform.choices)
    parts = [_("Overview"), period]
    parts += [str(platforms.get(key, key)) for key in filters.getlist("platform")]
    parts += [
        names[int(pk)]
        for pk in filters.getlist("account")
        if pk.isascii() and pk.isdecimal() and int(pk) in names
    ]
    parts += [f"#{tag}" for tag in filters.getlist("tag")]
    return " · ".join(parts)


def share_link_what(*, link: ShareLink, account_names: dict[int, str]) -> str:
    """What ``link`` shares, in words, for the managers' list."""
    if link.kind == ShareKind.RUN and link.run is not None:
        run = link.run
        return f"{run.title} ({run.period_start:%Y-%m-%d} – {run.period_end:%Y-%m-%d})"
    if link.kind == ShareKind.TEMPLATE and link.template is not None:
        return link.template.name
    if link.kind == ShareKind.DASHBOARD:
        return _dashboard_what(link.dashboard_query, account_names)
    return _("Deleted")


def _tries_key(link: ShareLink, address: str) -> str:
    return f"share:pw-tries:{link.pk}:{address}"


def _blocked_key(link: ShareLink, address: str) -> str:
    return f"share:pw-blocked:{link.pk}:{address}"


# The link-wide count and block use the same keys with this in place of an address.
_EVERYONE = "*"


def share_password_blocked(*, link: ShareLink, address: str) -> bool:
    """Is this client address, or everyone, refused passwords for ``link`` right now?"""
    keys = [_blocked_key(link, address), _blocked_key(link, _EVERYONE)]
    return any(cache.get_many(keys).values())


def _count_wrong(link: ShareLink, address: str, limit: int) -> None:
    key = _tries_key(link, address)
    if cache_count(key, PASSWORD_WINDOW) >= limit:
        cache.set(_blocked_key(link, address), True, timeout=PASSWORD_WINDOW)
        cache.delete(key)


def share_link_check_password(*, link: ShareLink, password: str, address: str) -> bool:
    """True when ``password`` opens ``link`` (always for a link without a password).

    ``address`` is the client's (``connectors.audit.client_ip``). A wrong password counts
    towards that address's limit and the link's; once blocked, even the right password is
    refused until the block ends, so guessing gains nothing from the answer."""
    if not link.password_hash:
        return True
    if share_password_blocked(link=link, address=address):
        return False
    if password and check_password(password, link.password_hash):
        return True
    _count_wrong(link, address, PASSWORD_MAX_TRIES)
    _count_wrong(link, _EVERYONE, PASSWORD_LINK_MAX_TRIES)
    return False


# Live reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveReport:
    """A template's report as made today, for its share page."""

    title: str
    period_start: dt.date
    period_end: dt.date
    period_label: str
    html: str  # report_html(..., mode="web"): an <article>, user text escaped


def _live_parts(template: ReportTemplate, today: dt.date) -> list[Any]:
    # Besides the workspace's data version (in every key): what else the report shows.
    workspace = template.workspace
    branding = [workspace.name, workspace.primary_color, workspace.report_footer]
    return [template.pk, template.updated_at, today, *branding, workspace.logo.name or ""]


def share_live_report(*, template: ReportTemplate) -> LiveReport:
    """The report of ``template`` rolled forward to the workspace's today.

    Cached until the data, the template, the branding or the day changes: a public link must
    not cost a full build on every visit."""
    today = workspace_today(template.workspace)

    def build() -> LiveReport:
        # Imported here: WeasyPrint, which the module loads, would otherwise slow every start-up.
        from dashboards.reports.render_pdf import report_html

        document = report_build(template=template, today=today)
        return LiveReport(
            title=document.title,
            period_start=document.period_start,
            period_end=document.period_end,
            period_label=document.period_label,
            html=report_html(document, mode="web"),
        )

    with translation.override(template.report_language()):
        return workspace_cached(
            template.workspace, "share-live", build, *_live_parts(template, today)
        )


def share_live_pdf(*, template: ReportTemplate) -> RenderedFile:
    """The PDF of ``template`` rolled forward to today, cached like ``share_live_report``."""
    today = workspace_today(template.workspace)

    def build() -> RenderedFile:
        # Rendered in the request of a public link: held to the render limits like a run.
        with render_limits():
            document = report_build(template=template, today=today)
            return report_file_render(document=document, fmt=ReportFormat.PDF)

    with translation.override(template.report_language()):
        return workspace_cached(
            template.workspace, "share-live-pdf", build, *_live_parts(template, today)
        )
