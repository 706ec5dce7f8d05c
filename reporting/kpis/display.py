"""A KPI value as text, in the unit the KPI declares and the active language's number format."""

from __future__ import annotations

import math

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from reporting.models import KpiUnit


def _number(value: float, decimals: int) -> str:
    # Django's number_format cuts a float's extra digits rather than rounding them.
    return number_format(round(value, decimals), decimals, use_l10n=True, force_grouping=True)


def kpi_value_display(value: float | None, unit: str) -> str:
    """``value`` for people: "12,345", "4.21%", "12.35", "2 h 05 min"; "n/a" when None/NaN.

    Percentages are stored as fractions (0.0421) and durations in minutes.
    """
    if value is None or math.isnan(value):
        return _("n/a")
    if unit == KpiUnit.PERCENT:
        return _("%(number)s%%") % {"number": _number(value * 100, 2)}
    if unit == KpiUnit.DECIMAL:
        return _number(value, 2)
    if unit == KpiUnit.DURATION:
        if abs(value) < 60:
            return _("%(minutes)s min") % {"minutes": _number(value, 1)}
        sign = "-" if value < 0 else ""
        hours, minutes = divmod(round(abs(value)), 60)
        return sign + _("%(hours)s h %(minutes)02d min") % {
            "hours": _number(hours, 0),
            "minutes": minutes,
        }
    return _number(value, 0)
