"""Production settings: Django's deployment check passes, weak secret keys stop the start-up,
and HTTPS is enforced except for the health check."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECRET_KEY", "DATABASE_URL", "CELERY_", "DEBUG"))
    }
    environment.update(
        RAPPORT_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "SECURE_COOKIES": "true",
    "BEHIND_HTTPS_PROXY": "true",
    "ALLOWED_HOSTS": "rapport.example.com",
    "DEBUG": "false",
}


def test_the_deployment_check_passes_with_production_settings(tmp_path: Path) -> None:
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "key",
    [
        "short-but-not-empty",
        "django-insecure-" + "x1y2z3" * 10,
        "ab" * 40,  # long, but two characters
    ],
)
def test_a_weak_secret_key_stops_the_start(tmp_path: Path, key: str) -> None:
    result = manage("check", tmp_path=tmp_path, SECRET_KEY=key, **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def _fernet_key(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


GOOD_KEY = _fernet_key(os.urandom(32))


@pytest.mark.parametrize(
    "keys",
    [
        "not-a-key",
        _fernet_key(b"short"),
        _fernet_key(bytes(32)),  # all zeros: a valid Fernet key with no secret in it
        _fernet_key(b"0123" * 8),
        f"{GOOD_KEY},{GOOD_KEY}",
    ],
    ids=["garbage", "short", "zeros", "pattern", "repeated"],
)
def test_a_weak_encryption_key_stops_the_start(tmp_path: Path, keys: str) -> None:
    result = manage(
        "check",
        tmp_path=tmp_path,
        SECRET_KEY=secrets.token_urlsafe(50),
        RAPPORT_ENCRYPTION_KEYS=keys,
        **PRODUCTION,
    )
    assert result.returncode != 0
    assert "RAPPORT_ENCRYPTION_KEYS must hold distinct random Fernet keys" in result.stderr


def test_random_encryption_keys_are_accepted(tmp_path: Path) -> None:
    keys = f"{GOOD_KEY},{_fernet_key(os.urandom(32))}"
    result = manage(
        "check",
        tmp_path=tmp_path,
        SECRET_KEY=secrets.token_urlsafe(50),
        RAPPORT_ENCRYPTION_KEYS=keys,
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr


def test_https_is_enforced_except_for_the_health_check(settings: Any, db: None) -> None:
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/healthz").status_code in (200, 503)  # never redirected
    redirected = client.get("/login/")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
    secure = client.get("/login/", secure=True)
    assert secure.status_code == 200
