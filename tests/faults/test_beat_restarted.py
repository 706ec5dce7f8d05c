"""Beat killed and started again inside a report schedule's window, and two beats running at
once by mistake: every recipient gets the report once.

Real beat processes (django-celery-beat's database scheduler) tick ``reports.schedules_dispatch``
every second, as an admin could set it in the Django admin, so a few seconds hold dozens of
dispatches; a real worker renders the report and sends it to a local SMTP server.
"""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from connectors.models import Workspace
from dashboards.reports.schedule_tasks import schedules_dispatch
from reporting.report_models import (
    DeliveryStatus,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    RunStatus,
    ScheduleFrequency,
)
from tests.factories import WorkspaceFactory
from tests.processes import (
    REDIS_URL,
    Process,
    broker_for_tests,
    celery_beat,
    celery_worker,
    require_postgres,
    wait_for,
    worker_database_url,
)

pytestmark = pytest.mark.worker

RECIPIENTS = ["ana@example.com", "bruno@example.com"]
DISPATCHED = f"Task {schedules_dispatch.name}["
TICK = "Send scheduled reports (every second, for this test)"


class Inbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def recipients(self, subject_part: str) -> list[str]:
        with self.lock:
            return sorted(
                address
                for rcpt, message in self.received
                if subject_part in str(message["Subject"])
                for address in rcpt
            )


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def due_schedule(workspace: Workspace) -> ReportSchedule:
    """A weekly schedule whose moment was two minutes ago (the workspace is on UTC): due now,
    and for the next three days."""
    due = timezone.now().astimezone(dt.UTC).replace(second=0, microsecond=0)
    due -= dt.timedelta(minutes=2)
    template = ReportTemplate.objects.get(workspace=workspace, key="weekly")
    template.name = f"{workspace.name} weekly"  # the e-mail subject: which schedule sent it
    template.save(update_fields=["name"])
    schedule = ReportSchedule.objects.create(
        workspace=workspace,
        template=template,
        frequency=ScheduleFrequency.WEEKLY,
        weekday=due.weekday(),
        send_time=due.time(),
        recipient_emails=RECIPIENTS,
        skip_when_empty=False,
    )
    ReportSchedule.objects.filter(pk=schedule.pk).update(created_at=due - dt.timedelta(days=1))
    return schedule


def dispatches(workers: list[Process]) -> int:
    # Each dispatch logs "received" and "succeeded".
    return sum(worker.log_text().count(DISPATCHED) for worker in workers) // 2


def sent_by(beat: Process) -> int:
    return beat.log_text().count(f"Sending due task {TICK}")


def more_dispatches(workers: list[Process], *, beats: list[Process], count: int = 2) -> None:
    """Wait for ``count`` more dispatches run by the workers, each beat having sent some."""
    than, sent = dispatches(workers), [sent_by(beat) for beat in beats]
    wait_for(
        f"{count} more dispatches from beat",
        lambda: (
            dispatches(workers) >= than + count
            and all(sent_by(beat) > before for beat, before in zip(beats, sent, strict=True))
        ),
        processes=[*workers, *beats],
        timeout=30,
    )


def sent_once(schedule: ReportSchedule, inbox: Inbox, worker: Process) -> ReportRun:
    run = wait_for(
        f"the report of schedule {schedule.pk} to be sent",
        lambda: ReportRun.objects.filter(schedule=schedule, status=RunStatus.SENT).first(),
        processes=[worker],
        timeout=90,
    )
    assert ReportRun.objects.filter(schedule=schedule).count() == 1
    deliveries = run.deliveries.order_by("email")
    assert [(d.email, d.status, d.attempts) for d in deliveries] == [
        (address, DeliveryStatus.SENT, 1) for address in RECIPIENTS
    ]
    assert inbox.recipients(schedule.workspace.name) == RECIPIENTS
    return run


def test_beat_killed_in_the_window_or_doubled_sends_each_report_once(
    transactional_db: None, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    require_postgres()
    mailbox, port = inbox
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=TICK,
        task=schedules_dispatch.name,
        interval=every_second,
    )
    first = due_schedule(
        WorkspaceFactory.create(slug="beat-killed", name="Beat Killed Co", timezone="UTC")
    )
    env = {
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "RAPPORT_DATA_DIR": str(tmp_path),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    processes: list[Process] = []
    with broker_for_tests():
        try:
            worker = celery_worker(env)
            processes.append(worker)
            beat = celery_beat(env, name="first beat")
            processes.append(beat)
            more_dispatches([worker], beats=[beat])
            beat.kill()  # inside the window: the schedule is due for three more days
            restarted = celery_beat(env, name="restarted beat")
            processes.append(restarted)
            more_dispatches([worker], beats=[restarted])
            sent_once(first, mailbox, worker)
            more_dispatches([worker], beats=[restarted])
            sent_once(first, mailbox, worker)  # still once, after more ticks

            # A second beat started by mistake next to the first, and a second worker, so that
            # the doubled ticks' dispatches also run at the same time: still one report.
            doubled = celery_beat(env, name="second beat")
            other = celery_worker(env, name="second worker")
            processes += [doubled, other]
            second = due_schedule(
                WorkspaceFactory.create(slug="two-beats", name="Two Beats Co", timezone="UTC")
            )
            sent_once(second, mailbox, worker)
            more_dispatches([worker, other], beats=[restarted, doubled], count=4)
            sent_once(second, mailbox, worker)
            sent_once(first, mailbox, worker)
        finally:
            for process in processes:
                process.stop()
