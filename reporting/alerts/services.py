"""Evaluating alert rules and delivering their events.

Evaluation and delivery are separate steps, so that a mail server or webhook that is down
never makes a rule fire twice: an event is claimed once through its unique occurrence key, its
deliveries are written with it, and sending only moves deliveries from pending to sent or
failed. The task runs both every half hour; a failed delivery is tried again on the next runs,
at most ``MAX_ATTEMPTS`` times in all.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connectors.models import Membership, Role, User, Workspace
from reporting.alert_models import (
    AlertChannel,
    AlertDelivery,
    AlertEvent,
    AlertRule,
    DeliveryStatus,
)
from reporting.alerts.conditions import (
    Occurrence,
    alert_kinds_available,
    alert_rule_occurrences,
    workspace_today,
)
from reporting.alerts.messages import AlertMessage, alert_message, alert_test_message, slack_payload
from reporting.alerts.webhooks import WebhookSendError, WebhookUrlError, webhook_post

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A delivery claimed longer ago than this was lost with its worker and may be tried again.
SENDING_LEASE = dt.timedelta(minutes=10)


class AlertDeliveryError(RuntimeError):
    """The delivery cannot be made; the message says why in plain words."""


@dataclass(frozen=True)
class EvaluationResult:
    fired: int
    resolved: int


def alert_recipients(*, rule: AlertRule) -> list[User]:
    """Who gets the rule's emails: the chosen members, or the admins; only current members
    with an email address, so a person removed from the workspace stops receiving them."""
    members = User.objects.filter(
        memberships__workspace_id=rule.workspace_id, is_active=True
    ).exclude(email="")
    chosen = list(rule.recipients.values_list("pk", flat=True))
    if chosen:
        members = members.filter(pk__in=chosen)
    else:
        members = members.filter(memberships__role=Role.ADMIN)
    return list(members.distinct().order_by("pk"))


def _deliveries_create(*, event: AlertEvent) -> None:
    rule = event.rule
    rows = []
    if rule.email_enabled:
        rows += [
            AlertDelivery(event=event, channel=AlertChannel.EMAIL, target=user.email, user=user)
            for user in alert_recipients(rule=rule)
        ]
    if rule.webhook_url:
        rows.append(
            AlertDelivery(event=event, channel=AlertChannel.WEBHOOK, target=rule.webhook_url)
        )
    AlertDelivery.objects.bulk_create(rows, ignore_conflicts=True)


def _claim_key(rule: AlertRule, occurrence: Occurrence, today: dt.date) -> str:
    if occurrence.start is not None:
        return f"{occurrence.subject}@{occurrence.start.isoformat()}"
    base = f"{occurrence.subject}@{today.isoformat()}"
    # The same subject cleared and came back on the same day: a new occurrence, a new key.
    taken = set(
        AlertEvent.objects.filter(rule=rule, occurrence_key__startswith=base).values_list(
            "occurrence_key", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}.{number}" in taken:
        number += 1
    return f"{base}.{number}"


def alert_rule_evaluate(*, rule: AlertRule, today: dt.date | None = None) -> EvaluationResult:
    """Open an event for each new occurrence of the rule's condition, resolve the ones that
    cleared. Idempotent: the rule's row is locked for the evaluation and each occurrence key
    is unique, so running it again, or twice at once, fires nothing twice."""
    day = today or workspace_today(rule)
    occurrences = alert_rule_occurrences(rule=rule, today=day)
    fired = 0
    with transaction.atomic():
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        open_events = {
            event.subject: event
            for event in AlertEvent.objects.filter(rule=rule, resolved_at__isnull=True)
        }
        still_open: set[int] = set()
        for occurrence in occurrences:
            current = open_events.get(occurrence.subject)
            if current is not None and (
                occurrence.start is None
                or current.occurrence_key == f"{occurrence.subject}@{occurrence.start.isoformat()}"
            ):
                still_open.add(current.pk)
                continue
            event, created = AlertEvent.objects.get_or_create(
                rule=rule,
                occurrence_key=_claim_key(rule, occurrence, day),
                defaults={"subject": occurrence.subject, "facts": occurrence.facts},
            )
            if created:
                _deliveries_create(event=event)
                fired += 1
            if event.resolved_at is None:
                still_open.add(event.pk)
        resolved = (
            AlertEvent.objects.filter(rule=rule, resolved_at__isnull=True)
            .exclude(pk__in=still_open)
            .update(resolved_at=timezone.now())
        )
    return EvaluationResult(fired=fired, resolved=resolved)


def _send_email(*, delivery: AlertDelivery, workspace: Workspace) -> None:
    user = delivery.user
    if user is None:
        raise AlertDeliveryError(_("The recipient's user account was deleted."))
    language = user.language or workspace.language
    with translation.override(language):
        message = alert_message(event=delivery.event)
    _email_send(message=message, user=user, language=language)


def _email_send(*, message: AlertMessage, user: User, language: str) -> None:
    with translation.override(language):
        context = {"message": message, "user": user}
        subject = render_to_string("alerts/email/alert_subject.txt", context)
        body = render_to_string("alerts/email/alert.txt", context)
    # A header cannot hold a line break, and a long account name must not produce one.
    EmailMessage(" ".join(subject.split()), body, to=[user.email]).send()


def _send_webhook(*, delivery: AlertDelivery, workspace: Workspace) -> None:
    with translation.override(workspace.language):
        message = alert_message(event=delivery.event)
    webhook_post(url=delivery.target, payload=slack_payload(message))


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - SENDING_LEASE
    )
    claimed = (
        AlertDelivery.objects.filter(due, pk=delivery_id, attempts__lt=MAX_ATTEMPTS).update(
            status=DeliveryStatus.SENDING, claimed_at=now
        )
        == 1
    )
    return claimed


def alert_delivery_send(*, delivery_id: int) -> AlertDelivery:
    """Send one delivery if it is still due; records the outcome and never raises for a
    failure of the mail server or the webhook."""
    if _claim(delivery_id):
        delivery = AlertDelivery.objects.select_related("event__rule__workspace", "user").get(
            pk=delivery_id
        )
        workspace = delivery.event.rule.workspace
        error = ""
        try:
            if delivery.channel == AlertChannel.EMAIL:
                _send_email(delivery=delivery, workspace=workspace)
            else:
                _send_webhook(delivery=delivery, workspace=workspace)
        except (WebhookUrlError, WebhookSendError, AlertDeliveryError) as exc:
            error = str(exc)
        except Exception as exc:  # a mail server error must not stop the other deliveries
            logger.exception("Alert delivery %s failed.", delivery_id)
            error = _("Could not send: %(error)s") % {"error": type(exc).__name__}
        AlertDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
            error=error,
            attempts=delivery.attempts + 1,
            sent_at=None if error else timezone.now(),
            claimed_at=None,
        )
    return AlertDelivery.objects.get(pk=delivery_id)


def alert_deliveries_due() -> list[int]:
    """Deliveries to send now: new ones, and failed ones with attempts left."""
    stale = timezone.now() - SENDING_LEASE
    return list(
        AlertDelivery.objects.filter(
            Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stale),
            attempts__lt=MAX_ATTEMPTS,
            event__rule__is_active=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class AlertsRun:
    rules: int
    fired: int
    resolved: int
    sent: int
    failed: int


def alerts_evaluate(*, workspace: Workspace | None = None) -> AlertsRun:
    """Evaluate every active rule (of one workspace, or all), then send what is due.

    A rule whose evaluation fails is logged and skipped, so one broken rule (a KPI that no
    longer parses) does not silence the others.
    """
    rules = AlertRule.objects.filter(is_active=True, kind__in=alert_kinds_available())
    if workspace is not None:
        rules = rules.filter(workspace=workspace)
    fired = resolved = 0
    count = 0
    for rule in rules.select_related("workspace", "kpi", "account").order_by("pk"):
        count += 1
        try:
            result = alert_rule_evaluate(rule=rule)
        except Exception:
            logger.exception("Alert rule %s could not be evaluated.", rule.pk)
            continue
        fired += result.fired
        resolved += result.resolved
    sent = failed = 0
    for delivery_id in alert_deliveries_due():
        delivery = alert_delivery_send(delivery_id=delivery_id)
        if delivery.status == DeliveryStatus.SENT:
            sent += 1
        elif delivery.status == DeliveryStatus.FAILED:
            failed += 1
    return AlertsRun(rules=count, fired=fired, resolved=resolved, sent=sent, failed=failed)


@dataclass(frozen=True)
class TestOutcome:
    channel: str
    target: str
    error: str  # empty when it was sent


def alert_test_send(*, rule: AlertRule) -> list[TestOutcome]:
    """Send a test message through each of the rule's channels now; records nothing."""
    outcomes = []
    if rule.email_enabled:
        for user in alert_recipients(rule=rule):
            language = user.language or rule.workspace.language
            with translation.override(language):
                message = alert_test_message(rule=rule)
            try:
                _email_send(message=message, user=user, language=language)
                error = ""
            except Exception as exc:
                logger.exception("Test email of alert rule %s failed.", rule.pk)
                error = _("Could not send: %(error)s") % {"error": type(exc).__name__}
            outcomes.append(TestOutcome(AlertChannel.EMAIL, user.email, error))
    if rule.webhook_url:
        with translation.override(rule.workspace.language):
            message = alert_test_message(rule=rule)
        try:
            webhook_post(url=rule.webhook_url, payload=slack_payload(message))
            error = ""
        except (WebhookUrlError, WebhookSendError) as exc:
            error = str(exc)
        outcomes.append(TestOutcome(AlertChannel.WEBHOOK, rule.webhook_url, error))
    return outcomes


def workspace_members(*, workspace: Workspace) -> list[Membership]:
    return list(
        Membership.objects.filter(workspace=workspace, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
