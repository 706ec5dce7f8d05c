from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import include, path, reverse
from django.utils import translation

from connectors.models import Platform, Role, User, Workspace
from reporting.kpis.selectors import kpi_get
from reporting.models import KpiDefinition, KpiVersion
from tests.factories import PASSWORD, AccountMetricFactory, SocialAccountFactory

# The lead includes dashboards.urls_kpis in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_kpis"))]
pytestmark = pytest.mark.urls(__name__)

NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)
FORM = {
    "name_en": "Saves rate",
    "name_fr": "Taux d'enregistrement",
    "description_en": "Saves per reach.",
    "description_fr": "",
    "formula": "saves / reach",
    "unit": "percent",
    "direction": "higher_is_better",
    "aggregation": "ratio_of_sums",
}


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def url(name: str, workspace: Workspace, **kwargs: object) -> str:
    return reverse(name, kwargs={"workspace_slug": workspace.slug, **kwargs})


def test_library_shows_each_kpi_with_its_value_and_left_out_accounts(
    workspace: Workspace, viewer: User
) -> None:
    instagram = SocialAccountFactory(workspace=workspace, platform=Platform.INSTAGRAM)
    linkedin = SocialAccountFactory(
        workspace=workspace, platform=Platform.LINKEDIN, display_name="Acme LI"
    )
    for day in range(1, 15):
        AccountMetricFactory(
            account=instagram, day=dt.date(2026, 3, day), metric="reach", value=1000
        )
        AccountMetricFactory(
            account=linkedin, day=dt.date(2026, 3, day), metric="impressions", value=10
        )

    html = client_for(viewer).get(url("kpis:kpis", workspace)).content.decode()

    assert "Engagement rate (reach)" in html
    assert "engagement_rate_reach" in html
    assert "14,000" in html  # reach over the last 28 days
    assert "Left out: Acme LI (LinkedIn). LinkedIn does not report reach." in html
    assert url("kpis:kpi_new", workspace) not in html  # viewers cannot create


def test_library_names_follow_the_users_language(workspace: Workspace, viewer: User) -> None:
    viewer.language = "fr"
    viewer.save(update_fields=["language"])

    html = client_for(viewer).get(url("kpis:kpis", workspace)).content.decode()

    assert "Taux d’engagement (portée)" in html
    assert "Engagement rate (reach)" not in html


def test_admin_creates_a_kpi(workspace: Workspace, admin_member: User) -> None:
    response = client_for(admin_member).post(
        url("kpis:kpi_new", workspace), {**FORM, "key": "saves_rate"}
    )

    assert response.status_code == 302
    kpi = kpi_get(workspace=workspace, key="saves_rate")
    assert kpi.formula == "saves / reach"
    assert kpi.current_version is not None and kpi.current_version.number == 1
    assert kpi.current_version.created_by == admin_member


def test_invalid_formula_shows_the_parsers_message_and_saves_nothing(
    workspace: Workspace, admin_member: User
) -> None:
    before = KpiDefinition.objects.count()
    response = client_for(admin_member).post(
        url("kpis:kpi_new", workspace), {**FORM, "key": "broken", "formula": "likes + / reach"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "field--invalid" in html
    assert "position 9" in html  # the parser names where the formula goes wrong
    assert KpiDefinition.objects.count() == before


def test_check_button_validates_without_saving(workspace: Workspace, admin_member: User) -> None:
    response = client_for(admin_member).post(
        url("kpis:kpi_new", workspace), {**FORM, "key": "saves_rate", "check": "1"}
    )

    assert "The formula is valid. It uses: saves, reach." in response.content.decode()
    assert not KpiDefinition.objects.filter(key="saves_rate").exists()


def test_editing_a_formula_adds_version_2_and_keeps_version_1(
    workspace: Workspace, admin_member: User
) -> None:
    kpi = kpi_get(workspace=workspace, key="engagement_rate_reach")
    old_formula = kpi.formula
    client = client_for(admin_member)
    edit = url("kpis:kpi_edit", workspace, key=kpi.key)
    assert client.get(edit).status_code == 200

    response = client.post(
        edit,
        {
            "name_en": kpi.name_en,
            "name_fr": kpi.name_fr,
            "description_en": kpi.description_en,
            "description_fr": kpi.description_fr,
            "formula": "(likes + comments) / reach",
            "unit": kpi.unit,
            "direction": kpi.direction,
            "aggregation": kpi.aggregation,
        },
    )

    assert response.status_code == 302
    versions = list(KpiVersion.objects.filter(definition=kpi).order_by("number"))
    assert [(v.number, v.formula) for v in versions] == [
        (1, old_formula),
        (2, "(likes + comments) / reach"),
    ]
    detail = client.get(url("kpis:kpi_detail", workspace, key=kpi.key)).content.decode()
    assert "Version history" in detail
    assert old_formula in detail and "(likes + comments) / reach" in detail


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MANAGER])
def test_non_admins_read_kpis_but_cannot_change_them(
    workspace: Workspace, member_factory: Callable[..., User], role: str
) -> None:
    client = client_for(member_factory(workspace, role))
    key = "reach"

    assert client.get(url("kpis:kpis", workspace)).status_code == 200
    assert client.get(url("kpis:kpi_detail", workspace, key=key)).status_code == 200
    assert client.get(url("kpis:glossary", workspace)).status_code == 200
    assert client.post(url("kpis:kpi_new", workspace), {**FORM, "key": "x"}).status_code == 403
    assert client.post(url("kpis:kpi_edit", workspace, key=key), FORM).status_code == 403
    assert kpi_get(workspace=workspace, key="reach").formula == "reach"
    assert not KpiDefinition.objects.filter(key="x").exists()


def test_non_members_get_404(
    workspace: Workspace, other_workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    client = client_for(member_factory(other_workspace, Role.ADMIN))

    for name, extra in [
        ("kpis:kpis", {}),
        ("kpis:kpi_detail", {"key": "reach"}),
        ("kpis:kpi_edit", {"key": "reach"}),
        ("kpis:glossary", {}),
    ]:
        assert client.get(url(name, workspace, **extra)).status_code == 404
    assert client.get(url("kpis:kpi_detail", other_workspace, key="nope")).status_code == 404


def test_glossary_lists_kpis_and_metrics(workspace: Workspace, viewer: User) -> None:
    html = client_for(viewer).get(url("kpis:glossary", workspace)).content.decode()

    assert "Virality rate" in html and "virality_rate" in html
    assert "followers_gained" in html and "New followers during the day." in html
    assert "(followers_gained - followers_lost)" in html
