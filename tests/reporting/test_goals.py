from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import cast

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from connectors.models import Platform, SocialAccount, Workspace
from reporting.goals.pacing import ProjectionMethod
from reporting.goals.periods import goal_period_bounds, goal_period_kind
from reporting.goals.selectors import GoalStatus, goal_list_progress, goal_progress
from reporting.goals.services import goal_create, goal_update
from reporting.kpis.selectors import kpi_get
from reporting.kpis.services import kpi_create
from reporting.models import Goal, KpiDefinition
from tests.factories import AccountMetricFactory, SocialAccountFactory

D = dt.date
TODAY = D(2026, 3, 16)  # a Monday
MARCH = {"period_kind": "month", "start": D(2026, 3, 1), "end": D(2026, 3, 31)}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def account(workspace: Workspace, platform: str = Platform.INSTAGRAM) -> SocialAccount:
    return cast(SocialAccount, SocialAccountFactory(workspace=workspace, platform=platform))


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def weekday_pattern(day: dt.date, level: float = 100.0) -> float:
    """Weekends at half the weekday level."""
    return level / 2 if day.weekday() >= 5 else level


def seed_impressions(owner: SocialAccount, first: dt.date, last: dt.date, level: float) -> None:
    for day in days(first, last):
        AccountMetricFactory(
            account=owner, day=day, metric="impressions", value=weekday_pattern(day, level)
        )


def goal(workspace: Workspace, kpi: str | KpiDefinition, target: float, **fields: object) -> Goal:
    definition = kpi if isinstance(kpi, KpiDefinition) else kpi_get(workspace=workspace, key=kpi)
    period = {**MARCH, **fields}
    return goal_create(workspace=workspace, kpi=definition, name="Goal", target=target, **period)  # type: ignore[arg-type]


def expected_weekday_projection(
    values: dict[dt.date, float], today: dt.date, end: dt.date, actual: float
) -> float:
    """The documented method, computed independently: weekday means over the 56 days before
    today, scaled by the last 14 days' sum over what the means predict for them."""
    history = {d: v for d, v in values.items() if today - dt.timedelta(days=56) <= d < today}
    by_weekday: dict[int, list[float]] = {}
    for day, value in history.items():
        by_weekday.setdefault(day.weekday(), []).append(value)
    means = {w: sum(v) / len(v) for w, v in by_weekday.items()}
    recent = [d for d in history if d >= today - dt.timedelta(days=14)]
    scale = sum(history[d] for d in recent) / sum(means[d.weekday()] for d in recent)
    return actual + sum(means[d.weekday()] * scale for d in days(today, end))


@pytest.fixture
def impressions(workspace: Workspace) -> dict[dt.date, float]:
    """Eight weeks and more of impressions: weekdays at 100, weekends at 50, and the last two
    weeks 20% higher, so both the weekday pattern and the recent level matter."""
    owner = account(workspace)
    values: dict[dt.date, float] = {}
    for day in days(D(2026, 1, 1), TODAY - dt.timedelta(days=1)):
        level = 120.0 if day >= TODAY - dt.timedelta(days=14) else 100.0
        values[day] = weekday_pattern(day, level)
        AccountMetricFactory(account=owner, day=day, metric="impressions", value=values[day])
    return values


def test_sum_projection_follows_the_weekday_pattern_and_recent_level(
    workspace: Workspace, impressions: dict[dt.date, float]
) -> None:
    created = goal(workspace, "impressions", target=10_000)

    progress = goal_progress(goal=created, today=TODAY)

    actual = sum(v for d, v in impressions.items() if D(2026, 3, 1) <= d <= D(2026, 3, 15))
    assert progress.actual == pytest.approx(actual)
    assert (progress.days_elapsed, progress.days_remaining, progress.days_total) == (15, 16, 31)
    assert progress.measured_until == D(2026, 3, 15)
    expected = expected_weekday_projection(impressions, TODAY, D(2026, 3, 31), actual)
    assert progress.projection.method is ProjectionMethod.WEEKDAY_PATTERN
    assert progress.projection.value == pytest.approx(expected)
    # A flat average would differ: the weekends really are forecast at half the level.
    flat = actual + 16 * float(np.mean([impressions[d] for d in impressions if d >= D(2026, 3, 2)]))
    assert progress.projection.value != pytest.approx(flat, rel=1e-3)
    assert progress.pace_needed == pytest.approx((10_000 - actual) / 16)
    assert "same weekday over the last 8 weeks" in progress.basis
    series = progress.series
    assert list(series.columns) == ["day", "actual", "projection"]
    assert len(series) == 31
    assert series["actual"].iloc[14] == pytest.approx(actual)
    assert series["projection"].iloc[-1] == pytest.approx(expected)
    assert series["projection"].iloc[14] == pytest.approx(actual)  # the lines join


@pytest.mark.parametrize(
    ("factor", "status"),
    [(0.95, GoalStatus.ON_TRACK), (1 / 0.95, GoalStatus.AT_RISK), (2.0, GoalStatus.OFF_TRACK)],
)
def test_status_compares_the_projection_with_the_target(
    workspace: Workspace, impressions: dict[dt.date, float], factor: float, status: GoalStatus
) -> None:
    actual = sum(v for d, v in impressions.items() if D(2026, 3, 1) <= d <= D(2026, 3, 15))
    projection = expected_weekday_projection(impressions, TODAY, D(2026, 3, 31), actual)

    progress = goal_progress(goal=goal(workspace, "impressions", projection * factor), today=TODAY)

    assert progress.status is status


def test_sum_goal_already_reached_is_achieved(
    workspace: Workspace, impressions: dict[dt.date, float]
) -> None:
    progress = goal_progress(goal=goal(workspace, "impressions", 100), today=TODAY)

    assert progress.status is GoalStatus.ACHIEVED
    assert progress.pace_needed == 0
    assert progress.achieved_bar == 100


def test_period_over_is_achieved_or_missed(
    workspace: Workspace, impressions: dict[dt.date, float]
) -> None:
    february = {"start": D(2026, 2, 1), "end": D(2026, 2, 28)}
    total = sum(v for d, v in impressions.items() if d.month == 2)

    met = goal_progress(goal=goal(workspace, "impressions", total, **february), today=TODAY)
    missed = goal_progress(goal=goal(workspace, "impressions", total + 1, **february), today=TODAY)

    assert (met.status, missed.status) == (GoalStatus.ACHIEVED, GoalStatus.MISSED)
    assert missed.actual == pytest.approx(total)
    assert missed.projection.method is ProjectionMethod.FINAL
    assert missed.days_remaining == 0
    assert missed.pace_needed is None


def test_future_goal_is_not_started_and_projected_from_history(
    workspace: Workspace, impressions: dict[dt.date, float]
) -> None:
    april = {"start": D(2026, 4, 1), "end": D(2026, 4, 30)}

    progress = goal_progress(goal=goal(workspace, "impressions", 1000, **april), today=TODAY)

    assert progress.status is GoalStatus.NOT_STARTED
    assert progress.actual is None
    assert progress.days_elapsed == 0
    history = {d: v for d, v in impressions.items()}
    expected = expected_weekday_projection(history, TODAY, D(2026, 4, 30), 0.0)
    expected -= expected_weekday_projection(history, TODAY, D(2026, 3, 31), 0.0)
    assert progress.projection.value == pytest.approx(expected)


def test_lower_is_better_reverses_the_comparison(
    workspace: Workspace, impressions: dict[dt.date, float]
) -> None:
    kpi = kpi_create(
        workspace=workspace,
        key="spend_like",
        name_en="Spend",
        name_fr="Dépense",
        formula="impressions",
        unit="count",
        aggregation="sum",
        direction="lower_is_better",
    )
    actual = sum(v for d, v in impressions.items() if D(2026, 3, 1) <= d <= D(2026, 3, 15))
    projection = expected_weekday_projection(impressions, TODAY, D(2026, 3, 31), actual)

    generous = goal_progress(goal=goal(workspace, kpi, projection * 1.05), today=TODAY)
    close = goal_progress(goal=goal(workspace, kpi, projection * 0.95), today=TODAY)
    strict = goal_progress(goal=goal(workspace, kpi, projection * 0.5), today=TODAY)

    assert generous.status is GoalStatus.ON_TRACK
    assert close.status is GoalStatus.AT_RISK
    assert strict.status is GoalStatus.OFF_TRACK
    assert strict.achieved == pytest.approx(projection * 0.5 / actual)
    assert "Lower is better" in strict.basis


def test_stock_projection_extrapolates_the_daily_change(workspace: Workspace) -> None:
    owner = account(workspace)
    for i, day in enumerate(days(D(2026, 2, 1), D(2026, 3, 15))):
        AccountMetricFactory(account=owner, day=day, metric="followers", value=1000 + 10 * i)
    latest = 1000 + 10 * (len(days(D(2026, 2, 1), D(2026, 3, 15))) - 1)

    progress = goal_progress(goal=goal(workspace, "followers", latest + 100), today=TODAY)

    assert progress.actual == latest
    assert progress.projection.method is ProjectionMethod.DAILY_CHANGE
    assert progress.projection.daily_change == pytest.approx(10)
    assert progress.projection.value == pytest.approx(latest + 10 * 16)
    assert progress.pace_needed == pytest.approx(100)  # the gap to close
    assert progress.status is GoalStatus.ON_TRACK


def test_stock_day_missing_an_account_is_a_gap_not_a_fall(workspace: Workspace) -> None:
    big, small = account(workspace), account(workspace, Platform.FACEBOOK)
    outage = D(2026, 3, 5)
    for i, day in enumerate(days(D(2026, 2, 1), D(2026, 3, 15))):
        AccountMetricFactory(account=small, day=day, metric="followers", value=100 + i)
        if day != outage:
            AccountMetricFactory(account=big, day=day, metric="followers", value=1000 + 10 * i)

    progress = goal_progress(goal=goal(workspace, "followers", 2000), today=TODAY)

    series = progress.series.set_index("day")["actual"]
    assert pd.isna(series[pd.Timestamp(outage)])
    assert series[pd.Timestamp(outage - dt.timedelta(days=1))] > 1000
    # The outage does not bend the trend: 10 + 1 a day across the two accounts.
    assert progress.projection.daily_change == pytest.approx(11)


def test_ratio_projection_blends_the_recent_ratio(workspace: Workspace) -> None:
    owner = account(workspace)
    for day in days(D(2026, 2, 1), D(2026, 3, 15)):
        rate = 0.04 if day < D(2026, 2, 16) else 0.05
        AccountMetricFactory(account=owner, day=day, metric="reach", value=1000)
        AccountMetricFactory(account=owner, day=day, metric="engagements", value=1000 * rate)

    progress = goal_progress(goal=goal(workspace, "engagement_rate_reach", 0.06), today=TODAY)

    assert progress.actual == pytest.approx(0.05)
    assert progress.projection.method is ProjectionMethod.RECENT_RATIO
    assert progress.projection.value == pytest.approx(0.05)
    assert progress.pace_needed == pytest.approx(0.01)
    assert progress.status is GoalStatus.OFF_TRACK


def test_too_little_data_gives_no_projection(workspace: Workspace) -> None:
    seed_impressions(account(workspace), D(2026, 3, 10), D(2026, 3, 15), 100)

    progress = goal_progress(goal=goal(workspace, "impressions", 1000), today=TODAY)

    assert progress.projection.value is None
    assert progress.status is GoalStatus.NO_DATA
    assert "No projection" in progress.basis


def test_account_goal_counts_only_that_account(workspace: Workspace) -> None:
    mine, other = account(workspace), account(workspace, Platform.FACEBOOK)
    seed_impressions(mine, D(2026, 3, 1), D(2026, 3, 15), 100)
    seed_impressions(other, D(2026, 3, 1), D(2026, 3, 15), 1000)

    progress = goal_progress(goal=goal(workspace, "impressions", 10, account=mine), today=TODAY)

    assert progress.actual == sum(weekday_pattern(d) for d in days(D(2026, 3, 1), D(2026, 3, 15)))


def test_goals_are_scoped_to_their_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    goal(workspace, "impressions", 10)
    foreign = account(other_workspace)

    assert goal_list_progress(workspace=other_workspace, today=TODAY) == []
    assert len(goal_list_progress(workspace=workspace, today=TODAY)) == 1
    with pytest.raises(ValidationError) as account_error:
        goal(workspace, "impressions", 10, account=foreign)
    assert "account" in account_error.value.message_dict
    with pytest.raises(ValidationError) as kpi_error:
        goal(workspace, kpi_get(workspace=other_workspace, key="reach"), 10)
    assert "kpi" in kpi_error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("month", D(2026, 3, 2), D(2026, 3, 31)),
        ("quarter", D(2026, 2, 1), D(2026, 4, 30)),
        ("year", D(2026, 1, 1), D(2026, 12, 30)),
        ("custom", D(2026, 3, 10), D(2026, 3, 9)),
    ],
)
def test_periods_must_fit_their_kind(
    workspace: Workspace, kind: str, start: dt.date, end: dt.date
) -> None:
    with pytest.raises(ValidationError):
        goal(workspace, "impressions", 10, period_kind=kind, start=start, end=end)
    assert not Goal.objects.exists()


def test_goal_update_validates(workspace: Workspace) -> None:
    created = goal(workspace, "impressions", 10)
    goal_update(goal=created, target=20, name="More")
    created.refresh_from_db()
    assert (created.target, created.name) == (20, "More")
    with pytest.raises(ValidationError):
        goal_update(goal=created, end=D(2026, 3, 30))
    with pytest.raises(TypeError):
        goal_update(goal=created, workspace=workspace)


@pytest.mark.parametrize(
    ("kind", "day", "bounds"),
    [
        ("month", D(2024, 2, 10), (D(2024, 2, 1), D(2024, 2, 29))),
        ("quarter", D(2026, 11, 5), (D(2026, 10, 1), D(2026, 12, 31))),
        ("quarter", D(2026, 5, 31), (D(2026, 4, 1), D(2026, 6, 30))),
        ("year", D(2026, 7, 1), (D(2026, 1, 1), D(2026, 12, 31))),
        ("month", D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
    ],
)
def test_period_bounds(kind: str, day: dt.date, bounds: tuple[dt.date, dt.date]) -> None:
    assert goal_period_bounds(kind, day) == bounds
    assert goal_period_kind(*bounds) == kind


def test_series_is_a_running_total_with_gaps_kept(workspace: Workspace) -> None:
    owner = account(workspace)
    AccountMetricFactory(account=owner, day=D(2026, 3, 2), metric="impressions", value=5)
    AccountMetricFactory(account=owner, day=D(2026, 3, 4), metric="impressions", value=7)

    series = goal_progress(goal=goal(workspace, "impressions", 10), today=TODAY).series

    actual = series.set_index("day")["actual"]
    assert np.isnan(actual[pd.Timestamp(D(2026, 3, 1))])
    assert actual[pd.Timestamp(D(2026, 3, 3))] == 5
    assert actual[pd.Timestamp(D(2026, 3, 15))] == 12
