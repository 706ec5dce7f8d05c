from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import plotly.graph_objects as go
import pytest
from django.utils import translation

from dashboards import charts, theme
from reporting.selectors import (
    ACCOUNT_METRIC_DAILY_COLUMNS,
    PLATFORM_BUCKETS_COLUMNS,
    Grain,
)


def daily_frame(rows: list[tuple[str, int, str, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=ACCOUNT_METRIC_DAILY_COLUMNS)
    return frame.astype({"day": "datetime64[ns]"})


def buckets_frame(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=PLATFORM_BUCKETS_COLUMNS)
    return frame.astype({"period_start": "datetime64[ns]", "period_end": "datetime64[ns]"})


@pytest.fixture
def followers() -> pd.DataFrame:
    return daily_frame(
        [
            ("2026-01-01", 1, "Acme IG", "instagram", "followers", 100.0),
            ("2026-01-02", 1, "Acme IG", "instagram", "followers", 110.0),
            # 3 January is missing for Instagram.
            ("2026-01-04", 1, "Acme IG", "instagram", "followers", 130.0),
            ("2026-01-01", 2, "Acme FB", "facebook", "followers", 2000.0),
            ("2026-01-04", 2, "Acme FB", "facebook", "followers", 2100.0),
            ("2026-01-01", 2, "Acme FB", "facebook", "impressions", 99999.0),
        ]
    )


def test_followers_chart_has_one_line_per_account_named_by_platform(
    followers: pd.DataFrame,
) -> None:
    figure = charts.followers_chart(followers)

    assert [trace.name for trace in figure.data] == ["Facebook", "Instagram"]
    assert all(trace.type == "scatter" and trace.mode == "lines" for trace in figure.data)
    instagram = figure.data[1]
    assert [pd.Timestamp(x).date().isoformat() for x in instagram.x] == [
        "2026-01-01",
        "2026-01-02",
        "2026-01-03",
        "2026-01-04",
    ]
    values = list(instagram.y)
    assert values[:2] == [100.0, 110.0] and values[3] == 130.0
    assert math.isnan(values[2])  # the missing day is a gap, not a zero
    assert instagram.connectgaps is False
    assert instagram.line.color == theme.PLATFORM_COLORS["instagram"]


def test_followers_chart_ignores_other_metrics(followers: pd.DataFrame) -> None:
    figure = charts.followers_chart(followers)
    assert 99999.0 not in [value for trace in figure.data for value in trace.y]


def test_followers_chart_names_accounts_when_a_platform_has_several() -> None:
    frame = daily_frame(
        [
            ("2026-01-01", 1, "Brand FR", "instagram", "followers", 1.0),
            ("2026-01-01", 2, "Brand UK", "instagram", "followers", 2.0),
        ]
    )
    figure = charts.followers_chart(frame)
    assert [trace.name for trace in figure.data] == ["Instagram · Brand FR", "Instagram · Brand UK"]


def test_charts_use_the_rapport_template(followers: pd.DataFrame) -> None:
    figure = charts.followers_chart(followers)
    assert figure.layout.template.layout.colorway == tuple(theme.OKABE_ITO)
    assert figure.layout.template.layout.font.family == theme.FONT_FAMILY
    assert "%{y:,.0f}" in figure.data[0].hovertemplate


def test_platform_bars_chart_stacks_one_trace_per_platform() -> None:
    buckets = buckets_frame(
        [
            ("2026-01-01", "2026-01-03", "instagram", 3.0),
            ("2026-01-04", "2026-01-10", "facebook", 50.0),
            ("2026-01-04", "2026-01-10", "instagram", 7.0),
        ]
    )

    figure = charts.platform_bars_chart(buckets, grain=Grain.WEEK)

    assert figure.layout.barmode == "stack"
    assert [trace.name for trace in figure.data] == ["Facebook", "Instagram"]
    assert all(trace.type == "bar" for trace in figure.data)
    facebook, instagram = figure.data
    assert list(facebook.y) == [50.0]
    assert list(instagram.y) == [3.0, 7.0]
    assert [pd.Timestamp(x).date().isoformat() for x in instagram.x] == [
        "2026-01-01",
        "2026-01-04",
    ]
    assert instagram.marker.color == theme.PLATFORM_COLORS["instagram"]
    assert instagram.xperiod == 7 * 86_400_000
    assert instagram.xperiod0 == "2026-01-04"
    # 1 to 3 January is a short week: paler, and its hover says so.
    assert list(instagram.marker.opacity) == [theme.PARTIAL_OPACITY, 1.0]
    assert "(3 of 7 days)" in instagram.hovertemplate[0]
    assert instagram.hovertemplate[1] == "%{y:,.0f}<extra>%{fullData.name}</extra>"


def test_partial_months_are_marked() -> None:
    buckets = buckets_frame(
        [
            ("2026-01-15", "2026-01-31", "tiktok", 5.0),
            ("2026-02-01", "2026-02-28", "tiktok", 9.0),
        ]
    )
    bars = charts.platform_bars_chart(buckets, grain=Grain.MONTH).data[0]
    assert list(bars.marker.opacity) == [theme.PARTIAL_OPACITY, 1.0]
    assert "(17 of 31 days)" in bars.hovertemplate[0]


def test_monthly_bars_use_calendar_month_periods() -> None:
    buckets = buckets_frame([("2026-01-15", "2026-01-31", "tiktok", 5.0)])
    figure = charts.platform_bars_chart(buckets, grain=Grain.MONTH)
    assert figure.data[0].xperiod == "M1"
    assert figure.data[0].name == "TikTok"


def test_figure_json_is_plain_json(followers: pd.DataFrame) -> None:
    data = charts.figure_json(charts.followers_chart(followers))
    assert set(data) >= {"data", "layout"}
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    ("language", "separators", "week"),
    [("en", ".,", "Week of %b %-d, %Y"), ("fr", ",\u00a0", "Semaine du %-d %b %Y")],
)
def test_charts_follow_the_active_language(
    followers: pd.DataFrame, language: str, separators: str, week: str
) -> None:
    buckets = buckets_frame([("2026-01-04", "2026-01-10", "facebook", 50.0)])
    with translation.override(language):
        line = charts.followers_chart(followers)
        bars = charts.platform_bars_chart(buckets, grain=Grain.WEEK)
    assert line.layout.separators == separators
    assert bars.data[0].xhoverformat == week


def test_followers_of_many_accounts_are_added_up_per_platform() -> None:
    days = pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"])
    rows = []
    for account in range(1, 10):  # nine Instagram accounts: one line each would be unreadable
        for day in days:
            if account == 9 and day == days[1]:
                continue  # one account did not report on the 2nd: that day is a gap
            rows.append((day, account, f"A{account}", "instagram", "followers", 100.0 * account))
    rows.append((days[0], 10, "B", "facebook", "followers", 7.0))
    daily = pd.DataFrame(
        rows, columns=["day", "account_id", "account", "platform", "metric", "value"]
    )
    figure = charts.followers_chart(daily)
    names = [trace.name for trace in figure.data]
    assert names == ["Facebook", "Instagram"]
    instagram = figure.data[1]
    assert instagram.y[0] == 4500.0 and instagram.y[2] == 4500.0
    assert math.isnan(instagram.y[1])


def test_notes_are_escaped_in_the_hover_and_one_marker_per_day() -> None:
    figure = charts.annotations_add(
        go.Figure(go.Scatter(x=["2026-03-01", "2026-03-05"], y=[1, 2])),
        [
            (dt.date(2026, 3, 2), '<a href="javascript:alert(1)">launch</a>'),
            (dt.date(2026, 3, 2), "Second note"),
        ],
    )
    marks = [t for t in figure.data if (t.meta or {}).get("rapport") == "annotations"]
    assert len(marks) == 1 and len(marks[0].x) == 1
    assert marks[0].customdata[0] == (
        '&lt;a href="javascript:alert(1)"&gt;launch&lt;/a&gt;<br>Second note'
    )
