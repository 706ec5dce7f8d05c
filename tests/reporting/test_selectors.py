from __future__ import annotations

import datetime as dt
import math
from typing import Any, cast

import pandas as pd
import pytest

from connectors.models import Platform, Post, SocialAccount, User, Workspace
from reporting import selectors
from reporting.selectors import Grain
from tests.factories import (
    AccountMetricFactory,
    MembershipFactory,
    PostFactory,
    SocialAccountFactory,
    UserFactory,
)

D = dt.date


def make_account(workspace: Workspace, **kwargs: Any) -> SocialAccount:
    return cast(SocialAccount, SocialAccountFactory(workspace=workspace, **kwargs))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def fact(account: SocialAccount, day: dt.date, metric: str, value: float) -> None:
    AccountMetricFactory(account=account, day=day, metric=metric, value=value)


def post(account: SocialAccount, published_at: dt.datetime) -> Post:
    return cast(Post, PostFactory(account=account, published_at=published_at))


@pytest.fixture
def instagram(workspace: Workspace) -> SocialAccount:
    return make_account(workspace, platform=Platform.INSTAGRAM, display_name="Acme IG")


@pytest.fixture
def facebook(workspace: Workspace) -> SocialAccount:
    return make_account(workspace, platform=Platform.FACEBOOK, display_name="Acme FB")


@pytest.fixture
def intruder(other_workspace: Workspace) -> SocialAccount:
    """An account of another workspace whose facts must never leak into Acme's numbers."""
    account = make_account(other_workspace, platform=Platform.INSTAGRAM, display_name="Globex")
    for day in pd.date_range("2026-01-01", "2026-01-31").date:
        fact(account, day, "followers", 99_999)
        fact(account, day, "engagements", 77_777)
    post(account, dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC))
    return account


def test_account_metric_daily_follows_its_column_contract(
    workspace: Workspace, instagram: SocialAccount
) -> None:
    fact(instagram, D(2026, 1, 2), "followers", 1200)
    fact(instagram, D(2026, 1, 1), "followers", 1100)
    fact(instagram, D(2026, 1, 1), "impressions", 5000)

    frame = selectors.account_metric_daily(
        workspace=workspace,
        metrics=["followers", "impressions"],
        start=D(2026, 1, 1),
        end=D(2026, 1, 31),
    )

    assert list(frame.columns) == selectors.ACCOUNT_METRIC_DAILY_COLUMNS
    assert frame["day"].dtype.kind == "M"
    assert frame["account_id"].dtype == "int64"
    assert frame["value"].dtype == "float64"
    assert frame.to_dict("records") == [
        {
            "day": pd.Timestamp("2026-01-01"),
            "account_id": instagram.pk,
            "account": "Acme IG",
            "platform": "instagram",
            "metric": "followers",
            "value": 1100.0,
        },
        {
            "day": pd.Timestamp("2026-01-01"),
            "account_id": instagram.pk,
            "account": "Acme IG",
            "platform": "instagram",
            "metric": "impressions",
            "value": 5000.0,
        },
        {
            "day": pd.Timestamp("2026-01-02"),
            "account_id": instagram.pk,
            "account": "Acme IG",
            "platform": "instagram",
            "metric": "followers",
            "value": 1200.0,
        },
    ]


def test_account_metric_daily_empty_frame_keeps_columns(workspace: Workspace) -> None:
    frame = selectors.account_metric_daily(
        workspace=workspace, metrics=["followers"], start=D(2026, 1, 1), end=D(2026, 1, 31)
    )
    assert frame.empty
    assert list(frame.columns) == selectors.ACCOUNT_METRIC_DAILY_COLUMNS
    assert frame["day"].dtype.kind == "M"


def test_account_metric_daily_rejects_unknown_metric(workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="Unknown metric"):
        selectors.account_metric_daily(
            workspace=workspace, metrics=["fans"], start=D(2026, 1, 1), end=D(2026, 1, 2)
        )


def test_other_workspaces_facts_never_appear(
    workspace: Workspace, instagram: SocialAccount, intruder: SocialAccount
) -> None:
    fact(instagram, D(2026, 1, 5), "followers", 10)
    fact(instagram, D(2026, 1, 5), "engagements", 3)
    start, end = D(2026, 1, 1), D(2026, 1, 31)

    daily = selectors.account_metric_daily(
        workspace=workspace, metrics=["followers", "engagements"], start=start, end=end
    )
    totals = selectors.metric_totals(
        workspace=workspace, metrics=["followers", "engagements"], start=start, end=end
    )
    buckets = selectors.platform_metric_buckets(
        workspace=workspace, metric="engagements", start=start, end=end, grain=Grain.MONTH
    )
    edges = selectors.account_stock_edges(
        workspace=workspace, metric="followers", start=start, end=end
    )
    posts = selectors.posts_published(workspace=workspace, start=start, end=end)

    assert set(daily["account_id"]) == {instagram.pk}
    assert totals.set_index("metric")["value"].to_dict() == {"followers": 10.0, "engagements": 3.0}
    assert buckets["value"].tolist() == [3.0]
    assert edges["account_id"].tolist() == [instagram.pk]
    assert posts.empty
    assert selectors.workspace_fact_bounds(workspace=workspace) == (D(2026, 1, 5), D(2026, 1, 5))


def test_missing_days_stay_missing(workspace: Workspace, instagram: SocialAccount) -> None:
    fact(instagram, D(2026, 1, 1), "followers", 100)
    fact(instagram, D(2026, 1, 3), "followers", 120)

    frame = selectors.account_metric_daily(
        workspace=workspace, metrics=["followers"], start=D(2026, 1, 1), end=D(2026, 1, 4)
    )

    assert frame["day"].dt.date.tolist() == [D(2026, 1, 1), D(2026, 1, 3)]
    assert 0.0 not in frame["value"].tolist()


def test_period_boundaries_are_inclusive(workspace: Workspace, instagram: SocialAccount) -> None:
    for day, value in [
        (D(2026, 1, 31), 1),
        (D(2026, 2, 1), 10),
        (D(2026, 2, 28), 100),
        (D(2026, 3, 1), 1000),
    ]:
        fact(instagram, day, "impressions", value)

    start, end = D(2026, 2, 1), D(2026, 2, 28)
    daily = selectors.account_metric_daily(
        workspace=workspace, metrics=["impressions"], start=start, end=end
    )
    totals = selectors.metric_totals(
        workspace=workspace, metrics=["impressions"], start=start, end=end
    )

    assert daily["value"].tolist() == [10.0, 100.0]
    assert totals["value"].tolist() == [110.0]


def test_metric_totals_reads_stocks_at_each_accounts_last_reported_day(
    workspace: Workspace, instagram: SocialAccount, facebook: SocialAccount
) -> None:
    fact(instagram, D(2026, 1, 1), "followers", 100)
    fact(instagram, D(2026, 1, 20), "followers", 150)  # Instagram stops reporting here.
    fact(facebook, D(2026, 1, 1), "followers", 1000)
    fact(facebook, D(2026, 1, 31), "followers", 1100)
    fact(instagram, D(2026, 1, 2), "impressions", 40)
    fact(facebook, D(2026, 1, 2), "impressions", 2)

    totals = selectors.metric_totals(
        workspace=workspace,
        metrics=["impressions", "followers", "engagements"],
        start=D(2026, 1, 1),
        end=D(2026, 1, 31),
    )

    assert list(totals.columns) == selectors.METRIC_TOTALS_COLUMNS
    assert totals["metric"].tolist() == ["impressions", "followers", "engagements"]
    assert totals["value"].tolist()[:2] == [42.0, 1250.0]
    assert math.isnan(totals["value"].tolist()[2])  # nothing reported: not zero
    assert totals["accounts"].tolist() == [2, 2, 0]


def test_account_stock_edges(
    workspace: Workspace, instagram: SocialAccount, facebook: SocialAccount
) -> None:
    fact(instagram, D(2025, 12, 31), "followers", 90)  # before the period
    fact(instagram, D(2026, 1, 3), "followers", 100)
    fact(instagram, D(2026, 1, 9), "followers", 130)

    edges = selectors.account_stock_edges(
        workspace=workspace, metric="followers", start=D(2026, 1, 1), end=D(2026, 1, 10)
    )

    assert list(edges.columns) == selectors.STOCK_EDGES_COLUMNS
    assert edges.to_dict("records") == [
        {
            "account_id": instagram.pk,
            "account": "Acme IG",
            "platform": "instagram",
            "first_day": pd.Timestamp("2026-01-03"),
            "first_value": 100.0,
            "last_day": pd.Timestamp("2026-01-09"),
            "last_value": 130.0,
        }
    ]


def test_weekly_buckets_end_on_the_periods_last_day(
    workspace: Workspace, instagram: SocialAccount, facebook: SocialAccount
) -> None:
    start, end = D(2026, 1, 1), D(2026, 1, 17)  # 17 days: blocks 11-17, 4-10 and 1-3
    for day in pd.date_range(start, end).date:
        fact(instagram, day, "engagements", 1)
    fact(facebook, D(2026, 1, 4), "engagements", 50)
    fact(facebook, D(2026, 1, 18), "engagements", 999)  # after the period

    frame = selectors.platform_metric_buckets(
        workspace=workspace, metric="engagements", start=start, end=end, grain=Grain.WEEK
    )

    assert list(frame.columns) == selectors.PLATFORM_BUCKETS_COLUMNS
    rows = [
        (r["period_start"].date(), r["period_end"].date(), r["platform"], r["value"])
        for r in records(frame)
    ]
    assert rows == [
        (D(2026, 1, 1), D(2026, 1, 3), "instagram", 3.0),
        (D(2026, 1, 4), D(2026, 1, 10), "facebook", 50.0),
        (D(2026, 1, 4), D(2026, 1, 10), "instagram", 7.0),
        (D(2026, 1, 11), D(2026, 1, 17), "instagram", 7.0),
    ]


def test_monthly_buckets_are_calendar_months_clipped_to_the_period(
    workspace: Workspace, instagram: SocialAccount
) -> None:
    fact(instagram, D(2026, 1, 20), "engagements", 5)
    fact(instagram, D(2026, 2, 1), "engagements", 6)
    fact(instagram, D(2026, 2, 28), "engagements", 7)
    fact(instagram, D(2026, 3, 2), "engagements", 8)

    frame = selectors.platform_metric_buckets(
        workspace=workspace,
        metric="engagements",
        start=D(2026, 1, 15),
        end=D(2026, 3, 10),
        grain=Grain.MONTH,
    )

    rows = [(r["period_start"].date(), r["period_end"].date(), r["value"]) for r in records(frame)]
    assert rows == [
        (D(2026, 1, 15), D(2026, 1, 31), 5.0),
        (D(2026, 2, 1), D(2026, 2, 28), 13.0),
        (D(2026, 3, 1), D(2026, 3, 10), 8.0),
    ]


def test_daily_buckets_are_days(workspace: Workspace, instagram: SocialAccount) -> None:
    fact(instagram, D(2026, 1, 2), "engagements", 5)
    frame = selectors.platform_metric_buckets(
        workspace=workspace,
        metric="engagements",
        start=D(2026, 1, 1),
        end=D(2026, 1, 3),
        grain=Grain.DAY,
    )
    rows = [(r["period_start"].date(), r["period_end"].date(), r["value"]) for r in records(frame)]
    assert rows == [(D(2026, 1, 2), D(2026, 1, 2), 5.0)]


def test_buckets_refuse_stocks(workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="stock"):
        selectors.platform_metric_buckets(
            workspace=workspace,
            metric="followers",
            start=D(2026, 1, 1),
            end=D(2026, 1, 2),
            grain=Grain.DAY,
        )


def test_posts_published_counts_days_in_the_workspace_timezone(
    workspace: Workspace, instagram: SocialAccount
) -> None:
    # Europe/Paris is UTC+1 in January: 23:30 UTC on the 31st is already 1 February there.
    post(instagram, dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC))
    post(instagram, dt.datetime(2026, 1, 31, 22, 30, tzinfo=dt.UTC))
    post(instagram, dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC))

    january = selectors.posts_published(
        workspace=workspace, start=D(2026, 1, 1), end=D(2026, 1, 31)
    )

    assert list(january.columns) == selectors.POSTS_PUBLISHED_COLUMNS
    assert january.to_dict("records") == [
        {"account_id": instagram.pk, "platform": "instagram", "posts": 2}
    ]


def test_overview_kpis_compare_with_period_start_and_previous_period(
    workspace: Workspace, instagram: SocialAccount, facebook: SocialAccount, intruder: SocialAccount
) -> None:
    start, end = D(2026, 1, 1), D(2026, 1, 31)  # previous period: 1 to 31 December 2025
    fact(instagram, D(2026, 1, 1), "followers", 100)
    fact(instagram, D(2026, 1, 30), "followers", 150)
    fact(facebook, D(2026, 1, 5), "followers", 1000)
    fact(facebook, D(2026, 1, 31), "followers", 900)
    fact(instagram, D(2025, 12, 1), "impressions", 400)
    fact(instagram, D(2026, 1, 2), "impressions", 500)
    fact(facebook, D(2026, 1, 3), "engagements", 30)
    post(instagram, dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC))
    post(instagram, dt.datetime(2026, 1, 11, 10, tzinfo=dt.UTC))
    post(instagram, dt.datetime(2025, 12, 11, 10, tzinfo=dt.UTC))

    frame = selectors.overview_kpis(workspace=workspace, start=start, end=end)
    kpis = {row["kpi"]: row for row in records(frame)}

    assert list(frame.columns) == selectors.OVERVIEW_KPI_COLUMNS
    assert list(kpis) == ["followers", "impressions", "engagements", "posts_published"]
    followers = kpis["followers"]
    assert [followers["value"], followers["reference"], followers["change"]] == [1050, 1100, -50]
    assert followers["change_pct"] == pytest.approx(-50 / 1100 * 100)
    assert followers["reference_kind"] == "period_start"
    impressions = kpis["impressions"]
    assert [impressions["value"], impressions["reference"], impressions["change_pct"]] == [
        500,
        400,
        25.0,
    ]
    assert impressions["reference_kind"] == "previous_period"
    engagements = kpis["engagements"]
    assert engagements["value"] == 30
    assert math.isnan(engagements["reference"])  # December has no engagements
    assert math.isnan(engagements["change_pct"])
    posts = kpis["posts_published"]
    assert [posts["value"], posts["reference"], posts["change_pct"]] == [2, 1, 100.0]


def test_overview_kpis_without_any_fact_are_missing_not_zero(workspace: Workspace) -> None:
    kpis = selectors.overview_kpis(workspace=workspace, start=D(2026, 1, 1), end=D(2026, 1, 31))
    assert kpis["value"].isna().all()
    assert kpis["change_pct"].isna().all()


def test_period_previous_has_equal_length() -> None:
    assert selectors.period_previous(start=D(2026, 3, 1), end=D(2026, 3, 31)) == (
        D(2026, 1, 29),
        D(2026, 2, 28),
    )


def test_membership_list_with_counts(
    workspace: Workspace, other_workspace: Workspace, instagram: SocialAccount
) -> None:
    make_account(workspace, platform=Platform.LINKEDIN)
    user = cast(User, UserFactory(username="multi"))
    MembershipFactory(user=user, workspace=workspace)
    MembershipFactory(user=user, workspace=other_workspace)

    rows = selectors.membership_list_with_counts(user=user)

    assert [(m.workspace.slug, m.account_count) for m in rows] == [("acme", 2), ("globex", 0)]  # type: ignore[attr-defined]
