"""Review before sending: who reviews a schedule's drafts, the e-mail that asks them, and a
draft rendered again with the reviewer's commentary. The sending itself is in ``delivery``."""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from connectors.models import Role, User
from dashboards.reports import services
from dashboards.reports.build import period_label
from reporting.report_models import ReportRun, ReportSchedule, RunStatus

logger = logging.getLogger(__name__)

REVIEWER_ROLES = (Role.ADMIN, Role.MANAGER)


def _absolute(path: str) -> str:
    # Imported here: delivery imports this module for review_request_notify.
    from dashboards.reports.delivery import absolute_url

    return absolute_url(path)


def report_review_rerender(*, run: ReportRun, commentary: str) -> ReportRun | None:
    """Save the reviewer's commentary and render the draft again; it then awaits review.

    Returns None when the run can no longer be reviewed (approved meanwhile)."""
    # A failed draft (nothing sent yet) may be rendered again too: the reviewer's way out.
    reviewable = ReportRun.objects.filter(
        Q(status=RunStatus.AWAITING_REVIEW) | Q(status=RunStatus.FAILED, deliveries__isnull=True),
        pk=run.pk,
        schedule__isnull=False,
    )
    if not ReportRun.objects.filter(
        pk__in=reviewable.values("pk"), status__in=[RunStatus.AWAITING_REVIEW, RunStatus.FAILED]
    ).update(status=RunStatus.RENDERING, claimed_at=timezone.now(), commentary=commentary):
        return None
    run.refresh_from_db()
    schedule = run.schedule
    run = services.report_run_render(run=run, with_data=bool(schedule and schedule.attach_xlsx))
    if run.status != RunStatus.FAILED:
        ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.AWAITING_REVIEW)
    run.refresh_from_db()
    return run


def schedule_reviewers(*, schedule: ReportSchedule) -> list[User]:
    """Who approves a schedule's drafts: its reviewer, else its author, else every manager and
    admin; only current managers and admins of the workspace with an email address."""
    able = (
        User.objects.filter(
            is_active=True,
            memberships__workspace_id=schedule.workspace_id,
            memberships__role__in=REVIEWER_ROLES,
        )
        .exclude(email="")
        .order_by("pk")
    )
    for chosen in (schedule.reviewer_id, schedule.created_by_id):
        if chosen is not None:
            person = able.filter(pk=chosen).first()
            if person is not None:
                return [person]
    return list(able.distinct())


def review_url(run: ReportRun) -> str:
    try:
        path = reverse(
            "report_schedules:review",
            kwargs={"workspace_slug": run.workspace.slug, "run_id": run.pk},
        )
    except NoReverseMatch:
        path = "/"
    return _absolute(path)


def review_request_notify(*, run: ReportRun) -> int:
    """Email the reviewers a link to the draft; returns how many were sent. A mail server
    failure is logged, not raised: the run awaits review on its page either way."""
    if run.schedule is None:
        return 0
    sent = 0
    for user in schedule_reviewers(schedule=run.schedule):
        with translation.override(user.language or run.workspace.language):
            context = {
                "run": run,
                "user": user,
                "period": period_label(run.period_start, run.period_end),
                "url": review_url(run),
            }
            subject = render_to_string("reports/email/review_subject.txt", context)
            body = render_to_string("reports/email/review.txt", context)
        try:
            EmailMultiAlternatives(" ".join(subject.split()), body, to=[user.email]).send()
            sent += 1
        except (smtplib.SMTPException, OSError):  # a refused address, a mail server down
            logger.exception("Could not ask user %s to review report run %s.", user.pk, run.pk)
    return sent
