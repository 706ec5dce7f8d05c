"""What the session knows about two-factor: a log-in waiting for its code, and which device the
session was verified with.

The pending log-in lives only in the server-side session (the cookie carries just the session
id, renewed when the password step passes), expires after a few minutes, and names the user's
password hash: changing the password in between voids it. A verified session names the device's
id, so after an admin reset and a new enrolment, sessions opened with the old device must log
in again.
"""

from __future__ import annotations

import time
from typing import Any, TypedDict

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from connectors.models import User
from connectors.twofactor.models import TwoFactorDevice

PENDING_KEY = "_two_factor_pending"
VERIFIED_KEY = "_two_factor_device"
PENDING_SECONDS = 5 * 60


class Pending(TypedDict):
    user_id: int
    backend: str
    auth_hash: str
    started: float
    next: str


def pending_start(request: HttpRequest, *, user: User, backend: str, next_url: str) -> None:
    # A new session id before anything is tied to it, as login() does (session fixation).
    request.session.cycle_key()
    request.session[PENDING_KEY] = Pending(
        user_id=user.pk,
        backend=backend,
        auth_hash=user.get_session_auth_hash(),
        started=time.time(),
        next=next_url,
    )


def pending_get(request: HttpRequest) -> tuple[User, Pending] | None:
    """The user waiting for their second step, or None (none, expired, or password changed)."""
    raw: Any = request.session.get(PENDING_KEY)
    if not isinstance(raw, dict):
        return None
    pending: Pending = raw  # type: ignore[assignment]
    if time.time() - float(pending.get("started", 0)) > PENDING_SECONDS:
        pending_clear(request)
        return None
    user = get_user_model().objects.filter(pk=pending.get("user_id"), is_active=True).first()
    if user is None or not constant_time_compare(
        user.get_session_auth_hash(), str(pending.get("auth_hash", ""))
    ):
        pending_clear(request)
        return None
    return user, pending


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def session_mark_verified(request: HttpRequest, *, device: TwoFactorDevice) -> None:
    request.session[VERIFIED_KEY] = device.pk


def session_is_verified(request: HttpRequest, *, device: TwoFactorDevice) -> bool:
    return bool(request.session.get(VERIFIED_KEY) == device.pk)
