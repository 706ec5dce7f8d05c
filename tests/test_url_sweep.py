"""Every URL of the project, requested by every kind of visitor (issue #7).

The table below says, for each URL pattern, what an anonymous visitor, each role of the
workspace and a member of another workspace get for a GET. A pattern added to the project
without a row here fails ``test_every_url_pattern_has_an_entry``, so no page ships without
someone deciding who may see it.

The visitors' URLs carry workspace "acme"'s slug and the ids of acme's objects. The member of
"globex" must get 404 everywhere a workspace is named (as if acme did not exist), never 200
and never a 403 that would confirm the slug or the id exists.

The admin site is one group (staff only); it is swept through its index and each registered
model's changelist rather than its hundreds of patterns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from connectors.models import FileImport, Platform, Role, User, Workspace
from dashboards.reports.services import report_run_create
from dashboards.reports.sharing import share_link_create
from reporting.alert_models import AlertKind, AlertRule
from reporting.annotation_models import Annotation
from reporting.kpis.services import kpi_create
from reporting.models import Goal, GoalPeriod, KpiAggregation, KpiUnit, TagRule, TagRuleKind
from reporting.report_models import (
    ReportFormat,
    ReportSchedule,
    ReportTemplate,
    RunStatus,
    ScheduleFrequency,
    ShareKind,
)
from tests.factories import MembershipFactory, PostFactory, SocialAccountFactory, UserFactory

# What a request may get. LOGIN: a redirect to the sign-in page; ADMIN_LOGIN: to the admin's;
# REDIRECT: a redirect elsewhere (a page sending the visitor on).
LOGIN = "login"
ADMIN_LOGIN = "admin login"
REDIRECT = "redirect"
OK = 200
BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
Expected = int | str

ANONYMOUS = "anonymous"
OTHER = "other-workspace member"
ROLES = (Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.VIEWER)
AUDIENCES: tuple[str, ...] = (ANONYMOUS, *ROLES, OTHER)

# Who may do what: the matrix of connectors/permissions.py, written out again on purpose so that
# a change to the matrix is a visible change to this test too.
EVERY_ROLE = frozenset(ROLES)
ANALYST_UP = frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
MANAGER_UP = frozenset({Role.ADMIN, Role.MANAGER})
ADMIN_ONLY = frozenset({Role.ADMIN})


def member(roles: frozenset[str], answer: Expected = OK) -> dict[str, Expected]:
    """A ``workspace_required`` page: sign in first, 404 for non-members, 403 for a role
    without the action, ``answer`` for the others (405 for a POST-only action)."""
    return {
        ANONYMOUS: LOGIN,
        **{role: answer if role in roles else FORBIDDEN for role in ROLES},
        OTHER: NOT_FOUND,
    }


def everyone(answer: Expected) -> dict[str, Expected]:
    """The same answer whoever asks: a public page, or a POST-only view without a workspace in
    its URL, which refuses a GET before looking at the visitor."""
    return dict.fromkeys(AUDIENCES, answer)


def signed_in(answer: Expected) -> dict[str, Expected]:
    """``login_required`` without a workspace in the URL."""
    return {**dict.fromkeys(AUDIENCES, answer), ANONYMOUS: LOGIN}


POST_ONLY = everyone(NOT_ALLOWED)

TABLE: dict[str, dict[str, Expected]] = {
    # The site itself ---------------------------------------------------------------------------
    "healthz": everyone(OK),
    "login": everyone(OK),
    "login_code": everyone(LOGIN),  # no password step in this session: back to the first step
    "admin_login_redirect": everyone(LOGIN),  # the admin's log-in is the two-step one
    "two_factor": signed_in(OK),
    "two_factor_enable": signed_in(NOT_ALLOWED),
    "two_factor_disable": signed_in(NOT_ALLOWED),
    "two_factor_recovery_codes": signed_in(NOT_ALLOWED),
    "logout": everyone(NOT_ALLOWED),  # Django's LogoutView takes POST only
    "password_change": signed_in(OK),
    "password_change_done": signed_in(OK),
    "password_reset": everyone(OK),
    "password_reset_done": everyone(OK),
    "password_reset_confirm": everyone(OK),  # an invalid link says so
    "password_reset_complete": everyone(OK),
    "set_language": everyone(REDIRECT),
    "home": signed_in(REDIRECT),  # one workspace: straight to its overview
    "language_set": POST_ONLY,
    "overview": member(EVERY_ROLE),
    "platform_dashboard": member(EVERY_ROLE),
    "account_dashboard": member(EVERY_ROLE),
    # Accounts, connections, imports, export, settings -----------------------------------------
    "connectors:accounts": member(EVERY_ROLE),
    "connectors:account_detail": member(EVERY_ROLE),
    "connectors:account_sync": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:account_pause": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:account_resume": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:account_remove": member(ADMIN_ONLY),  # asks first; deletes on POST
    "connectors:connect_start": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:connect_choose": member(ADMIN_ONLY, REDIRECT),  # no pending connection
    "connectors:connect_callback": signed_in(BAD_REQUEST),  # no OAuth state
    "connectors:import": member(ADMIN_ONLY),
    "connectors:import_preview": member(ADMIN_ONLY),
    "connectors:import_confirm": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:import_cancel": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:export": member(ANALYST_UP),
    "connectors:workspace_settings": member(ADMIN_ONLY),
    "connectors:workspace_logo": member(EVERY_ROLE),
    "connectors:members": member(ADMIN_ONLY),
    "connectors:member_role": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:member_remove": member(ADMIN_ONLY),  # asks first; removes on POST
    "connectors:member_invite": member(ADMIN_ONLY, NOT_ALLOWED),
    "connectors:audit_log": member(ADMIN_ONLY),
    "connectors:audit_log_export": member(ADMIN_ONLY),
    "system:page": member(ADMIN_ONLY),
    # Goals, KPIs, alerts ----------------------------------------------------------------------
    "kpis:goals": member(EVERY_ROLE),
    "kpis:goal_new": member(ADMIN_ONLY),
    "kpis:goal_edit": member(ADMIN_ONLY),
    "kpis:goal_delete": member(ADMIN_ONLY),
    "kpis:kpis": member(EVERY_ROLE),
    "kpis:kpi_new": member(ADMIN_ONLY),
    "kpis:kpi_detail": member(EVERY_ROLE),
    "kpis:kpi_edit": member(ADMIN_ONLY),
    "kpis:glossary": member(EVERY_ROLE),
    "alerts:list": member(EVERY_ROLE),
    "alerts:create": member(ADMIN_ONLY),
    "alerts:edit": member(ADMIN_ONLY),
    "alerts:delete": member(ADMIN_ONLY),
    "alerts:test": member(ADMIN_ONLY, NOT_ALLOWED),
    # Analysis pages ---------------------------------------------------------------------------
    "tags:list": member(EVERY_ROLE),
    "tags:rule_new": member(ANALYST_UP),
    "tags:rule_edit": member(ANALYST_UP),
    "tags:rule_delete": member(ANALYST_UP),
    "tags:apply": member(ANALYST_UP, NOT_ALLOWED),
    "tags:posts": member(EVERY_ROLE),
    "insights:list": member(EVERY_ROLE),
    "annotations:add": member(ANALYST_UP, NOT_ALLOWED),
    "annotations:delete": member(ANALYST_UP, NOT_ALLOWED),
    "content:page": member(EVERY_ROLE),
    "posts:list": member(EVERY_ROLE),
    "posts:detail": member(EVERY_ROLE),
    "health:page": member(EVERY_ROLE),
    "health:account": member(EVERY_ROLE),
    # Reports ----------------------------------------------------------------------------------
    "reports:list": member(EVERY_ROLE),
    "reports:new": member(MANAGER_UP),
    "reports:edit": member(MANAGER_UP),
    "reports:sections": member(MANAGER_UP, NOT_ALLOWED),
    "reports:duplicate": member(MANAGER_UP, NOT_ALLOWED),
    "reports:delete": member(MANAGER_UP),
    "reports:preview": member(EVERY_ROLE),
    "reports:generate": member(EVERY_ROLE, NOT_ALLOWED),
    "reports:archive": member(EVERY_ROLE),
    "reports:run": member(EVERY_ROLE),
    "reports:run_status": member(EVERY_ROLE),
    "reports:download": member(EVERY_ROLE),
    "reports:download_data": member(EVERY_ROLE),
    "report_schedules:list": member(MANAGER_UP),
    "report_schedules:create": member(MANAGER_UP),
    "report_schedules:edit": member(MANAGER_UP),
    "report_schedules:delete": member(MANAGER_UP),
    "report_schedules:send_now": member(MANAGER_UP, NOT_ALLOWED),
    "report_schedules:review": member(MANAGER_UP),
    "report_schedules:deliveries": member(MANAGER_UP),
    "report_schedules:retry": member(MANAGER_UP, NOT_ALLOWED),
    # Share links: public by design, whoever holds the token --------------------------------------
    "share:open": everyone(OK),
    "share:file": everyone(OK),
    "share:pdf": everyone(NOT_FOUND),  # a link to an archived run has no live PDF
    "share:logo": everyone(OK),
    "share:manage": member(MANAGER_UP),
    "share:create": member(MANAGER_UP),
    "share:revoke": member(MANAGER_UP, NOT_ALLOWED),
}

# The query a page needs to show anything (the app's own links always carry it).
QUERIES: dict[str, str] = {
    "alerts:create": "kind=needs_reauth",
}


# Walking the URL configuration ----------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name", or the route when the pattern has no name
    kwargs: tuple[str, ...]  # the names the route captures


def _walk(patterns: list[Any], namespace: str, captured: tuple[str, ...]) -> Iterator[Pattern]:
    for entry in patterns:
        names = captured + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry.url_patterns, inner, names)
        elif isinstance(entry, URLPattern):
            label = entry.name or str(entry.pattern)
            yield Pattern(f"{namespace}:{label}" if namespace else label, names)


def project_patterns() -> dict[str, Pattern]:
    """Every pattern outside the admin, by name."""
    found: dict[str, Pattern] = {}
    for pattern in _walk(get_resolver().url_patterns, "", ()):
        if pattern.name.split(":")[0] != "admin":
            found[pattern.name] = pattern
    return found


PATTERNS = project_patterns()


# The two workspaces and their objects -------------------------------------------------------

PDF = b"%PDF-1.7\nAcme report\n%%EOF"
XLSX = b"PK\x03\x04 not really a spreadsheet"
# The smallest valid PNG (1x1, transparent).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass(frozen=True)
class Tenant:
    workspace: Workspace
    users: dict[str, User]  # by role
    kwargs: dict[str, Any]  # URL keyword arguments naming this workspace's objects (and a
    # share link's token)


def _tenant(slug: str) -> Tenant:
    workspace = Workspace.objects.create(slug=slug, name=slug.title(), timezone="Europe/Paris")
    workspace.logo.save("logo.png", ContentFile(PNG), save=True)
    users: dict[str, User] = {}
    for role in ROLES:
        user = UserFactory.create(username=f"{role}-{slug}")
        MembershipFactory.create(user=user, workspace=workspace, role=role)
        users[role] = user
    account = SocialAccountFactory.create(workspace=workspace, platform=Platform.INSTAGRAM)
    post = PostFactory.create(account=account)
    # A KPI of its own: built-in KPIs have the same key in every workspace.
    kpi = kpi_create(
        workspace=workspace,
        key=f"{slug}_reach",
        name_en="Reach",
        name_fr="Portée",
        formula="impressions",
        unit=KpiUnit.COUNT,
        aggregation=KpiAggregation.SUM,
    )
    today = timezone.localdate()
    goal = Goal.objects.create(
        workspace=workspace,
        kpi=kpi,
        name="Reach",
        period_kind=GoalPeriod.CUSTOM,
        start=today - dt.timedelta(days=30),
        end=today,
        target=1000,
    )
    rule = AlertRule.objects.create(
        workspace=workspace, name="Lost access", kind=AlertKind.NEEDS_REAUTH
    )
    tag_rule = TagRule.objects.create(
        workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"]
    )
    annotation = Annotation.objects.create(workspace=workspace, day=today, text="Launch day")
    file_import = FileImport.objects.create(
        workspace=workspace, original_name="export.csv", sha256="0" * 64
    )
    template = ReportTemplate.objects.get(workspace=workspace, key="monthly")
    schedule = ReportSchedule.objects.create(
        workspace=workspace,
        template=template,
        frequency=ScheduleFrequency.WEEKLY,
        weekday=0,
        send_time=dt.time(8, 0),
    )
    run, _created = report_run_create(template=template, fmt=ReportFormat.PDF, schedule=schedule)
    run.status = RunStatus.READY
    run.file.save("report.pdf", ContentFile(PDF), save=False)
    run.data_file.save("report.xlsx", ContentFile(XLSX), save=False)
    run.file_size = len(PDF)
    run.save()
    link, token = share_link_create(workspace=workspace, kind=ShareKind.RUN, run=run)
    kwargs = {
        "workspace_slug": workspace.slug,
        "account_id": account.pk,
        "post_id": post.pk,
        "key": kpi.key,
        "goal_id": goal.pk,
        "rule_id": rule.pk,  # alerts and tag rules share the name: see _kwargs
        "tag_rule_id": tag_rule.pk,
        "annotation_id": annotation.pk,
        "import_id": file_import.pk,
        "template_id": template.pk,
        "run_id": run.pk,
        "schedule_id": schedule.pk,
        "link_id": link.pk,
        "membership_id": workspace.memberships.get(role=Role.VIEWER).pk,
        "platform": Platform.INSTAGRAM.value,
        "pending_id": "0123456789abcdef",
        "uidb64": "MQ",
        "token": token,
    }
    return Tenant(workspace, users, kwargs)


@dataclass(frozen=True)
class World:
    acme: Tenant
    globex: Tenant
    staff: User


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Both workspaces, made once for the module inside a transaction rolled back at its end;
    each test runs in a savepoint within it."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            staff = UserFactory.create(username="staff", is_staff=True, is_superuser=True)
            yield World(_tenant("acme"), _tenant("globex"), staff)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def sweep(world: World, db: None) -> World:
    return world


def _kwargs(name: str, values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if name.startswith("tags:"):
        values["rule_id"] = values["tag_rule_id"]
    if name == "password_reset_confirm":
        values["token"] = "set-password"
    return {key: values[key] for key in PATTERNS[name].kwargs}


def url_for(name: str, tenant: Tenant) -> str:
    url = reverse(name, kwargs=_kwargs(name, tenant.kwargs))
    return f"{url}?{QUERIES[name]}" if name in QUERIES else url


def client_for(world: World, audience: str) -> Client:
    client = Client()
    if audience == OTHER:
        client.force_login(world.globex.users[Role.ADMIN])
    elif audience != ANONYMOUS:
        client.force_login(world.acme.users[audience])
    return client


def answer(response: Any) -> Expected:
    """What a response amounts to, in the table's words."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
        return REDIRECT
    return int(response.status_code)


def _cases() -> Iterator[Any]:
    for name in sorted(TABLE):
        for audience in AUDIENCES:
            yield pytest.param(name, audience, id=f"{name}-{audience}")


# The tests ------------------------------------------------------------------------------------


def test_every_url_pattern_has_an_entry() -> None:
    missing = sorted(set(PATTERNS) - set(TABLE))
    stale = sorted(set(TABLE) - set(PATTERNS))
    assert not missing, f"URL patterns without an entry in TABLE (who may see them?): {missing}"
    assert not stale, f"TABLE entries for URL patterns that no longer exist: {stale}"
    for name, row in TABLE.items():
        assert set(row) == set(AUDIENCES), f"{name}: one answer per audience"


@pytest.mark.parametrize(("name", "audience"), list(_cases()))
def test_url_answers_as_the_table_says(sweep: World, name: str, audience: str) -> None:
    response = client_for(sweep, audience).get(url_for(name, sweep.acme), follow=False)

    assert answer(response) == TABLE[name][audience]


def test_the_table_never_lets_another_workspace_in(sweep: World) -> None:
    """Whatever the table says, a member of globex never sees acme's pages nor learns that
    they exist: no 200 and no 403 on a URL that names acme."""
    scoped = [name for name in TABLE if "workspace_slug" in PATTERNS[name].kwargs]
    assert all(TABLE[name][OTHER] == NOT_FOUND for name in scoped)


WORKSPACE_PATTERNS = sorted(name for name in TABLE if "workspace_slug" in PATTERNS[name].kwargs)


@pytest.mark.parametrize("name", WORKSPACE_PATTERNS)
def test_acme_admin_cannot_reach_globex(sweep: World, name: str) -> None:
    """The other direction: acme's admin asking for globex's pages and objects gets 404, even
    from a POST-only view (the workspace is checked before the method)."""
    client = client_for(sweep, Role.ADMIN)

    response = client.get(url_for(name, sweep.globex))

    assert answer(response) == NOT_FOUND


OBJECT_KWARGS = {
    "account_id",
    "post_id",
    "key",
    "goal_id",
    "rule_id",
    "annotation_id",
    "import_id",
    "template_id",
    "run_id",
    "schedule_id",
    "link_id",
    "membership_id",
}
# platform_dashboard takes a platform, not an object: it is not in this sweep.
OBJECT_PATTERNS = sorted(
    name for name in WORKSPACE_PATTERNS if OBJECT_KWARGS & set(PATTERNS[name].kwargs)
)


@pytest.mark.parametrize("name", OBJECT_PATTERNS)
def test_another_workspaces_object_is_404_under_ones_own_slug(sweep: World, name: str) -> None:
    """acme's admin, on acme's slug, with the id of one of globex's objects: the object is
    looked up in acme only, so it is not found."""
    values = {**sweep.globex.kwargs, "workspace_slug": "acme"}
    url = reverse(name, kwargs=_kwargs(name, values))

    response = client_for(sweep, Role.ADMIN).get(url)

    expected = TABLE[name][Role.ADMIN]
    if expected in (OK, REDIRECT):
        expected = NOT_FOUND
    assert answer(response) == expected


def test_an_unknown_share_token_opens_nothing(sweep: World) -> None:
    client = Client()
    for name in ("share:open", "share:file", "share:pdf", "share:logo"):
        response = client.get(reverse(name, args=["not-a-token-" + "x" * 30]))
        assert response.status_code == NOT_FOUND, name


# The admin site: staff only -------------------------------------------------------------------

ADMIN_PAGES = [
    "admin:index",
    *sorted(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
    ),
]
STAFF = "staff superuser"


@pytest.mark.parametrize("audience", [*AUDIENCES, STAFF])
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_is_for_staff_only(sweep: World, name: str, audience: str) -> None:
    if audience == STAFF:
        client = Client()
        client.force_login(sweep.staff)
    else:
        client = client_for(sweep, audience)

    response = client.get(reverse(name))

    assert answer(response) == (OK if audience == STAFF else ADMIN_LOGIN)
