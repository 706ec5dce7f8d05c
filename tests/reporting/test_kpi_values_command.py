from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO
from typing import Any, cast

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from connectors.models import Platform, SocialAccount, Workspace
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import kpi_value
from tests.factories import (
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are compared in English; a test elsewhere may leave French active.
    with translation.override("en"):
        yield


D = dt.date
PERIOD = ["--start", "2026-01-01", "--end", "2026-01-03"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("kpi_values", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def accounts(workspace: Workspace) -> dict[str, SocialAccount]:
    made: dict[str, SocialAccount] = {
        str(platform): cast(
            SocialAccount,
            SocialAccountFactory(
                workspace=workspace,
                platform=platform,
                display_name="Acme",
                handle=f"@acme.{platform}",
            ),
        )
        for platform in (Platform.INSTAGRAM, Platform.LINKEDIN)
    }
    days = {
        D(2026, 1, 1): {"engagements": 10, "reach": 500, "impressions": 800},
        D(2026, 1, 2): {"engagements": 20, "reach": 100, "impressions": 300},
    }
    for day, metrics in days.items():
        for metric, value in metrics.items():
            AccountMetricFactory(account=made["instagram"], day=day, metric=metric, value=value)
    AccountMetricFactory(account=made["linkedin"], day=D(2026, 1, 2), metric="engagements", value=7)
    post = PostFactory(
        account=made["instagram"],
        published_at=dt.datetime(2026, 1, 2, 11, tzinfo=dt.UTC),
        format="reel",
    )
    PostMetricFactory(post=post, day=D(2026, 1, 3), metric="likes", value=42)
    return made


def test_prints_the_value_sample_and_accounts_left_out(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    output = run("--workspace", "acme", "--kpi", "engagement_rate_reach", *PERIOD)

    assert output.splitlines() == [
        "Engagement rate (reach) — engagement_rate_reach, version 1",
        "Acme, 2026-01-01 to 2026-01-03",
        "Formula: engagements / reach — Formula on the period's totals (ratio of sums)",
        "Value: 5.00% (sample: 2 account-days)",
        "Accounts: Acme (Instagram)",
        "Left out:",
        "  Acme (LinkedIn): LinkedIn does not report reach.",
    ]


def test_prints_one_value_per_group_with_its_sample(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    output = run("--workspace", "acme", "--kpi", "engagements", *PERIOD, "--by", "day")

    assert "Value: 37 (sample: 3 account-days)" in output
    assert output.splitlines()[-4:] == [
        "  Group (day)  Value  Sample (account-days)",
        "  2026-01-01      10                      1",
        "  2026-01-02      27                      2",
        "  2026-01-03     n/a                      0",
    ]


def test_json_is_machine_readable_and_matches_the_engine(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    data = json.loads(
        run(
            "--workspace",
            "acme",
            "--kpi",
            "engagement_rate_reach",
            *PERIOD,
            "--by",
            "day",
            "--json",
        )
    )
    expected = kpi_value(
        workspace=workspace, kpi="engagement_rate_reach", start=D(2026, 1, 1), end=D(2026, 1, 3)
    )

    assert data["workspace"] == "acme"
    assert data["key"] == "engagement_rate_reach"
    assert data["value"] == expected.value == pytest.approx(0.05)
    assert data["value_display"] == "5.00%"
    assert data["version"] == 1
    assert data["version_id"] == expected.version_id
    assert (data["sample_size"], data["sample_unit"]) == (2, "account_days")
    assert data["start"] == "2026-01-01"
    assert data["left_out"] == [
        {
            "account": {
                "id": accounts["linkedin"].pk,
                "name": "Acme",
                "handle": "@acme.linkedin",
                "platform": "linkedin",
            },
            "reason": "LinkedIn does not report reach.",
            "missing_metrics": ["reach"],
        }
    ]
    assert data["by"] == "day"
    assert [g["group"] for g in data["groups"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert data["groups"][1]["value"] == pytest.approx(0.2)
    assert data["groups"][2] == {
        "group": "2026-01-03",
        "label": "2026-01-03",
        "value": None,
        "sample_size": 0,
        "accounts": 0,
        "period_start": "2026-01-03",
        "period_end": "2026-01-03",
    }


def test_per_post_kpis_group_by_format(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    output = run("--workspace", "acme", "--kpi", "applause_rate", *PERIOD, "--by", "format")

    assert "Value: 42.00 (sample: 1 post)" in output
    assert "  Acme (LinkedIn): No post was published in the period." in output
    assert output.splitlines()[-1].split() == ["Reel", "42.00", "1"]


@pytest.mark.parametrize(
    ("choice", "platforms"),
    [
        (["--account", "linkedin"], ["linkedin"]),
        (["--account", "acme.instagram"], ["instagram"]),
        (["--account", "@ACME.LINKEDIN", "--account", "instagram"], ["instagram", "linkedin"]),
        (["--account", "Acme"], ["instagram", "linkedin"]),
    ],
)
def test_account_option_limits_the_accounts(
    workspace: Workspace,
    accounts: dict[str, SocialAccount],
    choice: list[str],
    platforms: list[str],
) -> None:
    data = json.loads(
        run("--workspace", "acme", "--kpi", "engagements", *PERIOD, *choice, "--json")
    )

    used = sorted(a["platform"] for a in data["accounts"])
    assert used == platforms
    assert data["left_out"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--workspace", "nope", "--kpi", "reach", *PERIOD],
            "No workspace 'nope'. Workspaces: acme",
        ),
        (["--workspace", "acme", "--kpi", "nope", *PERIOD], "There is no KPI 'nope' in Acme."),
        (
            ["--workspace", "acme", "--kpi", "reach", *PERIOD, "--account", "tiktok"],
            "No account matches 'tiktok'.",
        ),
        (
            ["--workspace", "acme", "--kpi", "reach", *PERIOD, "--by", "hour"],
            "Reach is computed from each account's daily totals",
        ),
        (
            [
                "--workspace",
                "acme",
                "--kpi",
                "reach",
                "--start",
                "2026-02-01",
                "--end",
                "2026-01-01",
            ],
            "The start date must be on or before the end date.",
        ),
    ],
)
def test_mistakes_are_explained(
    workspace: Workspace, accounts: dict[str, SocialAccount], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as caught:
        run(*args)

    assert message in str(caught.value)


def test_dates_given_as_text_through_call_command(workspace: Workspace) -> None:
    kwargs: dict[str, Any] = {
        "workspace": "acme",
        "kpi": "reach",
        "start": "2026-01-01",
        "end": "2026-01-31",
        "json": True,
    }
    out = StringIO()
    call_command("kpi_values", stdout=out, **kwargs)

    data = json.loads(out.getvalue())
    assert data["value"] is None
    assert data["value_display"] == "n/a"
    with pytest.raises(CommandError, match="is not a date"):
        call_command("kpi_values", stdout=out, **{**kwargs, "start": "January"})


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (12345.6, "count", "12,346"),
        (0.04213, "percent", "4.21%"),
        (12.346, "decimal", "12.35"),
        (45.5, "duration", "45.5 min"),
        (90.2, "duration", "1 h 30 min"),
        (-90.0, "duration", "-1 h 30 min"),
        (None, "count", "n/a"),
        (float("nan"), "percent", "n/a"),
    ],
)
def test_values_are_shown_in_their_unit(value: float | None, unit: str, shown: str) -> None:
    with translation.override("en"):
        assert kpi_value_display(value, unit) == shown


def test_values_follow_the_active_languages_number_format() -> None:
    with translation.override("fr"):
        assert kpi_value_display(12.346, "decimal") == "12,35"
        assert kpi_value_display(0.5, "percent").startswith("50,00")
