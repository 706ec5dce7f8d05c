"""Log-in with a second step, and the Security page where a user turns two-factor on and off.

Thin views: the services check and spend codes, ``session`` keeps the pending log-in, and
``throttle`` counts wrong codes.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from connectors.audit import AuditAction, audit_record
from connectors.login_throttle import ThrottledAuthenticationForm
from connectors.models import User
from connectors.twofactor import services, session, throttle
from connectors.twofactor.forms import ConfirmForm, EnableForm, SecondStepForm
from connectors.twofactor.models import TwoFactorDevice
from connectors.twofactor.qr import enrolment_qr_svg, secret_grouped


def _code_failed(request: HttpRequest, user: User) -> bool:
    """Count a wrong code; True when it starts a lock-out (recorded once, at that moment)."""
    locked = throttle.code_failed(user.pk)
    if locked:
        audit_record(
            action=AuditAction.AUTH_TWO_FACTOR_LOCKED_OUT,
            workspace=None,
            request=request,
            actor=user,
            target=user,
        )
    return locked


def _locked_message() -> str:
    return _("Too many wrong codes. Try again in %(minutes)s minutes.") % {
        "minutes": throttle.LOCK_MINUTES
    }


class LoginView(auth_views.LoginView):
    """Django's log-in, stopping after the password for users with two-factor on."""

    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.get_user()
        device = services.two_factor_device_confirmed(user=user)
        if device is None:
            return super().form_valid(form)
        if throttle.code_locked(user.pk):
            form.add_error(None, _locked_message())
            return self.form_invalid(form)
        next_url = self.get_success_url()
        if self.request.user.is_authenticated:
            # Someone else was signed in here: they are not, while this user gives their code.
            auth_logout(self.request)
        session.pending_start(self.request, user=user, backend=user.backend, next_url=next_url)
        return redirect("login_code")


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own log-in form would skip the second step: it sends to ours instead."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("login") + (f"?{query}" if query else ""))


@never_cache
@sensitive_post_parameters("code")
@sensitive_variables("code")
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the password was right, the session waits for a code."""
    had_pending = session.PENDING_KEY in request.session
    found = session.pending_get(request)
    device = services.two_factor_device_confirmed(user=found[0]) if found else None
    if found is None or device is None:
        session.pending_clear(request)
        if had_pending:
            messages.info(request, _("The log-in took too long. Enter your password again."))
        return redirect("login")
    user, pending = found
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if throttle.code_locked(user.pk):
            return _locked_out(request)
        code = form.cleaned_data["code"]
        if services.second_factor_check(device=device, code=code, unix_time=time.time()):
            throttle.code_succeeded(user.pk)
            session.pending_clear(request)
            auth_login(request, user, backend=pending["backend"])
            session.session_mark_verified(request, device=device)
            if not services.is_authenticator_code(code):
                audit_record(
                    action=AuditAction.AUTH_RECOVERY_CODE_USED,
                    workspace=None,
                    request=request,
                    target=user,
                )
                left = services.recovery_codes_left(device=device)
                messages.warning(
                    request,
                    ngettext(
                        "You logged in with a recovery code: %(left)d left. Make new ones on "
                        "the Security page if you no longer have your authenticator.",
                        "You logged in with a recovery code: %(left)d left. Make new ones on "
                        "the Security page if you no longer have your authenticator.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(_safe_next(request, pending["next"]))
        if _code_failed(request, user):
            return _locked_out(request)
        form.add_error("code", _("This code is not right, or it was already used."))
    return render(request, "registration/login_code.html", {"form": form})


def _locked_out(request: HttpRequest) -> HttpResponse:
    session.pending_clear(request)
    messages.error(request, _locked_message())
    return redirect("login")


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# The Security page ------------------------------------------------------------------------------


@sensitive_variables("secret", "pending", "context")
def _security_page(
    request: HttpRequest,
    *,
    enable_form: Form | None = None,
    disable_form: Form | None = None,
    codes_form: Form | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = services.two_factor_device_confirmed(user=user)
    context: dict[str, Any] = {
        "device": device,
        "required": services.two_factor_required(user=user),
    }
    if device is None:
        pending = services.two_factor_enrolment_start(user=user)
        secret = pending.secret
        context |= {
            "qr_svg": enrolment_qr_svg(
                secret_b32=secret,
                account=user.get_username(),
                title=_("QR code to scan with an authenticator app"),
            ),
            "secret": secret_grouped(secret),
            "enable_form": enable_form or EnableForm(),
        }
    else:
        context |= {
            "codes_left": services.recovery_codes_left(device=device),
            "disable_form": disable_form or ConfirmForm(prefix="disable"),
            "codes_form": codes_form or ConfirmForm(prefix="codes"),
        }
    return render(request, "account/two_factor.html", context, status=status)


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("code")
@sensitive_variables("codes")
def two_factor_enable(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    if services.two_factor_device_confirmed(user=user) is not None:
        return redirect("two_factor")
    form = EnableForm(request.POST)
    if form.is_valid():
        if throttle.code_locked(user.pk):
            form.add_error("code", _locked_message())
        else:
            try:
                codes = services.two_factor_enable(
                    user=user, code=form.cleaned_data["code"], unix_time=time.time()
                )
            except services.TwoFactorError:
                _code_failed(request, user)
                form.add_error(
                    "code",
                    _("This is not the app's current code. Check the key, then the phone's clock."),
                )
            else:
                throttle.code_succeeded(user.pk)
                device = TwoFactorDevice.objects.get(user=user)
                session.session_mark_verified(request, device=device)
                audit_record(
                    action=AuditAction.AUTH_TWO_FACTOR_ENABLED,
                    workspace=None,
                    request=request,
                    target=user,
                )
                messages.success(request, _("Two-factor authentication is on."))
                return _recovery_codes_page(request, codes)
    return _security_page(request, enable_form=form, status=400)


@sensitive_variables("codes")
def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Shown in this response only: the codes are not stored in clear anywhere, not even the
    # session, so a reload cannot show them again.
    response = render(request, "account/recovery_codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@sensitive_variables("value")
def _confirmed(request: HttpRequest, device: TwoFactorDevice, form: ConfirmForm) -> bool:
    """Is the confirmation the user's password or a current code? Wrong ones count as wrong
    codes, so a borrowed session cannot guess the password here without limit."""
    if not form.is_valid():
        return False
    user: User = request.user  # type: ignore[assignment]
    if throttle.code_locked(user.pk):
        form.add_error("confirmation", _locked_message())
        return False
    value = form.cleaned_data["confirmation"]
    if user.check_password(value) or services.two_factor_code_check(
        device=device, code=value, unix_time=time.time()
    ):
        throttle.code_succeeded(user.pk)
        return True
    if _code_failed(request, user):
        form.add_error("confirmation", _locked_message())
    else:
        form.add_error("confirmation", _("This is neither your password nor a current code."))
    return False


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("disable-confirmation")
def two_factor_disable(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    device = services.two_factor_device_confirmed(user=user)
    if device is None:
        return redirect("two_factor")
    form = ConfirmForm(request.POST, prefix="disable")
    if not _confirmed(request, device, form):
        return _security_page(request, disable_form=form, status=400)
    services.two_factor_disable(user=user)
    audit_record(
        action=AuditAction.AUTH_TWO_FACTOR_DISABLED, workspace=None, request=request, target=user
    )
    request.session.pop(session.VERIFIED_KEY, None)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("two_factor")


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("codes-confirmation")
@sensitive_variables("codes")
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    device = services.two_factor_device_confirmed(user=user)
    if device is None:
        return redirect("two_factor")
    form = ConfirmForm(request.POST, prefix="codes")
    if not _confirmed(request, device, form):
        return _security_page(request, codes_form=form, status=400)
    codes = services.recovery_codes_regenerate(device=device)
    audit_record(
        action=AuditAction.AUTH_RECOVERY_CODES_RENEWED,
        workspace=None,
        request=request,
        target=user,
    )
    messages.success(request, _("New recovery codes: the old ones no longer work."))
    return _recovery_codes_page(request, codes)
