"""The dashboard's date-range filter: query string → validated, frozen ``Period``.

Links stay shareable because the period lives in the URL (``?range=90d`` or
``?start=2026-01-01&end=2026-03-31``). Bad input never fails the page: the default range is used
and the form's errors tell the user why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reporting.selectors import Grain

PRESET_DAYS: dict[str, int] = {"28d": 28, "90d": 90, "180d": 180, "365d": 365}
DEFAULT_PRESET = "90d"
ALL_TIME = "all"
CUSTOM = "custom"
# A generous ceiling that still keeps one page's queries bounded.
MAX_DAYS = 366 * 5
# Nothing to report before social networks existed; also keeps the previous period computable.
MIN_DAY = dt.date(2000, 1, 1)

RANGE_CHOICES = [
    ("28d", _("28 days")),
    ("90d", _("90 days")),
    ("180d", _("180 days")),
    ("365d", _("365 days")),
    (ALL_TIME, _("All time")),
    (CUSTOM, _("Custom dates")),
]


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
        length = dt.timedelta(days=self.days)
        return Period(start=self.start - length, end=self.start - dt.timedelta(days=1), preset="")


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
        if preset in PRESET_DAYS:
            return Period(
                start=default.end - dt.timedelta(days=PRESET_DAYS[preset] - 1),
                end=default.end,
                preset=preset,
            )
        return default

    def error_messages(self) -> list[str]:
        return [str(message) for errors in self.errors.values() for message in errors]


def period_from_query(
    query: QueryDict, *, today: dt.date, first_day: dt.date | None
) -> tuple[Period, PeriodForm]:
    form = PeriodForm(query, today=today, first_day=first_day)
    return form.period(), form
