"""Locale-aware number formatting for the dashboards.

Numbers follow the active language: ``12,345.6`` in English, ``12 345,6`` in French. Signs use
the true minus (U+2212), which screen readers announce and which lines up with the plus.
"""

from __future__ import annotations

import math

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()

MINUS = "\u2212"
EN_DASH = "\u2013"


def _missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@register.filter
def number(value: float | int | None, decimals: int = 0) -> str:
    """A number with the locale's grouping and decimal mark; an en dash when missing."""
    if _missing(value):
        return EN_DASH
    assert value is not None
    text = formats.number_format(
        round(float(value), decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )
    return text.replace("-", MINUS)


@register.filter
def signed_number(value: float | int | None, decimals: int = 0) -> str:
    """A change in absolute terms: ``+1,234`` or ``56`` with a minus sign."""
    if _missing(value):
        return _("n/a")
    assert value is not None
    rounded = round(float(value), decimals)
    sign = "+" if rounded > 0 else (MINUS if rounded < 0 else "")
    return sign + formats.number_format(
        abs(rounded), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


@register.filter
def signed_percent(value: float | int | None) -> str:
    """A relative change with one decimal: ``+4.2%`` (``+4,2 %`` in French); "n/a" if missing."""
    if _missing(value):
        return _("n/a")
    assert value is not None
    return _("%(number)s%%") % {"number": signed_number(value, 1)}


@register.filter
def percent(value: float | int | None, decimals: int = 2) -> str:
    """A fraction as a percentage: ``0.0421`` → ``4.21%``; an en dash when missing."""
    if _missing(value):
        return EN_DASH
    assert value is not None
    return _("%(number)s%%") % {"number": number(float(value) * 100, decimals)}


@register.filter
def times(value: float | int | None) -> str:
    """A ratio to a typical value: ``3.1×``; an en dash when missing."""
    if _missing(value):
        return EN_DASH
    assert value is not None
    return _("%(number)s×") % {"number": number(value, 1)}
