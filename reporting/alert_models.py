"""Alert rules, what they noticed (events) and how each notice went out (deliveries).

An ``AlertEvent`` is one occurrence of a rule's condition: its ``occurrence_key`` (the subject
and the day the condition started) is unique per rule, so evaluating the rule again, every
half hour or twice at once, finds the same row instead of firing again. Each recipient and
each webhook of an event gets its own ``AlertDelivery``, so one failure never blocks the others.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors.models import SocialAccount, Workspace
from connectors.scoping import WorkspaceScopedQuerySet
from reporting.models import KpiDefinition


class AlertKind(models.TextChoices):
    KPI_THRESHOLD = "kpi_threshold", _("KPI above or below a value")
    GOAL_OFF_TRACK = "goal_off_track", _("Goal off track")
    ANOMALY = "anomaly", _("Unusual value (anomaly)")
    DATA_STOPPED = "data_stopped", _("Data stops arriving")
    NEEDS_REAUTH = "needs_reauth", _("Account needs re-authorisation")


class AlertComparison(models.TextChoices):
    ABOVE = "above", _("above")
    BELOW = "below", _("below")


class AlertRule(models.Model):
    """What to watch in one workspace, and whom to tell."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # KPI threshold and anomaly: the KPI, and optionally one account (default: all accounts).
    kpi = models.ForeignKey(
        KpiDefinition,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("KPI"),
    )
    account = models.ForeignKey(
        SocialAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("account"),
    )
    comparison = models.CharField(
        _("when the value is"),
        max_length=8,
        choices=AlertComparison.choices,
        default=AlertComparison.BELOW,
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(_("over the last (days)"), default=7)
    # Anomaly: the canonical metric to watch.
    metric = models.CharField(_("metric"), max_length=32, blank=True)
    # Data stops arriving: days without a new daily row before alerting.
    stale_days = models.PositiveSmallIntegerField(_("days without new data"), default=3)
    email_enabled = models.BooleanField(_("send an email"), default=True)
    # Empty means the workspace's admins at the time of the alert.
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("recipients")
    )
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["workspace", "name"]

    def __str__(self) -> str:
        return self.name


class AlertEvent(models.Model):
    """One occurrence of a rule's condition, from when it started until it cleared."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    # "<subject>@<day the condition started>"; a re-occurrence on the same day gets ".2", ".3"…
    occurrence_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=160)  # what the condition is about, e.g. "account:12"
    facts = models.JSONField(default=dict)  # the numbers the messages are written from
    started_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    workspace_path = "rule__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "occurrence_key"], name="alert_event_occurrence_unique"
            )
        ]
        indexes = [models.Index(fields=["rule", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.occurrence_key}"


class AlertChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertDelivery(models.Model):
    """One message of an event to one recipient or webhook, and how it went."""

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=AlertChannel.choices)
    target = models.CharField(max_length=500)  # an email address or a webhook URL
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    workspace_path = "event__rule__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["event", "channel", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "target"], name="alert_delivery_unique"
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.target}: {self.status}"
