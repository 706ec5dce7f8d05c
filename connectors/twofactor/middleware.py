"""Two-factor on every page.

1. A session of a user with two-factor on must have passed the second step with the current
   device. Sessions opened another way (before enrolment on another browser, before an admin
   reset and a new enrolment, or by any log-in path that skipped our view) are logged out.
2. With ``RAPPORT_REQUIRE_2FA_FOR_ADMINS``, workspace admins and Django staff without
   two-factor are sent to the Security page until they enrol, except on the pages they need
   meanwhile (enrolment, log-out, language, health check, static files).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from connectors.models import User
from connectors.twofactor import services, session

# URL names a user who must enrol can still open.
ENROLMENT_OPEN = frozenset(
    {
        "two_factor",
        "two_factor_enable",
        "two_factor_disable",
        "two_factor_recovery_codes",
        "logout",
        "healthz",
        "set_language",
        "language_set",
    }
)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.path_info.startswith(settings.STATIC_URL or "/static/"):
            return None
        device = services.two_factor_device_confirmed(user=user)
        if device is not None:
            if session.session_is_verified(request, device=device):
                return None
            path = request.get_full_path()
            logout(request)
            return redirect_to_login(path)
        if session.VERIFIED_KEY in request.session:
            # Verified with a device that is gone: staff reset it (a stolen phone) or it was
            # turned off in another browser. Whoever holds this session logs in again.
            path = request.get_full_path()
            logout(request)
            return redirect_to_login(path)
        match = request.resolver_match
        if match is not None and match.view_name in ENROLMENT_OPEN:
            return None
        if not services.two_factor_required(user=cast(User, user)):
            return None
        # The Security page itself says why the user landed there.
        return redirect("two_factor")
