from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import translation

from dashboards.filters import MAX_DAYS, Period, period_default, period_from_query
from reporting.selectors import Grain

TODAY = dt.date(2026, 3, 15)
DEFAULT = Period(start=dt.date(2025, 12, 15), end=dt.date(2026, 3, 14), preset="90d")


def parse(query: str, first_day: dt.date | None = None) -> tuple[Period, list[str]]:
    period, form = period_from_query(QueryDict(query), today=TODAY, first_day=first_day)
    return period, form.error_messages()


def test_default_is_the_last_90_days_ending_yesterday() -> None:
    assert period_default(today=TODAY) == DEFAULT
    assert DEFAULT.days == 90
    assert parse("") == (DEFAULT, [])


@pytest.mark.parametrize(
    ("preset", "start"),
    [
        ("28d", dt.date(2026, 2, 15)),
        ("90d", dt.date(2025, 12, 15)),
        ("180d", dt.date(2025, 9, 16)),
        ("365d", dt.date(2025, 3, 15)),
    ],
)
def test_presets_end_yesterday(preset: str, start: dt.date) -> None:
    period, errors = parse(f"range={preset}")
    assert (period.start, period.end, period.preset, errors) == (
        start,
        dt.date(2026, 3, 14),
        preset,
        [],
    )


def test_all_time_starts_at_the_first_fact() -> None:
    period, _ = parse("range=all", first_day=dt.date(2024, 9, 1))
    assert (period.start, period.end, period.preset) == (
        dt.date(2024, 9, 1),
        dt.date(2026, 3, 14),
        "all",
    )


def test_all_time_without_facts_falls_back_to_the_default_start() -> None:
    period, _ = parse("range=all")
    assert (period.start, period.end) == (DEFAULT.start, DEFAULT.end)


def test_custom_dates() -> None:
    period, errors = parse("range=custom&start=2026-01-01&end=2026-01-31")
    assert period == Period(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), preset="custom")
    assert errors == []


def test_custom_dates_in_french_accept_iso_input() -> None:
    with translation.override("fr"):
        period, errors = parse("start=2026-01-01&end=2026-01-31")
    assert (period.start, errors) == (dt.date(2026, 1, 1), [])


@pytest.mark.parametrize(
    "query",
    [
        "range=42d",
        "range=<script>",
        "start=2026-13-01&end=2026-12-31",
        "start=yesterday&end=today",
        "start=2026-01-01",
        "range=custom",
        "start=2026-02-01&end=2026-01-01",
        "start=2026-03-01&end=2026-04-01",
        "start=0001-01-01&end=0001-01-31",
        f"start=2000-01-01&end={(dt.date(2000, 1, 1) + dt.timedelta(days=MAX_DAYS)).isoformat()}",
    ],
)
def test_bad_values_give_the_default_range_and_a_message(query: str) -> None:
    period, errors = parse(query)
    assert period == DEFAULT
    assert errors


@pytest.mark.parametrize(
    ("days", "grain"),
    [(1, Grain.DAY), (31, Grain.DAY), (32, Grain.WEEK), (190, Grain.WEEK), (191, Grain.MONTH)],
)
def test_grain_keeps_bar_counts_readable(days: int, grain: Grain) -> None:
    end = dt.date(2026, 3, 14)
    period = Period(start=end - dt.timedelta(days=days - 1), end=end, preset="custom")
    assert period.grain is grain


def test_previous_period_has_the_same_length() -> None:
    assert DEFAULT.previous.days == DEFAULT.days
    assert DEFAULT.previous.end == DEFAULT.start - dt.timedelta(days=1)


def test_period_is_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT.start = TODAY  # type: ignore[misc]
