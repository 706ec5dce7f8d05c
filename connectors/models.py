"""Rapport's data: tenants, their social accounts, posts and daily facts.

These models live in ``connectors`` because everything else reads them: ``reporting`` and
``dashboards`` depend on this app, never the other way round. The workspace is the tenant
boundary; every row below it is reached through one.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors.crypto import credentials_decrypt, credentials_encrypt
from connectors.metrics import METRIC_CHOICES
from connectors.scoping import WorkspaceScopedQuerySet


def validate_timezone(value: str) -> None:
    # A validator rather than choices: the tz database differs between machines, and choices
    # would make migrations depend on the one they were generated on.
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known timezone."), params={"value": value})


LANGUAGE_CHOICES = [("en", "English"), ("fr", "Français")]


class User(AbstractUser):
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")


class Workspace(models.Model):
    """A brand, or one client of an agency: nothing crosses from one workspace to another."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(
        _("reporting timezone"), max_length=64, validators=[validate_timezone], default="UTC"
    )
    language = models.CharField(
        _("report language"), max_length=8, choices=LANGUAGE_CHOICES, default="en"
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    primary_color = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#1f4e79",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour such as #1f4e79."))],
    )
    report_footer = models.CharField(_("report footer"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Bumped by every service that changes what the dashboards compute (facts, posts, tags,
    # KPIs, goals, notes), so cached panels are keyed on it and never outlive the data.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    YOUTUBE = "youtube", "YouTube"
    TIKTOK = "tiktok", "TikTok"
    DEMO = "demo", _("Demo")
    IMPORT = "import", _("Imported file")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")
    PAUSED = "paused", _("Paused")
    ERROR = "error", _("Error")


class SocialAccount(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="accounts")
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    handle = models.CharField(_("handle"), max_length=128, blank=True)
    display_name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(
        _("timezone"), max_length=64, validators=[validate_timezone], default="UTC"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    # Fernet token of a JSON object; use the ``credentials`` property, never this column.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    last_synced_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"], name="account_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_platform_display()})"

    @property
    def credentials(self) -> dict[str, Any]:
        return credentials_decrypt(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = credentials_encrypt(value)


class PostFormat(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    REEL = "reel", _("Reel")
    CAROUSEL = "carousel", _("Carousel")
    STORY = "story", _("Story")
    TEXT = "text", _("Text")
    LINK = "link", _("Link")
    SHORT = "short", _("Short")
    LIVE = "live", _("Live")
    ARTICLE = "article", _("Article")
    OTHER = "other", _("Other")


class Post(models.Model):
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="posts")
    external_id = models.CharField(_("external id"), max_length=128)
    published_at = models.DateTimeField(_("published"))
    format = models.CharField(
        _("format"), max_length=16, choices=PostFormat.choices, default=PostFormat.OTHER
    )
    is_paid = models.BooleanField(_("paid"), default=False)
    text = models.TextField(_("text"), blank=True)
    permalink = models.URLField(_("link"), max_length=500, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)

    workspace_path = "account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="post_unique")
        ]
        indexes = [models.Index(fields=["account", "published_at"])]

    def __str__(self) -> str:
        return f"{self.account.display_name} {self.published_at:%Y-%m-%d} {self.external_id}"


class AccountMetric(models.Model):
    """One account's value of one metric on one day (a date in the account's timezone).

    A missing row means the platform did not report the metric that day; zero means zero.
    """

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="facts")
    day = models.DateField()
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES)
    value = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    workspace_path = "account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "metric", "day"], name="account_metric_unique"
            )
        ]
        # An account's first and last day of any metric (the dashboards' date bounds, data
        # health): one probe per account instead of reading all of its facts.
        indexes = [models.Index(fields=["account", "day"], name="account_metric_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.metric}={self.value}"


class PostMetric(models.Model):
    """A post's lifetime counter as read on one day (a daily snapshot, not a daily increment)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="facts")
    day = models.DateField()
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES)
    value = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    workspace_path = "post__account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "metric", "day"], name="post_metric_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} {self.day} {self.metric}={self.value}"


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("Manual")
    COMMAND = "command", _("Command line")
    CONNECT = "connect", _("New connection")


class SyncStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Succeeded with warnings")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class SyncCursor(models.Model):
    """Where an account's API sync stands, and who holds it right now.

    ``claimed_until`` is a lease taken with a conditional UPDATE, so two workers never sync the
    same account at once; a worker killed mid-sync leaves a lease that simply expires.
    """

    account = models.OneToOneField(
        SocialAccount, on_delete=models.CASCADE, related_name="sync_cursor"
    )
    synced_through = models.DateField(null=True, blank=True)
    posts_synced_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    workspace_path = "account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"cursor of {self.account_id} through {self.synced_through}"


class SyncRun(models.Model):
    """One sync of one account: what it fetched, wrote and hit. Admins read these in the UI."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=16, choices=SyncTrigger.choices)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.QUEUED)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    account_rows_written = models.PositiveIntegerField(default=0)
    posts_written = models.PositiveIntegerField(default=0)
    post_rows_written = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    workspace_path = "account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at"]
        indexes = [models.Index(fields=["account", "-queued_at"])]

    def __str__(self) -> str:
        return f"sync {self.pk} of {self.account_id}: {self.status}"


class RawResponse(models.Model):
    """A platform response body as received, kept for the last syncs so that facts can be
    re-parsed after a metric mapping is fixed, without calling the platform again."""

    account = models.ForeignKey(
        SocialAccount, on_delete=models.CASCADE, related_name="raw_responses"
    )
    sync_run = models.ForeignKey(
        SyncRun, on_delete=models.CASCADE, related_name="raw_responses", null=True, blank=True
    )
    endpoint = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True, blank=True)
    mapping_version = models.CharField(max_length=32, blank=True)
    fetched_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at"]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status_code} at {self.fetched_at}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class FileImport(models.Model):
    """An uploaded export file, from preview to import; the file is kept for audit and re-runs."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    account = models.ForeignKey(
        SocialAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)  # account name, platform, format, map…
    detected_format = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"


class AuditEvent(models.Model):
    """One security-relevant or admin action: who did what to which object, from where.

    Append-only: written by ``connectors.audit.audit_record`` only, never edited, deleted only
    by the retention prune. Labels are snapshots taken when the event happened, so the log stays
    readable after the actor or the target is deleted. ``action`` is a key of
    ``connectors.audit.AuditAction`` (no ``choices``: adding an action needs no migration).
    """

    # Null for installation-wide events (log-ins, password changes), which belong to no workspace.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=48)
    target_type = models.CharField(_("target type"), max_length=48, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The log page lists one workspace's events newest first; the members' installation-wide
        # events are found through their actor.
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="audit_workspace_created"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


# Two-factor models live with the rest of two-factor; imported here so Django registers them.
from connectors.twofactor.models import RecoveryCode, TwoFactorDevice  # noqa: E402, F401
