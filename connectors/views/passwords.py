"""Django's password views, with the change recorded in the audit log (never the password)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpResponse

from connectors.audit import AuditAction, audit_record


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.AUTH_PASSWORD_CHANGED,
            workspace=None,
            request=self.request,
            actor=form.user,
            changes={"via": "change"},
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # Also how an invited member chooses a first password (connectors.members).
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.AUTH_PASSWORD_CHANGED,
            workspace=None,
            request=self.request,
            actor=form.user,
            changes={"via": "reset link"},
        )
        return response
