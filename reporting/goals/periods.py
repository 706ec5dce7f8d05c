"""Calendar periods of goals: plain date arithmetic, no model imports (the Goal model uses it)."""

from __future__ import annotations

import datetime as dt

CALENDAR_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def goal_period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar month, quarter or year that contains ``day``.

    Raises ValueError for any other kind (a custom period has no calendar bounds).
    """
    if kind not in CALENDAR_MONTHS:
        raise ValueError(f"{kind!r} is not a calendar period")
    months = CALENDAR_MONTHS[kind]
    first_month = ((day.month - 1) // months) * months + 1
    start = dt.date(day.year, first_month, 1)
    after = first_month + months  # 13 means January of the next year
    following = dt.date(day.year + (after - 1) // 12, (after - 1) % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def goal_period_kind(start: dt.date, end: dt.date) -> str:
    """``month``, ``quarter`` or ``year`` when the dates are exactly that calendar period,
    else ``custom``."""
    for kind in CALENDAR_MONTHS:
        if goal_period_bounds(kind, start) == (start, end):
            return kind
    return "custom"
