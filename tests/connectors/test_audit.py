"""The audit log: each instrumented action leaves one event, no secret is ever stored, the log
page and its CSV show one workspace's events only, and old events are pruned."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from connectors import audit
from connectors.audit import AuditAction, audit_changes, audit_prune, audit_record, client_ip
from connectors.login_throttle import MAX_FAILURES
from connectors.models import (
    AccountStatus,
    AuditEvent,
    FileImport,
    ImportStatus,
    Platform,
    Role,
    SocialAccount,
    User,
    Workspace,
)
from connectors.tasks import audit_prune_task
from dashboards.reports.services import report_run_create
from dashboards.reports.sharing import share_link_create
from reporting.alert_models import AlertKind, AlertRule
from reporting.kpis.services import kpi_create
from reporting.models import Goal, GoalPeriod, KpiAggregation, KpiDefinition, KpiUnit
from reporting.report_models import (
    ReportFormat,
    ReportSchedule,
    ReportTemplate,
    RunStatus,
    ScheduleFrequency,
    ShareKind,
)
from tests.factories import PASSWORD, SocialAccountFactory

SECRET = "hunter2-super-secret-value"


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def wurl(name: str, workspace: Workspace, **kwargs: Any) -> str:
    return reverse(name, kwargs={"workspace_slug": workspace.slug, **kwargs})


@dataclass
class World:
    workspace: Workspace
    admin: User
    account: SocialAccount
    kpi: KpiDefinition
    goal: Goal
    rule: AlertRule
    template: ReportTemplate
    schedule: ReportSchedule
    run_id: int
    link_id: int
    file_import: FileImport


@pytest.fixture
def world(workspace: Workspace, admin_member: User, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    account = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.INSTAGRAM, display_name="Acme IG"
    )
    account.credentials = {"access_token": SECRET}  # connected through the API
    account.save()
    kpi = kpi_create(
        workspace=workspace,
        key="acme_reach",
        name_en="Acme reach",
        name_fr="Portée",
        formula="impressions",
        unit=KpiUnit.COUNT,
        aggregation=KpiAggregation.SUM,
    )
    today = timezone.localdate()
    goal = Goal.objects.create(
        workspace=workspace,
        kpi=kpi,
        name="Reach goal",
        period_kind=GoalPeriod.CUSTOM,
        start=today - dt.timedelta(days=30),
        end=today,
        target=1000,
    )
    rule = AlertRule.objects.create(
        workspace=workspace, name="Lost access", kind=AlertKind.NEEDS_REAUTH
    )
    template = ReportTemplate.objects.get(workspace=workspace, key="monthly")
    schedule = ReportSchedule.objects.create(
        workspace=workspace,
        template=template,
        frequency=ScheduleFrequency.MONTHLY,
        weekday=0,
        send_time=dt.time(8, 0),
    )
    run, _created = report_run_create(template=template, fmt=ReportFormat.PDF, schedule=schedule)
    run.status = RunStatus.AWAITING_REVIEW
    run.save()
    link, _token = share_link_create(workspace=workspace, kind=ShareKind.RUN, run=run)
    file_import = FileImport.objects.create(
        workspace=workspace, original_name="export.csv", sha256="0" * 64
    )
    file_import.file.save("export.csv", ContentFile(b"a,b\n"), save=True)
    return World(
        workspace, admin_member, account, kpi, goal, rule, template, schedule, run.pk, link.pk,
        file_import,
    )  # fmt: skip


KPI_FORM = {
    "name_en": "Acme reach",
    "name_fr": "Portée",
    "description_en": "",
    "description_fr": "",
    "formula": "impressions",
    "unit": "count",
    "direction": "higher_is_better",
    "aggregation": "sum",
}


def _goal_form(w: World, **changes: Any) -> dict[str, Any]:
    return {
        "name": w.goal.name,
        "kpi": w.kpi.pk,
        "account": "",
        "period": "custom",
        "start": w.goal.start.isoformat(),
        "end": w.goal.end.isoformat(),
        "target": "1000",
        **changes,
    }


def _schedule_form(w: World, **changes: Any) -> dict[str, Any]:
    return {
        "template": w.template.pk,
        "frequency": ScheduleFrequency.MONTHLY,  # the "monthly" report covers last month
        "weekday": 0,
        "day_of_month": 1,
        "send_time": "08:00",
        "recipient_users": [w.admin.pk],
        "recipient_emails": "",
        "attach_pdf": "on",
        "is_active": "on",
        **changes,
    }


def _approve(client: Client, w: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    # Approving queues the sending; the queue is not what this test is about.
    monkeypatch.setattr("dashboards.views_report_schedules.report_run_approve", lambda **k: True)
    return client.post(
        reverse("report_schedules:review", args=[w.workspace.slug, w.run_id]),
        {"action": "approve", "commentary": ""},
    )


def _import(client: Client, w: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    def confirmed(*, file_import: FileImport) -> FileImport:
        file_import.status = ImportStatus.IMPORTED
        file_import.account = w.account
        return file_import

    monkeypatch.setattr("connectors.views.imports.file_import_confirm", confirmed)
    return client.post(wurl("connectors:import_confirm", w.workspace, import_id=w.file_import.pk))


Act = Callable[[Client, World, pytest.MonkeyPatch], Any]

# (action expected, how an admin does it, a text the event's target shows)
CASES: list[tuple[AuditAction, Act, str]] = [
    (
        AuditAction.KPI_CREATED,
        lambda c, w, m: c.post(wurl("kpis:kpi_new", w.workspace), {**KPI_FORM, "key": "saves"}),
        "saves",
    ),
    (
        AuditAction.KPI_UPDATED,
        lambda c, w, m: c.post(
            wurl("kpis:kpi_edit", w.workspace, key=w.kpi.key), {**KPI_FORM, "formula": "reach"}
        ),
        "acme_reach",
    ),
    (
        AuditAction.GOAL_CREATED,
        lambda c, w, m: c.post(wurl("kpis:goal_new", w.workspace), _goal_form(w, name="New")),
        "New",
    ),
    (
        AuditAction.GOAL_UPDATED,
        lambda c, w, m: c.post(
            wurl("kpis:goal_edit", w.workspace, goal_id=w.goal.pk), _goal_form(w, target="2000")
        ),
        "Reach goal",
    ),
    (
        AuditAction.GOAL_DELETED,
        lambda c, w, m: c.post(wurl("kpis:goal_delete", w.workspace, goal_id=w.goal.pk)),
        "Reach goal",
    ),
    (
        AuditAction.ALERT_RULE_CREATED,
        lambda c, w, m: c.post(
            wurl("alerts:create", w.workspace),
            {"kind": "needs_reauth", "name": "Access lost", "email_enabled": "on"},
        ),
        "Access lost",
    ),
    (
        AuditAction.ALERT_RULE_UPDATED,
        lambda c, w, m: c.post(
            wurl("alerts:edit", w.workspace, rule_id=w.rule.pk),
            {"kind": "needs_reauth", "name": "Renamed rule", "email_enabled": "on"},
        ),
        "Renamed rule",
    ),
    (
        AuditAction.ALERT_RULE_DELETED,
        lambda c, w, m: c.post(wurl("alerts:delete", w.workspace, rule_id=w.rule.pk)),
        "Lost access",
    ),
    (
        AuditAction.ACCOUNT_PAUSED,
        lambda c, w, m: c.post(
            wurl("connectors:account_pause", w.workspace, account_id=w.account.pk)
        ),
        "Acme IG",
    ),
    (
        AuditAction.ACCOUNT_REMOVED,
        lambda c, w, m: c.post(
            wurl("connectors:account_remove", w.workspace, account_id=w.account.pk)
        ),
        "Acme IG",
    ),
    (
        AuditAction.ACCOUNT_SYNC_REQUESTED,
        lambda c, w, m: (
            m.setattr("connectors.views.accounts.sync_run_request", _fake_sync_request),
            c.post(wurl("connectors:account_sync", w.workspace, account_id=w.account.pk)),
        )[1],
        "Acme IG",
    ),
    (AuditAction.IMPORT_CONFIRMED, _import, "export.csv"),
    (
        AuditAction.REPORT_TEMPLATE_CREATED,
        lambda c, w, m: c.post(
            wurl("reports:new", w.workspace),
            {"name": "Board pack", "period": "last_quarter", "compare": "year"},
        ),
        "Board pack",
    ),
    (
        AuditAction.REPORT_TEMPLATE_UPDATED,
        lambda c, w, m: c.post(
            wurl("reports:sections", w.workspace, template_id=w.template.pk),
            {"op": "remove", "index": 0, "expect": w.template.sections[0]["type"]},
        ),
        "",
    ),
    (
        AuditAction.REPORT_TEMPLATE_DELETED,
        lambda c, w, m: c.post(wurl("reports:delete", w.workspace, template_id=w.template.pk)),
        "",
    ),
    (
        AuditAction.REPORT_SCHEDULE_CREATED,
        lambda c, w, m: c.post(wurl("report_schedules:create", w.workspace), _schedule_form(w)),
        "",
    ),
    (
        AuditAction.REPORT_SCHEDULE_UPDATED,
        lambda c, w, m: c.post(
            wurl("report_schedules:edit", w.workspace, schedule_id=w.schedule.pk),
            _schedule_form(w, send_time="09:15"),
        ),
        "",
    ),
    (
        AuditAction.REPORT_SCHEDULE_DELETED,
        lambda c, w, m: c.post(
            wurl("report_schedules:delete", w.workspace, schedule_id=w.schedule.pk)
        ),
        "",
    ),
    (AuditAction.REPORT_RUN_APPROVED, _approve, ""),
    (
        AuditAction.SHARE_LINK_CREATED,
        lambda c, w, m: c.post(
            wurl("share:create", w.workspace),
            {
                "kind": "template",
                "template": w.template.pk,
                "expiry": "30",
                "label": "Board",
                "password": SECRET,
            },
        ),
        "Board",
    ),
    (
        AuditAction.SHARE_LINK_REVOKED,
        lambda c, w, m: c.post(wurl("share:revoke", w.workspace, link_id=w.link_id)),
        "",
    ),
    (
        AuditAction.WORKSPACE_SETTINGS_CHANGED,
        lambda c, w, m: c.post(
            wurl("connectors:workspace_settings", w.workspace),
            {
                "name": "Acme Corp",
                "timezone": "Europe/Paris",
                "language": "en",
                "primary_color": "#1f4e79",
                "report_footer": "",
            },
        ),
        "Acme Corp",
    ),
]


def _fake_sync_request(*, account: SocialAccount, trigger: str, **kwargs: Any) -> Any:
    from connectors.models import SyncRun, SyncStatus

    return SyncRun.objects.create(account=account, trigger=trigger, status=SyncStatus.QUEUED)


@pytest.mark.parametrize(
    ("action", "act", "label"), CASES, ids=[str(action) for action, _a, _l in CASES]
)
def test_each_admin_action_records_one_event(
    world: World, monkeypatch: pytest.MonkeyPatch, action: AuditAction, act: Act, label: str
) -> None:
    client = client_for(world.admin)
    AuditEvent.objects.all().delete()  # the log-in

    response = act(client, world, monkeypatch)

    assert response.status_code in (200, 302), response.content[:500]
    events = list(AuditEvent.objects.all())
    assert [event.action for event in events] == [action.value]
    event = events[0]
    assert event.workspace == world.workspace
    assert event.actor == world.admin
    assert event.actor_label == world.admin.username
    assert event.ip_address == "127.0.0.1"
    assert label in event.target_label
    assert SECRET not in json.dumps(event.changes)


def test_a_kpi_change_keeps_the_before_and_after_of_the_changed_fields(world: World) -> None:
    client = client_for(world.admin)

    client.post(
        wurl("kpis:kpi_edit", world.workspace, key=world.kpi.key), {**KPI_FORM, "formula": "reach"}
    )

    event = AuditEvent.objects.get(action=AuditAction.KPI_UPDATED)
    assert event.changes == {"formula": ["impressions", "reach"]}


def test_resuming_an_active_account_records_nothing_but_a_paused_one_is_recorded(
    world: World,
) -> None:
    client = client_for(world.admin)
    url = wurl("connectors:account_resume", world.workspace, account_id=world.account.pk)
    client.post(url)
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_RESUMED).exists()

    SocialAccount.objects.filter(pk=world.account.pk).update(status=AccountStatus.PAUSED)
    client.post(url)

    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_RESUMED)
    assert event.changes == {"status": ["paused", "active"]}


def test_sharing_with_a_password_stores_neither_the_token_nor_the_password(world: World) -> None:
    client = client_for(world.admin)

    response = client.post(
        wurl("share:create", world.workspace),
        {
            "kind": "template",
            "template": world.template.pk,
            "expiry": "30",
            "label": "",
            "password": SECRET,
        },
    )

    token = response.context["url"].rstrip("/").rsplit("/", 1)[-1]
    event = AuditEvent.objects.get(action=AuditAction.SHARE_LINK_CREATED)
    stored = json.dumps([event.changes, event.target_label, event.target_id])
    assert event.changes["protected"] is True
    assert token not in stored and token[:8] not in stored and SECRET not in stored


@pytest.mark.parametrize(
    "field", ["password", "webhook_url", "access_token", "client_secret", "credentials"]
)
def test_keys_naming_a_secret_are_redacted_at_any_depth(db: None, field: str) -> None:
    changes = audit_changes({field: "old-" + SECRET}, {field: SECRET})
    assert changes == {field: [audit.REDACTED, audit.REDACTED]}

    event = audit_record(
        action=AuditAction.ACCOUNT_CONNECTED,
        workspace=None,
        changes={"nested": {field: SECRET}, "list": [{field: SECRET}]},
    )
    assert SECRET not in json.dumps(event.changes)
    assert event.changes["nested"] == {field: audit.REDACTED}


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "203.0.113.9", "10.0.0.1"),  # a header from the client is not trusted
        (True, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the proxy's hop, not the client's
        (True, "", "10.0.0.1"),
        (True, "not-an-address", None),
    ],
)
def test_client_ip_trusts_x_forwarded_for_only_behind_the_proxy(
    settings: Any, behind_proxy: bool, forwarded: str, expected: str | None
) -> None:
    settings.BEHIND_HTTPS_PROXY = behind_proxy
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    request.user = AnonymousUser()
    assert client_ip(request) == expected


# Log-ins and passwords -------------------------------------------------------------------------


def test_login_logout_and_failed_login_are_recorded(workspace: Workspace, viewer: User) -> None:
    client = Client()
    client.post(reverse("login"), {"username": viewer.username, "password": "wrong"})
    client.post(reverse("login"), {"username": viewer.username, "password": PASSWORD})
    client.post(reverse("logout"))

    events = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in events] == ["auth.login_failed", "auth.login", "auth.logout"]
    assert all(e.actor == viewer and e.workspace is None for e in events)
    assert "wrong" not in json.dumps([e.changes for e in events])


def test_lock_out_is_recorded_once(workspace: Workspace, viewer: User) -> None:
    client = Client()
    for _attempt in range(MAX_FAILURES + 2):
        client.post(reverse("login"), {"username": viewer.username, "password": "wrong"})

    assert AuditEvent.objects.filter(action=AuditAction.AUTH_LOCKED_OUT, actor=viewer).count() == 1


def test_a_failed_login_with_an_unknown_name_has_no_actor(db: None) -> None:
    Client().post(reverse("login"), {"username": "nobody", "password": "x"})

    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.target_label) == ("auth.login_failed", None, "nobody")


def test_changing_ones_password_is_recorded_without_the_password(
    workspace: Workspace, viewer: User
) -> None:
    client = client_for(viewer)
    new = "a-Brand-new-passphrase-42"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.AUTH_PASSWORD_CHANGED)
    assert event.actor == viewer
    assert new not in json.dumps(event.changes)


# The log page ----------------------------------------------------------------------------------


def log_url(workspace: Workspace, name: str = "connectors:audit_log") -> str:
    return wurl(name, workspace)


def test_the_log_shows_this_workspaces_events_and_its_members_logins_only(
    workspace: Workspace,
    other_workspace: Workspace,
    admin_member: User,
    member_factory: Callable[..., User],
) -> None:
    outsider = member_factory(other_workspace, Role.ADMIN, username="outsider")
    audit_record(action=AuditAction.KPI_CREATED, workspace=workspace, actor=admin_member)
    audit_record(action=AuditAction.KPI_DELETED, workspace=other_workspace, actor=outsider)
    audit_record(action=AuditAction.AUTH_LOGIN, workspace=None, actor=outsider)
    client = client_for(admin_member)  # logs in: an installation-wide event of a member

    page = client.get(log_url(workspace))
    csv_text = b"".join(client.get(log_url(workspace, "connectors:audit_log_export"))).decode()

    actions = [row.event.action for row in page.context["rows"]]
    assert sorted(actions) == ["auth.login", "kpi.created"]
    assert all(row.event.actor == admin_member for row in page.context["rows"])
    assert "outsider" not in page.content.decode()
    assert "outsider" not in csv_text and "KPI deleted" not in csv_text
    assert "KPI created" in csv_text


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.VIEWER])
def test_only_admins_see_the_log(
    workspace: Workspace, member_factory: Callable[..., User], role: str
) -> None:
    client = client_for(member_factory(workspace, role))
    assert client.get(log_url(workspace)).status_code == 403
    assert client.get(log_url(workspace, "connectors:audit_log_export")).status_code == 403


def test_another_workspaces_admin_gets_404(
    workspace: Workspace, other_workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    client = client_for(member_factory(other_workspace, Role.ADMIN))
    assert client.get(log_url(workspace)).status_code == 404
    assert client.get(log_url(workspace, "connectors:audit_log_export")).status_code == 404


def test_the_log_pages_by_fifty_newest_first(workspace: Workspace, admin_member: User) -> None:
    for number in range(120):
        audit_record(
            action=AuditAction.GOAL_UPDATED,
            workspace=workspace,
            actor=admin_member,
            target=audit.AuditTarget("goal", str(number), f"goal {number}"),
        )
    client = client_for(admin_member)

    first = client.get(log_url(workspace), {"group": "goal"})
    third = client.get(log_url(workspace), {"group": "goal", "page": "3"})

    assert len(first.context["rows"]) == 50
    assert first.context["rows"][0].target == "goal 119"
    assert [row.target for row in third.context["rows"]][-1] == "goal 0"
    assert len(third.context["rows"]) == 20
    assert "group=goal&amp;page=2" in first.content.decode()


def test_filters_by_group_user_and_dates_in_the_workspace_timezone(
    workspace: Workspace, admin_member: User, member_factory: Callable[..., User]
) -> None:
    other_admin = member_factory(workspace, Role.ADMIN, username="second-admin")
    # 23:30 UTC on 9 March is 00:30 on 10 March in Paris (the workspace's timezone).
    with time_machine.travel(dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC), tick=False):
        audit_record(action=AuditAction.KPI_CREATED, workspace=workspace, actor=admin_member)
    with time_machine.travel(dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC), tick=False):
        audit_record(action=AuditAction.GOAL_CREATED, workspace=workspace, actor=other_admin)
    client = client_for(admin_member)

    def actions(**query: str | int) -> list[str]:
        rows = client.get(log_url(workspace), query).context["rows"]
        return [row.event.action for row in rows if not row.event.action.startswith("auth.")]

    assert actions(start="2026-03-10", end="2026-03-10") == ["kpi.created"]
    assert actions(start="2026-03-09", end="2026-03-09") == ["goal.created"]
    assert actions(group="goal") == ["goal.created"]
    assert actions(user=other_admin.pk) == ["goal.created"]
    page = client.get(log_url(workspace), {"start": "2026-03-10", "end": "2026-03-01"})
    assert "The last day is before the first." in page.content.decode()


def test_the_csv_is_filtered_and_neutralises_formulas(
    workspace: Workspace, admin_member: User
) -> None:
    audit_record(
        action=AuditAction.REPORT_TEMPLATE_CREATED,
        workspace=workspace,
        actor=admin_member,
        target=audit.AuditTarget("reporttemplate", "1", '=HYPERLINK("http://evil")'),
    )
    audit_record(action=AuditAction.GOAL_CREATED, workspace=workspace, actor=admin_member)
    client = client_for(admin_member)

    response = client.get(
        log_url(workspace, "connectors:audit_log_export"), {"group": "report_template"}
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response).decode())))
    assert rows[0][:3] == ["When", "Who", "Action"]
    assert [row[3] for row in rows[1:]] == ["report_template.created"]
    assert rows[1][4] == '\'=HYPERLINK("http://evil")'


# Retention ------------------------------------------------------------------------------------


def test_prune_deletes_only_events_past_the_retention(
    workspace: Workspace, admin_member: User, settings: Any
) -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    for days in (400, 366, 364, 1):
        with time_machine.travel(now - dt.timedelta(days=days), tick=False):
            audit_record(action=AuditAction.KPI_UPDATED, workspace=workspace, actor=admin_member)

    assert audit_prune(older_than_days=365, now=now) == 2
    assert audit_prune(older_than_days=365, now=now) == 0
    settings.AUDIT_RETENTION_DAYS = 30
    with time_machine.travel(now, tick=False):
        assert audit_prune_task() == 1
    assert AuditEvent.objects.count() == 1


def test_the_prune_is_declared_in_the_schedules() -> None:
    from config.schedules import SCHEDULES

    assert "connectors.audit_prune" in {schedule.task for schedule in SCHEDULES}


def test_the_admin_shows_events_read_only(
    workspace: Workspace, admin_member: User, django_user_model: Any
) -> None:
    staff = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    event = audit_record(action=AuditAction.KPI_CREATED, workspace=workspace, actor=admin_member)
    client = client_for(staff)

    assert client.get(reverse("admin:connectors_auditevent_changelist")).status_code == 200
    change = reverse("admin:connectors_auditevent_change", args=[event.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"action": "kpi.deleted"})
    delete = reverse("admin:connectors_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == "kpi.created"


def test_a_logo_change_keeps_the_file_names_not_the_content(
    world: World, settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.connectors.test_workspace_settings import png

    logo = SimpleUploadedFile("brand.png", png(), content_type="image/png")
    client_for(world.admin).post(
        wurl("connectors:workspace_settings", world.workspace),
        {
            "name": "Acme",
            "timezone": "Europe/Paris",
            "language": "en",
            "primary_color": "#1f4e79",
            "report_footer": "",
            "logo": logo,
        },
    )

    event = AuditEvent.objects.get(action=AuditAction.WORKSPACE_SETTINGS_CHANGED)
    assert event.changes == {"logo": ["", "logo.png"]}  # the form names every logo so


def test_kpis_edited_and_deleted_in_the_django_admin_are_recorded(
    world: World, django_user_model: Any
) -> None:
    staff = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = client_for(staff)
    AuditEvent.objects.all().delete()
    Goal.objects.all().delete()  # a goal keeps its KPI from being deleted
    change = reverse("admin:reporting_kpidefinition_change", args=[world.kpi.pk])

    response = client.post(
        change,
        {
            **KPI_FORM,
            "formula": "reach",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(
        reverse("admin:reporting_kpidefinition_delete", args=[world.kpi.pk]), {"post": "yes"}
    )

    recorded = [
        (e.action, e.workspace, e.actor, e.changes)
        for e in AuditEvent.objects.exclude(action__startswith="auth.").order_by("pk")
    ]
    assert recorded == [
        ("kpi.updated", world.workspace, staff, {"formula": ["impressions", "reach"]}),
        ("kpi.deleted", world.workspace, staff, {}),
    ]


def test_adding_someone_does_not_reveal_their_earlier_log_ins_or_their_acts_on_others(
    workspace: Workspace, admin_member: User
) -> None:
    """An admin who adds an address must not learn where its owner logged in from before
    joining, nor what they did to other users (a staff reset)."""
    from connectors.models import Membership, Role

    outsider = User.objects.create_user("outsider", "out@example.com", PASSWORD)
    someone_else = User.objects.create_user("someone", "someone@example.com", PASSWORD)
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        before = audit_record(action=AuditAction.AUTH_LOGIN, workspace=None, actor=outsider)
        _set_ip(before, "203.0.113.7")
    with time_machine.travel(dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        Membership.objects.create(user=outsider, workspace=workspace, role=Role.VIEWER)
    with time_machine.travel(dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        after = audit_record(action=AuditAction.AUTH_LOGIN, workspace=None, actor=outsider)
        own = audit_record(
            action=AuditAction.AUTH_TWO_FACTOR_ENABLED,
            workspace=None,
            actor=outsider,
            target=outsider,
        )
        on_another = audit_record(
            action=AuditAction.AUTH_TWO_FACTOR_RESET,
            workspace=None,
            actor=outsider,
            target=someone_else,
        )

    visible = set(audit.audit_events_visible(workspace=workspace).values_list("pk", flat=True))

    assert before.pk not in visible
    assert {after.pk, own.pk} <= visible
    assert on_another.pk not in visible
    page = client_for(admin_member).get(log_url(workspace)).content.decode()
    assert "203.0.113.7" not in page


def _set_ip(event: Any, address: str) -> None:
    type(event).objects.filter(pk=event.pk).update(ip_address=address)
