"""The dashboards' date range and comparison: query string → validated, frozen ``Period``.

Links stay shareable because the period lives in the URL (``?range=90d``,
``?range=last_month&compare=year`` or ``?start=2026-01-01&end=2026-03-31``). Bad input never
fails the page: the default range is used and the form's errors tell the user why. The scope
(accounts, platforms, tags) is read next to it by ``dashboards.scope``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reporting.analysis.timeseries import Compare, compare_period
from reporting.selectors import Grain

PRESET_DAYS: dict[str, int] = {"7d": 7, "28d": 28, "90d": 90, "180d": 180, "365d": 365}
DEFAULT_PRESET = "90d"
ALL_TIME = "all"
CUSTOM = "custom"
THIS_MONTH, LAST_MONTH = "this_month", "last_month"
THIS_QUARTER, LAST_QUARTER = "this_quarter", "last_quarter"
THIS_YEAR, LAST_YEAR = "this_year", "last_year"
CALENDAR_PRESETS = (THIS_MONTH, LAST_MONTH, THIS_QUARTER, LAST_QUARTER, THIS_YEAR, LAST_YEAR)
# A generous ceiling that still keeps one page's queries bounded.
MAX_DAYS = 366 * 5
# Nothing to report before social networks existed; also keeps the previous period computable.
MIN_DAY = dt.date(2000, 1, 1)

RANGE_CHOICES = [
    ("7d", _("Last 7 days")),
    ("28d", _("Last 28 days")),
    ("90d", _("Last 90 days")),
    ("180d", _("Last 180 days")),
    ("365d", _("Last 365 days")),
    (THIS_MONTH, _("This month")),
    (LAST_MONTH, _("Last month")),
    (THIS_QUARTER, _("This quarter")),
    (LAST_QUARTER, _("Last quarter")),
    (THIS_YEAR, _("This year")),
    (LAST_YEAR, _("Last year")),
    (ALL_TIME, _("All time")),
    (CUSTOM, _("Custom dates")),
]
# The presets offered as one-click choices; 180d and 365d stay valid in older links.
MENU_PRESETS = ("7d", "28d", "90d", *CALENDAR_PRESETS, ALL_TIME)


COMPARE_CHOICES = [
    (Compare.PREVIOUS.value, _("Previous period")),
    (Compare.YEAR.value, _("Same period last year")),
    (Compare.NONE.value, _("No comparison")),
]


def _month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _calendar_bounds(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """A calendar preset's days. "This …" runs to yesterday (today is not complete yet), or is
    today alone on the first day of the month, quarter or year."""
    yesterday = today - dt.timedelta(days=1)
    if preset in (THIS_MONTH, LAST_MONTH):
        months, back = 1, (0 if preset == THIS_MONTH else 1)
    elif preset in (THIS_QUARTER, LAST_QUARTER):
        months, back = 3, (0 if preset == THIS_QUARTER else 3)
    else:
        months, back = 12, (0 if preset == THIS_YEAR else 12)
    current = _month_start(today, (today.month - 1) % months)
    start = _month_start(current, back)
    if back == 0:
        return start, max(start, yesterday)
    return start, current - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """An inclusive range of calendar days in the workspace's reporting timezone."""

    start: dt.date
    end: dt.date
    preset: str  # a key of RANGE_CHOICES

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> Grain:
        """The bucket width that keeps bar charts readable: about 4 to 30 bars."""
        if self.days <= 31:
            return Grain.DAY
        if self.days <= 190:
            return Grain.WEEK
        return Grain.MONTH

    @property
    def previous(self) -> Period:
        """The period just before: the previous calendar month, quarter or year for those
        presets (to date for "this …"), else the same number of days just before."""
        if self.preset in CALENDAR_PRESETS:
            months = {"month": 1, "quarter": 3, "year": 12}[self.preset.split("_")[1]]
            start = _month_start(self.start, months)
            if self.preset.startswith("last_"):
                return Period(start=start, end=self.start - dt.timedelta(days=1), preset="")
            # To date: as many days into the previous period, never past its end.
            end = min(start + (self.end - self.start), self.start - dt.timedelta(days=1))
            return Period(start=start, end=end, preset="")
        length = dt.timedelta(days=self.days)
        return Period(start=self.start - length, end=self.start - dt.timedelta(days=1), preset="")

    @property
    def year_before(self) -> Period:
        start, end = compare_period(start=self.start, end=self.end, compare=Compare.YEAR)
        return Period(start=start, end=end, preset="")

    def compared(self, compare: Compare) -> Period | None:
        """The comparison period, or None for ``Compare.NONE``."""
        if compare is Compare.NONE:
            return None
        return self.year_before if compare is Compare.YEAR else self.previous


def period_default(*, today: dt.date) -> Period:
    end = today - dt.timedelta(days=1)
    return Period(
        start=end - dt.timedelta(days=PRESET_DAYS[DEFAULT_PRESET] - 1),
        end=end,
        preset=DEFAULT_PRESET,
    )


class PeriodForm(forms.Form):
    range = forms.ChoiceField(label=_("Date range"), choices=RANGE_CHOICES, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, data: QueryDict | dict[str, Any], *, today: dt.date, first_day: dt.date | None
    ) -> None:
        super().__init__(data)
        self.today = today
        self.first_day = first_day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("start")
        end: dt.date | None = cleaned.get("end")
        preset = cleaned.get("range") or ""
        if self.errors:
            return cleaned
        if start or end or preset == CUSTOM:
            if not (start and end):
                raise forms.ValidationError(
                    _("Choose both a start date and an end date."), code="incomplete"
                )
            if start > end:
                raise forms.ValidationError(
                    _("The start date must be on or before the end date."), code="reversed"
                )
            if start < MIN_DAY:
                raise forms.ValidationError(
                    _("Choose dates from %(year)s onwards."),
                    code="too_early",
                    params={"year": MIN_DAY.year},
                )
            if end > self.today:
                raise forms.ValidationError(
                    _("The end date cannot be in the future."), code="future"
                )
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(
                    _("Choose a range of at most %(days)s days."),
                    code="too_long",
                    params={"days": MAX_DAYS},
                )
        return cleaned

    def period(self) -> Period:
        """The validated period; the default one when the form is not valid."""
        default = period_default(today=self.today)
        if not self.is_valid():
            return default
        start: dt.date | None = self.cleaned_data.get("start")
        end: dt.date | None = self.cleaned_data.get("end")
        preset: str = self.cleaned_data.get("range") or ""
        if start and end:
            return Period(start=start, end=end, preset=CUSTOM)
        if preset == ALL_TIME:
            first = self.first_day or default.start
            return Period(start=min(first, default.end), end=default.end, preset=ALL_TIME)
        if preset in CALENDAR_PRESETS:
            start, end = _calendar_bounds(preset, self.today)
            return Period(start=start, end=end, preset=preset)
        if preset in PRESET_DAYS:
            return Period(
                start=default.end - dt.timedelta(days=PRESET_DAYS[preset] - 1),
                end=default.end,
                preset=preset,
            )
        return default

    def comparison_choice(self) -> Compare:
        """The chosen comparison; the previous period by default or when the value is bad."""
        value = self.data.get("compare")
        return Compare(value) if value in {c.value for c in Compare} else Compare.PREVIOUS

    def error_messages(self) -> list[str]:
        return [str(message) for errors in self.errors.values() for message in errors]


def period_from_query(
    query: QueryDict, *, today: dt.date, first_day: dt.date | None
) -> tuple[Period, PeriodForm]:
    form = PeriodForm(query, today=today, first_day=first_day)
    return form.period(), form
