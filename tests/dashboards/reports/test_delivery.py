"""Scheduled reports by email, against a local SMTP server: who gets what, once per period,
across restarts, outages, refusals, reviews and retries."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.files.base import ContentFile
from django.utils import timezone

from config.celery import app as celery_app
from connectors.models import Role, User, Workspace
from dashboards.reports import services
from dashboards.reports.delivery import (
    report_run_approve,
    report_run_retry,
    report_schedule_run,
    report_schedule_send_now,
    report_schedules_dispatch,
)
from dashboards.reports.sharing import share_link_resolve
from reporting.report_models import (
    DeliveryStatus,
    ReportDelivery,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    RunStatus,
    ScheduleFrequency,
)
from tests.processes import free_port

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Monday 2 November 2026, 08:00 in Paris (UTC+1).
DUE = dt.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a tiny stand-in for the rendered report\n%%EOF\n"
XLSX = b"PK\x03\x04 a tiny stand-in for the workbook"


@dataclass
class SmtpCollector:
    """An aiosmtpd handler that keeps every message and refuses chosen addresses."""

    refuse: set[str] = field(default_factory=set)
    received: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for _rcpt, content in self.received:
            message = email.message_from_bytes(content, policy=default_policy)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def recipients(self) -> list[str]:
        return sorted(address for rcpt, _content in self.received for address in rcpt)


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpCollector]:
    handler = SmtpCollector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://rapport.example.com"
    yield handler
    controller.stop()


@dataclass
class FakeRender:
    has_data: bool = True
    fail: bool = False
    calls: list[int] = field(default_factory=list)


@pytest.fixture
def render(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> FakeRender:
    """A render that stores a tiny PDF at once (the real one needs Chromium and seconds)."""
    settings.MEDIA_ROOT = tmp_path
    # Task modules found by autodiscovery bind ``report_run_render`` when first imported: load
    # them now, so that none binds this fake and keeps it after the test.
    celery_app.loader.import_default_modules()
    state = FakeRender()

    def fake(*, run: ReportRun, with_data: bool = False) -> ReportRun:
        state.calls.append(run.pk)
        if state.fail:
            run.status, run.error = RunStatus.FAILED, "The builder broke."
            ReportRun.objects.filter(pk=run.pk).update(status=run.status, error=run.error)
            return run
        run.file.save("report.pdf", ContentFile(PDF + run.commentary.encode()), save=False)
        if with_data:
            run.data_file.save("report.xlsx", ContentFile(XLSX), save=False)
        run.has_data = state.has_data
        run.status = RunStatus.READY
        run.rendered_at = timezone.now()
        run.save()
        return run

    monkeypatch.setattr(services, "report_run_render", fake)
    return state


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """Run ``action`` and then the tasks it queued (eager Celery), as after a commit."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.fixture
def manager(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.MANAGER, username="manon")


@pytest.fixture
def alice(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.VIEWER, username="alice")


def make_schedule(
    workspace: Workspace,
    *,
    recipients: list[User] = (),  # type: ignore[assignment]
    emails: list[str] = (),  # type: ignore[assignment]
    created_at: dt.datetime = DUE - dt.timedelta(days=30),
    key: str = "weekly",
    **options: Any,
) -> ReportSchedule:
    values: dict[str, Any] = {
        "frequency": ScheduleFrequency.WEEKLY,
        "weekday": 0,
        "send_time": dt.time(8, 0),
        "skip_when_empty": True,
        **options,
    }
    schedule = ReportSchedule.objects.create(
        workspace=workspace,
        template=ReportTemplate.objects.get(workspace=workspace, key=key),
        recipient_emails=list(emails),
        **values,
    )
    schedule.recipient_users.set(recipients)
    ReportSchedule.objects.filter(pk=schedule.pk).update(created_at=created_at)
    schedule.refresh_from_db()
    return schedule


def dispatch_at(when: dt.datetime, on_commit: Callable[..., Any]) -> Any:
    with time_machine.travel(when, tick=False):
        return on_commit(report_schedules_dispatch)


def pdf_attachments(message: EmailMessage) -> list[bytes]:
    return [
        part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


def test_due_schedule_emails_each_recipient_alone_with_the_pdf(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, recipients=[alice], emails=["client@example.org"])

    result = dispatch_at(DUE + dt.timedelta(minutes=3), on_commit)

    assert result.queued == 1
    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.SENT
    assert (run.period_start, run.period_end) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))
    assert smtp.recipients() == ["alice@example.com", "client@example.org"]
    for (rcpt, _content), message in zip(smtp.received, smtp.messages(), strict=True):
        assert message["To"] == rcpt[0]  # nobody sees the other recipients
        assert "Weekly team report" in message["Subject"]
        assert "26 October 2026" in message["Subject"]
        assert pdf_attachments(message)[0].startswith(b"%PDF")
        assert message.get_body(("html",)) is not None
    deliveries = {d.email: d for d in run.deliveries.all()}
    assert set(deliveries) == {"alice@example.com", "client@example.org"}
    assert all(d.status == DeliveryStatus.SENT and d.attempts == 1 for d in deliveries.values())


def test_dispatcher_run_twice_sends_once(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    make_schedule(workspace, recipients=[alice])

    dispatch_at(DUE, on_commit)
    second = dispatch_at(DUE + dt.timedelta(minutes=5), on_commit)

    assert second.queued == 0
    assert ReportRun.objects.count() == 1
    assert smtp.recipients() == ["alice@example.com"]


def test_doubled_message_renders_and_sends_once(
    workspace: Workspace, alice: User, smtp: SmtpCollector, render: FakeRender
) -> None:
    schedule = make_schedule(workspace, recipients=[alice])
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )

    first = report_schedule_run(run_id=run.pk)
    second = report_schedule_run(run_id=run.pk)

    assert first is not None and first.status == RunStatus.SENT
    assert second is None
    assert render.calls == [run.pk]
    assert smtp.recipients() == ["alice@example.com"]


def test_user_outside_the_workspace_is_never_sent(
    workspace: Workspace,
    other_workspace: Workspace,
    alice: User,
    member_factory: Callable[..., User],
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    outsider = member_factory(other_workspace, Role.ADMIN, username="olga")
    make_schedule(workspace, recipients=[alice, outsider])

    dispatch_at(DUE, on_commit)

    assert smtp.recipients() == ["alice@example.com"]
    assert list(ReportDelivery.objects.values_list("email", flat=True)) == ["alice@example.com"]


def test_refused_address_fails_alone_and_retry_sends_only_it(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, recipients=[alice], emails=["gone@example.org"])
    smtp.refuse.add("gone@example.org")

    dispatch_at(DUE, on_commit)

    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.PARTLY_SENT
    failed = run.deliveries.get(email="gone@example.org")
    assert failed.status == DeliveryStatus.FAILED
    assert "550" in failed.error and "Mailbox unavailable" in failed.error
    assert failed.attempts == 1
    assert smtp.recipients() == ["alice@example.com"]

    smtp.refuse.clear()
    assert on_commit(lambda: report_run_retry(run=run)) is True

    run.refresh_from_db()
    assert run.status == RunStatus.SENT
    assert smtp.recipients() == ["alice@example.com", "gone@example.org"]
    retried = run.deliveries.get(email="gone@example.org")
    assert (retried.status, retried.attempts, retried.error) == (DeliveryStatus.SENT, 2, "")
    assert run.deliveries.get(email="alice@example.com").attempts == 1


def test_every_address_refused_fails_the_run(
    workspace: Workspace,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, emails=["gone@example.org"])
    smtp.refuse.add("gone@example.org")

    dispatch_at(DUE, on_commit)

    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.FAILED
    assert run.error == "No email could be sent."
    assert run.sent_at is None


def test_mail_server_down_fails_each_delivery_with_the_reason_and_no_secret(
    workspace: Workspace,
    alice: User,
    settings: Any,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "rapport", "hunter2"
    schedule = make_schedule(workspace, recipients=[alice], emails=["client@example.org"])

    dispatch_at(DUE, on_commit)

    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.FAILED
    for delivery in run.deliveries.all():
        assert delivery.status == DeliveryStatus.FAILED
        assert "ConnectionRefusedError" in delivery.error
        assert "hunter2" not in delivery.error


def test_run_stuck_in_sending_resumes_with_pending_deliveries_only(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    # A worker sent Alice's email, then was killed before the client's.
    schedule = make_schedule(workspace, recipients=[alice], emails=["client@example.org"])
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )
    services.report_run_render(run=run)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.SENDING, claimed_at=DUE)
    ReportDelivery.objects.create(
        run=run, email="alice@example.com", status=DeliveryStatus.SENT, attempts=1, sent_at=DUE
    )
    ReportDelivery.objects.create(run=run, email="client@example.org")

    # Still within the task time limit: the worker may be alive; nothing happens.
    assert dispatch_at(DUE + dt.timedelta(minutes=10), on_commit).recovered == 0
    assert smtp.received == []

    result = dispatch_at(DUE + dt.timedelta(minutes=20), on_commit)

    assert result.recovered == 1
    assert smtp.recipients() == ["client@example.org"]
    run.refresh_from_db()
    assert run.status == RunStatus.SENT
    assert dispatch_at(DUE + dt.timedelta(minutes=45), on_commit).recovered == 0
    assert smtp.recipients() == ["client@example.org"]


def test_run_stuck_in_rendering_is_rendered_and_sent_again(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, recipients=[alice])
    run, _created = services.report_run_create(
        template=schedule.template, fmt="pdf", schedule=schedule, today=dt.date(2026, 11, 2)
    )
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RENDERING, claimed_at=DUE)

    result = dispatch_at(DUE + dt.timedelta(minutes=20), on_commit)

    assert result.recovered == 1
    assert render.calls == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.SENT
    assert smtp.recipients() == ["alice@example.com"]


def test_missed_send_after_a_two_hour_outage_is_still_sent_once(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    make_schedule(workspace, recipients=[alice])

    dispatch_at(DUE + dt.timedelta(hours=2), on_commit)
    dispatch_at(DUE + dt.timedelta(days=1), on_commit)

    assert smtp.recipients() == ["alice@example.com"]


def test_outage_longer_than_the_period_sends_each_period_once(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    make_schedule(workspace, recipients=[alice])

    dispatch_at(DUE, on_commit)
    # Down for ten days: the 9 November moment is caught up on the 12th, once.
    dispatch_at(DUE + dt.timedelta(days=10), on_commit)
    dispatch_at(DUE + dt.timedelta(days=10, minutes=5), on_commit)

    periods = list(
        ReportRun.objects.order_by("period_start").values_list("period_start", flat=True)
    )
    assert periods == [dt.date(2026, 10, 26), dt.date(2026, 11, 2)]
    assert smtp.recipients() == ["alice@example.com", "alice@example.com"]


def test_fall_back_hour_twice_sends_once(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    # 02:30 on Sunday 25 October 2026 happens twice in Paris: 00:30 and 01:30 UTC.
    make_schedule(workspace, recipients=[alice], weekday=6, send_time=dt.time(2, 30))

    dispatch_at(dt.datetime(2026, 10, 25, 0, 31, tzinfo=UTC), on_commit)
    dispatch_at(dt.datetime(2026, 10, 25, 1, 31, tzinfo=UTC), on_commit)

    assert ReportRun.objects.count() == 1
    assert smtp.recipients() == ["alice@example.com"]


def test_period_without_data_is_skipped(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    render.has_data = False
    make_schedule(workspace, recipients=[alice])

    dispatch_at(DUE, on_commit)

    run = ReportRun.objects.get()
    assert run.status == RunStatus.SKIPPED
    assert smtp.received == []
    assert not run.deliveries.exists()


def test_failed_render_sends_nothing(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    render.fail = True
    make_schedule(workspace, recipients=[alice])

    dispatch_at(DUE, on_commit)

    assert ReportRun.objects.get().status == RunStatus.FAILED
    assert smtp.received == []


def test_review_holds_the_draft_asks_the_reviewer_then_sends_on_approval(
    workspace: Workspace,
    alice: User,
    manager: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, recipients=[alice], review_required=True, reviewer=manager)

    dispatch_at(DUE, on_commit)

    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.AWAITING_REVIEW
    assert smtp.recipients() == ["manon@example.com"]
    (request,) = smtp.messages()
    assert "review" in request["Subject"].lower()
    body = request.get_body(("plain",))
    assert body is not None
    assert f"https://rapport.example.com/w/acme/reports/review/{run.pk}/" in body.get_content()
    assert not pdf_attachments(request)

    assert on_commit(lambda: report_run_approve(run=run, user=manager)) is True

    run.refresh_from_db()
    assert run.status == RunStatus.SENT
    assert run.approved_by == manager
    assert smtp.recipients() == ["alice@example.com", "manon@example.com"]
    assert on_commit(lambda: report_run_approve(run=run, user=manager)) is False


def test_review_without_reviewer_asks_the_workspace_managers_and_admins(
    workspace: Workspace,
    alice: User,
    manager: User,
    admin_member: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    make_schedule(workspace, recipients=[alice], review_required=True)

    dispatch_at(DUE, on_commit)

    assert smtp.recipients() == ["admin-acme@example.com", "manon@example.com"]


def test_link_is_a_share_link_to_the_run_and_attachments_follow_the_options(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(
        workspace, recipients=[alice], attach_pdf=False, attach_xlsx=True, include_link=True
    )

    dispatch_at(DUE, on_commit)

    (message,) = smtp.messages()
    assert not pdf_attachments(message)
    (workbook,) = list(message.iter_attachments())
    assert str(workbook.get_filename()).endswith(".xlsx")
    assert workbook.get_content() == XLSX
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    prefix = "https://rapport.example.com/s/"
    token = text[text.index(prefix) + len(prefix) :].split("/", 1)[0]
    link = share_link_resolve(token=token)
    assert link is not None
    assert link.run == ReportRun.objects.get(schedule=schedule)


def test_french_report_is_emailed_in_french(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    workspace.language = "fr"
    workspace.save()
    make_schedule(workspace, recipients=[alice])

    dispatch_at(DUE, on_commit)

    (message,) = smtp.messages()
    assert "26 octobre 2026" in message["Subject"]
    assert ReportRun.objects.get().language == "fr"


def test_member_removed_after_a_failure_is_not_retried(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, recipients=[alice], emails=["client@example.org"])
    smtp.refuse.add("alice@example.com")
    dispatch_at(DUE, on_commit)
    alice.memberships.all().delete()
    smtp.refuse.clear()

    run = ReportRun.objects.get(schedule=schedule)
    on_commit(lambda: report_run_retry(run=run))

    assert smtp.recipients() == ["client@example.org"]
    delivery = run.deliveries.get(email="alice@example.com")
    assert delivery.status == DeliveryStatus.FAILED
    assert "No longer a recipient" in delivery.error


def test_send_now_makes_the_current_period_once_and_the_moment_adds_nothing(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    wednesday = DUE + dt.timedelta(days=2)
    schedule = make_schedule(workspace, recipients=[alice], created_at=wednesday)

    with time_machine.travel(wednesday, tick=False):
        run, created = on_commit(lambda: report_schedule_send_now(schedule=schedule))
        again, created_again = on_commit(lambda: report_schedule_send_now(schedule=schedule))

    assert created and not created_again and again == run
    assert (run.period_start, run.period_end) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))
    assert dispatch_at(wednesday + dt.timedelta(minutes=5), on_commit).queued == 0
    assert dispatch_at(DUE + dt.timedelta(days=7), on_commit).queued == 1  # the next week
    assert smtp.recipients() == ["alice@example.com", "alice@example.com"]


def test_real_render_is_emailed_exactly_as_archived(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    settings: Any,
    tmp_path: Any,
    on_commit: Callable[..., Any],
) -> None:
    # End to end, with the real builder and PDF renderer (Chromium draws the charts).
    settings.MEDIA_ROOT = tmp_path
    schedule = make_schedule(workspace, recipients=[alice], skip_when_empty=False)

    dispatch_at(DUE, on_commit)

    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.SENT, run.error
    (message,) = smtp.messages()
    (pdf,) = pdf_attachments(message)
    assert pdf.startswith(b"%PDF")
    with run.file.open("rb") as archived:
        assert archived.read() == pdf


def test_the_dispatcher_retries_a_refused_address_after_a_while_up_to_three_times(
    workspace: Workspace,
    alice: User,
    smtp: SmtpCollector,
    render: FakeRender,
    on_commit: Callable[..., Any],
) -> None:
    schedule = make_schedule(workspace, recipients=[alice], emails=["gone@example.org"])
    smtp.refuse.add("gone@example.org")
    dispatch_at(DUE, on_commit)
    run = ReportRun.objects.get(schedule=schedule)
    failed = run.deliveries.get(email="gone@example.org")

    def attempts_after(minutes: int) -> int:
        ReportDelivery.objects.filter(pk=failed.pk).update(
            updated_at=DUE + dt.timedelta(minutes=minutes - 16)
        )
        dispatch_at(DUE + dt.timedelta(minutes=minutes), on_commit)
        return run.deliveries.get(email="gone@example.org").attempts

    # Too soon after the failure: nothing. Then once per run of the dispatcher, three in all.
    dispatch_at(DUE + dt.timedelta(minutes=5), on_commit)
    assert run.deliveries.get(email="gone@example.org").attempts == 1
    assert attempts_after(20) == 2
    assert attempts_after(40) == 3
    assert attempts_after(60) == 3  # given up: a manager can still retry from the log
    assert smtp.recipients() == ["alice@example.com"]  # alice got it once, never again

    smtp.refuse.clear()
    ReportDelivery.objects.filter(pk=failed.pk).update(attempts=1)
    assert attempts_after(80) == 2
    run.refresh_from_db()
    assert run.status == RunStatus.SENT
    assert smtp.recipients() == ["alice@example.com", "gone@example.org"]
