"""Login throttling: after too many wrong passwords for one user name, log-ins for that name are
refused for a while, whatever the password, from every address.

Counted per user name (lower-cased), not per address: an attacker changes addresses easily, and
a user behind a shared office address must not be locked out by a colleague's typos on another
name. The counter lives in Django's cache: with ``CACHE_URL`` (Redis) every web process shares
it; without, each process counts its own (README, Roles and permissions).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from config.cache import cache_count
from connectors.audit import AuditAction, AuditTarget, audit_record
from connectors.audit_signals import account_for

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


def login_failures(username: str) -> int:
    return int(cache.get(_key(username), 0))


def login_failed(username: str) -> int:
    """Count a wrong password for ``username``; returns the count within the window."""
    return cache_count(_key(username), WINDOW_SECONDS)


def login_succeeded(username: str) -> None:
    cache.delete(_key(username))


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many wrong passwords for this user name. Try again in %(minutes)s minutes, or "
            "reset the password."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if username and login_failures(username) >= MAX_FAILURES:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": WINDOW_SECONDS // 60},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username and login_failed(username) == MAX_FAILURES:
                self._locked_out(username)
            raise
        login_succeeded(username)
        return cleaned

    def _locked_out(self, username: str) -> None:
        # Recorded once, at the failure that starts the lock-out, not at each refused attempt.
        user = account_for(username)
        audit_record(
            action=AuditAction.AUTH_LOCKED_OUT,
            workspace=None,
            request=self.request,
            actor=user,
            target=AuditTarget(
                type="user", id=str(user.pk) if user else "", label=username.strip()[:150]
            ),
        )
