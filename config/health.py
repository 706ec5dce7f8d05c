"""``/healthz``: is the database reachable, and is the broker (when there is one)?

The answer's ``status`` (and its 200 or 503) depends on those two only: they are what the web
process needs to serve pages. ``workers`` and ``beat`` say how fresh background work is, for a
monitor to alert on, without a stopped worker making the web container look unhealthy.
"""

from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from config.background import beat_state, broker_configured, broker_probe, worker_heartbeats


def _check_database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the message says which
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor, "ms": _ms(started)}


def _check_broker() -> dict[str, object]:
    if not broker_configured():
        return {"status": "ok", "mode": "in-process"}
    state = broker_probe()
    if not state.reachable:
        return {"status": "down", "error": state.error}
    return {"status": "ok", "mode": "broker", "ms": state.ms}


def _check_workers(broker: dict[str, object]) -> dict[str, object]:
    """ok: a worker wrote a heartbeat recently; stale: none has for a while; none: no worker was
    ever heard from; unknown: the broker is down, so it cannot say."""
    if not broker_configured():
        return {"status": "in-process"}
    beats = worker_heartbeats() if broker["status"] == "ok" else None
    if beats is None:
        return {"status": "unknown"}
    if not beats:
        return {"status": "none", "alive": 0}
    latest = beats[0].last_seen
    return {
        "status": "ok" if beats[0].alive else "stale",
        "alive": sum(beat.alive for beat in beats),
        "last_seen": latest.isoformat(),
        "age_seconds": round((timezone.now() - latest).total_seconds()),
    }


def _check_beat() -> dict[str, object]:
    """ok: beat sent the sync dispatcher recently; stale: not for a while; never: not once;
    unscheduled: the dispatcher's schedule is missing or disabled (run setup_periodic_tasks)."""
    if not broker_configured():
        return {"status": "in-process"}
    try:
        state = beat_state()
    except Exception as exc:  # the database is down: its own check says so
        return {"status": "unknown", "error": exc.__class__.__name__}
    if not state.scheduled:
        return {"status": "unscheduled"}
    if state.last_run is None:
        return {"status": "never"}
    return {
        "status": "ok" if state.alive else "stale",
        "last_run_at": state.last_run.isoformat(),
        "age_seconds": round((timezone.now() - state.last_run).total_seconds()),
    }


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "down",
            **checks,
            "workers": _check_workers(checks["broker"]),
            "beat": _check_beat(),
        },
        status=200 if healthy else 503,
    )
