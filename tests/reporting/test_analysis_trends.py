from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from connectors.models import AccountMetric, SocialAccount, Workspace
from reporting.analysis.trends import anomalies_detect, trend_test
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db
FIRST = dt.date(2026, 1, 5)  # a Monday


def _series(account: SocialAccount, values: list[float | None]) -> None:
    AccountMetric.objects.bulk_create(
        AccountMetric(
            account=account, day=FIRST + dt.timedelta(days=i), metric="impressions", value=v
        )
        for i, v in enumerate(values)
        if v is not None
    )


def test_linear_series_trend_is_significant(workspace: Workspace) -> None:
    rng = np.random.default_rng(3)
    _series(
        SocialAccountFactory.create(workspace=workspace),
        [1000 + 10 * i + float(rng.normal(0, 30)) for i in range(60)],
    )
    result = trend_test(
        workspace=workspace,
        kpi_or_metric="impressions",
        start=FIRST,
        end=FIRST + dt.timedelta(days=59),
    )
    assert result.significant and result.slope_per_day == pytest.approx(10, abs=1.5)
    assert result.change_pct == pytest.approx(59, abs=8)


def test_noise_trend_is_not_significant(workspace: Workspace) -> None:
    rng = np.random.default_rng(5)
    _series(
        SocialAccountFactory.create(workspace=workspace),
        [1000 + float(rng.normal(0, 30)) for _ in range(60)],
    )
    result = trend_test(
        workspace=workspace,
        kpi_or_metric="impressions",
        start=FIRST,
        end=FIRST + dt.timedelta(days=59),
    )
    assert not result.significant


def _weekly(i: int, rng: np.random.Generator) -> float:
    weekend = (FIRST + dt.timedelta(days=i)).weekday() >= 5
    return (2000.0 if weekend else 1000.0) * float(rng.uniform(0.95, 1.05))


def test_anomalies_find_spike_and_outage_but_not_weekends(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    rng = np.random.default_rng(11)
    values: list[float | None] = [_weekly(i, rng) for i in range(84)]
    values[70] = 9000.0  # spike
    values[75] = None  # no row: outage
    values[76] = 0.0  # zero: outage
    account = SocialAccountFactory.create(workspace=workspace)
    _series(account, values)
    _series(SocialAccountFactory.create(workspace=other_workspace), [5.0] * 84)
    found = anomalies_detect(
        workspace=workspace,
        metric="impressions",
        start=FIRST + dt.timedelta(days=56),
        end=FIRST + dt.timedelta(days=83),
    )
    days = {
        (pd.Timestamp(day).date() - FIRST).days: kind
        for day, kind in zip(found["day"], found["kind"], strict=True)
    }
    assert days == {70: "spike", 75: "outage", 76: "outage"}
    assert set(found["account_id"]) == {account.pk}
    spike = found[found["kind"] == "spike"].iloc[0]
    assert spike["low"] < spike["expected"] < spike["high"] < spike["value"]
