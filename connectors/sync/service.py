"""The sync service: one run of one account, from claim to commit.

The idempotency key is the run id. A run claims its account's lease, fetches its window, and
writes every fact, its raw responses and its own counters in one transaction; the cursor moves
only after that commit. A run killed halfway leaves nothing half-written, and running it again
(a redelivered message, a retry) redoes the same window with the same result.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from typing import NoReturn
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connectors.base import AuthError, Connector, ConnectorError, RateLimited, TransientError
from connectors.models import (
    AccountStatus,
    RawResponse,
    SocialAccount,
    SyncCursor,
    SyncRun,
    SyncStatus,
)
from connectors.notifications import account_needs_reauth_notify
from connectors.registry import CONNECTORS
from connectors.services import (
    account_metrics_upsert,
    post_metrics_upsert,
    posts_published_refresh,
    posts_upsert,
)
from connectors.sync.claim import (
    sync_lease_claim,
    sync_lease_holder,
    sync_lease_release,
    sync_lease_renew,
)
from connectors.sync.dispatch import ACTIVE_RUN_STATUSES, sync_interval
from connectors.sync.fetch import (
    Fetched,
    SyncSetupError,
    connector_build,
    credentials_refresh,
    platform_app,
    window_fetch,
)
from connectors.sync.redact import json_redact, secret_values, text_redact
from connectors.sync.window import MAX_CATCHUP_DAYS, SyncWindow, account_today, sync_window

logger = logging.getLogger(__name__)
_SENTENCE_ENDS = (".", "!", "?", "…")

RetryPolicy = Callable[[ConnectorError], float | None]
_ERROR_MAX_CHARS = 2000


class SyncRetry(Exception):
    """The attempt hit an error worth retrying: the run is queued again, to be retried by the
    caller (the task) after ``countdown`` seconds, with the same run id."""

    def __init__(self, message: str, *, run_id: int, countdown: float) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.countdown = countdown


class _LeaseLost(Exception):
    pass


def account_sync(*, run_id: int, retry_in: RetryPolicy | None = None) -> SyncRun:
    """Run the sync ``run_id`` (a ``queued`` SyncRun) and return it finished.

    The run ends ``succeeded``, ``partial`` (the connector skipped something: see its warnings),
    ``failed`` (its error says why in plain words) or ``skipped`` (another run holds the
    account). A run already finished is returned untouched, so a redelivered message is harmless.

    ``retry_in`` is the caller's retry policy: given a ``TransientError`` or ``RateLimited``, the
    seconds to wait before retrying, or None to fail now. When it returns a delay, the run goes
    back to ``queued`` and ``SyncRetry`` is raised. Without it nothing is retried.
    """
    run = SyncRun.objects.select_related("account__workspace").get(pk=run_id)
    if run.status not in ACTIVE_RUN_STATUSES:
        return run
    # Run messages are stored in the workspace's language: that is who reads them.
    with translation.override(run.account.workspace.language):
        return _attempt(run, retry_in=retry_in)


def _attempt(run: SyncRun, *, retry_in: RetryPolicy | None) -> SyncRun:
    account = run.account
    now = timezone.now()
    if account.platform not in CONNECTORS:
        run.started_at = now
        return _run_finish(
            run,
            SyncStatus.FAILED,
            now=now,
            error=_(
                "%(platform)s accounts are not synced from an API: their data comes from "
                "imported files or the demo."
            )
            % {"platform": account.get_platform_display()},
        )
    cursor = sync_lease_claim(run=run, now=now)
    if cursor is None:
        return _run_finish(run, SyncStatus.SKIPPED, now=now, error=_skip_reason(account, now))

    run.status = SyncStatus.RUNNING
    run.started_at = now
    run.attempts += 1
    run.save(update_fields=["status", "started_at", "attempts"])
    secrets = secret_values(platform_app(account.platform))
    try:
        with requests.Session() as session:
            connector = connector_build(account=account, session=session)
            secrets |= secret_values(connector.credentials)
            credentials_refresh(account=account, cursor=cursor, connector=connector)
            secrets |= secret_values(connector.credentials)
            window = _window(run, cursor=cursor, connector=connector, now=now)
            fetched = window_fetch(connector=connector, account=account, window=window)
        _write(run, connector=connector, fetched=fetched, window=window, secrets=secrets)
    except SyncSetupError as exc:
        return _fail(run, cursor, str(exc), secrets=secrets, account_status=exc.account_status)
    except AuthError as exc:
        message = _auth_message(account, exc)
        return _fail(
            run, cursor, message, secrets=secrets, account_status=AccountStatus.NEEDS_REAUTH
        )
    except (TransientError, RateLimited) as exc:
        countdown = retry_in(exc) if retry_in is not None else None
        if countdown is not None:
            _requeue(run, exc, countdown=countdown, secrets=secrets)
        return _fail(run, cursor, _retry_exhausted_message(run, cursor, exc), secrets=secrets)
    except ConnectorError as exc:
        hint = _("The next scheduled sync will try again around %(when)s.") % {
            "when": _next_attempt(run, cursor)
        }
        return _fail(run, cursor, _sentences(str(exc), hint), secrets=secrets)
    except _LeaseLost:
        message = _(
            "This sync took longer than allowed and another sync of the account took over; "
            "nothing from this one was saved."
        )
        return _fail(run, cursor, message, secrets=secrets)
    except Exception as exc:
        # The traceback without the exception's own text, which may quote a URL with a token.
        logger.error(
            "Sync run %s of account %s failed unexpectedly: %s\n%s",
            run.pk,
            account.pk,
            text_redact(f"{exc.__class__.__name__}: {exc}", secrets),
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        message = _(
            "Rapport hit an unexpected problem during this sync (%(problem)s). Nothing from it "
            "was saved, and the next scheduled sync will try again. If this keeps happening, "
            "send the server log to your administrator."
        ) % {"problem": f"{exc.__class__.__name__}: {exc}"[:300]}
        return _fail(run, cursor, message, secrets=secrets)
    else:
        _cursor_advance(cursor, window=window, now=timezone.now())
    finally:
        sync_lease_release(run=run)
    logger.info(
        "Sync run %s of account %s %s: %d account rows, %d posts, %d post rows written.",
        run.pk,
        account.pk,
        run.status,
        run.account_rows_written,
        run.posts_written,
        run.post_rows_written,
    )
    return run


def _window(
    run: SyncRun, *, cursor: SyncCursor, connector: Connector, now: dt.datetime
) -> SyncWindow:
    # The first attempt stores its window on the run; a retry or a redelivery reuses it, so the
    # same run always covers the same days.
    try:
        window = sync_window(
            today=account_today(tz=run.account.timezone, now=now),
            synced_through=cursor.synced_through,
            lookback_days=connector.lookback_days,
            snapshots=connector.account_metrics_are_snapshots,
            start=run.window_start,
            end=run.window_end,
        )
    except ValueError as exc:
        raise SyncSetupError(
            _("The requested days are not a valid window: %(problem)s") % {"problem": exc},
            account_status=None,
        ) from exc
    if (run.window_start, run.window_end) != (window.start, window.end):
        run.window_start, run.window_end = window.start, window.end
        run.save(update_fields=["window_start", "window_end"])
    return window


def _write(
    run: SyncRun,
    *,
    connector: Connector,
    fetched: Fetched,
    window: SyncWindow,
    secrets: frozenset[str],
) -> None:
    account = run.account
    warnings = [*fetched.warnings, *connector.notes.warnings]
    if window.capped:
        warnings.append(
            _(
                "Only the last %(days)s days were synced; run sync_account with --start to "
                "backfill the days before %(start)s."
            )
            % {"days": MAX_CATCHUP_DAYS, "start": window.start}
        )
    now = timezone.now()
    with transaction.atomic():
        # Also takes the cursor row's lock until commit: no other run can write in between.
        if not sync_lease_renew(run=run, now=now):
            raise _LeaseLost
        run.posts_written = posts_upsert(account=account, posts=fetched.posts).written
        run.post_rows_written = post_metrics_upsert(account=account, rows=fetched.post_rows)
        run.account_rows_written = account_metrics_upsert(
            account=account, rows=fetched.account_rows
        )
        # The post list is complete from posts_since on, so each of those days gets its count.
        # Derived bookkeeping, not what the platform sent: not counted in the run's rows.
        posts_published_refresh(
            account=account,
            days=_days(window.posts_since, window.end),
            reported={r.day for r in fetched.account_rows if r.metric == "posts_published"},
        )
        _raw_responses_store(run, connector=connector, secrets=secrets)
        run.warnings = [text_redact(w, secrets) for w in warnings]
        run.status = SyncStatus.PARTIAL if warnings else SyncStatus.SUCCEEDED
        run.error = ""
        run.finished_at = now
        run.save()
        SocialAccount.objects.filter(pk=account.pk).update(last_synced_at=now)
        SocialAccount.objects.filter(
            pk=account.pk, status__in=[AccountStatus.ERROR, AccountStatus.NEEDS_REAUTH]
        ).update(status=AccountStatus.ACTIVE)


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _raw_responses_store(run: SyncRun, *, connector: Connector, secrets: frozenset[str]) -> None:
    keep = settings.SYNC_RAW_RESPONSES_KEEP
    if keep > 0:
        RawResponse.objects.bulk_create(
            RawResponse(
                account=run.account,
                sync_run=run,
                endpoint=recorded.endpoint[:200],
                params=json_redact(dict(recorded.params), secrets),
                status_code=recorded.status_code,
                body=json_redact(recorded.body, secrets),
                mapping_version=connector.mapping_version,
            )
            for recorded in connector.recorded
        )
    kept = list(
        SyncRun.objects.filter(account=run.account, raw_responses__isnull=False)
        .distinct()
        .order_by("-pk")
        .values_list("pk", flat=True)[: max(keep, 0)]
    )
    RawResponse.objects.filter(account=run.account, sync_run__isnull=False).exclude(
        sync_run_id__in=kept
    ).delete()


def _cursor_advance(cursor: SyncCursor, *, window: SyncWindow, now: dt.datetime) -> None:
    through = max(filter(None, [cursor.synced_through, window.end]))
    SyncCursor.objects.filter(pk=cursor.pk).update(
        synced_through=through, posts_synced_at=now, last_error="", consecutive_failures=0
    )


def _requeue(
    run: SyncRun, error: ConnectorError, *, countdown: float, secrets: frozenset[str]
) -> NoReturn:
    message = text_redact(
        _sentences(
            _("Attempt %(attempt)s did not succeed: %(problem)s")
            % {"attempt": run.attempts, "problem": error},
            _("Trying again in %(seconds)s s.") % {"seconds": round(countdown)},
        ),
        secrets,
    )
    run.status = SyncStatus.QUEUED
    run.error = message[:_ERROR_MAX_CHARS]
    run.save(update_fields=["status", "error"])
    sync_lease_release(run=run)
    logger.info("Sync run %s will be retried in %.0f s.", run.pk, countdown)
    raise SyncRetry(message, run_id=run.pk, countdown=countdown)


def _fail(
    run: SyncRun,
    cursor: SyncCursor,
    message: str,
    *,
    secrets: frozenset[str],
    account_status: str | None = AccountStatus.ERROR,
) -> SyncRun:
    """Finish ``run`` as failed, count the failure on the cursor, and move the account to
    ``account_status`` (None: leave it; a paused account is never moved to ``error``)."""
    error = text_redact(message, secrets)[:_ERROR_MAX_CHARS]
    _run_finish(run, SyncStatus.FAILED, now=timezone.now(), error=error)
    SyncCursor.objects.filter(pk=cursor.pk).update(
        last_error=error, consecutive_failures=F("consecutive_failures") + 1
    )
    account = run.account
    if account_status == AccountStatus.NEEDS_REAUTH:
        # Conditional, so admins hear once per account going into needs_reauth, not every run.
        newly = SocialAccount.objects.filter(pk=account.pk).exclude(
            status=AccountStatus.NEEDS_REAUTH
        )
        if newly.update(status=AccountStatus.NEEDS_REAUTH):
            account.status = AccountStatus.NEEDS_REAUTH
            account_needs_reauth_notify(account=account, error=error)
    elif account_status is not None:
        SocialAccount.objects.filter(pk=account.pk, status=AccountStatus.ACTIVE).update(
            status=account_status
        )
    logger.info("Sync run %s of account %s failed: %s", run.pk, account.pk, error)
    return run


def _run_finish(run: SyncRun, status: str, *, now: dt.datetime, error: str) -> SyncRun:
    run.status = status
    run.error = error
    run.finished_at = now
    run.save(update_fields=["status", "error", "started_at", "finished_at"])
    return run


def _skip_reason(account: SocialAccount, now: dt.datetime) -> str:
    holder = sync_lease_holder(account=account, now=now)
    if holder is not None and holder.started_at is not None:
        started = holder.started_at.astimezone(ZoneInfo(account.workspace.timezone))
        return _(
            "Another sync of this account (started %(time)s) is still running, so this one was "
            "skipped. Nothing was changed."
        ) % {"time": f"{started:%Y-%m-%d %H:%M}"}
    return _("Another sync of this account is still running, so this one was skipped.")


def _auth_message(account: SocialAccount, error: AuthError) -> str:
    message = _sentences(
        str(error),
        _(
            "A workspace admin must reconnect this account on the Accounts page; until then it "
            "is not synced."
        ),
    )
    app = platform_app(account.platform)
    if not (app.get("client_id") and app.get("client_secret")):
        variable = account.platform.upper()
        message += " " + _(
            "Rapport has no %(platform)s app configured (%(variable)s_CLIENT_ID and "
            "%(variable)s_CLIENT_SECRET), so it cannot renew expired tokens."
        ) % {"platform": account.get_platform_display(), "variable": variable}
    return message


def _retry_exhausted_message(run: SyncRun, cursor: SyncCursor, error: ConnectorError) -> str:
    when = _next_attempt(run, cursor)
    if isinstance(error, RateLimited) and error.daily_quota:
        hint = _(
            "The platform's daily API quota is used up. The next scheduled sync will try "
            "again around %(when)s."
        ) % {"when": when}
    elif run.attempts > 1:
        hint = _(
            "Rapport tried %(attempts)s times; the next scheduled sync will try again around "
            "%(when)s."
        ) % {"attempts": run.attempts, "when": when}
    else:
        hint = _("The next scheduled sync will try again around %(when)s.") % {"when": when}
    return _sentences(str(error), hint)


def _sentences(*parts: str) -> str:
    """Join messages into one paragraph; a platform's message may lack its full stop."""
    return " ".join(p if p.endswith(_SENTENCE_ENDS) else f"{p}." for p in parts if p)


def _next_attempt(run: SyncRun, cursor: SyncCursor) -> str:
    # This failure counts too: the dispatcher will see one more consecutive failure.
    interval = sync_interval(consecutive_failures=cursor.consecutive_failures + 1)
    when = (cursor.last_attempt_at or timezone.now()) + interval
    local = when.astimezone(ZoneInfo(run.account.workspace.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({run.account.workspace.timezone})"
