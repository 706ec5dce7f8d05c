"""Helpers for the two-factor tests: a user with two-factor on, and their current code."""

from __future__ import annotations

import time

from django.test import Client

from connectors.models import User
from connectors.twofactor import services, totp
from connectors.twofactor.models import TwoFactorDevice
from connectors.twofactor.session import VERIFIED_KEY


def code_at(device: TwoFactorDevice, unix_time: float) -> str:
    return totp.totp(totp.secret_bytes(device.secret), unix_time)


def enable(user: User, unix_time: float | None = None) -> tuple[TwoFactorDevice, list[str]]:
    """Enrol ``user`` as the Security page would; returns the device and its recovery codes.

    The enrolment spends the code of the step before ``unix_time``, so a test can still use
    the current one."""
    now = time.time() if unix_time is None else unix_time
    device = services.two_factor_enrolment_start(user=user)
    codes = services.two_factor_enable(
        user=user, code=code_at(device, now - totp.STEP_SECONDS), unix_time=now
    )
    device.refresh_from_db()
    return device, codes


def verified_client(user: User, device: TwoFactorDevice) -> Client:
    """A client signed in as if it had passed the second step (``force_login`` skips it)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[VERIFIED_KEY] = device.pk
    session.save()
    return client
