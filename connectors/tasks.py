"""Celery tasks of the connectors app: thin wrappers that own the retry policy.

Task names are explicit and stable: they are stored in django-celery-beat rows and in queued
messages, so renaming a function must never rename its task.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from connectors.demo import demo_workspaces_topup


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
