from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config import schedules as declared
from config.schedules import MANAGED_MARKER, Crontab, Schedule


@dataclass
class PeriodicTasksSynced:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


def periodic_tasks_sync(*, schedules: Sequence[Schedule]) -> PeriodicTasksSynced:
    """Make django-celery-beat's rows match ``schedules``, touching only what differs.

    Each declared schedule is upserted by name; a row already as declared is not saved again,
    so a re-run changes nothing and beat does not reload. Rows this created earlier (marked in
    their description) whose name is no longer declared are disabled, not deleted, so their run
    history stays visible. Rows without the marker belong to admins and are never touched.
    """
    names = [s.name for s in schedules]
    if len(set(names)) != len(names):
        raise ValueError(f"Schedule names must be unique: {names}")
    result = PeriodicTasksSynced()
    with transaction.atomic():
        for schedule in schedules:
            desired: dict[str, Any] = {
                "task": schedule.task,
                "crontab": _crontab_get_or_create(schedule.crontab),
                "interval": None,
                "solar": None,
                "clocked": None,
                "one_off": False,
                "args": "[]",
                "kwargs": "{}",
                "enabled": True,
                "expires": None,
                "expire_seconds": schedule.expire_seconds,
                "description": f"{schedule.why}\n\n{MANAGED_MARKER}",
            }
            row = PeriodicTask.objects.filter(name=schedule.name).first()
            if row is not None and all(getattr(row, k) == v for k, v in desired.items()):
                result.unchanged.append(schedule.name)
                continue
            # save() tells beat to reload its schedule, which is why unchanged rows are skipped.
            _, created = PeriodicTask.objects.update_or_create(name=schedule.name, defaults=desired)
            (result.created if created else result.updated).append(schedule.name)

        stale = PeriodicTask.objects.filter(
            description__endswith=MANAGED_MARKER, enabled=True
        ).exclude(name__in=names)
        for row in stale.order_by("name"):
            row.enabled = False
            row.save()
            result.disabled.append(row.name)
    return result


def _crontab_get_or_create(crontab: Crontab) -> CrontabSchedule:
    # Not get_or_create: the admin lets people save identical crontabs, and any of them will do.
    fields = {
        "minute": crontab.minute,
        "hour": crontab.hour,
        "day_of_week": crontab.day_of_week,
        "day_of_month": crontab.day_of_month,
        "month_of_year": crontab.month_of_year,
        "timezone": "UTC",
    }
    existing = CrontabSchedule.objects.filter(**fields).order_by("id").first()
    return existing or CrontabSchedule.objects.create(**fields)


class Command(BaseCommand):
    help = (
        "Upsert the periodic tasks declared in config/schedules.py into django-celery-beat. "
        "Idempotent: run it on every deploy."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = periodic_tasks_sync(schedules=declared.SCHEDULES)
        for label, names in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
            ("disabled (no longer declared)", result.disabled),
        ):
            for name in names:
                self.stdout.write(f"{label}: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Periodic tasks: {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged, {len(result.disabled)} disabled."
            )
        )
