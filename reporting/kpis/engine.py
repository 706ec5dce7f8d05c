"""Computing a KPI from the stored facts: its value over a period, or one value per group.

An account takes part only when, somewhere in the period, it reports every input the formula
needs on the same row (day or post); the others are listed with the reason, such as "LinkedIn
does not report reach". Within the accounts that take part, a row that lacks an input is not
used, so a numerator is never summed over days its denominator does not cover.

How each aggregation combines the usable rows (``reporting.kpis.aggregate``):

* ``sum``: the formula on each account-day, added up (sample: account-days);
* ``last``: the formula on each account's last day with a value, added up across accounts
  (sample: accounts);
* ``ratio_of_sums``: the formula on the period's totals, flows summed and stocks (followers)
  read at each account's last usable day (sample: account-days);
* ``mean_of_post_ratios``: the formula on each post published in the period, read on its
  latest snapshot, averaged over posts (sample: posts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from connectors.metrics import METRICS
from connectors.models import Platform, SocialAccount, Workspace
from reporting.formula import Formula, parse
from reporting.kpis import groupings, inputs
from reporting.kpis.aggregate import SAMPLE_UNITS, Aggregate, aggregate, aggregate_groups
from reporting.kpis.groupings import GROUP, POST_ONLY, Grouping
from reporting.kpis.selectors import kpi_get
from reporting.models import KpiAggregation, KpiDefinition, KpiLevel, KpiVersion

BREAKDOWN_COLUMNS = [
    "group",
    "label",
    "value",
    "sample_size",
    "accounts",
    "period_start",
    "period_end",
]


class KpiGroupingError(ValueError):
    """The KPI cannot be split that way (a per-post grouping of a KPI built on daily totals)."""


@dataclass(frozen=True)
class AccountRef:
    id: int
    name: str
    handle: str
    platform: str  # the platform key

    @property
    def label(self) -> str:
        return f"{self.name} ({_platform_label(self.platform)})"


@dataclass(frozen=True)
class LeftOutAccount:
    account: AccountRef
    reason: str
    missing_metrics: tuple[str, ...]


@dataclass(frozen=True)
class KpiResult:
    """A KPI over a period and how it was obtained: enough to show or to reproduce it."""

    key: str
    name: str
    version_id: int
    version: int
    formula: str
    aggregation: str
    unit: str
    direction: str
    start: dt.date
    end: dt.date
    value: float | None  # None: not available
    sample_size: int
    sample_unit: str  # "account_days", "accounts" or "posts"
    accounts: tuple[AccountRef, ...]  # the accounts that took part
    left_out: tuple[LeftOutAccount, ...]
    # account-days or posts of the accounts that took part that lacked an input (a story
    # without likes): not counted in the sample.
    rows_missing_inputs: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: dates in ISO form, ``None`` for a value not available."""
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


@dataclass(frozen=True)
class _Prepared:
    definition: KpiDefinition
    version: KpiVersion
    formula: Formula
    aggregation: KpiAggregation
    rows: pd.DataFrame  # usable rows only
    accounts: tuple[AccountRef, ...]
    left_out: tuple[LeftOutAccount, ...]
    rows_missing_inputs: int


def _platform_label(key: str) -> str:
    return str(Platform(key).label) if key in Platform.values else key


def _metric_list(metrics: Sequence[str]) -> str:
    return str(get_text_list([str(METRICS[m].label).lower() for m in metrics], _("and")))


def _definition(workspace: Workspace, kpi: KpiDefinition | str) -> KpiDefinition:
    if isinstance(kpi, str):
        return kpi_get(workspace=workspace, key=kpi)
    if kpi.workspace_id != workspace.pk:
        raise ValueError(_("The KPI %(key)s belongs to another workspace.") % {"key": kpi.key})
    return kpi


def _version(definition: KpiDefinition, version: KpiVersion | None) -> KpiVersion:
    chosen = version or definition.current_version
    if chosen is None or chosen.definition_id != definition.pk:
        raise ValueError(_("The KPI %(key)s has no such version.") % {"key": definition.key})
    return chosen


def _account_refs(
    workspace: Workspace, accounts: Sequence[SocialAccount] | None
) -> list[AccountRef]:
    ids = None if accounts is None else [account.pk for account in accounts]
    # Plain rows rather than a DataFrame: this runs once per KPI computed, and a dashboard
    # computes dozens.
    rows = SocialAccount.objects.filter(workspace=workspace)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    refs = [
        AccountRef(int(pk), str(name), str(handle), str(platform))
        for pk, name, handle, platform in rows.order_by(
            "platform", "display_name", "pk"
        ).values_list("pk", "display_name", "handle", "platform")
    ]
    if ids is not None and len(refs) != len(set(ids)):
        raise ValueError(
            _("Some of the chosen accounts do not belong to %(workspace)s.")
            % {"workspace": workspace.name}
        )
    return refs


def _reason(
    account: AccountRef,
    own: pd.DataFrame,
    formula: Formula,
    level: KpiLevel,
    *,
    has_rows: bool,
    has_counts: bool,
) -> LeftOutAccount:
    platform = _platform_label(account.platform)
    if not has_rows and level is KpiLevel.POST:
        return LeftOutAccount(account, _("No post was published in the period."), ())
    if not has_rows:
        reason = _("No data was collected for this account in the period.")
        return LeftOutAccount(account, reason, ())
    if not has_counts:
        return LeftOutAccount(
            account, _("The posts published in the period have no counts yet."), ()
        )
    missing = tuple(m for m in formula.metrics if own[m].isna().all())
    if missing and level is KpiLevel.POST:
        reason = _("%(platform)s does not report %(metrics)s for posts.")
    elif missing:
        reason = _("%(platform)s does not report %(metrics)s.")
    else:
        reason = _("%(platform)s never reports %(metrics)s together in the period.")
    shown = missing or formula.metrics
    return LeftOutAccount(
        account, reason % {"platform": platform, "metrics": _metric_list(shown)}, missing
    )


def _prepare(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None,
    version: KpiVersion | None,
) -> _Prepared:
    if start > end:
        raise ValueError(_("The start date must be on or before the end date."))
    definition = _definition(workspace, kpi)
    chosen = _version(definition, version)
    formula = parse(chosen.formula)
    aggregation = KpiAggregation(chosen.aggregation)
    refs = _account_refs(workspace, accounts)
    ids = [ref.id for ref in refs]
    read = inputs.kpi_post_facts if aggregation.level is KpiLevel.POST else inputs.kpi_account_facts
    frame = read(
        workspace=workspace, metrics=formula.metrics, start=start, end=end, account_ids=ids
    )
    available = formula.available_frame(frame)
    taking_part = set(frame.loc[available, "account_id"].tolist())
    missing = [ref for ref in refs if ref.id not in taking_part]
    missing_ids = [ref.id for ref in missing]
    if aggregation.level is KpiLevel.POST:
        with_rows = set(frame["account_id"].tolist())
        with_counts = inputs.kpi_accounts_with_post_snapshots(
            workspace=workspace, start=start, end=end, account_ids=missing_ids
        )
    else:
        with_rows = inputs.kpi_accounts_with_facts(
            workspace=workspace, start=start, end=end, account_ids=missing_ids
        )
        with_counts = with_rows
    left_out = tuple(
        _reason(
            ref,
            frame[frame["account_id"] == ref.id],
            formula,
            aggregation.level,
            has_rows=ref.id in with_rows,
            has_counts=ref.id in with_counts,
        )
        for ref in missing
    )
    return _Prepared(
        definition=definition,
        version=chosen,
        formula=formula,
        aggregation=aggregation,
        rows=frame[available],
        accounts=tuple(ref for ref in refs if ref.id in taking_part),
        left_out=left_out,
        rows_missing_inputs=int((~available & frame["account_id"].isin(taking_part)).sum()),
    )


def kpi_value(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None = None,
    version: KpiVersion | None = None,
) -> KpiResult:
    """The KPI (a definition or its key) over ``start``..``end`` (inclusive days).

    ``accounts`` limits it to some of the workspace's accounts (default: all of them);
    ``version`` computes an earlier version (default: the current one). Raises KpiNotFound
    for an unknown key and ValueError for a definition, version or account of another
    workspace, or a start after the end.
    """
    prepared = _prepare(
        workspace=workspace, kpi=kpi, start=start, end=end, accounts=accounts, version=version
    )
    return _result(prepared, start=start, end=end)


def _result(prepared: _Prepared, *, start: dt.date, end: dt.date) -> KpiResult:
    result = aggregate(prepared.rows, formula=prepared.formula, aggregation=prepared.aggregation)
    return KpiResult(
        key=prepared.definition.key,
        name=prepared.definition.name,
        version_id=prepared.version.pk,
        version=prepared.version.number,
        formula=prepared.version.formula,
        aggregation=prepared.aggregation.value,
        unit=prepared.version.unit,
        direction=prepared.version.direction,
        start=start,
        end=end,
        value=result.value,
        sample_size=result.sample_size,
        sample_unit=SAMPLE_UNITS[prepared.aggregation],
        accounts=prepared.accounts,
        left_out=prepared.left_out,
        rows_missing_inputs=prepared.rows_missing_inputs,
    )


def kpi_breakdown(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    by: Grouping | str,
    accounts: Sequence[SocialAccount] | None = None,
    version: KpiVersion | None = None,
) -> pd.DataFrame:
    """The KPI computed separately for each group of ``by``, over the same accounts as
    ``kpi_value`` (an account left out of the period is left out of every group).

    ``by`` is day, week, month, platform or account for any KPI; format, tag, weekday and
    hour (of publication, in the workspace's timezone) need a KPI computed per post and raise
    KpiGroupingError otherwise. Posts are placed by their publication day, facts by their day.

    Columns:
        group (object): the bucket's first day (date) for day/week/month, the platform key,
            the account id (int), the format key, the tag (None: posts without tags),
            the weekday (int, 0 is Monday) or the hour (int, 0 to 23).
        label (str): the group as shown on screen, in the active language.
        value (float64): the KPI in that group; NaN when not available.
        sample_size (int64): account-days, accounts or posts behind the value (as in
            ``KpiResult.sample_unit``).
        accounts (int64): accounts that contributed.
        period_start, period_end (datetime64): the bucket's first and last day for
            day/week/month (clipped to the period); NaT otherwise.

    Time buckets, weekdays and hours are all present, empty ones with NaN and a sample of 0.
    A post with several tags counts in each of its tags' groups.
    """
    prepared = _prepare(
        workspace=workspace, kpi=kpi, start=start, end=end, accounts=accounts, version=version
    )
    return _breakdown(prepared, by=Grouping(by), start=start, end=end)


def kpi_value_with_breakdown(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    by: Grouping | str,
    accounts: Sequence[SocialAccount] | None = None,
) -> tuple[KpiResult, pd.DataFrame]:
    """``kpi_value`` and ``kpi_breakdown`` of the same KPI and period, reading the facts once
    (a dashboard card shows both: the number and its sparkline)."""
    result, breakdowns = kpi_value_with_breakdowns(
        workspace=workspace, kpi=kpi, start=start, end=end, by=[by], accounts=accounts
    )
    return result, breakdowns[Grouping(by).value]


def kpi_value_with_breakdowns(
    *,
    workspace: Workspace,
    kpi: KpiDefinition | str,
    start: dt.date,
    end: dt.date,
    by: Sequence[Grouping | str],
    accounts: Sequence[SocialAccount] | None = None,
) -> tuple[KpiResult, dict[str, pd.DataFrame]]:
    """``kpi_value`` and a ``kpi_breakdown`` per grouping of ``by`` (keyed by the grouping's
    value), reading the facts once: a report's KPI chart shows the total, its trend and its
    split by platform, account, format or tag. Raises KpiGroupingError as ``kpi_breakdown``."""
    prepared = _prepare(
        workspace=workspace, kpi=kpi, start=start, end=end, accounts=accounts, version=None
    )
    breakdowns = {
        Grouping(group).value: _breakdown(prepared, by=Grouping(group), start=start, end=end)
        for group in dict.fromkeys(by)
    }
    return _result(prepared, start=start, end=end), breakdowns


def _breakdown(prepared: _Prepared, *, by: Grouping, start: dt.date, end: dt.date) -> pd.DataFrame:
    grouping = by
    level = prepared.aggregation.level
    if grouping in POST_ONLY and level is KpiLevel.ACCOUNT:
        raise KpiGroupingError(
            _(
                "%(kpi)s is computed from each account's daily totals, which platforms do not "
                "split by %(by)s. Group it by day, week, month, platform or account, or choose "
                "a KPI computed per post."
            )
            % {"kpi": prepared.definition.name, "by": grouping.value}
        )
    keyed = groupings.groups_assign(
        prepared.rows,
        by=grouping,
        level=level,
        start=start,
        end=end,
        platforms={ref.id: ref.platform for ref in prepared.accounts},
    )
    found: dict[Any, Aggregate] = aggregate_groups(
        keyed, by=GROUP, formula=prepared.formula, aggregation=prepared.aggregation
    )
    expected = groupings.groups_expected(by=grouping, start=start, end=end)
    if expected is None:
        expected = pd.DataFrame({GROUP: list(found)})
    if "period_start" not in expected:
        empty = pd.Series(pd.NaT, index=expected.index, dtype="datetime64[ns]")
        expected = expected.assign(period_start=empty, period_end=empty)
    labels = {ref.id: ref.label for ref in prepared.accounts}
    records = []
    for row in expected.itertuples(index=False):
        group = getattr(row, GROUP)
        result = found.get(group)
        records.append(
            {
                "group": groupings.group_value(grouping, group),
                "label": groupings.group_label(
                    grouping, group, accounts=labels, until=row.period_end
                ),
                "value": result.value if result and result.value is not None else float("nan"),
                "sample_size": result.sample_size if result else 0,
                "accounts": result.accounts if result else 0,
                "period_start": row.period_start,
                "period_end": row.period_end,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=BREAKDOWN_COLUMNS)
    # Set on its own: from_records would turn None (posts without tags) into NaN.
    frame["group"] = pd.Series([r["group"] for r in records], dtype=object)
    frame = frame.astype(
        {
            "label": "object",
            "value": "float64",
            "sample_size": "int64",
            "accounts": "int64",
            "period_start": "datetime64[ns]",
            "period_end": "datetime64[ns]",
        }
    )
    if grouping not in (Grouping.DAY, Grouping.WEEK, Grouping.MONTH):
        frame = _sorted(frame, grouping, [ref.id for ref in prepared.accounts])
    return frame


def _sorted(frame: pd.DataFrame, by: Grouping, account_order: list[int]) -> pd.DataFrame:
    if by is Grouping.ACCOUNT:
        rank = {account: i for i, account in enumerate(account_order)}
        return frame.sort_values("group", key=lambda s: s.map(rank), ignore_index=True)
    untagged = frame["group"].isna()
    # Posts without tags come last.
    return pd.concat([frame[~untagged].sort_values("group"), frame[untagged]], ignore_index=True)
