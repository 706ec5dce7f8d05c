from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from connectors.models import Role, User, Workspace
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The suite is meant for Postgres (README: make test). SQLite is allowed only when asked for,
    # so a mis-set DATABASE_URL cannot silently run everything on the embedded default.
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") and not os.environ.get(
        "RAPPORT_ALLOW_SQLITE_TESTS"
    ):
        raise pytest.UsageError(
            "Tests run against Postgres: set DATABASE_URL=postgres://… (make test does), "
            "or RAPPORT_ALLOW_SQLITE_TESTS=1 for a quick local run."
        )


_real_connect = socket.socket.connect


def _loopback_only_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if (
        isinstance(host, str)
        and host not in {"127.0.0.1", "::1", "localhost"}
        and not (host.startswith("127.") or host.startswith("/"))
    ):
        raise ConnectionRefusedError(f"Tests may not reach the network ({host!r}); mock HTTP.")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    # Unmocked HTTP must fail a test rather than reach (or hang on) a real platform API.
    socket.socket.connect = _loopback_only_connect  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    # A request by a French-speaking user activates French for the thread; without a reset it
    # would leak into the next test's messages.
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts without cached dashboard panels from another test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    # The manifest storage needs collectstatic to have run; tests serve static files from the
    # finders instead, as the development server does.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def db_vendor(db: None) -> str:
    return connection.vendor


@pytest.fixture
def workspace(db: None) -> Workspace:
    return WorkspaceFactory.create(slug="acme", name="Acme")


@pytest.fixture
def other_workspace(db: None) -> Workspace:
    return WorkspaceFactory.create(slug="globex", name="Globex")


@pytest.fixture
def member_factory(db: None) -> Callable[..., User]:
    def make(workspace: Workspace, role: str = Role.VIEWER, username: str | None = None) -> User:
        user = UserFactory.create(username=username or f"{role}-{workspace.slug}")
        MembershipFactory(user=user, workspace=workspace, role=role)
        return user

    return make


@pytest.fixture
def viewer(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.VIEWER)


@pytest.fixture
def admin_member(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.ADMIN)
