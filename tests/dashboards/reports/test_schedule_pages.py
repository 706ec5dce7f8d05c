"""Schedule pages, the review of a draft and the delivery log: who may use them, what they
accept, and that another workspace's objects stay out of reach."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from connectors.models import Role, User, Workspace
from dashboards.reports import services
from reporting.report_models import (
    DeliveryStatus,
    ReportDelivery,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    RunStatus,
    ScheduleFrequency,
)
from tests.dashboards.reports import test_delivery
from tests.dashboards.reports.test_delivery import FakeRender, SmtpCollector, make_schedule

# The local SMTP server and the quick render, shared with the delivery tests.
smtp = test_delivery.smtp
render = test_delivery.render

pytestmark = pytest.mark.django_db


def url(name: str, *, workspace: str = "acme", **kwargs: Any) -> str:
    return reverse(f"report_schedules:{name}", kwargs={"workspace_slug": workspace, **kwargs})


@pytest.fixture
def manager(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.MANAGER, username="manon")


@pytest.fixture
def as_manager(client: Client, manager: User) -> Client:
    client.force_login(manager)
    return client


def awaiting_run(workspace: Workspace, schedule: ReportSchedule) -> ReportRun:
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )
    run = services.report_run_render(run=run)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.AWAITING_REVIEW)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_members_below_manager_cannot_open_the_pages(
    client: Client, workspace: Workspace, member_factory: Callable[..., User], role: str
) -> None:
    client.force_login(member_factory(workspace, role))
    schedule = make_schedule(workspace)
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )

    for page in (
        url("list"),
        url("create"),
        url("edit", schedule_id=schedule.pk),
        url("deliveries"),
        url("review", run_id=run.pk),
    ):
        assert client.get(page).status_code == 403, page
    assert client.post(url("retry", run_id=run.pk)).status_code == 403
    assert client.post(url("send_now", schedule_id=schedule.pk)).status_code == 403


def test_list_shows_the_next_send_in_the_workspace_time(
    as_manager: Client, workspace: Workspace, manager: User
) -> None:
    make_schedule(workspace, recipients=[manager], emails=["client@example.org"])

    # Wednesday 4 November 2026: next Monday 08:00 in Paris.
    with time_machine.travel(dt.datetime(2026, 11, 4, 12, tzinfo=dt.UTC), tick=False):
        response = as_manager.get(url("list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Weekly team report" in page
    assert "Every Monday at 08:00" in page
    assert 'datetime="2026-11-09T08:00:00+01:00"' in page
    assert ">2</td>" in page  # two recipients


def test_manager_creates_a_schedule_for_members_and_addresses(
    as_manager: Client, workspace: Workspace, manager: User
) -> None:
    template = ReportTemplate.objects.get(workspace=workspace, key="monthly")

    response = as_manager.post(
        url("create"),
        {
            "template": template.pk,
            "frequency": ScheduleFrequency.MONTHLY,
            "weekday": 0,
            "day_of_month": 3,
            "send_time": "07:30",
            "recipient_users": [manager.pk],
            "recipient_emails": "boss@client.example\n\nBoss@Client.example\nteam@client.example",
            "review_required": "on",
            "reviewer": manager.pk,
            "attach_pdf": "on",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.workspace == workspace
    assert schedule.created_by == manager
    assert schedule.recipient_emails == ["boss@client.example", "team@client.example"]
    assert list(schedule.recipient_users.all()) == [manager]
    assert (schedule.day_of_month, schedule.send_time) == (3, dt.time(7, 30))
    assert schedule.reviewer == manager


def test_new_schedule_starts_from_the_report_it_was_opened_from(
    as_manager: Client, workspace: Workspace, other_workspace: Workspace
) -> None:
    client_report = ReportTemplate.objects.get(workspace=workspace, key="client")
    foreign = ReportTemplate.objects.get(workspace=other_workspace, key="client")

    form = as_manager.get(url("create"), {"template": client_report.pk}).context["form"]
    refused = as_manager.get(url("create"), {"template": foreign.pk}).context["form"]

    assert f'<option value="{client_report.pk}" selected>' in str(form["template"])
    assert f'value="{foreign.pk}"' not in str(refused["template"])
    assert "selected" not in str(refused["template"])


def test_form_refuses_other_workspaces_objects_and_bad_addresses(
    as_manager: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    foreign_template = ReportTemplate.objects.get(workspace=other_workspace, key="monthly")
    outsider = member_factory(other_workspace, Role.MANAGER, username="olga")

    response = as_manager.post(
        url("create"),
        {
            "template": foreign_template.pk,
            "frequency": ScheduleFrequency.WEEKLY,
            "weekday": 0,
            "day_of_month": 1,
            "send_time": "08:00",
            "recipient_users": [outsider.pk],
            "recipient_emails": "not an address\nok@example.org",
            "reviewer": outsider.pk,
            "attach_pdf": "on",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"template", "recipient_users", "recipient_emails", "reviewer"}
    assert "Not an email address: not an address" in str(errors["recipient_emails"])
    assert not ReportSchedule.objects.exists()


def test_form_needs_a_recipient_and_something_to_send(
    as_manager: Client, workspace: Workspace
) -> None:
    template = ReportTemplate.objects.get(workspace=workspace, key="weekly")

    response = as_manager.post(
        url("create"),
        {
            "template": template.pk,
            "frequency": ScheduleFrequency.WEEKLY,
            "weekday": 0,
            "day_of_month": 1,
            "send_time": "08:00",
        },
    )

    page = response.content.decode()
    assert "Choose at least one member or type one email address." in page
    assert "the email needs the report" in page


def test_edit_and_delete_keep_to_the_workspace_and_keep_the_archive(
    as_manager: Client, workspace: Workspace, other_workspace: Workspace
) -> None:
    foreign = make_schedule(other_workspace, emails=["x@example.org"])
    schedule = make_schedule(workspace, emails=["x@example.org"])
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )

    assert as_manager.get(url("edit", schedule_id=foreign.pk)).status_code == 404
    assert as_manager.post(url("delete", schedule_id=foreign.pk)).status_code == 404
    confirm = as_manager.get(url("delete", schedule_id=schedule.pk))
    assert "stays in the archive" in confirm.content.decode()

    assert as_manager.post(url("delete", schedule_id=schedule.pk)).status_code == 302

    assert not ReportSchedule.objects.filter(pk=schedule.pk).exists()
    assert ReportSchedule.objects.filter(pk=foreign.pk).exists()
    run.refresh_from_db()
    assert run.schedule is None


def test_delivery_log_shows_failures_and_retry_sends_only_them(
    as_manager: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    smtp: SmtpCollector,
    render: FakeRender,
    django_capture_on_commit_callbacks: Any,
) -> None:
    schedule = make_schedule(workspace, emails=["ok@example.org", "gone@example.org"])
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )
    services.report_run_render(run=run)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.PARTLY_SENT)
    ReportDelivery.objects.create(run=run, email="ok@example.org", status=DeliveryStatus.SENT)
    ReportDelivery.objects.create(
        run=run,
        email="gone@example.org",
        status=DeliveryStatus.FAILED,
        attempts=1,
        error="gone@example.org: 550 5.1.1 <script>Mailbox unavailable",
    )
    foreign_schedule = make_schedule(other_workspace, emails=["x@example.org"])
    foreign_run, _created = services.report_run_create(
        template=foreign_schedule.template,
        fmt="pdf",
        schedule=foreign_schedule,
        today=dt.date(2026, 11, 2),
    )
    ReportDelivery.objects.create(run=foreign_run, email="secret@globex.example")

    page = as_manager.get(url("deliveries")).content.decode()

    assert "gone@example.org" in page and "ok@example.org" in page
    assert "&lt;script&gt;Mailbox unavailable" in page
    assert "secret@globex.example" not in page
    assert page.count(url("retry", run_id=run.pk)) == 1  # on the failed row only
    assert as_manager.post(url("retry", run_id=foreign_run.pk)).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(url("retry", run_id=run.pk))

    assert response.status_code == 302
    assert smtp.recipients() == ["gone@example.org"]
    run.refresh_from_db()
    assert run.status == RunStatus.SENT


def test_review_page_rerenders_with_the_commentary_then_approves(
    as_manager: Client,
    workspace: Workspace,
    manager: User,
    smtp: SmtpCollector,
    render: FakeRender,
    django_capture_on_commit_callbacks: Any,
) -> None:
    schedule = make_schedule(workspace, emails=["client@example.org"], review_required=True)
    run = awaiting_run(workspace, schedule)

    page = as_manager.get(url("review", run_id=run.pk)).content.decode()
    assert "client@example.org" in page
    assert reverse("reports:download", kwargs={"workspace_slug": "acme", "run_id": run.pk}) in page

    saved = as_manager.post(
        url("review", run_id=run.pk), {"action": "save", "commentary": "Reach doubled <b>!</b>"}
    )
    assert saved.status_code == 302
    run.refresh_from_db()
    assert run.commentary == "Reach doubled <b>!</b>"
    assert run.status == RunStatus.AWAITING_REVIEW
    with run.file.open("rb") as draft:
        assert draft.read().endswith(b"Reach doubled <b>!</b>")
    assert (
        "Reach doubled &lt;b&gt;!&lt;/b&gt;"
        in as_manager.get(url("review", run_id=run.pk)).content.decode()
    )

    # Approving with an unsaved edit is refused: the report goes out as the draft shows.
    as_manager.post(url("review", run_id=run.pk), {"action": "approve", "commentary": "Other"})
    run.refresh_from_db()
    assert run.status == RunStatus.AWAITING_REVIEW
    assert smtp.received == []

    with django_capture_on_commit_callbacks(execute=True):
        as_manager.post(
            url("review", run_id=run.pk),
            {"action": "approve", "commentary": "Reach doubled <b>!</b>"},
        )

    run.refresh_from_db()
    assert run.status == RunStatus.SENT
    assert run.approved_by == manager
    assert smtp.recipients() == ["client@example.org"]


def test_review_of_another_workspaces_run_is_404(
    as_manager: Client, other_workspace: Workspace, render: FakeRender
) -> None:
    foreign = awaiting_run(other_workspace, make_schedule(other_workspace, emails=["x@e.org"]))

    assert as_manager.get(url("review", run_id=foreign.pk)).status_code == 404
    assert (
        as_manager.post(url("review", run_id=foreign.pk), {"action": "approve"}).status_code == 404
    )
    foreign.refresh_from_db()
    assert foreign.status == RunStatus.AWAITING_REVIEW


def test_send_now_opens_the_run_of_the_period_and_keeps_to_the_workspace(
    as_manager: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    smtp: SmtpCollector,
    render: FakeRender,
    django_capture_on_commit_callbacks: Any,
) -> None:
    schedule = make_schedule(workspace, emails=["client@example.org"])
    foreign = make_schedule(other_workspace, emails=["x@example.org"])

    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(url("send_now", schedule_id=schedule.pk))

    run = ReportRun.objects.get(schedule=schedule)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:run", kwargs={"workspace_slug": "acme", "run_id": run.pk}
    )
    assert run.status == RunStatus.SENT
    assert smtp.recipients() == ["client@example.org"]
    assert as_manager.post(url("send_now", schedule_id=foreign.pk)).status_code == 404
    assert not ReportRun.objects.filter(schedule=foreign).exists()


@pytest.mark.parametrize(
    ("key", "frequency"),
    [("monthly", ScheduleFrequency.WEEKLY), ("client", ScheduleFrequency.WEEKLY)],
)
def test_a_report_period_longer_than_the_schedule_is_refused(
    as_manager: Client, workspace: Workspace, key: str, frequency: str
) -> None:
    # "Last month" sent every week would be the same report four times: only the first would go.
    template = ReportTemplate.objects.get(workspace=workspace, key=key)
    response = as_manager.post(
        url("create"),
        {
            "template": template.pk,
            "frequency": frequency,
            "weekday": 0,
            "day_of_month": 1,
            "send_time": "08:00",
            "recipient_emails": "ok@example.org",
            "attach_pdf": "on",
        },
    )
    assert response.status_code == 200
    assert "only the first would go out" in str(response.context["form"].errors["template"])
    assert not ReportSchedule.objects.exists()
