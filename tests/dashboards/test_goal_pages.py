from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import include, path, reverse

from connectors.models import Role, User, Workspace
from reporting.goals.services import goal_create
from reporting.kpis.selectors import kpi_get
from reporting.models import Goal
from tests.factories import PASSWORD, AccountMetricFactory, SocialAccountFactory

# The lead includes dashboards.urls_kpis in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_kpis"))]
pytestmark = pytest.mark.urls(__name__)

NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)  # Monday 16 March in Paris


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def march_goal(workspace: Workspace, target: float = 1000) -> Goal:
    return goal_create(
        workspace=workspace,
        kpi=kpi_get(workspace=workspace, key="impressions"),
        name="March impressions",
        period_kind="month",
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        target=target,
    )


def test_empty_state_explains_goals_and_offers_admins_to_create(
    workspace: Workspace, viewer: User, admin_member: User
) -> None:
    url = reverse("kpis:goals", kwargs={"workspace_slug": workspace.slug})
    new = reverse("kpis:goal_new", kwargs={"workspace_slug": workspace.slug})

    as_admin = client_for(admin_member).get(url).content.decode()
    as_viewer = client_for(viewer).get(url).content.decode()

    assert "No goals yet" in as_admin and "projection" in as_admin
    assert new in as_admin
    assert "No goals yet" in as_viewer and new not in as_viewer


def test_goal_page_shows_progress_and_chart(workspace: Workspace, viewer: User) -> None:
    account = SocialAccountFactory(workspace=workspace)
    for day in range(1, 16):
        AccountMetricFactory(
            account=account, day=dt.date(2026, 3, day), metric="impressions", value=40
        )
    goal = march_goal(workspace, target=1200)

    page = client_for(viewer).get(reverse("kpis:goals", kwargs={"workspace_slug": workspace.slug}))

    html = page.content.decode()
    assert page.status_code == 200
    assert "March impressions" in html
    assert "600" in html and "1,200" in html  # actual and target
    assert 'value="50"' in html  # the progress bar: 600 of 1,200
    assert "How this is computed" in html
    figure = re.search(
        rf'<script id="goal-figure-{goal.pk}" type="application/json">(.*?)</script>', html, re.S
    )
    assert figure is not None
    data = json.loads(figure.group(1))
    assert [trace["name"] for trace in data["data"]] == [
        "Actual (running total)",
        "Projection",
        "Target",
    ]
    assert data["data"][1]["line"]["dash"] == "dash"


def test_admin_creates_a_goal_with_a_quick_period(workspace: Workspace, admin_member: User) -> None:
    kpi = kpi_get(workspace=workspace, key="engagement_rate_reach")
    response = client_for(admin_member).post(
        reverse("kpis:goal_new", kwargs={"workspace_slug": workspace.slug}),
        {
            "name": "Q1 rate",
            "kpi": kpi.pk,
            "account": "",
            "period": "this_quarter",
            "target": "4.5",
        },
    )

    assert response.status_code == 302
    goal = Goal.objects.get()
    assert (goal.period_kind, goal.start, goal.end) == (
        "quarter",
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
    assert goal.target == pytest.approx(0.045)  # percent KPIs are stored as fractions
    assert goal.created_by == admin_member
    assert goal.account is None


def test_custom_dates_need_both_days_and_the_right_order(
    workspace: Workspace, admin_member: User
) -> None:
    kpi = kpi_get(workspace=workspace, key="reach")
    response = client_for(admin_member).post(
        reverse("kpis:goal_new", kwargs={"workspace_slug": workspace.slug}),
        {
            "name": "Bad",
            "kpi": kpi.pk,
            "period": "custom",
            "start": "2026-03-10",
            "end": "2026-03-01",
            "target": "10",
        },
    )

    assert response.status_code == 200
    assert "The last day must be on or after the first day." in response.content.decode()
    assert not Goal.objects.exists()


def test_admin_edits_and_deletes_a_goal(workspace: Workspace, admin_member: User) -> None:
    goal = march_goal(workspace)
    client = client_for(admin_member)
    edit = reverse("kpis:goal_edit", kwargs={"workspace_slug": workspace.slug, "goal_id": goal.pk})

    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "name": "Renamed",
            "kpi": goal.kpi.pk,
            "period": "custom",
            "start": "2026-03-01",
            "end": "2026-03-31",
            "target": "2000",
        },
    )
    goal.refresh_from_db()
    assert response.status_code == 302
    assert (goal.name, goal.target, goal.period_kind) == ("Renamed", 2000, "month")

    delete = reverse(
        "kpis:goal_delete", kwargs={"workspace_slug": workspace.slug, "goal_id": goal.pk}
    )
    assert client.post(delete).status_code == 302
    assert not Goal.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MANAGER])
def test_non_admins_see_goals_but_cannot_change_them(
    workspace: Workspace, member_factory: Callable[..., User], role: str
) -> None:
    goal = march_goal(workspace)
    client = client_for(member_factory(workspace, role))
    slug = {"workspace_slug": workspace.slug}
    one = {**slug, "goal_id": goal.pk}
    kpi = goal.kpi.pk

    assert client.get(reverse("kpis:goals", kwargs=slug)).status_code == 200
    assert client.get(reverse("kpis:goal_new", kwargs=slug)).status_code == 403
    new = {"name": "x", "kpi": kpi, "period": "this_month", "target": "1"}
    assert client.post(reverse("kpis:goal_new", kwargs=slug), new).status_code == 403
    assert client.post(reverse("kpis:goal_edit", kwargs=one), new).status_code == 403
    assert client.post(reverse("kpis:goal_delete", kwargs=one)).status_code == 403
    assert Goal.objects.count() == 1 and Goal.objects.get().name == "March impressions"


def test_other_workspaces_get_404(
    workspace: Workspace, other_workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    goal = march_goal(workspace)
    outsider = client_for(member_factory(other_workspace, Role.ADMIN))

    assert outsider.get(reverse("kpis:goals", kwargs={"workspace_slug": "acme"})).status_code == 404
    # A goal of another workspace under the outsider's own workspace is not found either.
    edit = reverse("kpis:goal_edit", kwargs={"workspace_slug": "globex", "goal_id": goal.pk})
    assert outsider.get(edit).status_code == 404
    kpi = kpi_get(workspace=workspace, key="reach")
    response = outsider.post(
        reverse("kpis:goal_new", kwargs={"workspace_slug": "globex"}),
        {"name": "x", "kpi": kpi.pk, "period": "this_month", "target": "1"},
    )
    assert response.status_code == 200  # the other workspace's KPI is not a valid choice
    assert Goal.objects.count() == 1
