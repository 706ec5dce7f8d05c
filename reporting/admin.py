"""Django admin for KPI definitions.

Saving a definition goes through ``kpi_version_sync``, so an edited formula, aggregation, unit
or direction becomes a new version and the old ones stay, read-only, below it. Built-in KPIs can
be edited but not deleted: a re-seed would otherwise bring them back unannounced.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from connectors.audit import AuditAction, audit_changes, audit_record, audit_snapshot, audit_target
from connectors.models import User
from reporting.kpis.services import kpi_version_sync
from reporting.models import KpiDefinition, KpiVersion


class KpiVersionInline(admin.TabularInline):
    model = KpiVersion
    fields = ("number", "formula", "aggregation", "unit", "direction", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KpiDefinition)
class KpiDefinitionAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "name_en",
        "workspace",
        "formula",
        "aggregation",
        "unit",
        "is_builtin",
        "version_number",
    )
    list_filter = ("is_builtin", "aggregation", "unit", "workspace")
    search_fields = ("key", "name_en", "name_fr", "formula", "workspace__name")
    list_select_related = ("workspace", "current_version")
    autocomplete_fields = ("workspace",)
    readonly_fields = ("is_builtin", "version_number", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("workspace", "key", "is_builtin", "version_number")}),
        (
            _("Names and definitions"),
            {"fields": ("name_en", "name_fr", "description_en", "description_fr")},
        ),
        (_("Computation"), {"fields": ("formula", "aggregation", "unit", "direction")}),
        (None, {"fields": ("created_at", "updated_at")}),
    )
    inlines = (KpiVersionInline,)

    @admin.display(description=_("version"), ordering="current_version__number")
    def version_number(self, obj: KpiDefinition) -> int | None:
        return obj.current_version.number if obj.current_version else None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A KPI's workspace and key are what saved reports and goals point at.
        if obj is not None:
            return (*self.readonly_fields, "workspace", "key")
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: KpiDefinition, form: ModelForm, change: bool
    ) -> None:
        user = request.user if isinstance(request.user, User) else None
        before = {field: form.initial.get(field) for field in form.changed_data} if change else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            kpi_version_sync(kpi=obj, created_by=user)
            audit_record(
                action=AuditAction.KPI_UPDATED if change else AuditAction.KPI_CREATED,
                workspace=obj.workspace,
                request=request,
                target=obj,
                changes=audit_changes(before, audit_snapshot(obj, form.changed_data)),
            )

    def delete_model(self, request: HttpRequest, obj: KpiDefinition) -> None:
        target, workspace = audit_target(obj), obj.workspace
        super().delete_model(request, obj)
        audit_record(
            action=AuditAction.KPI_DELETED, workspace=workspace, request=request, target=target
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[KpiDefinition]) -> None:
        for kpi in queryset.select_related("workspace"):
            audit_record(
                action=AuditAction.KPI_DELETED,
                workspace=kpi.workspace,
                request=request,
                target=kpi,
            )
        super().delete_queryset(request, queryset)


# Report models have their own admin module; imported here so the admin site registers them.
from reporting import report_admin as _report_admin  # noqa: E402, F401
