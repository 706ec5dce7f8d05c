"""A report's period from its template's rule and the day it is made.

Rolling rules map onto the dashboards' calendar presets, so a report's comparison ("previous
period") is the previous calendar month or quarter, exactly as on the dashboards. "Last week" is
the last full week, Monday to Sunday (ISO weeks, as in French and most European offices).
"""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict

from dashboards.filters import (
    LAST_MONTH,
    LAST_QUARTER,
    THIS_MONTH,
    THIS_YEAR,
    Period,
    period_from_query,
)
from reporting.report_models import ReportTemplate, RollingPeriod

_PRESETS = {
    RollingPeriod.LAST_MONTH: LAST_MONTH,
    RollingPeriod.LAST_QUARTER: LAST_QUARTER,
    RollingPeriod.MONTH_TO_DATE: THIS_MONTH,
    RollingPeriod.YEAR_TO_DATE: THIS_YEAR,
}


def last_week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)


def report_query(
    template: ReportTemplate,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date,
) -> QueryDict:
    """The dashboards' filter query for ``template`` (``start``/``end`` override its period)."""
    query = QueryDict(mutable=True)
    rule = template.period
    if start and end:
        query["range"], query["start"], query["end"] = "custom", start.isoformat(), end.isoformat()
    elif rule == RollingPeriod.FIXED and template.fixed_start and template.fixed_end:
        query["range"] = "custom"
        query["start"] = template.fixed_start.isoformat()
        query["end"] = template.fixed_end.isoformat()
    elif rule == RollingPeriod.LAST_WEEK:
        first, last = last_week(today)
        query["range"], query["start"], query["end"] = "custom", first.isoformat(), last.isoformat()
    else:
        query["range"] = _PRESETS.get(RollingPeriod(rule), LAST_MONTH)
    query["compare"] = template.compare
    query.setlist("account", [str(pk) for pk in template.account_ids])
    query.setlist("platform", [str(p) for p in template.platforms])
    query.setlist("tag", [str(t) for t in template.tags])
    return query


def report_period(template: ReportTemplate, *, today: dt.date) -> Period:
    """The days ``template`` covers when made on ``today``, without reading the workspace's
    accounts (the Reports list shows one per template)."""
    period, _form = period_from_query(
        report_query(template, today=today), today=today, first_day=None
    )
    return period
