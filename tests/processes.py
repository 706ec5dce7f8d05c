"""Real Celery workers, beats and web servers as subprocesses of a test, against Redis and the
Postgres test database: starting them, waiting on them with a deadline, killing them.

Each process runs in its own session (process group), so a test can SIGKILL a process with every
child it forked, as a crash or an OOM kill would, and its output goes to a temporary file whose
tail is printed when a test fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import quote

import pytest
from django.db import connection

from config.celery import app

REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CELERY = BIN / "celery"

T = TypeVar("T")


def worker_database_url(settings_dict: Mapping[str, object] | None = None) -> str:
    """The URL of the test database (or of ``settings_dict``), for another process's
    DATABASE_URL."""
    settings = settings_dict or connection.settings_dict
    user = quote(str(settings["USER"] or ""), safe="")
    password = quote(str(settings["PASSWORD"] or ""), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(str(settings['NAME']), safe='')}"


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("The worker is a separate process: it needs the Postgres test database.")


@contextmanager
def broker_for_tests() -> Iterator[str]:
    """Point task sending at Redis, with nothing left over from an earlier run, then put the app
    back as it was."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        broker_purge(REDIS_URL)
        yield REDIS_URL
    finally:
        app.conf.task_always_eager = eager


def broker_purge(url: str) -> None:
    """Empty the queue and the messages delivered but not acknowledged (a killed worker's)."""
    with app.connection_for_write(url) as conn:
        conn.ensure_connection(max_retries=1)
        app.control.purge(connection=conn)
        # kombu's Redis channel keeps them under these keys (not in the StdChannel type).
        client = getattr(conn.default_channel, "client")  # noqa: B009
        client.delete("unacked", "unacked_index", "unacked_mutex")


def send(task_name: str, *args: object) -> None:
    """Send a task by its name, as beat does: the worker must know it under that name."""
    with app.connection_for_write(REDIS_URL) as conn:
        app.send_task(task_name, args=list(args), connection=conn)


class Process:
    """A server process of the test, in its own process group, logging to a temporary file."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str]) -> None:
        self.name = name
        # Closed by stop(), which every test calls in a finally block.
        self.log: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        self.log.seek(0)
        return f"--- {self.name} log ---\n" + "".join(self.log.readlines()[-lines:])

    def log_text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group, as the kernel's OOM killer or a power cut would."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def celery_worker(
    env: Mapping[str, str], *, name: str = "worker", hostname_prefix: str = "rapport-test"
) -> Process:
    return Process(
        name,
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            "celery",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={hostname_prefix}-{uuid.uuid4().hex[:8]}@%h",
        ],
        env,
    )


def celery_beat(env: Mapping[str, str], *, name: str = "beat") -> Process:
    # --max-interval: beat looks at its schedule every second, so a test's short schedule runs
    # on time.
    return Process(
        name,
        [str(CELERY), "-A", "config", "beat", "--loglevel=INFO", "--max-interval=1"],
        env,
    )


def wait_for(
    what: str,
    check: Callable[[], T | None],
    *,
    processes: list[Process],
    timeout: float = 60,
    every: float = 0.3,
) -> T:
    """Poll ``check`` until it returns something truthy; fail with the processes' logs after
    ``timeout`` seconds, or at once when one of them exited."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        for process in processes:
            if not process.alive():
                pytest.fail(f"{process.name} exited while waiting for {what}:\n{process.tail()}")
        if time.monotonic() > deadline:
            logs = "\n".join(p.tail() for p in processes)
            pytest.fail(f"Waited {timeout:.0f} s for {what} in vain.\n{logs}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bindir() -> Path | None:
    """The newest Postgres server binaries installed (Debian keeps them out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A Postgres cluster of the test's own, on its own port, that it may restart at will (the
    machine's shared one must never be). Postgres refuses to run as root: as root, the cluster
    belongs to the ``postgres`` account, and its commands run through ``runuser``."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            pytest.skip("No Postgres server binaries (initdb, pg_ctl) on this machine.")
        self.bindir = bindir
        self.as_owner: list[str] = []
        self.root = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                owner = None
            if runuser is None or owner is None:
                pytest.skip("Running as root without runuser or a postgres account.")
            self.as_owner = [runuser, "-u", "postgres", "--"]
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "postgres.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def _run(self, program: str, *args: str) -> None:
        # Output to a file, not a pipe: the server pg_ctl starts would hold a pipe open for ever.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run(
                [*self.as_owner, str(self.bindir / program), *args],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
            output.seek(0)
            if result.returncode != 0:
                pytest.fail(f"{program} failed:\n{output.read()}\n{self.log_tail()}")

    def log_tail(self) -> str:
        log = self.root / "postgres.log"
        lines = log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
        return "--- postgres log ---\n" + "\n".join(lines)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def createdb(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def restart(self) -> None:
        """A fast restart: every open connection is cut, as by an upgrade or a crash recovery."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")

    def destroy(self) -> None:
        pg_ctl = str(self.bindir / "pg_ctl")
        subprocess.run(
            [*self.as_owner, pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)
