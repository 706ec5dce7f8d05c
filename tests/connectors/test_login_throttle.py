"""Log-in throttling: five wrong passwords for a user name lock it for 15 minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.test import Client

from connectors.login_throttle import MAX_FAILURES
from connectors.models import User
from tests.factories import PASSWORD

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def log_in(username: str, password: str) -> Any:
    return Client().post("/login/", {"username": username, "password": password})


def test_wrong_passwords_lock_the_name_for_fifteen_minutes(
    viewer: User, admin_member: User
) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        for _attempt in range(MAX_FAILURES):
            assert log_in(viewer.username, "wrong").status_code == 200
        refused = log_in(viewer.username, PASSWORD)  # the right password, too late
        assert refused.status_code == 200
        assert "Too many wrong passwords" in refused.content.decode()
        # The name is written another way: still the same account, still locked.
        assert (
            "Too many wrong passwords" in log_in(viewer.username.upper(), PASSWORD).content.decode()
        )
        # Another user is not affected.
        assert log_in(admin_member.username, PASSWORD).status_code == 302
        clock.shift(dt.timedelta(minutes=16))
        assert log_in(viewer.username, PASSWORD).status_code == 302


def test_a_successful_log_in_resets_the_count(viewer: User) -> None:
    for _attempt in range(MAX_FAILURES - 1):
        log_in(viewer.username, "wrong")
    assert log_in(viewer.username, PASSWORD).status_code == 302
    for _attempt in range(MAX_FAILURES - 1):
        log_in(viewer.username, "wrong")
    assert log_in(viewer.username, PASSWORD).status_code == 302


def test_disabling_a_user_ends_their_sessions(viewer: User, workspace: Any) -> None:
    client = Client()
    assert client.login(username=viewer.username, password=PASSWORD)
    overview = f"/w/{workspace.slug}/"
    assert client.get(overview).status_code == 200
    viewer.is_active = False
    viewer.save()
    response = client.get(overview)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
