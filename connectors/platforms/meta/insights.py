"""Versioned metric tables, Pacific days, and the per-metric fallback of insights requests.

Day rule: Meta computes daily insights over Pacific days (America/Los_Angeles). A value whose
``end_time`` is ``2025-06-22T07:00:00+0000`` (midnight PDT, or ``T08:00`` in winter) covers the
whole Pacific day before it, 21 June. Rapport dates it 21 June: the day holding the instant just
before ``end_time`` in Pacific time. A Pacific day cannot be re-cut into another timezone's day,
so discovered Meta accounts carry the timezone ``America/Los_Angeles`` and their days are
Pacific days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from connectors.base import ConnectorError, FetchNotes
from connectors.metrics import METRICS
from connectors.platforms.meta.errors import InsightsUnavailable, InvalidMetricError

PACIFIC_TZ = "America/Los_Angeles"
PACIFIC = ZoneInfo(PACIFIC_TZ)
_PERIODS = frozenset({"day", "lifetime"})
# Bump when a metric table here, in facebook.py or in instagram.py changes meaning.
MAPPING_VERSION = "2026-02-18"


@dataclass(frozen=True)
class MetricName:
    """A Meta metric name and the canonical metric its values become.

    ``valid_from``/``valid_until`` bound the days for which this name is the authoritative one
    (a rename date), which decides both what is requested today and, when a response holds the
    old and the new name for the same day, which value wins. Outside its window a name's values
    are still kept: a renamed metric keeps one history.
    """

    name: str
    canonical: str
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None  # exclusive
    replaced_by: str | None = None
    total_value: bool = False  # Instagram user insights: requested with metric_type=total_value
    scale: float = 1.0  # e.g. milliseconds to minutes

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day < self.valid_until
        )


class MetricTable:
    """Platform metric names → canonical keys, with the dates Meta renamed them."""

    def __init__(self, names: Iterable[MetricName]) -> None:
        self.by_name = {entry.name: entry for entry in names}
        for entry in self.by_name.values():
            if entry.canonical not in METRICS:
                raise ValueError(f"{entry.name} maps to unknown metric {entry.canonical!r}.")
            if entry.replaced_by is not None and entry.replaced_by not in self.by_name:
                raise ValueError(f"{entry.name} is replaced by unknown {entry.replaced_by!r}.")

    def get(self, name: Any) -> MetricName | None:
        return self.by_name.get(name) if isinstance(name, str) else None

    def current(self, names: Iterable[str], *, today: dt.date) -> list[MetricName]:
        """The entries among ``names`` to request on ``today``."""
        return [self.by_name[n] for n in names if self.by_name[n].valid_on(today)]

    @property
    def canonical(self) -> frozenset[str]:
        return frozenset(entry.canonical for entry in self.by_name.values())


Point = tuple[MetricName, dt.date | None, float]


def number(value: Any) -> float | None:
    """A finite numeric value, or None for anything else: a missing value is never a zero."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        result = float(value)
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def insight_points(body: Any, table: MetricTable) -> Iterator[Point]:
    """Values of an ``/insights`` body for the names ``table`` knows. ``values[]`` entries carry
    their Pacific day (None for lifetime values); a ``total_value`` has no day of its own.
    Weekly and 28-day rolling values are left out: they are not a day's or a lifetime's."""
    for entry in data_items(body):
        metric = table.get(entry.get("name"))
        if metric is None or entry.get("period", "day") not in _PERIODS:
            continue
        total = entry.get("total_value")
        if isinstance(total, Mapping) and (value := number(total.get("value"))) is not None:
            yield metric, None, value * metric.scale
            continue
        for item in entry.get("values") or []:
            if not isinstance(item, Mapping) or (value := number(item.get("value"))) is None:
                continue
            end_time = item.get("end_time")
            day = None
            if end_time:
                try:
                    day = pacific_day(str(end_time))
                except ValueError as exc:
                    raise ConnectorError(
                        _("Meta sent a date Rapport cannot read (%(value)s); nothing was saved.")
                        % {"value": end_time}
                    ) from exc
            yield metric, day, value * metric.scale


def points_merge(
    points: Iterable[tuple[MetricName, dt.date, float]],
) -> dict[tuple[dt.date, str], float]:
    """One value per (day, canonical metric): the name authoritative on that day wins."""
    chosen: dict[tuple[dt.date, str], tuple[bool, float]] = {}
    for metric, day, value in points:
        key = (day, metric.canonical)
        authoritative = metric.valid_on(day)
        previous = chosen.get(key)
        if previous is None or (authoritative and not previous[0]):
            chosen[key] = (authoritative, value)
    return {key: value for key, (_authoritative, value) in chosen.items()}


@dataclass
class Capabilities:
    """What one kind of object (a Page, a reel, an Instagram story…) turned out not to support
    during this fetch, so the next object of that kind does not ask again."""

    unsupported: set[str] = field(default_factory=set)
    replacement: dict[str, MetricName] = field(default_factory=dict)

    def resolve(self, wanted: Iterable[MetricName]) -> list[MetricName]:
        resolved: list[MetricName] = []
        for metric in wanted:
            while metric.name in self.replacement:
                metric = self.replacement[metric.name]
            if metric.name not in self.unsupported and metric not in resolved:
                resolved.append(metric)
        return resolved


def unavailable_warning(platform: str, thing: str | Promise) -> str:
    """The note left when Meta has no insights for an object (``InsightsUnavailable``)."""
    return _(
        "%(platform)s gave no insights for this %(thing)s (too few viewers, or not supported "
        "for it); its other numbers were kept."
    ) % {"platform": platform, "thing": thing}


def insights_fetch(
    fetch: Callable[[Sequence[MetricName]], list[Point]],
    wanted: Iterable[MetricName],
    *,
    table: MetricTable,
    capabilities: Capabilities,
    notes: FetchNotes,
    platform: str,
    thing: str | Promise,
) -> list[Point]:
    """Ask for ``wanted`` in one request; when Meta rejects it with ``(#100)``, ask metric by
    metric, try the successor of a removed name, and note every metric skipped in plain words.

    Auth, rate-limit and server errors propagate: they concern the whole sync.
    """
    names = {"platform": platform, "thing": thing}
    metrics = capabilities.resolve(wanted)
    if not metrics:
        return []
    try:
        return fetch(metrics)
    except InsightsUnavailable:
        notes.warn(unavailable_warning(platform, thing))
        return []
    except InvalidMetricError as exc:
        last_error: ConnectorError = exc
    points: list[Point] = []
    answered = False
    for metric in metrics:
        attempt: MetricName | None = metric
        while attempt is not None:
            asked, attempt = attempt, None
            try:
                points.extend(fetch([asked]))
            except InsightsUnavailable:
                notes.warn(unavailable_warning(platform, thing))
                return points
            except InvalidMetricError as exc:
                last_error = exc
                capabilities.unsupported.add(asked.name)
                successor = table.get(asked.replaced_by)
                if successor is None or successor.name in capabilities.unsupported:
                    notes.warn(
                        _(
                            "Skipped '%(metric)s': %(platform)s does not report it for this "
                            "%(thing)s."
                        )
                        % {**names, "metric": asked.name}
                    )
                    continue
                capabilities.replacement[asked.name] = successor
                notes.warn(
                    _("%(platform)s no longer reports '%(old)s'; using '%(new)s'.")
                    % {**names, "old": asked.name, "new": successor.name}
                )
                # A successor already in this request is asked for on its own turn.
                if successor not in metrics:
                    attempt = successor
            else:
                answered = True
    if not answered:
        notes.warn(
            _("No %(thing)s metrics could be read; %(platform)s said: %(detail)s")
            % {**names, "detail": str(last_error)}
        )
    return points


def pacific_day(end_time: str) -> dt.date:
    """The Pacific day a daily value with this ``end_time`` covers (see the module docstring)."""
    moment = parse_time(end_time).astimezone(PACIFIC)
    return (moment - dt.timedelta(seconds=1)).date()


def pacific_midnight(day: dt.date) -> int:
    """The Unix time at which ``day`` starts in Pacific time: Meta's ``since``/``until``."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=PACIFIC).timestamp())


def pacific_today() -> dt.date:
    return dt.datetime.now(PACIFIC).date()


def parse_time(value: str) -> dt.datetime:
    """An aware UTC datetime from Meta's ``2025-06-22T10:44:19+0000``."""
    moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    return moment.astimezone(dt.UTC)


def day_chunks(
    start: dt.date, end: dt.date, days: int, *, newest_first: bool = False
) -> list[tuple[dt.date, dt.date]]:
    """``start``..``end`` cut into inclusive windows of at most ``days`` days.

    Newest first suits insights: a metric Meta keeps only for recent days (Instagram's
    ``follower_count``: 30 days) is read for them before an older window finds it unsupported
    and the fallback stops asking for it.
    """
    chunks = []
    while start <= end:
        last = min(end, start + dt.timedelta(days=days - 1))
        chunks.append((start, last))
        start = last + dt.timedelta(days=1)
    return chunks[::-1] if newest_first else chunks


def data_items(body: Any) -> list[Mapping[str, Any]]:
    """The objects of a Graph list body (``{"data": [...]}``); nothing for any other shape."""
    items = body.get("data") if isinstance(body, Mapping) else None
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []
