"""Wrong two-factor codes: five within fifteen minutes lock the user's second step for fifteen
minutes.

The same rule as the password throttle (``connectors.login_throttle``), counted per user: a code
has a million values, so without a bound it could be guessed within its 90 seconds by someone
who has the password. The confirmations of the security page (disable, new recovery codes)
count here too, so a stolen session cannot try passwords there without limit.

Unlike the password throttle, the count lives on the user's ``TwoFactorDevice`` row, updated
under a row lock: a cache that is unreachable (Redis down) reads as empty, and this bound must
not fail open. No device (no two-factor) means nothing to guess and nothing counted.

The lock-out is the place an audit log records "two-factor locked" (``code_failed`` returning
True).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from connectors.login_throttle import MAX_FAILURES, WINDOW_SECONDS
from connectors.twofactor.models import TwoFactorDevice

LOCK_MINUTES = WINDOW_SECONDS // 60
_WINDOW = dt.timedelta(seconds=WINDOW_SECONDS)


def code_locked(user_id: int) -> bool:
    return TwoFactorDevice.objects.filter(user_id=user_id, locked_until__gt=timezone.now()).exists()


def code_failed(user_id: int) -> bool:
    """Count a wrong code; True when this one locks the user."""
    now = timezone.now()
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user_id=user_id).first()
        if device is None:
            return False
        if device.failures_since is None or now - device.failures_since >= _WINDOW:
            device.failures, device.failures_since = 1, now
        else:
            device.failures += 1
        locked = device.failures >= MAX_FAILURES
        if locked:
            device.locked_until = now + _WINDOW
            device.failures, device.failures_since = 0, None
        device.save(update_fields=["failures", "failures_since", "locked_until"])
    return locked


def code_succeeded(user_id: int) -> None:
    TwoFactorDevice.objects.filter(user_id=user_id).update(
        failures=0, failures_since=None, locked_until=None
    )
