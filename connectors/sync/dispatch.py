"""Which accounts are due for a sync, and how a sync run is queued.

Beat is a trigger, not the source of truth: every tick the dispatcher asks the database which
accounts are due and queues one run for each. A missed tick heals at the next one, and a
duplicate tick is harmless, because an account with a queued or running run is never due.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connectors.models import AccountStatus, SocialAccount, SyncRun, SyncStatus, SyncTrigger
from connectors.registry import CONNECTORS

logger = logging.getLogger(__name__)

ACTIVE_RUN_STATUSES = (SyncStatus.QUEUED, SyncStatus.RUNNING)
# Failing accounts are retried less and less often, but at least once a day.
FAILING_INTERVAL_MAX = dt.timedelta(hours=24)
# The longest a task waits before retrying (connectors.tasks.RETRY_WAIT_MAX_SECONDS).
_RETRY_WAIT_MAX = dt.timedelta(minutes=10)


def sync_interval(*, consecutive_failures: int) -> dt.timedelta:
    """How long after its last attempt an account is due again: SYNC_EVERY_HOURS, doubling with
    each consecutive failure past the first, up to a day."""
    base = dt.timedelta(hours=settings.SYNC_EVERY_HOURS)
    if consecutive_failures <= 1:
        return base
    cap = max(base, FAILING_INTERVAL_MAX)
    return min(base * 2 ** min(consecutive_failures - 1, 16), cap)


def stale_after() -> dt.timedelta:
    """A queued or running run silent for this long was lost (its worker died, or the broker
    dropped its message): longer than a task's hard limit plus its longest retry wait."""
    return (
        dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        + _RETRY_WAIT_MAX
        + dt.timedelta(minutes=15)
    )


def accounts_due(*, now: dt.datetime) -> QuerySet[SocialAccount]:
    """Accounts a scheduled sync should start for now.

    Connected accounts of API platforms only (not the demo's, nor accounts filled by imports,
    which carry a platform but no credentials), active or in error (retried with a
    back-off by consecutive failures), never attempted or last attempted at least their
    interval ago, and without a queued or running run.
    """
    due = Q(sync_cursor__isnull=True) | Q(sync_cursor__last_attempt_at__isnull=True)
    failures = 0
    while True:
        interval = sync_interval(consecutive_failures=failures)
        if failures >= 1 and interval == sync_interval(consecutive_failures=failures + 1):
            # The interval grows no more from here: one condition covers every higher count.
            due |= Q(
                sync_cursor__consecutive_failures__gte=failures,
                sync_cursor__last_attempt_at__lte=now - interval,
            )
            return _due_accounts(due)
        due |= Q(
            sync_cursor__consecutive_failures=failures,
            sync_cursor__last_attempt_at__lte=now - interval,
        )
        failures += 1


def _due_accounts(due: Q) -> QuerySet[SocialAccount]:
    return (
        SocialAccount.objects.filter(
            platform__in=list(CONNECTORS),
            status__in=[AccountStatus.ACTIVE, AccountStatus.ERROR],
        )
        .exclude(credentials_encrypted="")
        .filter(due)
        .exclude(sync_runs__status__in=ACTIVE_RUN_STATUSES)
        .order_by("pk")
    )


def sync_runs_abandon_stale(
    *, now: dt.datetime, account: SocialAccount | None = None
) -> list[SyncRun]:
    """Mark runs that stopped without finishing as failed (of every account, or of ``account``),
    so their accounts become due again."""
    cutoff = now - stale_after()
    stale = SyncRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).filter(
        Q(started_at__isnull=True, queued_at__lt=cutoff) | Q(started_at__lt=cutoff)
    )
    if account is not None:
        stale = stale.filter(account=account)
    abandoned = []
    for run in stale.select_related("account__workspace"):
        with translation.override(run.account.workspace.language):
            error = _(
                "This sync stopped without finishing (the worker was restarted or lost the job). "
                "Nothing from it was half-saved; a new sync is queued with the next schedule."
            )
        if SyncRun.objects.filter(pk=run.pk, status__in=ACTIVE_RUN_STATUSES).update(
            status=SyncStatus.FAILED, finished_at=now, error=error
        ):
            abandoned.append(run)
            logger.warning("Sync run %s of account %s was abandoned.", run.pk, run.account_id)
    return abandoned


def accounts_sync_dispatch(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """Queue one scheduled run per due account; returns the runs created.

    Idempotent: each account row is locked while it is checked again and its run created, so
    two dispatchers at once queue one run per account, and a second tick queues nothing.
    """
    now = now or timezone.now()
    sync_runs_abandon_stale(now=now)
    created = []
    for account_id in list(accounts_due(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            locked = SocialAccount.objects.select_for_update().filter(pk=account_id).first()
            if locked is None or not accounts_due(now=now).filter(pk=account_id).exists():
                continue
            run = SyncRun.objects.create(account=locked, trigger=SyncTrigger.SCHEDULE)
            sync_run_enqueue(run=run)
        created.append(run)
    if created:
        logger.info("Queued %d scheduled syncs.", len(created))
    return created


def sync_run_request(
    *,
    account: SocialAccount,
    trigger: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> SyncRun:
    """Queue a sync of ``account`` and return its run (``queued``; the UI shows it).

    The task is sent when the surrounding transaction commits; without a broker it runs
    in-process at that moment. A request without dates while a run of the account is already
    queued or running returns that run instead of queuing a second one (a double click). With
    ``start``/``end``, the run backfills those days (see ``sync_window``).
    """
    if start is not None and end is not None and start > end:
        raise ValueError(f"The start date {start} falls after the end date {end}.")
    if start is None and end is None:
        # A run lost with its process (the embedded default has no dispatcher to notice) must
        # not stand in for a new one forever.
        sync_runs_abandon_stale(now=timezone.now(), account=account)
        active = account.sync_runs.filter(status__in=ACTIVE_RUN_STATUSES).order_by("-pk").first()
        if active is not None:
            return active
    run = SyncRun.objects.create(
        account=account, trigger=trigger, window_start=start, window_end=end
    )
    sync_run_enqueue(run=run)
    return run


def sync_run_enqueue(*, run: SyncRun) -> None:
    transaction.on_commit(partial(_sync_run_send, run.pk))


def _sync_run_send(run_id: int) -> None:
    """Send the run's task; when the broker is unreachable, end the run with a plain reason.

    Failing it at once (rather than leaving it queued) frees the account: its "Sync now" works
    again as soon as the queue is back, and the schedule syncs it as usual, since a run that
    never started does not count as an attempt."""
    # Imported here: the task module imports the sync services, which would make a cycle.
    from config.background import task_send
    from connectors.tasks import account_sync_task

    if task_send(account_sync_task, run_id):
        return
    run = SyncRun.objects.select_related("account__workspace").get(pk=run_id)
    with translation.override(run.account.workspace.language):
        error = _(
            "The task queue is unreachable, so this sync could not start. Nothing was changed: "
            "try again once background work is back; scheduled syncs resume by themselves."
        )
    SyncRun.objects.filter(pk=run_id, status=SyncStatus.QUEUED, started_at__isnull=True).update(
        status=SyncStatus.FAILED, finished_at=timezone.now(), error=error
    )
