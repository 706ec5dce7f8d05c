"""The per-post and per-day values every analysis starts from, read in a few queries.

``kpi_or_metric`` is either a canonical metric key (``reach``) or a KPI key of the workspace
(``engagements_per_post``). A KPI is evaluated on each post's latest snapshot with its current
formula; a post lacking one of the formula's inputs is left out, as the KPI engine does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from connectors.metrics import METRICS
from connectors.models import AccountMetric, SocialAccount, Workspace
from reporting.formula import Formula, parse
from reporting.kpis import inputs
from reporting.kpis.selectors import kpi_get

POST_VALUE_COLUMNS = [
    "post_id",
    "account_id",
    "account",
    "platform",
    "published",
    "format",
    "tags",
    "text",
    "permalink",
    "value",
]


def formula_for(*, workspace: Workspace, kpi_or_metric: str) -> Formula:
    """The formula behind a metric key (the metric itself) or a KPI key (its current formula)."""
    if kpi_or_metric in METRICS:
        return parse(kpi_or_metric)
    definition = kpi_get(workspace=workspace, key=kpi_or_metric)
    if definition.current_version is None:
        raise ValueError(_("The KPI %(key)s has no version.") % {"key": kpi_or_metric})
    return parse(definition.current_version.formula)


def account_ids_for(*, workspace: Workspace, accounts: Sequence[SocialAccount] | None) -> list[int]:
    """Ids of ``accounts`` (all the workspace's when None); refuses another workspace's."""
    if accounts is None:
        return list(SocialAccount.objects.filter(workspace=workspace).values_list("pk", flat=True))
    if any(account.workspace_id != workspace.pk for account in accounts):
        raise ValueError(_("Some of the chosen accounts do not belong to this workspace."))
    return [account.pk for account in accounts]


def post_values(
    *,
    workspace: Workspace,
    kpi_or_metric: str,
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None = None,
    tags: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Posts published in the period with the value of ``kpi_or_metric`` on their latest
    snapshot on or before ``end``; with ``tags``, only posts carrying at least one of them.

    Columns:
        post_id (int64), account_id (int64), account (str: display name), platform (str),
        published (datetime64: workspace clock, no zone), format (str), tags (list of str),
        text (str), permalink (str), value (float64).

    Posts without a value (never reported, or missing an input of a KPI) are not returned.
    Sorted by published, post_id.
    """
    return post_values_many(
        workspace=workspace,
        kpis_or_metrics=[kpi_or_metric],
        start=start,
        end=end,
        accounts=accounts,
        tags=tags,
    )[kpi_or_metric]


def post_values_many(
    *,
    workspace: Workspace,
    kpis_or_metrics: Sequence[str],
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None = None,
    tags: Sequence[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """``post_values`` of several metrics or KPIs, keyed by each, from one read of the posts
    and their snapshots (each frame is the one ``post_values`` returns for that key)."""
    formulas = {key: formula_for(workspace=workspace, kpi_or_metric=key) for key in kpis_or_metrics}
    metrics = list(dict.fromkeys(m for formula in formulas.values() for m in formula.metrics))
    ids = account_ids_for(workspace=workspace, accounts=accounts)
    facts = inputs.kpi_post_facts(
        workspace=workspace, metrics=metrics, start=start, end=end, account_ids=ids, details=True
    )
    if tags and len(facts):
        wanted = set(tags)
        facts = facts[[bool(wanted.intersection(post_tags)) for post_tags in facts["tags"]]]
    return {key: _valued(facts, formula) for key, formula in formulas.items()}


def _valued(facts: pd.DataFrame, formula: Formula) -> pd.DataFrame:
    facts = facts[formula.available_frame(facts)] if len(facts) else facts
    values = formula.evaluate_frame(facts) if len(facts) else pd.Series(dtype="float64")
    facts = facts.assign(value=values.astype("float64"))
    facts = facts[facts["value"].notna()]
    frame = facts.reindex(columns=POST_VALUE_COLUMNS).reset_index(drop=True)
    frame = frame.astype({"post_id": "int64"})
    if frame.empty:
        # No row to infer the strings from: plain object columns, as the frame always had.
        frame = frame.astype(dict.fromkeys(inputs.POST_DETAIL_COLUMNS, "object"))
    return frame


DAILY_COLUMNS = ["account_id", "account", "platform", "day", "value"]


def account_daily(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None = None,
) -> pd.DataFrame:
    """Daily facts of one canonical metric, one row per account and reported day.

    Columns: account_id (int64), account (str), platform (str), day (datetime64), value
    (float64). Days the platform did not report have no row. Sorted by account_id, day.
    """
    if metric not in METRICS:
        raise ValueError(_("Unknown metric: %(metric)s.") % {"metric": metric})
    ids = account_ids_for(workspace=workspace, accounts=accounts)
    rows = (
        AccountMetric.objects.filter(
            account__workspace=workspace,
            account_id__in=ids,
            metric=metric,
            day__range=(start, end),
        )
        .order_by("account_id", "day")
        .values_list("account_id", "account__display_name", "account__platform", "day", "value")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=DAILY_COLUMNS)
    return frame.astype(
        {
            "account_id": "int64",
            "account": "object",
            "platform": "object",
            "day": "datetime64[ns]",
            "value": "float64",
        }
    )


def workspace_daily_totals(
    *,
    workspace: Workspace,
    metric: str,
    start: dt.date,
    end: dt.date,
    accounts: Sequence[SocialAccount] | None = None,
) -> pd.DataFrame:
    """The metric summed over the accounts per day (summed in the database).

    Columns: day (datetime64), value (float64), accounts (int64: accounts that reported it).
    Days nobody reported have no row. Sorted by day.
    """
    if metric not in METRICS:
        raise ValueError(_("Unknown metric: %(metric)s.") % {"metric": metric})
    ids = account_ids_for(workspace=workspace, accounts=accounts)
    rows = (
        AccountMetric.objects.filter(
            account__workspace=workspace, account_id__in=ids, metric=metric, day__range=(start, end)
        )
        .values("day")
        .annotate(total=Sum("value"), n=Count("account_id"))
        .order_by("day")
        .values_list("day", "total", "n")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["day", "value", "accounts"])
    return frame.astype({"day": "datetime64[ns]", "value": "float64", "accounts": "int64"})


def followers_asof(*, workspace: Workspace, posts: pd.DataFrame, end: dt.date) -> pd.Series:
    """Each post's account followers on its publication day, or the nearest earlier day.

    ``posts`` needs ``account_id`` and ``published``; returns a float64 Series aligned on it
    (NaN when the account never reported followers before the post).
    """
    if posts.empty:
        return pd.Series(dtype="float64", index=posts.index)
    ids = sorted(set(posts["account_id"].tolist()))
    rows = (
        AccountMetric.objects.filter(
            account__workspace=workspace, account_id__in=ids, metric="followers", day__lte=end
        )
        .order_by("day")
        .values_list("account_id", "day", "value")
    )
    followers = pd.DataFrame.from_records(list(rows), columns=["account_id", "day", "followers"])
    followers = followers.astype(
        {"account_id": "int64", "day": "datetime64[ns]", "followers": "float64"}
    ).sort_values("day")
    keyed = posts[["account_id"]].assign(
        day=posts["published"].dt.normalize().astype("datetime64[ns]"), _row=range(len(posts))
    )
    matched = pd.merge_asof(
        keyed.sort_values("day"), followers, on="day", by="account_id", direction="backward"
    )
    return pd.Series(
        matched.sort_values("_row")["followers"].to_numpy(), index=posts.index, dtype="float64"
    )
