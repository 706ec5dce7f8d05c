"""The shared cache on Redis: with Redis stopped, pages and log-ins still work (a cold cache)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from connectors.models import Role, Workspace
from tests.factories import MembershipFactory, UserFactory
from tests.ops.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings: Any, private_redis: PrivateRedis) -> PrivateRedis:
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": private_redis.url.replace("/0", "/1"),
            "KEY_PREFIX": "rapport-test",
        }
    }
    return private_redis


def test_it_caches_while_redis_is_up(redis_cache: PrivateRedis) -> None:
    cache.set("answer", {"n": 42}, 60)
    assert cache.get("answer") == {"n": 42}
    assert cache.add("counter", 1, 60) and cache.incr("counter") == 2


def test_with_redis_stopped_it_reads_as_empty_and_pages_load(
    redis_cache: PrivateRedis, client: Client, workspace: Workspace
) -> None:
    cache.set("answer", 42, 60)
    redis_cache.stop()
    started = time.monotonic()
    assert cache.get("answer", "miss") == "miss"
    assert cache.get_many(["answer"]) == {}
    cache.set("answer", 43, 60)  # dropped, not raised
    assert cache.add("tries", 0, 60) is True and cache.incr("tries") == 1
    assert time.monotonic() - started < 3

    user = UserFactory.create(username="cache-admin")
    user.set_password("a-long-password-2026")
    user.save()
    MembershipFactory(user=user, workspace=workspace, role=Role.ADMIN)
    response = client.post(
        reverse("login"), {"username": "cache-admin", "password": "a-long-password-2026"}
    )
    assert response.status_code == 302  # the log-in throttle's cache is away: not counted
    response = client.get(reverse("overview", kwargs={"workspace_slug": workspace.slug}))
    assert response.status_code == 200
