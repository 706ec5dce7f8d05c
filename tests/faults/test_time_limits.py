"""Every task is killed by its hard time limit before the broker's visibility timeout hands its
message to a second worker, for the settings as loaded and as the environment changes them;
settings and workers that would break that refuse to start."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.celery import _refuse_unsafe_time_limits, app, task_time_limits, time_limits_check
from connectors.base import RateLimited, TransientError
from connectors.tasks import RETRY_WAIT_MAX_SECONDS, retry_wait_max, sync_retry_countdown
from tests.processes import ROOT

PRINT_LIMITS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT, "
    "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
)


@pytest.fixture(scope="module", autouse=True)
def every_task_registered() -> None:
    # As a worker does at start-up: import every app's tasks module.
    app.loader.import_default_modules()


def test_every_task_is_killed_before_its_message_is_visible_again() -> None:
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    limits = task_time_limits(app)
    assert {"connectors.account_sync", "reports.run_render", "reports.schedule_run"} <= set(limits)
    for name, (soft, hard) in limits.items():
        assert soft is not None and hard is not None, name
        assert 0 < soft < hard < visibility, name
    time_limits_check(app)


def test_a_task_with_its_own_limit_past_the_visibility_timeout_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    monkeypatch.setattr(app.tasks["reports.run_render"], "time_limit", visibility)

    with pytest.raises(ImproperlyConfigured, match=r"reports\.run_render"):
        time_limits_check(app)
    # The worker's start-up hook turns it into an exit (Celery swallows a signal's exception).
    with pytest.raises(SystemExit, match="refuses to start"):
        _refuse_unsafe_time_limits()


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_LIMITS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "loaded"),
    [
        ({}, "600 900 3600"),
        # The visibility timeout follows the larger hard limit: the report render's (600 + 90 s).
        ({"CELERY_TASK_TIME_LIMIT": "120", "CELERY_TASK_SOFT_TIME_LIMIT": "100"}, "100 120 2760"),
        (
            {
                "CELERY_TASK_TIME_LIMIT": "120",
                "CELERY_TASK_SOFT_TIME_LIMIT": "100",
                "RAPPORT_REPORT_RENDER_TIMEOUT": "20",
            },
            "100 120 480",
        ),
        ({"CELERY_BROKER_VISIBILITY_TIMEOUT": "901"}, "600 900 901"),
    ],
)
def test_environment_overrides_keep_the_limits_below_the_visibility_timeout(
    env: dict[str, str], loaded: str
) -> None:
    result = settings_with(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == loaded


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CELERY_BROKER_VISIBILITY_TIMEOUT": "900"}, "must stay below the broker's visibility"),
        ({"CELERY_TASK_TIME_LIMIT": "3700", "CELERY_BROKER_VISIBILITY_TIMEOUT": "3600"}, "below"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "900"}, "CELERY_TASK_SOFT_TIME_LIMIT (900) must be"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "0"}, "must be above 0"),
    ],
)
def test_settings_refuse_limits_that_could_run_a_task_twice(
    env: dict[str, str], message: str
) -> None:
    result = settings_with(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_retries_wait_no_longer_than_the_visibility_timeout_leaves_room_for(
    settings: Any,
) -> None:
    assert retry_wait_max() == RETRY_WAIT_MAX_SECONDS  # the defaults leave room for all of it
    settings.CELERY_TASK_TIME_LIMIT = 900
    settings.CELERY_BROKER_VISIBILITY_TIMEOUT = 1000

    assert retry_wait_max() == 99
    assert sync_retry_countdown(RateLimited("429", retry_after=120), retries=0) is None
    assert sync_retry_countdown(RateLimited("429", retry_after=60), retries=0) == 60
    waits = [sync_retry_countdown(TransientError("503"), retries=n) for n in range(5)]
    assert all(w is not None and 0 < w <= 99 for w in waits)

    settings.CELERY_BROKER_VISIBILITY_TIMEOUT = 901  # no room to wait at all: give up now
    assert sync_retry_countdown(TransientError("503"), retries=0) is None
