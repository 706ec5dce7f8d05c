"""Scheduled reports: dispatch, render, hold for review, email, retry.

A run moves QUEUED → RENDERING → (SKIPPED | AWAITING_REVIEW | SENDING) → SENT, PARTLY_SENT or
FAILED. Every step starts with a conditional UPDATE of the run's status, so two workers (a
doubled dispatcher, a redelivered message) never render or send the same run twice. The run's
``claimed_at`` holds when the current RENDERING or SENDING step was claimed (the step's lease): a
run still in that step a task time limit later was lost with its worker, and the dispatcher hands
it out again (``report_runs_recover``).

Deliveries are created once, when the run is first sent, one row per address; sending walks the
pending and failed ones only, each claimed by its own conditional UPDATE, so a run resumed after
a crash or retried by a manager emails nobody twice who already got it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.background import task_send
from connectors.models import User
from dashboards.reports import services
from dashboards.reports.build import period_label, workspace_today
from dashboards.reports.review import review_request_notify
from dashboards.reports.schedules import CATCH_UP_GRACE, schedule_occurrence
from dashboards.reports.sharing import share_link_create, share_link_revoke
from reporting.report_models import (
    DeliveryStatus,
    ReportDelivery,
    ReportFormat,
    ReportRun,
    ReportSchedule,
    RunStatus,
    ShareKind,
    ShareLink,
)

logger = logging.getLogger(__name__)

# Time for a task to be killed by its hard limit, and its step to be seen as abandoned after.
LEASE_MARGIN = dt.timedelta(minutes=2)
ERROR_MAX = 500


EMAILED_LINK_LIFETIME = dt.timedelta(days=90)


def lease_duration() -> dt.timedelta:
    # reports.run_render has its own hard limit, which may be the longer one.
    longest = max(settings.CELERY_TASK_TIME_LIMIT, settings.REPORT_RENDER_HARD_TIME_LIMIT)
    return dt.timedelta(seconds=longest) + LEASE_MARGIN


@dataclass(frozen=True)
class DispatchResult:
    queued: int  # new runs, one per schedule and period
    recovered: int  # runs handed out again after their worker was lost


# A message that cannot be sent (the broker is down) leaves its run queued or sending in the
# database: ``report_runs_recover`` sends it again once the run's lease has run out.
def _enqueue_process(run_id: int) -> None:
    # Imported here: the task module imports these services.
    from dashboards.reports.schedule_tasks import schedule_run

    transaction.on_commit(partial(task_send, schedule_run, run_id))


def _enqueue_send(run_id: int) -> None:
    from dashboards.reports.schedule_tasks import schedule_send

    transaction.on_commit(partial(task_send, schedule_send, run_id))


def report_schedules_dispatch(*, now: dt.datetime | None = None) -> DispatchResult:
    """Create and queue the run of every active schedule that is due, then recover lost runs.

    Idempotency key: (schedule, report period), unique on the run, so running this twice, or
    twice at once, or again after a restart, queues each period once."""
    now = now or timezone.now()
    queued = 0
    # A schedule only ever sends its own workspace's template (the admin could pair others).
    schedules = ReportSchedule.objects.filter(
        is_active=True, template__workspace=F("workspace")
    ).select_related("workspace", "template")
    for schedule in schedules.order_by("pk"):
        occurrence = schedule_occurrence(schedule, now=now)
        if occurrence is None or schedule.runs.filter(created_at__gte=occurrence.due_at).exists():
            continue  # not due, or already made for this moment (the cheap check first)
        try:
            with transaction.atomic():
                run, created = services.report_run_create(
                    template=schedule.template,
                    fmt=ReportFormat.PDF,
                    schedule=schedule,
                    today=occurrence.local_date,
                )
                if created:
                    _enqueue_process(run.pk)
                    queued += 1
        except Exception:  # one broken template must not hold back the other schedules
            logger.exception("Report schedule %s could not be dispatched.", schedule.pk)
    recovered = report_runs_recover(now=now) + report_deliveries_retry(now=now)
    return DispatchResult(queued=queued, recovered=recovered)


# An e-mail refused by a mail server that was down is tried again by the dispatcher this long
# after its last attempt, up to AUTO_ATTEMPTS in all, while the report is still news.
AUTO_RETRY_AFTER = dt.timedelta(minutes=15)
AUTO_ATTEMPTS = 3


def report_deliveries_retry(*, now: dt.datetime) -> int:
    """Send again, without anyone asking, the failed e-mails of recent scheduled runs: a mail
    server down for a few minutes at 08:00 must not cost the recipients their report."""
    runs = ReportRun.objects.filter(
        schedule__isnull=False,
        status__in=[RunStatus.PARTLY_SENT, RunStatus.FAILED],
        created_at__gte=now - CATCH_UP_GRACE,
        deliveries__status=DeliveryStatus.FAILED,
        deliveries__attempts__lt=AUTO_ATTEMPTS,
        deliveries__updated_at__lt=now - AUTO_RETRY_AFTER,
    ).distinct()
    return sum(report_run_retry(run=run) for run in runs)


def report_schedule_send_now(*, schedule: ReportSchedule) -> tuple[ReportRun, bool]:
    """Make the schedule's run for the current period now rather than at its moment.

    Still once per period: when that period's run exists, it is returned with False."""
    with transaction.atomic():
        run, created = services.report_run_create(
            template=schedule.template,
            fmt=ReportFormat.PDF,
            schedule=schedule,
            today=workspace_today(schedule.workspace),
        )
        if created:
            _enqueue_process(run.pk)
    return run, created


def report_runs_recover(*, now: dt.datetime) -> int:
    """Hand out again the scheduled runs whose worker was lost; returns how many."""
    stale = now - lease_duration()
    scheduled = ReportRun.objects.filter(schedule__isnull=False)
    count = 0
    # A message lost before any worker took it (the claim makes a duplicate harmless).
    for run_id in scheduled.filter(status=RunStatus.QUEUED, created_at__lt=stale).values_list(
        "pk", flat=True
    ):
        _enqueue_process(run_id)
        count += 1
    for run_id in scheduled.filter(status=RunStatus.RENDERING, claimed_at__lt=stale).values_list(
        "pk", flat=True
    ):
        if ReportRun.objects.filter(
            pk=run_id, status=RunStatus.RENDERING, claimed_at__lt=stale
        ).update(status=RunStatus.QUEUED, claimed_at=None, progress=0):
            _enqueue_process(run_id)
            count += 1
    for run_id in scheduled.filter(status=RunStatus.SENDING, claimed_at__lt=stale).values_list(
        "pk", flat=True
    ):
        if ReportRun.objects.filter(
            pk=run_id, status=RunStatus.SENDING, claimed_at__lt=stale
        ).update(claimed_at=now):
            _enqueue_send(run_id)
            count += 1
    return count + _on_demand_runs_recover(stale=stale)


def _on_demand_runs_recover(*, stale: dt.datetime) -> int:
    """Render again the runs asked for on the Reports page whose message or worker was lost (a
    broker down when it was queued, a worker killed by the memory limit): their page would
    otherwise wait for ever."""
    from dashboards.reports.tasks import run_render

    on_demand = ReportRun.objects.filter(schedule__isnull=True)
    lost = on_demand.filter(status=RunStatus.QUEUED, created_at__lt=stale).values_list(
        "pk", flat=True
    )
    count = 0
    for run_id in list(lost):
        transaction.on_commit(partial(task_send, run_render, run_id))
        count += 1
    stuck = on_demand.filter(status=RunStatus.RENDERING).filter(
        Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True, created_at__lt=stale)
    )
    for run_id in list(stuck.values_list("pk", flat=True)):
        if stuck.filter(pk=run_id).update(status=RunStatus.QUEUED, claimed_at=None, progress=0):
            transaction.on_commit(partial(task_send, run_render, run_id))
            count += 1
    return count


def report_schedule_run(*, run_id: int) -> ReportRun | None:
    """Render a queued scheduled run, then skip it, hold it for review or send it.

    Returns None when the run was not queued (another worker has it, or it is done)."""
    now = timezone.now()
    if not ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RENDERING, claimed_at=now
    ):
        return None
    run = ReportRun.objects.select_related("schedule__workspace", "workspace").get(pk=run_id)
    schedule = run.schedule
    run = services.report_run_render(run=run, with_data=bool(schedule and schedule.attach_xlsx))
    if run.status == RunStatus.FAILED or schedule is None:
        return run
    if not run.has_data and schedule.skip_when_empty:
        ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.SKIPPED)
    elif schedule.review_required:
        ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.AWAITING_REVIEW)
        review_request_notify(run=run)
    else:
        with transaction.atomic():
            claimed = _claim_send(run.pk, from_statuses=(RunStatus.READY,), now=timezone.now())
            if claimed:
                _deliveries_create(run=run)
        if claimed:
            return report_run_send(run_id=run.pk)
    run.refresh_from_db()
    return run


def _claim_send(run_id: int, *, from_statuses: tuple[str, ...], now: dt.datetime) -> bool:
    return bool(
        ReportRun.objects.filter(pk=run_id, status__in=from_statuses).update(
            status=RunStatus.SENDING, claimed_at=now
        )
    )


def schedule_recipients(*, schedule: ReportSchedule) -> list[str]:
    """The addresses a schedule sends to: its members who are still active members of its
    workspace (a person removed from it gets nothing more), then its other addresses."""
    members = (
        User.objects.filter(
            pk__in=schedule.recipient_users.values("pk"),
            is_active=True,
            memberships__workspace_id=schedule.workspace_id,
        )
        .exclude(email="")
        .order_by("pk")
    )
    seen: set[str] = set()
    addresses = []
    for email in [*members.values_list("email", flat=True), *schedule.recipient_emails]:
        address = str(email).strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            addresses.append(address)
    return addresses


def _deliveries_create(*, run: ReportRun) -> None:
    if run.schedule is None:
        return
    rows = [
        ReportDelivery(run=run, email=email) for email in schedule_recipients(schedule=run.schedule)
    ]
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)


def _claim_delivery(delivery: ReportDelivery, *, now: dt.datetime) -> bool:
    # A pending delivery with attempts is being sent by another worker, unless that worker
    # has been gone for longer than a task may live.
    claimable = (
        Q(status=DeliveryStatus.FAILED)
        | Q(status=DeliveryStatus.PENDING, attempts=0)
        | Q(status=DeliveryStatus.PENDING, updated_at__lt=now - lease_duration())
    )
    return bool(
        ReportDelivery.objects.filter(claimable, pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, attempts=F("attempts") + 1, error="", updated_at=now
        )
    )


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _report_link(run: ReportRun, email: str) -> tuple[ShareLink, str]:
    """A share link to the run as archived, one per recipient so it can be revoked alone."""
    link, token = share_link_create(
        workspace=run.workspace,
        kind=ShareKind.RUN,
        run=run,
        label=_("Emailed to %(email)s") % {"email": email},
        # An e-mail can be forwarded: its link stops working after a while (revocable sooner).
        expires_at=timezone.now() + EMAILED_LINK_LIFETIME,
    )
    return link, absolute_url(reverse("share:open", args=[token]))


def report_email(*, run: ReportRun, email: str, link: str) -> EmailMultiAlternatives:
    """The email of ``run`` to ``email``, in the report's language, to that address alone."""
    schedule = run.schedule
    with translation.override(run.language):
        context = {
            "run": run,
            "period": period_label(run.period_start, run.period_end),
            "workspace": run.workspace,
            "link": link,
            # A schedule deleted after approval: send what was prepared, the PDF and its data.
            "attach_pdf": bool(run.file and (schedule is None or schedule.attach_pdf)),
            "attach_xlsx": bool(run.data_file and (schedule is None or schedule.attach_xlsx)),
        }
        subject = render_to_string("reports/email/report_subject.txt", context)
        text = render_to_string("reports/email/report.txt", context)
        html = render_to_string("reports/email/report.html", context)
    # A header cannot hold a line break, and a long title must not produce one.
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=[email])
    message.attach_alternative(html, "text/html")
    if context["attach_pdf"]:
        with run.file.open("rb") as pdf:
            message.attach(services.run_filename(run), pdf.read(), "application/pdf")
    if context["attach_xlsx"]:
        with run.data_file.open("rb") as xlsx:
            message.attach(
                services.run_filename(run, data=True),
                xlsx.read(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
    return message


def _reply_text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def smtp_error_text(exc: Exception) -> str:
    """What the mail server said, for the delivery log; never the settings or credentials."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        error = "; ".join(
            f"{address}: {code} {_reply_text(reply)}"
            for address, (code, reply) in exc.recipients.items()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        error = f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
    elif isinstance(exc, OSError | smtplib.SMTPException):
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = _("Could not send: %(error)s") % {"error": type(exc).__name__}
    return error[:ERROR_MAX]


def report_run_send(*, run_id: int) -> ReportRun:
    """Email the pending and failed deliveries of a run in SENDING, then settle its status."""
    run = ReportRun.objects.select_related("schedule", "workspace").get(pk=run_id)
    if run.status != RunStatus.SENDING:
        return run
    allowed = (
        {email.lower() for email in schedule_recipients(schedule=run.schedule)}
        if run.schedule is not None
        else None
    )
    connection = get_connection()
    due = run.deliveries.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
    for delivery in due.order_by("pk"):
        now = timezone.now()
        if allowed is not None and delivery.email.lower() not in allowed:
            delivery.status, delivery.error = (
                DeliveryStatus.FAILED,
                _("No longer a recipient of this schedule; not sent."),
            )
            delivery.save(update_fields=["status", "error", "updated_at"])
            continue
        if not _claim_delivery(delivery, now=now):
            continue
        shared: ShareLink | None = None
        url = ""
        try:
            if run.schedule is not None and run.schedule.include_link:
                shared, url = _report_link(run, delivery.email)
            connection.send_messages([report_email(run=run, email=delivery.email, link=url)])
        except Exception as exc:  # one refused address must not stop the other deliveries
            logger.warning("Report delivery %s failed: %s", delivery.pk, type(exc).__name__)
            connection.close()  # a broken session is reopened for the next recipient
            if shared is not None:
                share_link_revoke(link=shared)  # nobody received it; a retry makes a new one
            ReportDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.FAILED, error=smtp_error_text(exc), updated_at=timezone.now()
            )
        else:
            ReportDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), updated_at=timezone.now()
            )
    connection.close()
    return _settle(run)


def _settle(run: ReportRun) -> ReportRun:
    statuses = list(run.deliveries.values_list("status", flat=True))
    if statuses and all(status == DeliveryStatus.SENT for status in statuses):
        status, error = RunStatus.SENT, ""
    elif DeliveryStatus.SENT in statuses:
        status, error = RunStatus.PARTLY_SENT, ""
    elif DeliveryStatus.PENDING in statuses:
        # Another worker is still sending some of them; it settles the run when done.
        run.refresh_from_db()
        return run
    else:
        status = RunStatus.FAILED
        error = _("No email could be sent.") if statuses else _("The schedule has no recipient.")
    ReportRun.objects.filter(pk=run.pk, status=RunStatus.SENDING).update(
        status=status,
        error=error,
        sent_at=timezone.now() if status != RunStatus.FAILED else None,
    )
    run.refresh_from_db()
    return run


def report_run_approve(*, run: ReportRun, user: User) -> bool:
    """Approve a run awaiting review and queue its sending; False when it no longer awaits."""
    with transaction.atomic():
        if not ReportRun.objects.filter(pk=run.pk, status=RunStatus.AWAITING_REVIEW).update(
            status=RunStatus.SENDING, claimed_at=timezone.now(), approved_by=user
        ):
            return False
        _deliveries_create(run=run)
        _enqueue_send(run.pk)
    return True


def report_run_retry(*, run: ReportRun) -> bool:
    """Send the failed deliveries of a run again (only those); False when there are none."""
    with transaction.atomic():
        if not run.deliveries.filter(status=DeliveryStatus.FAILED).exists():
            return False
        if not _claim_send(
            run.pk, from_statuses=(RunStatus.PARTLY_SENT, RunStatus.FAILED), now=timezone.now()
        ):
            return False
        _enqueue_send(run.pk)
    return True
