from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config import schedules
from config.celery import app
from config.schedules import MANAGED_MARKER, SCHEDULES, Crontab, Schedule

pytestmark = pytest.mark.django_db

EXTRA = Schedule(
    name="Retired job",
    task="connectors.demo_topup",
    crontab=Crontab(minute="0", hour="5"),
    why="Declared once, then removed.",
)


def setup_periodic_tasks() -> str:
    out = StringIO()
    call_command("setup_periodic_tasks", stdout=out)
    return out.getvalue()


def rows() -> dict[str, dict[str, Any]]:
    return {
        row["name"]: row
        for row in PeriodicTask.objects.values(
            "name",
            "task",
            "crontab__minute",
            "crontab__hour",
            "crontab__day_of_week",
            "crontab__day_of_month",
            "crontab__month_of_year",
            "interval",
            "enabled",
            "expire_seconds",
            "expires",
            "description",
            "args",
            "kwargs",
            "date_changed",
            "last_run_at",
        )
    }


def test_declared_schedules_name_registered_tasks() -> None:
    app.loader.import_default_modules()

    assert len({s.name for s in SCHEDULES}) == len(SCHEDULES)
    for schedule in SCHEDULES:
        assert schedule.task in app.tasks, schedule.task
        assert schedule.why
        assert 0 < schedule.expire_seconds < 24 * 3600


def test_setup_twice_changes_nothing() -> None:
    setup_periodic_tasks()
    first = rows()

    output = setup_periodic_tasks()

    assert rows() == first
    assert set(first) == {s.name for s in SCHEDULES}
    assert "0 created, 0 updated" in output
    assert CrontabSchedule.objects.count() == len({s.crontab for s in SCHEDULES})
    topup = first["Demo data: top up to yesterday"]
    assert (topup["task"], topup["crontab__minute"], topup["crontab__hour"]) == (
        "connectors.demo_topup",
        "15",
        "3",
    )
    assert topup["enabled"] and topup["expire_seconds"] == 20 * 3600
    assert topup["description"].endswith(MANAGED_MARKER)


def test_manually_changed_row_is_put_back() -> None:
    setup_periodic_tasks()
    declared = rows()
    row = PeriodicTask.objects.get(name=SCHEDULES[0].name)
    row.crontab = CrontabSchedule.objects.create(minute="0", hour="12")
    row.task = "connectors.something_else"
    row.enabled = False
    row.kwargs = '{"days": 3}'
    row.save()

    output = setup_periodic_tasks()

    restored = rows()[SCHEDULES[0].name]
    for field in ("task", "crontab__minute", "crontab__hour", "enabled", "kwargs", "description"):
        assert restored[field] == declared[SCHEDULES[0].name][field], field
    assert "1 updated" in output


def test_undeclared_managed_row_is_disabled_and_admin_rows_survive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin_row = PeriodicTask.objects.create(
        name="Made in the admin",
        task="connectors.demo_topup",
        interval=IntervalSchedule.objects.create(every=6, period=IntervalSchedule.HOURS),
        description="An admin's own schedule.",
    )
    monkeypatch.setattr(schedules, "SCHEDULES", (*SCHEDULES, EXTRA))
    setup_periodic_tasks()
    assert PeriodicTask.objects.get(name=EXTRA.name).enabled

    monkeypatch.setattr(schedules, "SCHEDULES", SCHEDULES)
    output = setup_periodic_tasks()

    assert not PeriodicTask.objects.get(name=EXTRA.name).enabled
    assert f"disabled (no longer declared): {EXTRA.name}" in output
    assert all(PeriodicTask.objects.get(name=s.name).enabled for s in SCHEDULES)
    admin_row.refresh_from_db()
    assert admin_row.enabled and admin_row.description == "An admin's own schedule."
    before = rows()
    setup_periodic_tasks()
    assert rows() == before  # a disabled row is not saved again either
