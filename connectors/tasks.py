"""Celery tasks of the connectors app: thin wrappers that own the retry policy.

Task names are explicit and stable: they are stored in django-celery-beat rows and in queued
messages, so renaming a function must never rename its task.
"""

from __future__ import annotations

import random

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from connectors.audit import audit_prune
from connectors.base import AuthError, ConnectorError, RateLimited, TransientError
from connectors.demo import demo_workspaces_topup
from connectors.sync import SyncRetry, account_sync, accounts_sync_dispatch

# Retries of one sync run. The longest wait plus the time limit stays below the broker's
# visibility timeout (retry_wait_max): a message delayed past it would be delivered twice.
SYNC_MAX_RETRIES = 5
RETRY_BACKOFF_BASE_SECONDS = 30.0
RETRY_WAIT_MAX_SECONDS = 600.0


@shared_task(
    name="connectors.demo_topup",
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
)
def demo_topup() -> dict[str, int]:
    """Extend every demo workspace's history to yesterday (in its timezone).

    Idempotency key: (workspace, day). Values depend only on the day, so running it twice, or
    late, or after a missed night, writes exactly the rows that are missing and nothing else.
    Returns the number of rows written per workspace slug (for the worker log).
    """
    return {
        slug: written.posts + written.post_metrics + written.account_metrics
        for slug, written in demo_workspaces_topup().items()
    }


def retry_wait_max() -> float:
    """The longest countdown of a retry: ``RETRY_WAIT_MAX_SECONDS``, or less when the broker's
    visibility timeout is short. A worker holds a retried message unacknowledged while it waits
    and then runs it; past the visibility timeout Redis would hand it to a second worker."""
    budget = settings.CELERY_BROKER_VISIBILITY_TIMEOUT - settings.CELERY_TASK_TIME_LIMIT - 1
    return float(max(0, min(RETRY_WAIT_MAX_SECONDS, budget)))


def sync_retry_countdown(
    error: ConnectorError, *, retries: int, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before retrying a sync that failed with ``error``, or None to give up.

    ``TransientError`` (5xx, timeouts): exponential back-off from 30 s, doubled per retry, with
    jitter (a random point in the upper half) so that accounts failing together do not retry
    together. ``RateLimited``: after ``retry_after`` when the platform says (or the back-off
    when it does not), but never for an exhausted daily quota, nor when the wait is longer
    than ``retry_wait_max()``: the schedule picks the account up again later.
    ``AuthError`` and other errors: never. At most ``SYNC_MAX_RETRIES`` retries.
    """
    if retries >= SYNC_MAX_RETRIES or isinstance(error, AuthError):
        return None
    wait_max = retry_wait_max()
    if wait_max < 1:
        return None
    backoff = min(RETRY_BACKOFF_BASE_SECONDS * 2**retries, wait_max)
    jittered = backoff / 2 + (rng or random).uniform(0, backoff / 2)
    if isinstance(error, RateLimited):
        if error.daily_quota:
            return None
        if error.retry_after is None:
            return jittered
        if error.retry_after > wait_max:
            return None
        return max(error.retry_after, 1.0)
    if isinstance(error, TransientError):
        return jittered
    return None


@shared_task(bind=True, name="connectors.account_sync", max_retries=SYNC_MAX_RETRIES)
def account_sync_task(self: Task, run_id: int) -> str:
    """Run the sync ``run_id`` and retry it by the policy of ``sync_retry_countdown``.

    Idempotency key: the run id. ``acks_late`` is on, so a worker lost mid-sync has its message
    redelivered: the run takes its own lease back and redoes the same window, which the upserts
    make harmless; a run already finished is left as it is. A retry is a new message for the
    same run. Without a broker (tasks run in-process) nothing is retried, so that a request
    never sleeps: the run fails with its reason and the schedule tries again later.
    Returns the run's final status (for the worker log).
    """
    retries = int(self.request.retries or 0)

    def retry_in(error: ConnectorError) -> float | None:
        if self.request.is_eager:
            return None
        return sync_retry_countdown(error, retries=retries)

    try:
        run = account_sync(run_id=run_id, retry_in=retry_in)
    except SyncRetry as pending:
        raise self.retry(countdown=pending.countdown, exc=pending) from None
    return str(run.status)


@shared_task(name="connectors.accounts_sync_dispatch", autoretry_for=(OperationalError,))
def accounts_sync_dispatch_task() -> int:
    """Queue one sync per due account (``connectors.sync.accounts_due``); returns how many.

    Idempotent: an account with a queued or running run is not due, so a duplicate or late
    tick queues nothing twice.
    """
    return len(accounts_sync_dispatch())


@shared_task(name="connectors.audit_prune", autoretry_for=(OperationalError,), max_retries=3)
def audit_prune_task() -> int:
    """Delete audit events older than RAPPORT_AUDIT_RETENTION_DAYS.

    Idempotent: the cutoff only moves forward, so a doubled or late run deletes nothing twice.
    Returns how many events went (for the worker log).
    """
    return audit_prune(older_than_days=settings.AUDIT_RETENTION_DAYS)
