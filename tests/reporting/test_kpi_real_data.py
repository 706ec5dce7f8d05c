"""Built-in KPIs on real export files, checked against the same computation in pandas.

The files are the real samples in ``../shared/samples`` (present in CI); they are read, never
copied into the project.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from connectors.imports import file_import_run
from connectors.models import Workspace
from reporting.kpis.engine import kpi_value
from reporting.kpis.selectors import kpi_get
from tests.factories import WorkspaceFactory

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
X_EXPORT = SAMPLES / "x" / "tweet_activity_metrics_rOpenSci_20190101_20190201_en.csv"
START, END = dt.date(2019, 1, 1), dt.date(2019, 2, 1)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not X_EXPORT.is_file(), reason="../shared/samples is absent"),
]


@pytest.fixture
def imported() -> Workspace:
    workspace = WorkspaceFactory.create(slug="ropensci", timezone="UTC")
    file_import_run(
        workspace=workspace,
        content=X_EXPORT.read_bytes(),
        filename=X_EXPORT.name,
        account_name="rOpenSci",
    )
    return workspace


@pytest.fixture
def tweets() -> pd.DataFrame:
    frame = pd.read_csv(X_EXPORT, encoding="utf-8-sig")
    frame["published"] = pd.to_datetime(frame["time"], format="%Y-%m-%d %H:%M %z")
    day = frame["published"].dt.tz_convert("UTC").dt.date
    return frame[(day >= START) & (day <= END)]


@pytest.mark.parametrize(
    ("kpi", "column"),
    [
        ("applause_rate", "likes"),
        ("conversation_rate", "replies"),
        ("amplification_rate", "retweets"),
        ("engagements_per_post", "engagements"),
    ],
)
def test_mean_of_post_ratios_equals_pandas_on_the_x_export(
    imported: Workspace, tweets: pd.DataFrame, kpi: str, column: str
) -> None:
    result = kpi_value(
        workspace=imported, kpi=kpi_get(workspace=imported, key=kpi), start=START, end=END
    )
    assert result.sample_size == len(tweets) == 31
    assert result.value == pytest.approx(pd.to_numeric(tweets[column]).mean())


def test_posts_published_sum_equals_the_tweets_of_the_export(
    imported: Workspace, tweets: pd.DataFrame
) -> None:
    result = kpi_value(
        workspace=imported,
        kpi=kpi_get(workspace=imported, key="posts_published"),
        start=START,
        end=END,
    )
    assert result.value == len(tweets)
