"""Postgres restarted under a running installation: the web app, a worker and beat carry on
without being restarted themselves.

The test runs its own Postgres cluster (``PrivatePostgres``: initdb into a temporary folder, its
own port), since the machine's shared one must not be restarted, migrates it, and starts a
gunicorn web server, a Celery worker and beat against it, with beat sending the account-sync
dispatcher every second. ``pg_ctl restart -m fast`` then cuts every open connection.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings

from connectors.tasks import accounts_sync_dispatch_task, demo_topup
from tests.processes import (
    BIN,
    REDIS_URL,
    ROOT,
    PrivatePostgres,
    Process,
    broker_for_tests,
    celery_beat,
    celery_worker,
    free_port,
    send,
    wait_for,
)

pytestmark = pytest.mark.worker

PASSWORD = "restart-proof-Vq81-password"
SETUP = f"""
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from connectors.models import User
every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(
    name="Sync dispatcher, every second", task="{accounts_sync_dispatch_task.name}", interval=every
)
User.objects.create_superuser("faults-admin", "admin@example.com", "{PASSWORD}")
"""


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        yield cluster
    finally:
        cluster.destroy()


def manage(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {args[0]}:\n{result.stdout}\n{result.stderr}"


def succeeded(process: Process, task_name: str) -> int:
    return len(re.findall(rf"Task {re.escape(task_name)}\[[^\]]+\] succeeded", process.log_text()))


def test_web_worker_and_beat_carry_on_after_postgres_restarts(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": postgres.createdb("rapport"),
        "CELERY_BROKER_URL": REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "RAPPORT_DATA_DIR": str(tmp_path),
        # Static files served as they are, without collectstatic's manifest.
        "DEBUG": "true",
    }
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", SETUP, env=env)
    web_url = f"http://127.0.0.1:{free_port()}"
    processes: list[Process] = []
    with broker_for_tests(), requests.Session() as browser:
        try:
            web = Process(
                "web",
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi",
                    "--bind",
                    web_url.removeprefix("http://"),
                    "--workers",
                    "1",
                    "--timeout",
                    "30",
                    "--access-logfile",
                    "-",
                    "--no-control-socket",
                ],
                env,
            )
            worker = celery_worker(env)
            beat = celery_beat(env)
            processes += [web, worker, beat]

            def page(path: str) -> int | None:
                try:
                    response = browser.get(web_url + path, timeout=10, allow_redirects=False)
                except requests.ConnectionError:
                    return None  # not listening yet
                return response.status_code

            wait_for("the web server", lambda: page("/healthz") == 200, processes=processes)
            browser.get(web_url + "/login/", timeout=10)
            logged_in = browser.post(
                web_url + "/login/",
                data={
                    "username": "faults-admin",
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                timeout=10,
                allow_redirects=False,
            )
            assert logged_in.status_code == 302, web.tail()
            assert page("/admin/") == 200, web.tail()
            dispatcher = accounts_sync_dispatch_task.name
            wait_for(
                "beat's first dispatches",
                lambda: succeeded(worker, dispatcher) >= 2,
                processes=processes,
            )

            postgres.restart()
            before = succeeded(worker, dispatcher)

            # The first request after the restart already gets its page: the web process drops
            # the connection Postgres cut (CONN_HEALTH_CHECKS) instead of failing on it.
            assert page("/admin/") == 200, web.tail()
            assert page("/healthz") == 200, web.tail()
            wait_for(
                "beat to dispatch again through the worker",
                lambda: succeeded(worker, dispatcher) >= before + 3,
                processes=processes,
            )
            send(demo_topup.name)
            wait_for(
                "the worker to run a new task",
                lambda: succeeded(worker, demo_topup.name) == 1,
                processes=processes,
            )
        finally:
            for process in processes:
                process.stop()
