"""Is background work running? The broker, the workers, beat, and sending a task safely.

Everything here is bounded in time, because web pages call it: a broker that does not answer
costs at most ``PROBE_TIMEOUT`` seconds, and the banner's check is cached per process for
``BANNER_CHECK_SECONDS``, so a page is never slowed by more than one probe every few seconds.

Workers write a heartbeat (a timestamp per worker hostname, in a hash on the broker's Redis)
every ``HEARTBEAT_SECONDS`` from a thread started by Celery's ``worker_ready`` signal; reading
them is one HGETALL. With a broker that is not Redis, a broadcast ping answers instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0
BANNER_CHECK_SECONDS = 5.0
HEARTBEAT_SECONDS = 30
HEARTBEATS_KEY = "rapport:worker-heartbeats"
# A worker silent for three beats is presumed gone; one silent for a day is forgotten.
WORKER_STALE_AFTER = dt.timedelta(seconds=HEARTBEAT_SECONDS * 3)
WORKER_FORGET_AFTER = dt.timedelta(days=1)
# The sync dispatcher is due every 15 minutes (config/schedules.py); beat saves its last run
# time every few minutes. Twice the period without a run means beat is not running.
DISPATCHER_TASK = "connectors.accounts_sync_dispatch"
BEAT_STALE_AFTER = dt.timedelta(minutes=35)
DEFAULT_QUEUE = "celery"


def broker_configured() -> bool:
    return bool(settings.CELERY_BROKER_URL)


def _broker_redis() -> Any | None:
    """A Redis client on the broker, with short timeouts, or None when the broker is not Redis."""
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return None
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
    )


@dataclass(frozen=True)
class BrokerState:
    reachable: bool
    error: str = ""
    ms: float = 0.0


def broker_probe() -> BrokerState:
    """Ask the broker for a PONG, within ``PROBE_TIMEOUT`` seconds (about, for other brokers)."""
    started = time.monotonic()
    try:
        client = _broker_redis()
        if client is not None:
            with client:
                client.ping()
        else:
            from config.celery import app

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=0, timeout=int(PROBE_TIMEOUT))
    except Exception as exc:  # every transport raises its own classes; the name says which
        return BrokerState(reachable=False, error=exc.__class__.__name__)
    return BrokerState(reachable=True, ms=round((time.monotonic() - started) * 1000, 1))


_cached: tuple[float, BrokerState] | None = None
_cache_lock = threading.Lock()


def broker_state_cached() -> BrokerState:
    """``broker_probe()`` at most once per ``BANNER_CHECK_SECONDS`` in this process.

    Kept in process memory, not in Django's cache: that cache may live on the same Redis, and
    asking it whether Redis is down would fail the same way."""
    global _cached
    now = time.monotonic()
    with _cache_lock:
        if _cached is not None and now - _cached[0] < BANNER_CHECK_SECONDS:
            return _cached[1]
    state = broker_probe()
    with _cache_lock:
        _cached = (time.monotonic(), state)
    return state


def broker_state_forget() -> None:
    global _cached
    with _cache_lock:
        _cached = None


def task_send(task: Any, *args: Any) -> bool:
    """Queue ``task(*args)``; False when the broker cannot be reached (logged, not raised).

    The caller keeps what it was asked to do in its own row (a queued run), so nothing is lost:
    it tells the user, and a recovery step sends the work again later. Without a broker the
    task runs here and now, and its errors propagate as they always did.
    """
    if task.app.conf.task_always_eager:
        task.delay(*args)
        return True
    from kombu.exceptions import OperationalError

    try:
        task.delay(*args)
    except (OperationalError, OSError) as exc:
        broker_state_forget()
        logger.warning(
            "Could not queue %s%r: the broker is unreachable (%s).",
            task.name,
            args,
            exc.__class__.__name__,
        )
        return False
    return True


# Workers' heartbeats --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerBeat:
    hostname: str
    last_seen: dt.datetime

    @property
    def alive(self) -> bool:
        return timezone.now() - self.last_seen < WORKER_STALE_AFTER


def worker_heartbeat_write(*, hostname: str) -> None:
    client = _broker_redis()
    if client is None:
        return
    with client:
        client.hset(HEARTBEATS_KEY, hostname, str(time.time()))


def worker_heartbeat_remove(*, hostname: str) -> None:
    client = _broker_redis()
    if client is None:
        return
    with client:
        client.hdel(HEARTBEATS_KEY, hostname)


def worker_heartbeats() -> list[WorkerBeat] | None:
    """Every worker heard from in the last day, most recent first; None when the broker cannot
    say (unreachable). With a broker that is not Redis, the workers answering a ping now."""
    try:
        client = _broker_redis()
        if client is None:
            from config.celery import app

            answers = app.control.inspect(timeout=PROBE_TIMEOUT).ping() or {}
            now = timezone.now()
            return [WorkerBeat(hostname=name, last_seen=now) for name in sorted(answers)]
        with client:
            raw = client.hgetall(HEARTBEATS_KEY)
            beats = []
            forgotten = []
            for name, stamp in raw.items():
                seen = dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)
                if timezone.now() - seen > WORKER_FORGET_AFTER:
                    forgotten.append(name)
                else:
                    beats.append(WorkerBeat(hostname=name.decode(), last_seen=seen))
            if forgotten:
                client.hdel(HEARTBEATS_KEY, *forgotten)
    except Exception as exc:  # an unreachable broker, whatever its transport
        logger.info("No worker heartbeats: %s", exc.__class__.__name__)
        return None
    return sorted(beats, key=lambda beat: beat.last_seen, reverse=True)


def queue_length() -> int | None:
    """Messages waiting in the default queue (Redis only: one LLEN), else None."""
    try:
        client = _broker_redis()
        if client is None:
            return None
        with client:
            return int(client.llen(DEFAULT_QUEUE))
    except Exception:  # unreachable: the broker's own status says so
        return None


class HeartbeatThread(threading.Thread):
    """Writes this worker's heartbeat every ``HEARTBEAT_SECONDS`` until stopped."""

    def __init__(self, hostname: str) -> None:
        super().__init__(name="rapport-heartbeat", daemon=True)
        self.hostname = hostname
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                worker_heartbeat_write(hostname=self.hostname)
            except Exception as exc:  # the broker is away; the next beat tries again
                logger.warning("Heartbeat not written: %s", exc.__class__.__name__)
            self.stopped.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self.stopped.set()


# Beat -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BeatState:
    last_run: dt.datetime | None
    scheduled: bool  # the dispatcher's periodic task exists and is enabled

    @property
    def alive(self) -> bool:
        return self.last_run is not None and timezone.now() - self.last_run < BEAT_STALE_AFTER


def beat_state() -> BeatState:
    """When beat last sent the sync dispatcher (django-celery-beat's ``last_run_at``)."""
    from django_celery_beat.models import PeriodicTask

    row = (
        PeriodicTask.objects.filter(task=DISPATCHER_TASK)
        .order_by("-enabled", "-last_run_at")
        .values("enabled", "last_run_at")
        .first()
    )
    if row is None:
        return BeatState(last_run=None, scheduled=False)
    return BeatState(last_run=row["last_run_at"], scheduled=bool(row["enabled"]))
