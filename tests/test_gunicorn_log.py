"""gunicorn's access log, as `make demo` and the Docker image run it, never shows a share token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.processes import free_port, worker_database_url

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
TOKEN = "Zx9_secret-share-token-0123456789abcdef"


def test_access_log_blanks_share_tokens_in_paths_and_referrers(
    transactional_db: None, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    command = [str(GUNICORN), "-c", "config/gunicorn.py", "config.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", str(log)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        requests.get(f"{base}/s/{TOKEN}/", timeout=10)  # unknown token: 404
        requests.get(
            f"{base}/healthz", headers={"Referer": f"{base}/s/{TOKEN}/?page=2"}, timeout=10
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a worker still in its graceful shutdown
            server.kill()
            server.wait()
    lines = log.read_text()
    assert "/s/[token]/" in lines
    assert TOKEN not in lines
    assert lines.count("/s/[token]/") >= 2  # the request line and the referrer


def test_every_gunicorn_start_uses_the_redacting_config() -> None:
    for path in ("Makefile", "docker/entrypoint.sh"):
        text = (ROOT / path).read_text()
        starts = [
            line for line in text.splitlines() if "gunicorn" in line and "config.wsgi" in line
        ]
        assert starts, path
        assert all("-c config/gunicorn.py" in line for line in starts), path
