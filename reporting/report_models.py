"""Reports: templates a manager composes, schedules that send them, the archive, share links.

A ``ReportTemplate`` is a list of sections plus a period rule and a scope. Rendering one makes a
``ReportRun``: the archive row that keeps the file exactly as produced, the period and scope it
covered, the KPI versions and data freshness it used, and (for a scheduled run) its recipients
and ``ReportDelivery`` rows. A ``ReportSchedule`` makes at most one run per period: the run's
``(schedule, period_start, period_end)`` is unique, so a restarted or doubled dispatcher cannot
send twice. A ``ShareLink`` opens one run or one live template read-only, without a login.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors.models import LANGUAGE_CHOICES, Workspace
from connectors.scoping import WorkspaceScopedQuerySet


class RollingPeriod(models.TextChoices):
    LAST_WEEK = "last_week", _("Last week")
    LAST_MONTH = "last_month", _("Last month")
    LAST_QUARTER = "last_quarter", _("Last quarter")
    MONTH_TO_DATE = "month_to_date", _("Month to date")
    YEAR_TO_DATE = "year_to_date", _("Year to date")
    FIXED = "fixed", _("Fixed dates")


class ReportCompare(models.TextChoices):
    PREVIOUS = "previous", _("Previous period")
    YEAR = "year", _("Same period last year")
    NONE = "none", _("No comparison")


class ReportTemplate(models.Model):
    """What a report contains and covers; ``sections`` is a list of ``{"type": …, …options}``
    dicts validated by ``dashboards.reports.sections`` (the section types and their options)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="report_templates"
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    sections = models.JSONField(_("sections"), default=list)
    period = models.CharField(
        _("period"), max_length=16, choices=RollingPeriod.choices, default=RollingPeriod.LAST_MONTH
    )
    fixed_start = models.DateField(_("from"), null=True, blank=True)
    fixed_end = models.DateField(_("to"), null=True, blank=True)
    compare = models.CharField(
        _("comparison"),
        max_length=16,
        choices=ReportCompare.choices,
        default=ReportCompare.PREVIOUS,
    )
    account_ids = models.JSONField(_("accounts"), default=list, blank=True)
    platforms = models.JSONField(_("platforms"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=LANGUAGE_CHOICES, blank=True, default=""
    )  # blank: the workspace's report language
    is_builtin = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="report_template_key_unique")
        ]
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")

    def __str__(self) -> str:
        return self.name

    def report_language(self) -> str:
        return self.language or self.workspace.language or "en"


class ScheduleFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class ReportSchedule(models.Model):
    """Sends a template every week, month or quarter at ``send_time`` in the workspace's timezone.

    ``weekday`` (0 = Monday) applies to weekly schedules; ``day_of_month`` (1–28, so every month
    has it) to monthly ones and, counted in the quarter's first month, to quarterly ones."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="report_schedules"
    )
    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="schedules")
    frequency = models.CharField(_("frequency"), max_length=16, choices=ScheduleFrequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    send_time = models.TimeField(_("time"))
    recipient_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("members")
    )
    recipient_emails = models.JSONField(_("other email addresses"), default=list, blank=True)
    review_required = models.BooleanField(_("review before sending"), default=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    skip_when_empty = models.BooleanField(_("skip when there is no data"), default=True)
    attach_pdf = models.BooleanField(_("attach the PDF"), default=True)
    attach_xlsx = models.BooleanField(_("attach the data (XLSX)"), default=False)
    include_link = models.BooleanField(_("include a link"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["template__name", "pk"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")

    def __str__(self) -> str:
        return f"{self.template} ({self.get_frequency_display()})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    READY = "ready", _("Ready")  # rendered on request; nothing to send
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    PARTLY_SENT = "partly_sent", _("Partly sent")
    SKIPPED = "skipped", _("Skipped: no data")
    FAILED = "failed", _("Failed")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    PPTX = "pptx", "PowerPoint (PPTX)"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", _("CSV (zip)")


class ReportRun(models.Model):
    """One rendering of a template, archived as produced.

    ``template_snapshot`` is the template as it was (sections, scope, commentary), so the
    archive shows what was sent even after the template is edited or deleted. ``kpi_versions``
    maps KPI keys to the version numbers used; ``data_freshness`` maps account ids to their last
    successful sync and last day of data."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="report_runs")
    template = models.ForeignKey(
        ReportTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    title = models.CharField(_("title"), max_length=200)
    template_snapshot = models.JSONField(default=dict)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    compare_start = models.DateField(null=True, blank=True)
    compare_end = models.DateField(null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    format = models.CharField(_("format"), max_length=8, choices=ReportFormat.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # 0–100, for the waiting page
    progress_label = models.CharField(max_length=120, blank=True)
    commentary = models.TextField(_("commentary"), blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    data_file = models.FileField(upload_to="reports/%Y/%m/", blank=True)  # XLSX sent beside a PDF
    kpi_versions = models.JSONField(default=dict, blank=True)
    data_freshness = models.JSONField(default=dict, blank=True)
    has_data = models.BooleanField(default=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the current RENDERING or SENDING step was claimed: a run still in that step a task
    # time limit later lost its worker, and the dispatcher hands it out again.
    claimed_at = models.DateTimeField(null=True, blank=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A schedule sends once per period, however often the dispatcher runs.
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"],
                condition=models.Q(schedule__isnull=False),
                name="report_run_once_per_period",
            )
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="report_run_ws_created")]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")

    def __str__(self) -> str:
        return f"{self.title} {self.period_start}–{self.period_end} ({self.format})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportDelivery(models.Model):
    """One recipient of one run: what was sent, when, and what went wrong."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    workspace_path = "run__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["run", "email"], name="report_delivery_unique")
        ]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")

    def __str__(self) -> str:
        return f"{self.email}: {self.status}"


class ShareKind(models.TextChoices):
    RUN = "run", _("A report as sent")
    TEMPLATE = "template", _("A live report")
    DASHBOARD = "dashboard", _("A dashboard view")


class ShareLink(models.Model):
    """A read-only page without login. Only the token's SHA-256 is stored; the token itself is
    shown once, when the link is made. A live template or dashboard link rolls its period
    forward on every visit."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="share_links")
    kind = models.CharField(_("what"), max_length=16, choices=ShareKind.choices)
    run = models.ForeignKey(
        ReportRun, on_delete=models.CASCADE, null=True, blank=True, related_name="share_links"
    )
    template = models.ForeignKey(
        ReportTemplate, on_delete=models.CASCADE, null=True, blank=True, related_name="share_links"
    )
    dashboard_query = models.CharField(max_length=500, blank=True)  # the overview's filters
    label = models.CharField(_("label"), max_length=120, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)  # shown in lists to tell links apart
    password_hash = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.token_prefix}…"
