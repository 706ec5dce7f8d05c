"""Data-collection pages, all scoped to a workspace, and the one OAuth callback per platform.

The callback URL is fixed (``/connect/<platform>/callback/``) because providers only accept the
redirect URIs registered with them; the workspace travels in the OAuth state instead.
"""

from django.urls import path

from connectors.views import accounts, audit_log, connect, export, imports, members, workspace

app_name = "connectors"

_W = "w/<slug:workspace_slug>/"

urlpatterns = [
    path(f"{_W}accounts/", accounts.accounts, name="accounts"),
    path(f"{_W}accounts/<int:account_id>/", accounts.account_detail, name="account_detail"),
    path(f"{_W}accounts/<int:account_id>/sync/", accounts.account_sync, name="account_sync"),
    path(f"{_W}accounts/<int:account_id>/pause/", accounts.account_pause, name="account_pause"),
    path(f"{_W}accounts/<int:account_id>/resume/", accounts.account_resume, name="account_resume"),
    path(f"{_W}accounts/<int:account_id>/remove/", accounts.account_remove, name="account_remove"),
    path(f"{_W}accounts/connect/<slug:platform>/", connect.connect_start, name="connect_start"),
    path(
        f"{_W}accounts/connect/choose/<str:pending_id>/",
        connect.connect_choose,
        name="connect_choose",
    ),
    path("connect/<slug:platform>/callback/", connect.connect_callback, name="connect_callback"),
    path(f"{_W}import/", imports.import_upload, name="import"),
    path(f"{_W}import/<int:import_id>/", imports.import_preview, name="import_preview"),
    path(f"{_W}import/<int:import_id>/confirm/", imports.import_confirm, name="import_confirm"),
    path(f"{_W}import/<int:import_id>/cancel/", imports.import_cancel, name="import_cancel"),
    path(f"{_W}export/", export.export, name="export"),
    path(f"{_W}settings/", workspace.workspace_settings, name="workspace_settings"),
    path(f"{_W}settings/logo/", workspace.workspace_logo, name="workspace_logo"),
    path(f"{_W}settings/members/", members.members, name="members"),
    path(
        f"{_W}settings/members/<int:membership_id>/role/",
        members.member_role,
        name="member_role",
    ),
    path(
        f"{_W}settings/members/<int:membership_id>/remove/",
        members.member_remove_confirm,
        name="member_remove",
    ),
    path(
        f"{_W}settings/members/<int:membership_id>/invite/",
        members.member_invite_again,
        name="member_invite",
    ),
    path(f"{_W}settings/audit/", audit_log.audit_log, name="audit_log"),
    path(f"{_W}settings/audit/export/", audit_log.audit_log_export, name="audit_log_export"),
]
