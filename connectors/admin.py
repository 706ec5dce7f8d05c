"""Django admin for tenants, members, accounts and facts.

Credentials never appear here: the encrypted column is not a form field, and the account list
only says whether credentials are set. Two-factor secrets neither: devices have no admin page, a
user's row says only whether two-factor is on, and an action resets it. Fact tables can hold
millions of rows, so their pages are read-only, use raw id widgets, join what they display and
skip the exact total count.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connectors.audit import AuditAction, audit_record, member_target
from connectors.models import (
    AccountMetric,
    AuditEvent,
    Membership,
    Post,
    PostMetric,
    RawResponse,
    SocialAccount,
    SyncCursor,
    SyncRun,
    User,
    Workspace,
)
from connectors.twofactor.models import TwoFactorDevice
from connectors.twofactor.services import two_factor_reset


def membership_saved_audit(
    request: HttpRequest, membership: Membership, *, created: bool, previous_role: str | None
) -> None:
    """Record a membership saved in the admin: added, or its role changed (a change of user or
    workspace is a removal from the old pair and an addition to the new one)."""
    if created:
        audit_record(
            action=AuditAction.MEMBER_ADDED,
            workspace=membership.workspace,
            request=request,
            target=member_target(membership),
            changes={"role": [None, membership.role], "via": "admin"},
        )
    elif previous_role != membership.role:
        audit_record(
            action=AuditAction.MEMBER_ROLE_CHANGED,
            workspace=membership.workspace,
            request=request,
            target=member_target(membership),
            changes={"role": [previous_role, membership.role], "via": "admin"},
        )


def membership_removed_audit(request: HttpRequest, membership: Membership) -> None:
    audit_record(
        action=AuditAction.MEMBER_REMOVED,
        workspace=membership.workspace,
        request=request,
        target=member_target(membership),
        changes={"role": [membership.role, None], "via": "admin"},
    )


class MembershipAuditMixin:
    """Memberships edited inline (on a workspace or a user) go to the audit log too."""

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]
            return
        deleted = [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
        removed = {
            m.pk: m
            for m in Membership.objects.select_related("user", "workspace").filter(pk__in=deleted)
        }
        before = {
            f.instance.pk: f.initial.get("role")
            for f in formset.forms
            if f.instance.pk and f not in formset.deleted_forms
        }
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for membership in removed.values():
            membership_removed_audit(request, membership)
        for membership in formset.new_objects:
            membership_saved_audit(request, membership, created=True, previous_role=None)
        for membership, _fields in formset.changed_objects:
            membership_saved_audit(
                request, membership, created=False, previous_role=before.get(membership.pk)
            )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user", "workspace")


class WorkspaceMembershipInline(MembershipInline):
    fk_name = "workspace"
    fields = ("user", "role", "created_at")
    verbose_name = _("member")
    verbose_name_plural = _("members")


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    fields = ("workspace", "role", "created_at")
    verbose_name = _("workspace membership")
    verbose_name_plural = _("workspace memberships")


@admin.register(Workspace)
class WorkspaceAdmin(MembershipAuditMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "language", "is_demo", "account_count")
    list_filter = ("is_demo", "language")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "language", "is_demo", "created_at")}),
        (_("Reports"), {"fields": ("logo", "primary_color", "report_footer")}),
    )
    inlines = (WorkspaceMembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(_account_count=Count("accounts"))

    @admin.display(description=_("social accounts"), ordering="_account_count")
    def account_count(self, obj: Any) -> int:
        return int(obj._account_count)


@admin.register(User)
class UserAdmin(MembershipAuditMixin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "language", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "language")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("language",)}),
    )
    add_fieldsets = (
        *(DjangoUserAdmin.add_fieldsets or ()),
        (_("Preferences"), {"fields": ("email", "language")}),
    )
    inlines = (UserMembershipInline,)
    actions = ("reset_two_factor",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # Whether two-factor is on, for the list column, without a query per row.
        confirmed = TwoFactorDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
        return super().get_queryset(request).annotate(_two_factor=Exists(confirmed))

    def get_list_display(self, request: HttpRequest) -> Any:
        return (*super().get_list_display(request), "two_factor_on")

    @admin.display(description=_("two-factor"), boolean=True, ordering="_two_factor")
    def two_factor_on(self, obj: Any) -> bool:
        return bool(obj._two_factor)

    # Only who may change users; and a staff member's or superuser's second factor only by a
    # superuser, so that a lesser staff account cannot strip a stronger one's.
    @admin.action(
        description=_("Reset two-factor authentication (lost phone)"), permissions=["change"]
    )
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user
        users = list(queryset)
        if not getattr(actor, "is_superuser", False):
            refused = [user for user in users if user.is_staff or user.is_superuser]
            if refused:
                self.message_user(
                    request,
                    _("Only a superuser can reset the two-factor authentication of staff."),
                    messages.ERROR,
                )
                return
        count = two_factor_reset(users=users)
        for user in users:
            audit_record(
                action=AuditAction.AUTH_TWO_FACTOR_RESET,
                workspace=None,
                request=request,
                target=user,
            )
        self.message_user(
            request,
            ngettext(
                "Two-factor authentication reset for %(count)d user: they log in with their "
                "password and can set it up again.",
                "Two-factor authentication reset for %(count)d users: they log in with their "
                "password and can set it up again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role", "workspace")
    search_fields = ("user__username", "user__email", "workspace__name")
    autocomplete_fields = ("user", "workspace")
    list_select_related = ("user", "workspace")

    def save_model(
        self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool
    ) -> None:
        previous = (
            Membership.objects.select_related("workspace", "user").filter(pk=obj.pk).first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        if previous is not None and (
            previous.workspace_id != obj.workspace_id or previous.user_id != obj.user_id
        ):
            membership_removed_audit(request, previous)
            previous = None
        membership_saved_audit(
            request,
            obj,
            created=previous is None,
            previous_role=previous.role if previous else None,
        )

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_removed_audit(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "workspace"):
            membership_removed_audit(request, membership)
        super().delete_queryset(request, queryset)


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    list_display = (
        "display_name",
        "platform",
        "handle",
        "workspace",
        "status",
        "has_credentials",
        "last_synced_at",
    )
    list_filter = ("platform", "status", "workspace")
    search_fields = ("display_name", "handle", "external_id", "workspace__name")
    list_select_related = ("workspace",)
    autocomplete_fields = ("workspace",)
    # ``credentials_encrypted`` is deliberately absent: it is neither shown nor editable.
    fields = (
        "workspace",
        "platform",
        "external_id",
        "handle",
        "display_name",
        "timezone",
        "status",
        "has_credentials",
        "last_synced_at",
        "created_at",
    )
    readonly_fields = ("has_credentials", "created_at")

    @admin.display(description=_("credentials set"), boolean=True)
    def has_credentials(self, obj: SocialAccount) -> bool:
        return bool(obj.credentials_encrypted)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Facts are written by syncs and imports only; the admin lets people look, not edit."""

    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("published_at", "account", "format", "is_paid", "external_id")
    list_filter = ("format", "is_paid", "account__platform", "account__workspace")
    search_fields = ("external_id", "text")
    raw_id_fields = ("account",)
    list_select_related = ("account", "account__workspace")
    date_hierarchy = "published_at"
    ordering = ("-published_at",)


@admin.register(AccountMetric)
class AccountMetricAdmin(ReadOnlyAdmin):
    list_display = ("day", "account", "metric", "value", "updated_at")
    list_filter = ("metric", "account__platform", "account__workspace")
    search_fields = ("account__display_name", "account__handle")
    raw_id_fields = ("account",)
    list_select_related = ("account",)
    ordering = ("-day", "account_id", "metric")


@admin.register(PostMetric)
class PostMetricAdmin(ReadOnlyAdmin):
    list_display = ("day", "post", "metric", "value", "updated_at")
    list_filter = ("metric", "post__account__platform", "post__account__workspace")
    search_fields = ("post__external_id",)
    raw_id_fields = ("post",)
    list_select_related = ("post", "post__account")
    ordering = ("-day", "post_id", "metric")


# Sync bookkeeping is written by the sync service only. None of it holds credentials: raw
# responses are redacted before they are stored, and the cursor keeps dates, not tokens.


class SyncReadOnlyAdmin(ReadOnlyAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


@admin.register(SyncRun)
class SyncRunAdmin(SyncReadOnlyAdmin):
    list_display = (
        "queued_at",
        "account",
        "trigger",
        "status",
        "window_start",
        "window_end",
        "attempts",
        "account_rows_written",
        "posts_written",
        "post_rows_written",
        "short_error",
    )
    list_filter = ("status", "trigger", "account__platform", "account__workspace")
    search_fields = ("account__display_name", "account__handle", "error")
    raw_id_fields = ("account",)
    list_select_related = ("account",)
    date_hierarchy = "queued_at"
    ordering = ("-queued_at",)

    @admin.display(description=_("error"))
    def short_error(self, obj: SyncRun) -> str:
        return obj.error if len(obj.error) <= 80 else f"{obj.error[:79]}…"


@admin.register(SyncCursor)
class SyncCursorAdmin(SyncReadOnlyAdmin):
    list_display = (
        "account",
        "synced_through",
        "posts_synced_at",
        "last_attempt_at",
        "consecutive_failures",
        "claimed_until",
        "token_expires_at",
    )
    list_filter = ("account__platform", "account__workspace")
    search_fields = ("account__display_name", "account__handle", "last_error")
    raw_id_fields = ("account",)
    list_select_related = ("account",)
    ordering = ("account__display_name",)


@admin.register(RawResponse)
class RawResponseAdmin(SyncReadOnlyAdmin):
    list_display = ("fetched_at", "account", "sync_run", "endpoint", "status_code")
    list_filter = ("status_code", "account__platform", "account__workspace")
    search_fields = ("endpoint",)
    raw_id_fields = ("account", "sync_run")
    list_select_related = ("account",)
    ordering = ("-fetched_at",)
    exclude = ("body",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            *(f for f in super().get_readonly_fields(request, obj) if f != "body"),
            "pretty_body",
        ]

    @admin.display(description=_("body"))
    def pretty_body(self, obj: RawResponse) -> str:
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            json.dumps(obj.body, indent=2, ensure_ascii=False, sort_keys=True),
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is append-only: the admin shows it and never edits or deletes it (the
    nightly prune deletes what is past the retention)."""

    list_display = (
        "created_at",
        "workspace",
        "actor_label",
        "action",
        "target_label",
        "ip_address",
    )
    list_filter = ("action", "workspace")
    search_fields = ("actor_label", "target_label", "action", "ip_address")
    list_select_related = ("workspace",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
