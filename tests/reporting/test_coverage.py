from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors.demo import demo_workspace_seed
from connectors.models import (
    AccountMetric,
    FileImport,
    ImportStatus,
    Platform,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    Workspace,
)
from reporting.coverage import (
    CellState,
    coverage_by_metric,
    coverage_days,
    coverage_gaps,
    coverage_matrix,
)
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db

JAN = dt.date(2025, 1, 1)


def day(n: int) -> dt.date:
    return JAN + dt.timedelta(days=n - 1)


def facts(account: SocialAccount, metric: str, days: list[int]) -> None:
    AccountMetric.objects.bulk_create(
        AccountMetric(account=account, day=day(n), metric=metric, value=1.0) for n in days
    )


def api_account(workspace: Workspace, platform: str = Platform.INSTAGRAM) -> SocialAccount:
    account: SocialAccount = SocialAccountFactory.create(workspace=workspace, platform=platform)
    account.credentials = {"access_token": "token"}
    account.save()
    return account


def run(
    account: SocialAccount, first: int, last: int, status: str, *, hour: int, error: str = ""
) -> SyncRun:
    created = SyncRun.objects.create(
        account=account,
        trigger=SyncTrigger.SCHEDULE,
        status=status,
        window_start=day(first),
        window_end=day(last),
        error=error,
    )
    # queued_at is auto_now_add: pin it so the order of runs is the test's, not the clock's.
    SyncRun.objects.filter(pk=created.pk).update(
        queued_at=dt.datetime(2025, 2, 1, hour, tzinfo=dt.UTC)
    )
    return created


def cell(matrix: pd.DataFrame, account: SocialAccount, metric: str) -> pd.Series:
    rows = matrix[(matrix["account_id"] == account.pk) & (matrix["metric"] == metric)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_matrix_counts_days_with_a_value_from_each_accounts_first_data(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    instagram = api_account(workspace)
    facts(instagram, "impressions", [0, 1, 2, 3, 6, 7, 8, 9, 10])  # day 0 is Dec 31: before
    facts(instagram, "followers", [3, 4, 5, 6, 7, 8, 9, 10])
    # Added later, filled by files: expected only from its first day, provides what it stored.
    linkedin = SocialAccountFactory.create(workspace=workspace, platform=Platform.LINKEDIN)
    facts(linkedin, "impressions", [6, 7, 8, 9, 10, 11])  # day 11 is after the period
    foreign = SocialAccountFactory.create(workspace=other_workspace)
    facts(foreign, "impressions", [1, 2])

    matrix = coverage_matrix(
        workspace=workspace, start=day(1), end=day(10), accounts=[instagram, linkedin, foreign]
    )

    assert set(matrix["account_id"]) == {instagram.pk, linkedin.pk}
    impressions = cell(matrix, instagram, "impressions")
    assert impressions["days_with_value"] == 8 and impressions["days_expected"] == 10
    assert impressions["coverage"] == pytest.approx(0.8)
    assert impressions["first_day"] == day(0) and impressions["account_first_day"] == day(0)
    followers = cell(matrix, instagram, "followers")
    assert (followers["days_with_value"], followers["coverage"]) == (8, pytest.approx(0.8))
    reach = cell(matrix, instagram, "reach")  # declared by the connector, never reported
    assert reach["provided"] and reach["days_with_value"] == 0 and reach["coverage"] == 0
    lost = cell(matrix, instagram, "followers_lost")  # Instagram does not report it
    assert not lost["provided"] and math.isnan(lost["coverage"])

    linked = cell(matrix, linkedin, "impressions")
    assert linked["days_in_period"] == 10 and linked["days_expected"] == 5
    assert linked["days_with_value"] == 5 and linked["coverage"] == 1.0
    assert linked["account_last_day"] == day(11)
    assert not cell(matrix, linkedin, "followers")["provided"]


def test_matrix_of_an_account_without_data_expects_every_day(workspace: Workspace) -> None:
    account = api_account(workspace)
    matrix = coverage_matrix(workspace=workspace, start=day(1), end=day(7), accounts=[account])
    impressions = cell(matrix, account, "impressions")
    assert impressions["days_expected"] == 7 and impressions["coverage"] == 0
    assert impressions["account_first_day"] is None


def test_matrix_queries_do_not_grow_with_accounts(workspace: Workspace) -> None:
    def queries(accounts: list[SocialAccount]) -> int:
        with CaptureQueriesContext(connection) as captured:
            coverage_matrix(workspace=workspace, start=day(1), end=day(30), accounts=accounts)
        return len(captured)

    few = [api_account(workspace)]
    many = few + [api_account(workspace, Platform.FACEBOOK) for _ in range(5)]
    for account in many:
        facts(account, "impressions", list(range(1, 31)))
    assert queries(few) == queries(many) == 1


@pytest.fixture
def classified(workspace: Workspace) -> tuple[SocialAccount, pd.DataFrame]:
    account = api_account(workspace)
    facts(account, "impressions", [3, 5, 6, 9])
    facts(account, "followers", [3, 4, 5, 6, 7, 8, 9])
    run(account, 4, 5, SyncStatus.FAILED, hour=1, error="Timed out")  # healed by the next one
    run(account, 4, 5, SyncStatus.SUCCEEDED, hour=2)
    run(account, 7, 8, SyncStatus.FAILED, hour=3, error="Rate limited\nretry later")
    run(account, 9, 9, SyncStatus.RUNNING, hour=4)  # unfinished: explains nothing
    FileImport.objects.create(
        workspace=workspace,
        account=account,
        file="imports/2025/01/insights.csv",
        original_name="insights.csv",
        sha256="0" * 64,
        status=ImportStatus.IMPORTED,
        summary={"period": [day(5).isoformat(), day(6).isoformat()], "metrics": ["impressions"]},
    )
    return account, coverage_days(workspace=workspace, account=account, start=day(1), end=day(12))


def states(days: pd.DataFrame, metric: str) -> list[str]:
    return [str(state) for state in days[days["metric"] == metric].sort_values("day")["state"]]


B, P, G, IMP, F, N = "before_start", "present", "gap", "imported", "sync_failed", "not_collected"


def test_each_missing_day_gets_its_reason(classified: tuple[SocialAccount, pd.DataFrame]) -> None:
    _, days = classified
    assert list(days.columns) == ["day", "metric", "state", "note"]
    assert states(days, "impressions") == [B, B, P, G, IMP, IMP, F, F, P, N, N, N]
    assert states(days, "followers") == [B, B, P, P, P, P, P, P, P, N, N, N]
    assert states(days, "reach") == [B, B, G, G, G, G, F, F, G, N, N, N]
    assert set(states(days, "followers_lost")) == {CellState.NOT_PROVIDED.value}
    notes = days[(days["metric"] == "impressions")].set_index("day")["note"]
    assert notes[day(7)] == "Rate limited" and notes[day(5)] == "insights.csv"
    assert notes[day(4)] == ""


def test_gaps_group_stretches_and_metrics(classified: tuple[SocialAccount, pd.DataFrame]) -> None:
    _, days = classified
    gaps = coverage_gaps(days=days)
    failed = gaps[gaps["state"] == F]
    assert len(failed) == 1
    first = failed.iloc[0]
    assert (first["start"], first["end"], first["days"]) == (day(7), day(8), 2)
    assert "impressions" in first["metrics"] and "followers" not in first["metrics"]
    assert first["note"] == "Rate limited"
    reach_gaps = gaps[(gaps["state"] == G) & gaps["metrics"].map(lambda m: "reach" in m)]
    assert [(g.start, g.end) for g in reach_gaps.itertuples()] == [
        (day(3), day(6)),
        (day(9), day(9)),
    ]


def test_by_metric_counts_match_the_days(classified: tuple[SocialAccount, pd.DataFrame]) -> None:
    _, days = classified
    table = coverage_by_metric(days=days).set_index("metric")
    impressions = table.loc["impressions"]
    assert impressions["present"] == 2 and impressions["imported"] == 2
    assert impressions["days_expected"] == 10
    assert impressions["coverage"] == pytest.approx(0.4)
    assert table["coverage"].isna()["followers_lost"]


def test_days_of_another_workspaces_account_are_empty(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    foreign = api_account(other_workspace)
    facts(foreign, "impressions", [1])
    assert coverage_days(workspace=workspace, account=foreign, start=day(1), end=day(3)).empty


def test_demo_facebook_outage_is_a_gap_the_platform_left() -> None:
    demo = demo_workspace_seed(end=dt.date(2025, 10, 31), days=30).workspace
    facebook = SocialAccount.objects.get(workspace=demo, platform=Platform.FACEBOOK)

    days = coverage_days(
        workspace=demo, account=facebook, start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 31)
    )
    gaps = coverage_gaps(days=days)

    outage = gaps[gaps["state"] == CellState.GAP.value]
    assert len(outage) == 1
    row = outage.iloc[0]
    assert (row["start"], row["end"], row["days"]) == (
        dt.date(2025, 10, 14),
        dt.date(2025, 10, 17),
        4,
    )
    assert "impressions" in row["metrics"] and "saves" not in row["metrics"]
    assert set(gaps["state"]) == {CellState.BEFORE_START.value, CellState.GAP.value}
    # Facebook pages have no saves: the demo profile says so, and it is never "missing".
    assert set(states(days, "saves")) == {CellState.NOT_PROVIDED.value}
