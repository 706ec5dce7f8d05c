"""Syncing accounts from platform APIs: the service a task, a command or a view calls.

``service`` runs one sync (claim, fetch, write, cursor); ``dispatch`` decides which accounts
are due and queues runs; ``fetch`` drives the connector; ``window`` holds the date rules;
``claim`` the per-account lease; ``redact`` keeps secrets out of what is stored.
"""

from connectors.sync.dispatch import (
    accounts_due,
    accounts_sync_dispatch,
    sync_interval,
    sync_run_request,
    sync_runs_abandon_stale,
)
from connectors.sync.service import RetryPolicy, SyncRetry, account_sync
from connectors.sync.window import SyncWindow, post_snapshot_due, sync_window

__all__ = [
    "RetryPolicy",
    "SyncRetry",
    "SyncWindow",
    "account_sync",
    "accounts_due",
    "accounts_sync_dispatch",
    "post_snapshot_due",
    "sync_interval",
    "sync_run_request",
    "sync_runs_abandon_stale",
    "sync_window",
]
