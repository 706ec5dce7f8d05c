"""Reading goals and their progress, always within one workspace.

``goal_progress`` measures a goal on a given day: the KPI engine's value from the first day
to yesterday (today is not over), the pace needed for the rest of the period, a projection to
its end (``reporting.goals.pacing``) and a status, with a ``basis`` text that says how each
number was obtained, in the active language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.models import Workspace
from reporting.goals import pacing
from reporting.goals.pacing import Projection, ProjectionMethod
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import KpiResult, kpi_breakdown, kpi_value
from reporting.models import Goal, KpiAggregation, KpiDirection

# A projection that misses the target by at most this share of it is "at risk", not "off track".
AT_RISK_MARGIN = 0.10
SERIES_COLUMNS = ["day", "actual", "projection"]


class GoalStatus(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"
    MISSED = "missed"
    NO_DATA = "no_data"  # too little data to measure or project

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    GoalStatus.NOT_STARTED: gettext_lazy("Not started"),
    GoalStatus.ON_TRACK: gettext_lazy("On track"),
    GoalStatus.AT_RISK: gettext_lazy("At risk"),
    GoalStatus.OFF_TRACK: gettext_lazy("Off track"),
    GoalStatus.ACHIEVED: gettext_lazy("Achieved"),
    GoalStatus.MISSED: gettext_lazy("Missed"),
    GoalStatus.NO_DATA: gettext_lazy("Not enough data"),
}


class PaceKind(StrEnum):
    PER_DAY = "per_day"  # sum KPIs: the amount still needed, per remaining day
    GAP = "gap"  # stocks and ratios: the distance between the value now and the target


@dataclass(frozen=True)
class GoalProgress:
    """A goal measured on ``today``. Values are in the KPI's unit (percentages as fractions)."""

    goal: Goal
    today: dt.date
    unit: str
    aggregation: str
    lower_is_better: bool
    measured_until: dt.date | None  # last day counted in ``actual`` (None: not started)
    actual: float | None
    result: KpiResult | None  # how ``actual`` was computed (accounts left out and why)
    target: float
    achieved: float | None  # actual ÷ target (target ÷ actual when lower is better)
    days_total: int
    days_elapsed: int
    days_remaining: int  # today included: it is not over
    pace_kind: PaceKind
    pace_needed: float | None
    projection: Projection
    status: GoalStatus
    basis: str
    # Columns: day (datetime64), actual (float64: the running total for sum KPIs, else the
    # daily value; NaN on days without data), projection (float64: from the last measured day
    # to the end, NaN before). One row per day of the period.
    series: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SERIES_COLUMNS))

    @property
    def achieved_bar(self) -> int:
        """``achieved`` as a whole percentage for a progress bar, between 0 and 100."""
        if self.achieved is None:
            return 0
        return max(0, min(100, round(self.achieved * 100)))

    @property
    def status_label(self) -> str:
        return self.status.label

    def display(self, value: float | None) -> str:
        return kpi_value_display(value, self.unit)

    @property
    def actual_display(self) -> str:
        return self.display(self.actual)

    @property
    def target_display(self) -> str:
        return self.display(self.target)

    @property
    def pace_display(self) -> str:
        return self.display(self.pace_needed)

    @property
    def projection_display(self) -> str:
        return self.display(self.projection.value)


def goal_list(*, workspace: Workspace) -> QuerySet[Goal]:
    return (
        Goal.objects.filter(workspace=workspace)
        .select_related("kpi", "kpi__current_version", "account", "workspace")
        .order_by("-end", "name", "pk")
    )


def goal_get(*, workspace: Workspace, goal_id: int) -> Goal | None:
    return goal_list(workspace=workspace).filter(pk=goal_id).first()


def _daily(goal: Goal, start: dt.date, end: dt.date) -> pd.Series:
    frame = kpi_breakdown(
        workspace=goal.workspace,
        kpi=goal.kpi,
        start=start,
        end=end,
        by="day",
        accounts=[goal.account] if goal.account else None,
    )
    daily = pd.Series(
        frame["value"].to_numpy(dtype="float64"),
        index=pd.DatetimeIndex(pd.to_datetime(frame["group"])),
        dtype="float64",
    )
    if goal.kpi.aggregation == KpiAggregation.LAST and not frame.empty:
        # A stock summed over accounts drops on a day one account did not report (a platform
        # outage): that day is incomplete, not a fall, so it is left out of the chart and trend.
        accounts = frame["accounts"].to_numpy()
        daily[accounts < accounts.max()] = np.nan
    return daily


def _value(goal: Goal, start: dt.date, end: dt.date) -> KpiResult:
    return kpi_value(
        workspace=goal.workspace,
        kpi=goal.kpi,
        start=start,
        end=end,
        accounts=[goal.account] if goal.account else None,
    )


def _date(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def _projection(
    goal: Goal, aggregation: KpiAggregation, today: dt.date, actual: float | None, elapsed: int
) -> Projection:
    first = max(today, goal.start)
    yesterday = today - dt.timedelta(days=1)
    if aggregation is KpiAggregation.SUM:
        history = _daily(goal, today - dt.timedelta(days=pacing.HISTORY_DAYS), yesterday)
        return pacing.project_sum(actual=actual or 0.0, history=history, first=first, last=goal.end)
    if aggregation is KpiAggregation.LAST:
        levels = _daily(goal, today - dt.timedelta(days=pacing.TREND_DAYS), yesterday)
        return pacing.project_last(levels=levels, last=goal.end)
    recent = _value(goal, today - dt.timedelta(days=pacing.TREND_DAYS), yesterday).value
    return pacing.project_ratio(
        actual=actual, recent=recent, elapsed_days=elapsed, first=first, last=goal.end
    )


def _status(
    *,
    goal: Goal,
    today: dt.date,
    actual: float | None,
    projection: Projection,
    aggregation: KpiAggregation,
    lower_is_better: bool,
) -> GoalStatus:
    if today > goal.end:
        if actual is None:
            return GoalStatus.NO_DATA
        met = pacing.shortfall(value=actual, target=goal.target, lower_is_better=lower_is_better)
        return GoalStatus.ACHIEVED if met <= 0 else GoalStatus.MISSED
    if today <= goal.start:
        return GoalStatus.NOT_STARTED
    if (
        aggregation is KpiAggregation.SUM
        and not lower_is_better
        and actual is not None
        and actual >= goal.target
    ):
        return GoalStatus.ACHIEVED
    if projection.value is None:
        return GoalStatus.NO_DATA
    gap = pacing.shortfall(
        value=projection.value, target=goal.target, lower_is_better=lower_is_better
    )
    if gap <= 0:
        return GoalStatus.ON_TRACK
    if gap <= AT_RISK_MARGIN * abs(goal.target):
        return GoalStatus.AT_RISK
    return GoalStatus.OFF_TRACK


def _series(
    goal: Goal,
    aggregation: KpiAggregation,
    measured_until: dt.date | None,
    projection: Projection,
) -> pd.DataFrame:
    days = pd.date_range(goal.start, goal.end, freq="D")
    actual = pd.Series(float("nan"), index=days, dtype="float64")
    if measured_until is not None:
        daily = _daily(goal, goal.start, measured_until)
        if aggregation is KpiAggregation.SUM:
            # A running total; a day without data adds nothing but keeps the line going.
            running = daily.fillna(0.0).cumsum().where(daily.notna().cummax())
            actual.loc[running.index] = running
        else:
            actual.loc[daily.index] = daily
    path = projection.path.reindex(days)
    if measured_until is not None and projection.path.size:
        anchor = actual.loc[: pd.Timestamp(measured_until)].dropna()
        # Start the dashed line on the last measured point so that the two lines join.
        if not anchor.empty and anchor.index[-1] < projection.path.index[0]:
            path.loc[anchor.index[-1]] = anchor.iloc[-1]
    return pd.DataFrame(
        {"day": days, "actual": actual.to_numpy(), "projection": path.to_numpy()},
        columns=SERIES_COLUMNS,
    )


def _basis(
    *,
    goal: Goal,
    progress_unit: str,
    measured_until: dt.date | None,
    result: KpiResult | None,
    days_elapsed: int,
    days_total: int,
    projection: Projection,
    lower_is_better: bool,
) -> str:
    show = lambda value: kpi_value_display(value, progress_unit)  # noqa: E731
    scope = goal.account.display_name if goal.account else _("all accounts of the workspace")
    parts: list[str] = []
    if measured_until is None or result is None:
        parts.append(
            _("The period starts on %(start)s; nothing is measured before then.")
            % {"start": _date(goal.start)}
        )
    else:
        parts.append(
            _(
                "Actual: %(kpi)s (version %(version)s) for %(scope)s from %(start)s to "
                "%(until)s, %(elapsed)s of %(total)s days; today is not counted until it is over."
            )
            % {
                "kpi": goal.kpi.name,
                "version": result.version,
                "scope": scope,
                "start": _date(goal.start),
                "until": _date(measured_until),
                "elapsed": days_elapsed,
                "total": days_total,
            }
        )
        for left in result.left_out:
            parts.append(
                _("Left out: %(account)s. %(reason)s")
                % {"account": left.account.label, "reason": left.reason}
            )
    method = projection.method
    if method is ProjectionMethod.FINAL:
        parts.append(_("The period is over: its final value is compared with the target."))
    elif method is ProjectionMethod.WEEKDAY_PATTERN:
        parts.append(
            _(
                "Projection: each remaining day is forecast as the average of the same weekday "
                "over the last 8 weeks (%(days)s days with data), times %(scale)s, how the last "
                "14 days compare with that weekday pattern, added to the actual."
            )
            % {
                "days": projection.days_used,
                "scale": number_format(round(projection.scale or 0.0, 2), 2, use_l10n=True),
            }
        )
    elif method is ProjectionMethod.DAILY_CHANGE:
        parts.append(
            _(
                "Projection: the latest value plus the average daily change of the last 28 days "
                "(%(change)s a day, %(days)s days with data), carried on to %(end)s."
            )
            % {
                "change": show(projection.daily_change),
                "days": projection.days_used,
                "end": _date(goal.end),
            }
        )
    elif method is ProjectionMethod.RECENT_RATIO:
        parts.append(
            _(
                "Projection: the value so far for the days elapsed and the value of the last "
                "28 days (%(recent)s) for the days remaining, weighted by days."
            )
            % {"recent": show(projection.recent_value)}
        )
    else:
        parts.append(
            _(
                "No projection: too few recent days with data (at least 14 in 8 weeks for "
                "totals, 7 in 28 days otherwise)."
            )
        )
    if lower_is_better:
        parts.append(_("Lower is better: the goal is met at or below the target."))
    parts.append(
        _("At risk means the projection misses the target by %(margin)s%% or less.")
        % {"margin": round(AT_RISK_MARGIN * 100)}
    )
    return " ".join(parts)


def goal_progress(*, goal: Goal, today: dt.date) -> GoalProgress:
    """``goal`` measured on ``today`` (a day in the workspace's timezone).

    The actual is the KPI engine's value from the first day to the earlier of yesterday and
    the last day, over the goal's account or the whole workspace. The pace needed is, for
    ``sum`` KPIs, what is still missing divided by the remaining days (today included; for
    lower-is-better KPIs, the most that may still be added per day), and otherwise the gap
    between the target and the value now.
    """
    version = goal.kpi.current_version
    unit = version.unit if version else goal.kpi.unit
    aggregation = KpiAggregation(version.aggregation if version else goal.kpi.aggregation)
    direction = version.direction if version else goal.kpi.direction
    lower_is_better = direction == KpiDirection.LOWER_IS_BETTER
    days_total = (goal.end - goal.start).days + 1
    measured_until: dt.date | None = min(today - dt.timedelta(days=1), goal.end)
    if measured_until is None or measured_until < goal.start:
        measured_until = None
    result = _value(goal, goal.start, measured_until) if measured_until else None
    actual = result.value if result else None
    days_elapsed = (measured_until - goal.start).days + 1 if measured_until else 0
    days_remaining = days_total - days_elapsed

    if days_remaining == 0:
        projection = Projection(value=actual, method=ProjectionMethod.FINAL)
    else:
        projection = _projection(goal, aggregation, today, actual, days_elapsed)

    pace_kind = PaceKind.PER_DAY if aggregation is KpiAggregation.SUM else PaceKind.GAP
    pace_needed: float | None = None
    if days_remaining > 0:
        if pace_kind is PaceKind.PER_DAY:
            still = goal.target - (actual or 0.0)
            pace_needed = still / days_remaining if (lower_is_better or still > 0) else 0.0
        elif actual is not None:
            # The gap still to close: nothing once the value is on the right side of the target.
            met = pacing.shortfall(
                value=actual, target=goal.target, lower_is_better=lower_is_better
            )
            pace_needed = goal.target - actual if met > 0 else 0.0

    achieved: float | None = None
    if actual is not None:
        if lower_is_better:
            achieved = goal.target / actual if actual else None
        elif goal.target:
            achieved = actual / goal.target

    status = _status(
        goal=goal,
        today=today,
        actual=actual,
        projection=projection,
        aggregation=aggregation,
        lower_is_better=lower_is_better,
    )
    return GoalProgress(
        goal=goal,
        today=today,
        unit=unit,
        aggregation=aggregation.value,
        lower_is_better=lower_is_better,
        measured_until=measured_until,
        actual=actual,
        result=result,
        target=goal.target,
        achieved=achieved,
        days_total=days_total,
        days_elapsed=days_elapsed,
        days_remaining=days_remaining,
        pace_kind=pace_kind,
        pace_needed=pace_needed,
        projection=projection,
        status=status,
        basis=_basis(
            goal=goal,
            progress_unit=unit,
            measured_until=measured_until,
            result=result,
            days_elapsed=days_elapsed,
            days_total=days_total,
            projection=projection,
            lower_is_better=lower_is_better,
        ),
        series=_series(goal, aggregation, measured_until, projection),
    )


def goal_list_progress(*, workspace: Workspace, today: dt.date) -> list[GoalProgress]:
    """Every goal of ``workspace`` measured on ``today``, latest periods first."""
    return [goal_progress(goal=goal, today=today) for goal in goal_list(workspace=workspace)]
