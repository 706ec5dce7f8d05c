"""Django admin for reports: templates and schedules to inspect, the archive read-only.

Runs, deliveries and share links are records of what happened; the admin shows them and never
edits them (a share link's token is not stored, only its hash, which is not shown either).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reporting.report_models import (
    ReportDelivery,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    ShareLink,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "workspace", "period", "compare", "language", "updated_at")
    list_filter = ("period", "workspace")
    search_fields = ("name", "key", "workspace__name")
    readonly_fields = ("is_builtin", "created_by", "created_at", "updated_at")


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("template", "workspace", "frequency", "send_time", "is_active")
    list_filter = ("frequency", "is_active", "workspace")
    filter_horizontal = ("recipient_users",)
    readonly_fields = ("created_by", "created_at")


class ReportDeliveryInline(admin.TabularInline):
    model = ReportDelivery
    fields = ("email", "status", "attempts", "error", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportRun)
class ReportRunAdmin(_ReadOnly):
    list_display = ("title", "workspace", "period_start", "period_end", "format", "status")
    list_filter = ("status", "format", "workspace")
    search_fields = ("title", "workspace__name")
    inlines = (ReportDeliveryInline,)


@admin.register(ShareLink)
class ShareLinkAdmin(_ReadOnly):
    list_display = ("kind", "label", "workspace", "token_prefix", "expires_at", "revoked_at")
    list_filter = ("kind", "workspace")
    exclude = ("token_hash", "password_hash")
