"""Every periodic task Rapport runs, declared once, as data.

``manage.py setup_periodic_tasks`` upserts these into django-celery-beat (run it on every deploy;
it is idempotent). Rows it creates are marked, so it can disable one that is no longer declared
here, while rows an admin creates in the Django admin are left alone. Times are UTC; a task that
works on "yesterday" resolves it in each workspace's own timezone.
"""

from __future__ import annotations

from dataclasses import dataclass

# Written into each managed row's description, so admins see where it comes from and the command
# can tell its own rows from theirs.
MANAGED_MARKER = "Declared in config/schedules.py; edits here are reset by setup_periodic_tasks."


@dataclass(frozen=True)
class Crontab:
    """A UTC crontab, in django-celery-beat's field syntax."""

    minute: str = "0"
    hour: str = "*"
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"


@dataclass(frozen=True)
class Schedule:
    name: str  # unique; the row's natural key in django-celery-beat
    task: str  # a registered Celery task name
    crontab: Crontab
    why: str  # shown to admins as the row's description
    # A run still queued this long after it was due is dropped rather than started late. Keep it
    # below the period, so a backlog after an outage never runs the same job twice in a row.
    expire_seconds: int = 3600


SCHEDULES: tuple[Schedule, ...] = (
    # 03:15 UTC: the previous day is over in every European timezone (the demo's is Paris), and
    # a quarter past keeps it clear of jobs that start on the hour. A missed night is caught up
    # by the next run, since the top-up fills every missing day, so a late run may be dropped.
    Schedule(
        name="Demo data: top up to yesterday",
        task="connectors.demo_topup",
        crontab=Crontab(minute="15", hour="3"),
        why="Extends every demo workspace's daily history to yesterday, so the demo stays fresh.",
        expire_seconds=20 * 3600,
    ),
    # Every 15 minutes: the tick only asks the database which accounts are due (each account
    # every RAPPORT_SYNC_EVERY_HOURS, failing ones less often), so a short period costs little,
    # spreads syncs over the day instead of bunching them, and a new or reconnected account
    # waits minutes, not hours. A tick dropped after 10 minutes is harmless: the next one
    # queues whatever is still due, and a duplicate queues nothing twice.
    Schedule(
        name="Sync accounts from platform APIs",
        task="connectors.accounts_sync_dispatch",
        crontab=Crontab(minute="*/15"),
        why="Queues a sync of every connected account that is due, so their numbers stay fresh.",
        expire_seconds=600,
    ),
    # Every 30 minutes: an alert about an account that stopped syncing or a KPI that dropped is
    # worth knowing within the hour, and each run costs one KPI computation per rule. Events are
    # keyed by occurrence, so a run that is late, doubled or dropped sends nothing twice; a
    # dropped run is simply caught up by the next one.
    Schedule(
        name="Evaluate alert rules",
        task="reporting.alerts_evaluate",
        crontab=Crontab(minute="5,35"),
        why="Checks every active alert rule and emails or posts each new occurrence once.",
        expire_seconds=1200,
    ),
    # Every 10 minutes, offset from the sync ticks: the overview computed after new data is
    # ready before someone opens it. A run finds nothing to do unless a workspace's data
    # changed, so a doubled run costs two cache reads; a dropped one only leaves the next
    # visitor to compute the page.
    Schedule(
        name="Compute dashboards after new data",
        task="dashboards.panels_warm",
        crontab=Crontab(minute="7-59/10"),
        why="Computes each changed workspace's overview ahead of the first visit.",
        expire_seconds=540,
    ),
    # Every 5 minutes: a report goes out at a minute a manager chose, so a short tick keeps it
    # within minutes of that time, and a tick only reads the active schedules and compares.
    # A run is unique per schedule and report period, so a late, doubled or dropped tick sends
    # nothing twice; the next one catches a missed moment up, and hands out again a run whose
    # worker was lost.
    Schedule(
        name="Send scheduled reports",
        task="reports.schedules_dispatch",
        crontab=Crontab(minute="*/5"),
        why="Renders and emails each report schedule that is due, once per period.",
        expire_seconds=240,
    ),
    # Daily at 03:45 UTC, a quiet hour clear of the demo top-up: one DELETE of the events past
    # RAPPORT_AUDIT_RETENTION_DAYS. A dropped run only keeps events one more day.
    Schedule(
        name="Prune the audit log",
        task="connectors.audit_prune",
        crontab=Crontab(minute="45", hour="3"),
        why="Deletes audit log events older than RAPPORT_AUDIT_RETENTION_DAYS.",
        expire_seconds=6 * 3600,
    ),
)
