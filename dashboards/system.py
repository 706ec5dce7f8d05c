"""What the System page says: is background work running, and what it did for this workspace.

Each check is a plain sentence and, when something is wrong, what the operator should do. The
broker, worker and beat checks come from ``config.background`` (each bounded to about a second);
the rest are a few small queries on this workspace's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.background import (
    BeatState,
    BrokerState,
    WorkerBeat,
    beat_state,
    broker_configured,
    broker_probe,
    queue_length,
    worker_heartbeats,
)
from connectors.models import SocialAccount, SyncRun, SyncStatus, Workspace
from reporting.report_models import ReportRun, RunStatus

# Pending report runs, and failed ones from this far back.
FAILED_REPORTS_SINCE = dt.timedelta(days=30)
REPORT_ROWS = 20
# Past this many waiting messages with no live worker, the queue is said to be piling up.
QUEUE_BACKLOG = 100


class Level:
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    INFO = "info"


@dataclass(frozen=True)
class Check:
    title: str
    level: str
    summary: str
    advice: str = ""


@dataclass(frozen=True)
class AccountSync:
    account: SocialAccount
    latest_status: str  # the SyncStatus value, empty when never synced
    latest_label: str
    latest_at: dt.datetime | None
    latest_error: str


@dataclass(frozen=True)
class SystemStatus:
    embedded: bool
    checks: list[Check]
    accounts: list[AccountSync]
    reports_pending: list[ReportRun]
    reports_failed: list[ReportRun]


def _ago(moment: dt.datetime) -> str:
    # timesince says "0 minutes" under a minute.
    if timezone.now() - moment < dt.timedelta(minutes=1):
        return _("less than a minute")
    return timesince(moment, timezone.now())


def broker_check(state: BrokerState) -> Check:
    title = _("Task queue (broker)")
    if state.reachable:
        return Check(title, Level.OK, _("Reachable: it answered in %(ms)s ms.") % {"ms": state.ms})
    return Check(
        title,
        Level.ERROR,
        _("Unreachable (%(error)s). Pages still load, but syncs and reports wait.")
        % {"error": state.error},
        _(
            "Start Redis again (docker compose start redis, or systemctl start redis-server). "
            "Work already queued runs when it is back."
        ),
    )


def workers_check(beats: list[WorkerBeat] | None) -> Check:
    title = _("Workers")
    if beats is None:
        return Check(
            title,
            Level.WARNING,
            _("Unknown while the task queue is unreachable."),
            _("Bring the task queue back first."),
        )
    if not beats:
        return Check(
            title,
            Level.ERROR,
            _("No worker has ever answered."),
            _("Start one with make worker (or the worker service of docker compose)."),
        )
    alive = [beat for beat in beats if beat.alive]
    if not alive:
        return Check(
            title,
            Level.ERROR,
            _("No worker has answered for %(ago)s.") % {"ago": _ago(beats[0].last_seen)},
            _("Start one with make worker, and look at its log for why it stopped."),
        )
    return Check(
        title,
        Level.OK,
        ngettext(
            "%(count)d worker answering (%(names)s); last heartbeat %(ago)s ago.",
            "%(count)d workers answering (%(names)s); last heartbeat %(ago)s ago.",
            len(alive),
        )
        % {
            "count": len(alive),
            "names": ", ".join(beat.hostname for beat in alive),
            "ago": _ago(alive[0].last_seen),
        },
    )


def beat_check(state: BeatState) -> Check:
    title = _("Scheduler (beat)")
    if not state.scheduled:
        return Check(
            title,
            Level.ERROR,
            _("The sync schedule is missing or disabled."),
            _("Run make migrate (it declares every schedule), then check it in Administration."),
        )
    if state.last_run is None:
        return Check(
            title,
            Level.ERROR,
            _("Beat has never queued the sync dispatcher."),
            _("Start it with make beat: exactly one per installation."),
        )
    if not state.alive:
        return Check(
            title,
            Level.ERROR,
            _("Beat has not queued the sync dispatcher for %(ago)s.")
            % {"ago": _ago(state.last_run)},
            _("Start it with make beat (exactly one per installation) and look at its log."),
        )
    return Check(
        title,
        Level.OK,
        _("Beat queued the sync dispatcher %(ago)s ago.") % {"ago": _ago(state.last_run)},
    )


def queue_check(length: int, *, workers_alive: bool) -> Check:
    title = _("Waiting tasks")
    summary = ngettext(
        "%(count)d task waiting in the queue.", "%(count)d tasks waiting in the queue.", length
    ) % {"count": length}
    if length > QUEUE_BACKLOG and not workers_alive:
        return Check(title, Level.WARNING, summary, _("They run as soon as a worker starts."))
    return Check(title, Level.OK if length <= QUEUE_BACKLOG else Level.WARNING, summary)


def background_checks() -> list[Check]:
    """The installation-wide checks, in about two seconds at worst (the broker is down)."""
    if not broker_configured():
        return [
            Check(
                _("Background tasks"),
                Level.INFO,
                _(
                    "Tasks run inside the web process (no broker is configured): a sync or a "
                    "report is made while its page waits."
                ),
                _(
                    "Nothing runs on a schedule in this mode. For scheduled syncs and reports, "
                    "set CELERY_BROKER_URL and start make worker and make beat (README, "
                    "Background tasks)."
                ),
            )
        ]
    broker = broker_probe()
    checks = [broker_check(broker)]
    beats = worker_heartbeats() if broker.reachable else None
    checks.append(workers_check(beats))
    checks.append(beat_check(beat_state()))
    length = queue_length() if broker.reachable else None
    if length is not None:
        checks.append(queue_check(length, workers_alive=any(beat.alive for beat in beats or [])))
    return checks


def system_status(*, workspace: Workspace) -> SystemStatus:
    latest = SyncRun.objects.filter(account=OuterRef("pk")).order_by("-queued_at", "-pk")
    accounts = (
        SocialAccount.objects.filter(workspace=workspace)
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_at=Subquery(latest.values("queued_at")[:1]),
            latest_error=Subquery(latest.values("error")[:1]),
        )
        .order_by("platform", "display_name")
    )
    runs = ReportRun.objects.filter(workspace=workspace).order_by("-created_at")
    pending = runs.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RENDERING, RunStatus.SENDING]
    ).select_related("schedule")[:REPORT_ROWS]
    failed = runs.filter(
        status__in=[RunStatus.FAILED, RunStatus.PARTLY_SENT],
        created_at__gte=timezone.now() - FAILED_REPORTS_SINCE,
    ).select_related("schedule")[:REPORT_ROWS]
    return SystemStatus(
        embedded=not broker_configured(),
        checks=background_checks(),
        accounts=[
            AccountSync(
                account=account,
                latest_status=account.latest_status or "",
                latest_label=str(SyncStatus(account.latest_status).label)
                if account.latest_status
                else "",
                latest_at=account.latest_at,
                latest_error=account.latest_error or "",
            )
            for account in accounts
        ],
        reports_pending=list(pending),
        reports_failed=list(failed),
    )
