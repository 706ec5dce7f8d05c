"""The per-account lease that keeps two workers from syncing the same account at once.

A run claims its account's ``SyncCursor`` with one conditional UPDATE: it succeeds only when no
other run holds an unexpired lease. The lease outlives the task's hard time limit, so a worker
killed mid-sync leaves a lease that simply expires. The holder is the run id, so a redelivered
or retried message for the same run can take its own lease back.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from connectors.models import SocialAccount, SyncCursor, SyncRun

# Time for the task to be killed by its hard limit and its lease to be seen as free after.
LEASE_MARGIN = dt.timedelta(minutes=2)


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + LEASE_MARGIN


def sync_cursor_get(*, account: SocialAccount) -> SyncCursor:
    # get_or_create survives two runs creating the same cursor at once: the loser re-reads it.
    cursor, _ = SyncCursor.objects.get_or_create(account=account)
    return cursor


def sync_lease_claim(*, run: SyncRun, now: dt.datetime) -> SyncCursor | None:
    """Take the account's lease for ``run``, or return None when another run holds it."""
    cursor = sync_cursor_get(account=run.account)
    claimed = (
        SyncCursor.objects.filter(pk=cursor.pk)
        .filter(
            Q(claimed_until__isnull=True)
            | Q(claimed_until__lte=now)
            | Q(claimed_by=str(run.pk))
            | Q(claimed_by="")
        )
        .update(claimed_by=str(run.pk), claimed_until=now + lease_duration(), last_attempt_at=now)
    )
    if not claimed:
        return None
    cursor.refresh_from_db()
    return cursor


def sync_lease_renew(*, run: SyncRun, now: dt.datetime) -> bool:
    """Extend ``run``'s lease; False when it has lost it (it expired and another run took it)."""
    return bool(
        SyncCursor.objects.filter(account_id=run.account_id, claimed_by=str(run.pk)).update(
            claimed_until=now + lease_duration()
        )
    )


def sync_lease_release(*, run: SyncRun) -> None:
    SyncCursor.objects.filter(account_id=run.account_id, claimed_by=str(run.pk)).update(
        claimed_by="", claimed_until=None
    )


def sync_lease_holder(*, account: SocialAccount, now: dt.datetime) -> SyncRun | None:
    """The run holding ``account``'s lease right now, if any (for a skipped run's reason)."""
    holder = (
        SyncCursor.objects.filter(account=account, claimed_until__gt=now)
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .first()
    )
    if holder is None or not holder.isdigit():
        return None
    return SyncRun.objects.filter(pk=int(holder)).first()
