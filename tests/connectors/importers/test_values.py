from __future__ import annotations

import datetime as dt

import pytest

from connectors.importers.values import (
    DateValue,
    date_parse,
    dayfirst_guess,
    number_parse,
    year_resolve,
    years_resolve,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1777.0", 1777.0),
        ("29", 29.0),
        (" 12 ", 12.0),
        ("7.358351729212656E-4", 7.358351729212656e-4),
        ("0.034", 0.034),
        ("1,234", 1234.0),
        ("1,234,567.5", 1234567.5),
        ("1.234.567", 1234567.0),
        ("1.234,5", 1234.5),
        ("12,5", 12.5),
        ("1 200", 1200.0),
        ("1\u202f200", 1200.0),
        ("-3", -3.0),
    ],
)
def test_number_parse_reads_the_spellings_of_exports(text: str, expected: float) -> None:
    assert number_parse(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "  ", "-", "\u2013", "undefined", "N/A", "n/a", "null", "--"])
def test_number_parse_says_missing_is_not_zero(text: str) -> None:
    assert number_parse(text) is None


@pytest.mark.parametrize("text", ["abc", "12abc", "1..2", "inf", "6.31%"])
def test_number_parse_refuses_what_is_not_a_count(text: str) -> None:
    with pytest.raises(ValueError, match=text.replace(".", r"\.").replace("%", "")):
        number_parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-01-31 18:04 +0000", DateValue(2019, 1, 31, 18, 4, 0, dt.timedelta(0), True)),
        ("2024-03-02T07:00:00Z", DateValue(2024, 3, 2, 7, 0, 0, dt.timedelta(0), True)),
        ("2024-05-01", DateValue(2024, 5, 1)),
        ("Sep 27, 2024", DateValue(2024, 9, 27)),
        ("Fri, Jan 31, 2025", DateValue(2025, 1, 31)),
        ("February 28", DateValue(None, 2, 28)),
        ("8 de marzo", DateValue(None, 3, 8)),
        ("1 de marzo de 2024", DateValue(2024, 3, 1)),
        ("8 mars", DateValue(None, 3, 8)),
        ("3. März 2024", DateValue(2024, 3, 3)),
        ("01/19/2017 09:03:47 AM", DateValue(2017, 1, 19, 9, 3, 47, None, True)),
        ("02/14/2024 05:30:00 PM", DateValue(2024, 2, 14, 17, 30, 0, None, True)),
        ("02/28/2024 17:45", DateValue(2024, 2, 28, 17, 45, 0, None, True)),
        ("31/01/2024", DateValue(2024, 1, 31)),
        ("03.04.2024", DateValue(2024, 4, 3)),
        ("20240301", DateValue(2024, 3, 1)),
        ("45352", DateValue(2024, 3, 1)),
    ],
)
def test_date_parse_reads_the_formats_of_exports(text: str, expected: DateValue) -> None:
    assert date_parse(text) == expected


def test_date_parse_reads_ambiguous_numeric_dates_in_the_column_order() -> None:
    us, european = date_parse("03/04/2024"), date_parse("03/04/2024", dayfirst=True)
    assert us is not None and us.date() == dt.date(2024, 3, 4)
    assert european is not None and european.date() == dt.date(2024, 4, 3)
    assert dayfirst_guess(["03/04/2024", "13/04/2024"]) is True
    assert dayfirst_guess(["03/04/2024", "03/14/2024"]) is False


@pytest.mark.parametrize("text", ["February 30", "tomorrow", "13/13/2024", "2024-02-30", "Jan"])
def test_date_parse_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        date_parse(text)


def _yearless(*pairs: tuple[int, int]) -> list[DateValue]:
    return [DateValue(None, month, day) for month, day in pairs]


def test_years_resolve_takes_the_most_recent_years_not_after_today() -> None:
    dates = _yearless((4, 12), (4, 13))
    assert years_resolve(dates, year=None, today=dt.date(2026, 4, 13)) == [
        dt.date(2026, 4, 12),
        dt.date(2026, 4, 13),
    ]
    assert years_resolve(dates, year=None, today=dt.date(2026, 4, 12))[0].year == 2025


def test_years_resolve_turns_the_year_between_december_and_january() -> None:
    dates = _yearless((12, 30), (12, 31), (1, 1))
    assert years_resolve(dates, year=None, today=dt.date(2025, 3, 1)) == [
        dt.date(2024, 12, 30),
        dt.date(2024, 12, 31),
        dt.date(2025, 1, 1),
    ]
    assert years_resolve(dates, year=2020, today=dt.date(2025, 3, 1))[-1] == dt.date(2021, 1, 1)


def test_years_resolve_reads_newest_first_files_too() -> None:
    dates = _yearless((1, 2), (1, 1), (12, 31))
    assert years_resolve(dates, year=None, today=dt.date(2025, 1, 5)) == [
        dt.date(2025, 1, 2),
        dt.date(2025, 1, 1),
        dt.date(2024, 12, 31),
    ]


def test_years_resolve_finds_a_leap_year_for_february_29() -> None:
    dates = _yearless((2, 28), (2, 29), (3, 1))
    assert years_resolve(dates, year=None, today=dt.date(2026, 6, 1))[1] == dt.date(2024, 2, 29)
    with pytest.raises(ValueError):
        years_resolve(dates, year=2025, today=dt.date(2026, 6, 1))


def test_year_resolve_places_one_date_on_or_before_today() -> None:
    value = DateValue(None, 12, 24)
    assert year_resolve(value, year=None, today=dt.date(2025, 1, 5)) == dt.date(2024, 12, 24)
    assert year_resolve(value, year=2022, today=dt.date(2025, 1, 5)) == dt.date(2022, 12, 24)
