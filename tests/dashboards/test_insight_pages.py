from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import include, path, reverse
from django.utils import timezone

from connectors.models import Role, User, Workspace
from dashboards import charts_insights, views_insights
from dashboards.filters import period_default
from reporting.insights import insights_generate, recommendations_generate
from tests.factories import (
    MembershipFactory,
    SocialAccountFactory,
    UserFactory,
)

# The lead includes dashboards.urls_insights in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_insights"))]
pytestmark = pytest.mark.urls(__name__)

FIGURE = re.compile(
    r'<script id="(figure-finding-[^"]+)" type="application/json">(.*?)</script>', re.S
)
SECTION = re.compile(r'<section class="card insight" id="(finding-[^"]+)"[^>]*data-kind="(\w+)"')


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workspace]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        call_command("seed_demo", days=120, stdout=StringIO())
        workspace = Workspace.objects.get(slug="demo")
        try:
            yield workspace
        finally:
            workspace.delete()
            User.objects.filter(username__startswith="demo-").delete()


def insights_url(workspace: Workspace, query: str = "") -> str:
    return reverse("insights:list", kwargs={"workspace_slug": workspace.slug}) + query


def english_viewer(workspace: Workspace) -> Client:
    user = UserFactory.create(username="insight-viewer", language="en")
    MembershipFactory(user=user, workspace=workspace, role=Role.VIEWER)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_viewer_sees_recommendations_then_findings_each_with_its_chart(demo: Workspace) -> None:
    client = english_viewer(demo)
    with (
        mock.patch.object(views_insights, "insights_generate", wraps=insights_generate) as generate,
        mock.patch.object(
            views_insights, "recommendations_generate", wraps=recommendations_generate
        ) as recommend,
    ):
        response = client.get(insights_url(demo))

    html = response.content.decode()
    assert response.status_code == 200
    assert generate.call_count == 1 and recommend.call_count == 1
    sections = SECTION.findall(html)
    assert sections, "the demo has significant findings"
    assert html.index("Recommendations") < html.index("Findings") < html.index(sections[0][0])
    figures = {found_id: json.loads(body) for found_id, body in FIGURE.findall(html)}
    for anchor, kind in sections:
        if kind == "top_post":
            assert f"figure-{anchor}" not in figures
        else:
            assert figures[f"figure-{anchor}"]["data"], anchor
    # The demo's Facebook outage and its reels beating photos are found and charted.
    kinds = {kind for _anchor, kind in sections}
    assert {"anomaly", "format_effect"} <= kinds
    bars = next(f for a, f in figures.items() if "format_effect" in a)
    assert bars["data"][0]["type"] == "bar" and bars["data"][0]["error_y"]["array"]
    assert "Mann\u2013Whitney test, p" in html
    # Every "see the evidence" link points at a finding shown on the page.
    targets = re.findall(r'href="#(finding-[^"]+)">See the evidence', html)
    assert targets and set(targets) <= {anchor for anchor, _kind in sections}


@pytest.mark.django_db
def test_french_viewer_gets_french_findings(demo: Workspace) -> None:
    client = Client()
    client.force_login(User.objects.get(username="demo-viewer"))

    html = client.get(insights_url(demo)).content.decode()

    assert '<html lang="fr">' in html
    assert "Recommandations" in html and "Constats" in html
    period = period_default(today=timezone.localdate(timezone=ZoneInfo(demo.timezone)))
    french = insights_generate(workspace=demo, start=period.start, end=period.end, language="fr")
    assert french and html_lib.escape(french[0].title) in html
    english = insights_generate(workspace=demo, start=period.start, end=period.end, language="en")
    assert html_lib.escape(english[0].title) not in html


@pytest.mark.django_db
def test_bad_filter_falls_back_to_the_default_range_with_a_message(demo: Workspace) -> None:
    client = english_viewer(demo)

    html = client.get(insights_url(demo, "?range=custom&start=2026-05-01&end=2026-04-01")).content
    text = html.decode()

    assert "could not be used" in text
    assert "The start date must be on or before the end date." in text
    assert "(90 days)" in text
    assert SECTION.search(text)


def test_workspace_without_accounts_explains_and_links_to_accounts(
    workspace: Workspace, viewer: User
) -> None:
    client = Client()
    client.force_login(viewer)

    html = client.get(insights_url(workspace)).content.decode()

    assert "No social accounts in this workspace yet" in html
    assert reverse("connectors:accounts", kwargs={"workspace_slug": workspace.slug}) in html


def test_workspace_without_findings_shows_the_empty_state(
    workspace: Workspace, viewer: User
) -> None:
    SocialAccountFactory(workspace=workspace)
    client = Client()
    client.force_login(viewer)

    response = client.get(insights_url(workspace))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No significant finding for these dates" in html
    assert "longer period" in html and "?range=365d" in html
    assert not SECTION.search(html)


def test_other_workspaces_get_404(
    workspace: Workspace, other_workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    client = Client()
    client.force_login(member_factory(other_workspace, Role.ADMIN))

    assert client.get(insights_url(workspace)).status_code == 404


def test_anchor_keeps_the_key_and_drops_whitespace() -> None:
    assert views_insights.anchor_for("format_effect:3:reel:photo") == (
        "finding-format_effect:3:reel:photo"
    )
    assert (
        views_insights.anchor_for("tag_effect:summer launch") == "finding-tag_effect:summer-launch"
    )


def test_heatmap_greys_cells_without_enough_posts() -> None:
    cells = pd.DataFrame(
        {
            "weekday": [5, 5, 0],
            "slot": ["evening", "morning", "morning"],
            "n": [7, 2, 6],
            "median": [900.0, 5000.0, 300.0],
            "enough_data": [True, False, True],
        }
    )

    figure = charts_insights.best_times_heatmap(cells, weekday=5, slot="evening")

    sparse, strong, marker = figure.data
    # Rows are dayparts (morning first), columns weekdays (Monday first).
    assert strong.z[3][5] == 900.0 and strong.z[0][0] == 300.0
    assert strong.z[0][5] is None or pd.isna(strong.z[0][5])  # too few posts: not coloured
    assert sparse.z[0][5] == 0.0
    assert list(marker.x) == [str(strong.x[5])]


def test_anomaly_band_never_drawn_below_zero() -> None:
    daily = pd.DataFrame(
        {"day": pd.to_datetime(["2026-10-12", "2026-10-13"]), "value": [2000.0, 1900.0]}
    )
    anomalies = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-10-14"]),
            "value": [float("nan")],
            "expected": [2000.0],
            "low": [-500.0],
            "high": [4500.0],
            "kind": ["outage"],
        }
    )

    figure = charts_insights.anomaly_chart(
        daily, anomalies, start=dt.date(2026, 10, 12), end=dt.date(2026, 10, 15), name="x"
    )

    band = figure.data[1]
    assert list(band.error_y.arrayminus) == [2000.0]
    assert list(band.error_y.array) == [2500.0]
    assert list(figure.data[2].y) == [2000.0]  # the outage marker sits on the expected value
