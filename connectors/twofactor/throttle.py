"""Wrong two-factor codes: five in a row lock the user's second step for fifteen minutes.

The same rule and store as the password throttle (``connectors.login_throttle``), counted per
user: a code has a million values, so without a bound it could be guessed within its 90 seconds
by someone who has the password. The confirmations of the security page (disable, new recovery
codes) count here too, so a stolen session cannot try passwords there without limit.

The lock-out is the place an audit log records "two-factor locked" (``code_failed`` returning
True).
"""

from __future__ import annotations

from django.core.cache import cache

from connectors.login_throttle import MAX_FAILURES, WINDOW_SECONDS

LOCK_MINUTES = WINDOW_SECONDS // 60


def _key(user_id: int) -> str:
    return f"two-factor-failures:{user_id}"


def code_locked(user_id: int) -> bool:
    return int(cache.get(_key(user_id), 0)) >= MAX_FAILURES


def code_failed(user_id: int) -> bool:
    """Count a wrong code; True when this one locks the user."""
    key = _key(user_id)
    # add() starts the window at the first failure; incr() keeps it (it does not renew the TTL).
    if cache.add(key, 1, WINDOW_SECONDS):
        count = 1
    else:
        try:
            count = int(cache.incr(key))
        except ValueError:  # expired between the two calls
            cache.add(key, 1, WINDOW_SECONDS)
            count = 1
    return count == MAX_FAILURES


def code_succeeded(user_id: int) -> None:
    cache.delete(_key(user_id))
