"""The overview computed ahead of the first visit after new data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connectors.base import AccountMetricRow
from connectors.models import Platform, SocialAccount, User, Workspace
from connectors.services import account_metrics_upsert
from dashboards import warm
from dashboards.tasks import panels_warm
from tests.factories import PASSWORD, AccountMetricFactory, SocialAccountFactory

D = dt.date


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    account = cast(
        SocialAccount, SocialAccountFactory(workspace=workspace, platform=Platform.INSTAGRAM)
    )
    for day in range(1, 28):
        AccountMetricFactory(account=account, day=D(2026, 2, day), metric="reach", value=100 + day)
    return account


def overview_queries(user: User, workspace: Workspace) -> int:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("overview", args=[workspace.slug])).status_code == 200
    return len(queries)


def test_warm_up_computes_once_per_data_version(
    workspace: Workspace, account: SocialAccount, viewer: User
) -> None:
    assert panels_warm() == 1
    assert panels_warm() == 0  # nothing changed since
    # The visit after the warm-up reads the overview from the cache: a handful of queries
    # (session, user, workspace, filters) instead of the page's hundred.
    assert overview_queries(viewer, workspace) < 20
    account_metrics_upsert(account=account, rows=[AccountMetricRow(D(2026, 3, 1), "reach", 5)])
    workspace.refresh_from_db()
    assert warm.workspace_panels_warm(workspace=workspace) is True


def test_a_cold_overview_makes_many_more_queries(
    workspace: Workspace, account: SocialAccount, viewer: User
) -> None:
    assert overview_queries(viewer, workspace) > 40


def test_a_failing_workspace_does_not_stop_the_others(
    workspace: Workspace,
    other_workspace: Workspace,
    account: SocialAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[int] = []
    real = warm.workspace_panels_warm

    def flaky(*, workspace: Workspace) -> Any:
        if workspace.pk == other_workspace.pk:
            raise RuntimeError("broken")
        done.append(workspace.pk)
        return real(workspace=workspace)

    monkeypatch.setattr(warm, "workspace_panels_warm", flaky)
    assert warm.panels_warm_all() == 1
    assert done == [workspace.pk]
