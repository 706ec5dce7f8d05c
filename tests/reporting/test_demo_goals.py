from __future__ import annotations

import os

import pytest
from django.core.management import call_command

from reporting.alert_models import AlertRule
from reporting.models import Goal

pytestmark = pytest.mark.django_db


def seed() -> None:
    with open(os.devnull, "w") as sink:
        call_command("seed_demo", days=120, stdout=sink)


def test_seed_demo_adds_goals_and_alert_rules_once() -> None:
    seed()
    goals = set(Goal.objects.values_list("kpi__key", "period_kind", "start", "end", "target"))
    rules = set(AlertRule.objects.values_list("name", "kind"))

    seed()

    assert {key for key, *_ in goals} == {"impressions", "followers", "engagement_rate_reach"}
    assert all(target > 0 for *_, target in goals)
    assert set(Goal.objects.values_list("kpi__key", "period_kind", "start", "end", "target")) == (
        goals
    )
    assert rules == {
        ("Data stops arriving", "data_stopped"),
        ("Engagement rate (reach) below 5% over 7 days", "kpi_threshold"),
    }
    assert AlertRule.objects.count() == 2
