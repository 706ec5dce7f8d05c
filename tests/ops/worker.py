"""A real Celery worker process for the operations tests, and the test database's URL for it.

Kept here rather than imported from tests/test_celery_worker.py, whose helpers may move."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def subprocess_database_url() -> str:
    """The URL of the database the tests run on (pytest-django's ``test_…``)."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings['NAME'], safe='')}"


def worker_start(*, broker_url: str, log: IO[str], **env: str) -> subprocess.Popen[bytes]:
    """Start ``celery worker`` (solo pool) on the test database and ``broker_url``."""
    return subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=rapport-ops-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": subprocess_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "PYTHONUNBUFFERED": "1",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def worker_stop(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def tail(log: IO[str]) -> str:
    log.flush()
    log.seek(0)
    return "".join(log.readlines()[-40:])
