from __future__ import annotations

import importlib
from collections.abc import Iterator
from io import StringIO
from typing import Any, cast

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from connectors.models import User, Workspace
from reporting.formula import parse
from reporting.kpis.library import BUILTIN_KEYS, BUILTIN_KPIS
from reporting.kpis.services import kpi_create, kpi_library_seed, kpi_library_seed_all, kpi_update
from reporting.models import (
    KpiAggregation,
    KpiDefinition,
    KpiDirection,
    KpiLevel,
    KpiUnit,
    KpiVersion,
)
from tests.factories import PASSWORD, UserFactory, WorkspaceFactory


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are compared in English; a test elsewhere may leave French active.
    with translation.override("en"):
        yield


ISSUE_KEYS = [
    "followers",
    "follower_growth",
    "follower_growth_rate",
    "impressions",
    "reach",
    "engagements",
    "engagement_rate_reach",
    "engagement_rate_impressions",
    "engagement_rate_followers",
    "applause_rate",
    "conversation_rate",
    "amplification_rate",
    "virality_rate",
    "ctr",
    "video_view_rate",
    "posts_published",
    "engagements_per_post",
]

seed_migration = importlib.import_module("reporting.migrations.0002_seed_kpi_library")


def test_the_library_holds_exactly_the_issues_kpis() -> None:
    assert sorted(BUILTIN_KEYS) == sorted(ISSUE_KEYS)
    assert len(set(BUILTIN_KEYS)) == len(BUILTIN_KEYS)


@pytest.mark.parametrize("builtin", BUILTIN_KPIS, ids=lambda b: b.key)
def test_each_builtin_is_a_valid_definition_in_both_languages(builtin: Any) -> None:
    formula = parse(builtin.formula)

    assert formula.metrics
    assert builtin.unit in KpiUnit.values
    assert builtin.aggregation in KpiAggregation.values
    assert builtin.direction in KpiDirection.values
    assert builtin.name_en and builtin.name_fr
    assert builtin.description_en and builtin.description_fr
    assert builtin.description_en != builtin.description_fr
    # French typography: the apostrophe is ’ throughout.
    assert "'" not in builtin.name_fr + builtin.description_fr


@pytest.mark.parametrize(
    ("key", "name_fr", "formula", "aggregation", "unit"),
    [
        ("followers", "Abonnés", "followers", "last", "count"),
        ("follower_growth", "Croissance nette des abonnés", None, "sum", "count"),
        (
            "follower_growth_rate",
            "Taux de croissance des abonnés",
            None,
            "ratio_of_sums",
            "percent",
        ),
        ("reach", "Portée", "reach", "sum", "count"),
        ("engagements", "Interactions", "engagements", "sum", "count"),
        ("engagement_rate_reach", "Taux d’engagement (portée)", "engagements / reach", None, None),
        ("applause_rate", None, "likes", "mean_of_post_ratios", "decimal"),
        ("conversation_rate", None, "comments", "mean_of_post_ratios", "decimal"),
        ("amplification_rate", None, "shares", "mean_of_post_ratios", "decimal"),
        ("virality_rate", None, "shares / impressions", "ratio_of_sums", "percent"),
        ("ctr", "Taux de clics", "clicks / impressions", "ratio_of_sums", "percent"),
        ("video_view_rate", None, "video_views / impressions", "ratio_of_sums", "percent"),
        ("posts_published", None, "posts_published", "sum", "count"),
    ],
)
def test_builtins_use_the_documented_definitions(
    key: str, name_fr: str | None, formula: str | None, aggregation: str | None, unit: str | None
) -> None:
    builtin = {b.key: b for b in BUILTIN_KPIS}[key]

    assert name_fr is None or builtin.name_fr == name_fr
    assert formula is None or builtin.formula == formula
    assert aggregation is None or builtin.aggregation == aggregation
    assert unit is None or builtin.unit == unit


def test_growth_rate_divides_by_the_audience_at_the_start() -> None:
    builtin = {b.key: b for b in BUILTIN_KPIS}["follower_growth_rate"]
    formula = parse(builtin.formula)

    # 1,000 followers before the period, +30 net during it, 1,030 at its end.
    values = {"followers_gained": 45, "followers_lost": 15, "followers": 1030}
    assert formula.evaluate(values) == pytest.approx(0.03)


def test_a_new_workspace_gets_the_whole_library(db: None) -> None:
    workspace = cast(Workspace, WorkspaceFactory(slug="fresh"))

    kpis = KpiDefinition.objects.filter(workspace=workspace)
    assert sorted(kpis.values_list("key", flat=True)) == sorted(ISSUE_KEYS)
    for kpi in kpis.select_related("current_version"):
        assert kpi.is_builtin
        assert kpi.current_version is not None
        assert kpi.current_version.number == 1
        assert kpi.current_version.formula == kpi.formula
    assert KpiVersion.objects.filter(definition__workspace=workspace).count() == len(ISSUE_KEYS)


def test_seeding_twice_changes_nothing(workspace: Workspace) -> None:
    before = list(KpiDefinition.objects.filter(workspace=workspace).values().order_by("key"))

    assert kpi_library_seed(workspace=workspace) == []
    seeded = kpi_library_seed_all()
    assert seeded["acme"] == 0
    assert set(seeded.values()) == {0}

    after = list(KpiDefinition.objects.filter(workspace=workspace).values().order_by("key"))
    assert after == before
    assert KpiVersion.objects.filter(definition__workspace=workspace).count() == len(ISSUE_KEYS)


def test_a_reseed_never_overwrites_an_admins_edit(workspace: Workspace) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="engagement_rate_reach")
    kpi_update(kpi=kpi, name_fr="Engagement / portée", formula="(likes + comments) / reach")
    KpiDefinition.objects.filter(workspace=workspace, key="ctr").delete()

    created = kpi_library_seed(workspace=workspace)

    assert [k.key for k in created] == ["ctr"]
    kpi.refresh_from_db()
    assert kpi.name_fr == "Engagement / portée"
    assert kpi.formula == "(likes + comments) / reach"
    assert kpi.current_version is not None and kpi.current_version.number == 2


def test_the_data_migration_seeds_existing_workspaces_once(workspace: Workspace) -> None:
    KpiDefinition.objects.filter(workspace=workspace, key__in=["reach", "ctr"]).delete()

    seed_migration.seed(apps, None)
    seed_migration.seed(apps, None)

    keys = list(KpiDefinition.objects.filter(workspace=workspace).values_list("key", flat=True))
    assert sorted(keys) == sorted(ISSUE_KEYS)
    reach = KpiDefinition.objects.get(workspace=workspace, key="reach")
    assert reach.is_builtin
    assert reach.current_version is not None
    assert reach.current_version.formula == "reach"


def test_the_seed_command_reports_what_it_added(workspace: Workspace) -> None:
    KpiDefinition.objects.filter(workspace=workspace, key="reach").delete()
    out = StringIO()

    call_command("seed_kpis", "--workspace", "acme", stdout=out)

    assert "acme: 1 built-in KPI(s) added." in out.getvalue()
    assert KpiDefinition.objects.filter(workspace=workspace, key="reach").exists()


def test_a_level_follows_from_the_aggregation() -> None:
    assert KpiAggregation.MEAN_OF_POST_RATIOS.level is KpiLevel.POST
    for aggregation in ("sum", "last", "ratio_of_sums"):
        assert KpiAggregation(aggregation).level is KpiLevel.ACCOUNT


# Versioning ------------------------------------------------------------------------------------


def test_editing_a_formula_adds_a_version_and_keeps_the_old_one(workspace: Workspace) -> None:
    editor = cast(User, UserFactory(username="editor"))
    kpi = KpiDefinition.objects.get(workspace=workspace, key="engagement_rate_reach")
    first = kpi.current_version
    assert first is not None

    kpi_update(kpi=kpi, formula="(likes + comments + shares) / reach", created_by=editor)

    kpi.refresh_from_db()
    versions = list(kpi.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].pk == first.pk
    assert versions[0].formula == "engagements / reach"
    assert versions[1].formula == "(likes + comments + shares) / reach"
    assert versions[1].created_by == editor
    assert kpi.current_version == versions[1]


@pytest.mark.parametrize(
    ("field", "new", "versions"),
    [
        ("name_en", "ER", 1),
        ("description_fr", "Autre définition", 1),
        ("aggregation", "mean_of_post_ratios", 2),
        ("unit", "decimal", 2),
        ("direction", "lower_is_better", 2),
    ],
)
def test_only_what_changes_the_number_adds_a_version(
    workspace: Workspace, field: str, new: str, versions: int
) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="engagement_rate_reach")

    change: dict[str, Any] = {field: new}
    kpi_update(kpi=kpi, **change)
    kpi_update(kpi=kpi, **change)

    assert kpi.versions.count() == versions


def test_an_invalid_formula_is_refused_with_the_parsers_message(workspace: Workspace) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="ctr")

    with pytest.raises(ValidationError) as caught:
        kpi_update(kpi=kpi, formula="clics / impressions")

    assert "Unknown metric 'clics' at position 1 — did you mean 'clicks'?" in str(caught.value)
    kpi.refresh_from_db()
    assert kpi.formula == "clicks / impressions"
    assert kpi.versions.count() == 1


@pytest.mark.parametrize("formula", ["1 + 2", "likes ** 2", ""])
def test_a_kpi_needs_a_formula_over_metrics(workspace: Workspace, formula: str) -> None:
    with pytest.raises(ValidationError):
        kpi_create(
            workspace=workspace,
            key="custom",
            name_en="Custom",
            name_fr="Personnalisé",
            formula=formula,
            unit="count",
            aggregation="sum",
        )
    assert not KpiDefinition.objects.filter(key="custom").exists()


def test_keys_are_unique_per_workspace_only(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    fields: dict[str, Any] = {
        "key": "saves_per_day",
        "name_en": "Saves",
        "name_fr": "Enregistrements",
        "formula": "saves",
        "unit": "count",
        "aggregation": "sum",
    }
    mine = kpi_create(workspace=workspace, **fields)
    theirs = kpi_create(workspace=other_workspace, **fields)

    assert mine.pk != theirs.pk
    with pytest.raises(ValidationError):
        kpi_create(workspace=workspace, **fields)


def test_update_refuses_fields_it_does_not_manage(workspace: Workspace) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="ctr")

    with pytest.raises(TypeError, match="workspace"):
        kpi_update(kpi=kpi, workspace="globex")


def test_names_follow_the_active_language(workspace: Workspace) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="reach")
    with translation.override("fr"):
        assert kpi.name == "Portée"
    with translation.override("en"):
        assert kpi.name == "Reach"
        assert kpi.description.startswith("Daily reach added up")


# Admin -----------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client: Client, db: None) -> Client:
    user = cast(User, UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _change_form(kpi: KpiDefinition, **changes: str) -> dict[str, str]:
    data = {
        "name_en": kpi.name_en,
        "name_fr": kpi.name_fr,
        "description_en": kpi.description_en,
        "description_fr": kpi.description_fr,
        "formula": kpi.formula,
        "aggregation": kpi.aggregation,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": str(kpi.versions.count()),
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_an_admin_edit_of_the_formula_adds_a_version(
    staff_client: Client, workspace: Workspace
) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="virality_rate")
    url = reverse("admin:reporting_kpidefinition_change", args=[kpi.pk])
    assert "shares / impressions" in staff_client.get(url).content.decode()

    response = staff_client.post(url, _change_form(kpi, formula="shares / reach"))

    assert response.status_code == 302, response.content.decode()[:2000]
    kpi.refresh_from_db()
    assert [v.formula for v in kpi.versions.order_by("number")] == [
        "shares / impressions",
        "shares / reach",
    ]
    assert kpi.current_version is not None
    assert kpi.current_version.created_by == User.objects.get(username="root")


def test_the_admin_shows_the_parsers_error(staff_client: Client, workspace: Workspace) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="virality_rate")
    url = reverse("admin:reporting_kpidefinition_change", args=[kpi.pk])

    response = staff_client.post(url, _change_form(kpi, formula="shares / (impressions"))

    assert response.status_code == 200
    assert "Missing &#x27;)&#x27; to close the &#x27;(&#x27; at position 10." in (
        response.content.decode()
    )
    assert kpi.versions.count() == 1


def test_builtins_cannot_be_deleted_in_the_admin(
    staff_client: Client, workspace: Workspace
) -> None:
    kpi = KpiDefinition.objects.get(workspace=workspace, key="reach")
    url = reverse("admin:reporting_kpidefinition_delete", args=[kpi.pk])

    assert staff_client.get(url).status_code == 403
    assert staff_client.get(reverse("admin:reporting_kpidefinition_changelist")).status_code == 200
