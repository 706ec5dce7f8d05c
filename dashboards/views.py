from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from connectors.models import LANGUAGE_CHOICES, User
from reporting.selectors import (
    membership_list_with_counts,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    rows = list(membership_list_with_counts(user=cast(User, request.user)))
    if len(rows) == 1:
        return redirect("overview", workspace_slug=rows[0].workspace.slug)
    return render(request, "dashboards/home.html", {"workspace_rows": rows})


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.headers.get("referer") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Save the chosen language on the signed-in user; anonymous visitors get a cookie."""
    if not request.user.is_authenticated:
        return set_language(request)
    language = request.POST.get("language", "")
    response = redirect(_safe_next(request))
    if language in dict(LANGUAGE_CHOICES):
        user = request.user
        user.language = language
        user.save(update_fields=["language"])
        # The cookie keeps the choice on the sign-in page after logging out.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
