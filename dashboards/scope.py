"""The global filters every dashboard page shares: period, comparison and scope.

All of them live in the query string, so a filtered view can be bookmarked and shared:

    ?range=last_month&compare=year&platform=instagram&account=12&tag=summer-launch

``range``/``start``/``end``/``compare`` are read by ``dashboards.filters``; ``account``,
``platform`` and ``tag`` may repeat. A value that does not belong to the workspace is dropped
with a notice, never an error page, and never widens what the user sees: accounts are always
looked up inside the workspace from the URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.models import Platform, SocialAccount, Workspace
from dashboards.cache import workspace_cached
from dashboards.filters import (
    COMPARE_CHOICES,
    CUSTOM,
    MENU_PRESETS,
    RANGE_CHOICES,
    Period,
    period_from_query,
)
from reporting.analysis.timeseries import Compare
from reporting.selectors import workspace_fact_bounds
from reporting.tag_services import tag_names

FILTER_KEYS = ("range", "start", "end", "compare", "account", "platform", "tag")


@dataclass(frozen=True)
class DashboardFilters:
    """What a dashboard page shows: validated, tied to one workspace.

    ``accounts`` is the workspace's accounts narrowed by the account and platform filters (all
    of them when neither is set); pass it to every selector. ``tags`` narrows posts only:
    account-level figures (followers, reach) are not split by tag on any platform.
    """

    workspace: Workspace
    today: dt.date
    period: Period
    compare: Compare
    comparison: Period | None
    all_accounts: tuple[SocialAccount, ...]
    accounts: tuple[SocialAccount, ...]
    account_ids: tuple[int, ...]
    platforms: tuple[str, ...]
    tags: tuple[str, ...]
    available_tags: tuple[str, ...]
    fact_bounds: tuple[dt.date, dt.date] | None
    errors: tuple[str, ...] = field(default=())
    # How many accounts, platforms and tags the address asked for, before validation.
    asked: tuple[tuple[str, int], ...] = field(default=())
    # The page's own parameters (a sort, a chosen metric), kept when a filter changes; the page
    # number is not: new filters start again on page one.
    page_params: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_scoped(self) -> bool:
        """True when accounts, platforms or tags narrow the view."""
        return bool(self.account_ids or self.platforms or self.tags)

    @property
    def scope_lost(self) -> bool:
        """True when the address asked for accounts, platforms or tags and none of one kind is
        left (deleted, renamed): showing "everything" instead would widen a report meant for
        one client to the whole workspace, so callers refuse rather than widen."""
        asked = dict(self.asked)
        return bool(
            (asked.get("account") and not self.account_ids)
            or (asked.get("platform") and not self.platforms)
            or (asked.get("tag") and not self.tags)
        )

    @property
    def accounts_or_none(self) -> list[SocialAccount] | None:
        """For selectors whose default (None) is every account of the workspace."""
        return list(self.accounts) if (self.account_ids or self.platforms) else None

    @property
    def platforms_present(self) -> list[tuple[str, str]]:
        """(key, label) of the platforms the workspace has accounts on."""
        keys = sorted({account.platform for account in self.all_accounts})
        labels = dict(Platform.choices)
        return [(key, str(labels.get(key, key))) for key in keys]

    def params(self, **overrides: Any) -> list[tuple[str, str]]:
        """The filters as query parameters; an override of None drops that key."""
        values: dict[str, list[str]] = {key: [] for key, _value in self.page_params}
        for key, value in self.page_params:
            values[key].append(value)
        values |= {
            "range": [self.period.preset] if self.period.preset else [],
            "start": [self.period.start.isoformat()] if self.period.preset == CUSTOM else [],
            "end": [self.period.end.isoformat()] if self.period.preset == CUSTOM else [],
            "compare": [self.compare.value] if self.compare is not Compare.PREVIOUS else [],
            "account": [str(pk) for pk in self.account_ids],
            "platform": list(self.platforms),
            "tag": list(self.tags),
        }
        for key, value in overrides.items():
            if value is None:
                values[key] = []
            elif isinstance(value, list | tuple):
                values[key] = [str(v) for v in value]
            else:
                values[key] = [str(value)]
        if overrides.get("range") not in (None, CUSTOM) and "start" not in overrides:
            values["start"], values["end"] = [], []
        return [(key, v) for key in FILTER_KEYS for v in values.get(key, [])] + [
            (key, v) for key in values if key not in FILTER_KEYS for v in values[key]
        ]

    def query(self, **overrides: Any) -> str:
        """``?…`` keeping every filter (with overrides), for links between pages."""
        params = self.params(**overrides)
        return "?" + urlencode(params) if params else "?"

    def hidden_inputs(self, *, exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """The filters as (name, value) pairs for hidden inputs of a GET form."""
        return [(key, value) for key, value in self.params() if key not in exclude]

    def range_links(self) -> list[dict[str, Any]]:
        labels = dict(RANGE_CHOICES)
        return [
            {
                "key": key,
                "label": labels[key],
                "current": key == self.period.preset,
                "query": self.query(range=key),
            }
            for key in MENU_PRESETS
        ]

    def compare_links(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "label": label,
                "current": key == self.compare.value,
                "query": self.query(compare=None if key == Compare.PREVIOUS else key),
            }
            for key, label in COMPARE_CHOICES
        ]

    @property
    def range_label(self) -> str:
        return str(dict(RANGE_CHOICES).get(self.period.preset, dict(RANGE_CHOICES)[CUSTOM]))

    @property
    def chips(self) -> list[dict[str, str]]:
        """One removable chip per active scope value."""
        labels = dict(Platform.choices)
        chips = [
            {
                "label": str(labels.get(key, key)),
                "remove": self.query(platform=[p for p in self.platforms if p != key]),
            }
            for key in self.platforms
        ]
        by_id = {account.pk: account for account in self.all_accounts}
        chips += [
            {
                "label": by_id[pk].display_name,
                "remove": self.query(account=[a for a in self.account_ids if a != pk]),
            }
            for pk in self.account_ids
        ]
        chips += [
            {"label": f"#{tag}", "remove": self.query(tag=[t for t in self.tags if t != tag])}
            for tag in self.tags
        ]
        return chips

    @property
    def nav_query(self) -> str:
        """The filters alone (no page parameters), for links to the other dashboard pages."""
        params = [(key, value) for key, value in self.params() if key in FILTER_KEYS]
        return "?" + urlencode(params) if params else ""

    @property
    def all_time_query(self) -> str:
        return self.query(range="all")

    @property
    def clear_query(self) -> str:
        return self.query(account=None, platform=None, tag=None)

    def scope_summary(self) -> list[str]:
        """The active scope in words, for page sub-titles and "how computed" notes."""
        parts: list[str] = []
        if self.account_ids or self.platforms:
            names = ", ".join(account.display_name for account in self.accounts)
            parts.append(names or _("no account"))
        if self.tags:
            parts.append(_("posts tagged %(tags)s") % {"tags": ", ".join(self.tags)})
        return parts


def _ints(values: list[str]) -> tuple[list[int], bool]:
    numbers, bad = [], False
    for value in values:
        try:
            numbers.append(int(value))
        except ValueError:
            bad = True
    return numbers, bad


def filters_from_query(
    query: QueryDict, *, workspace: Workspace, today: dt.date | None = None
) -> DashboardFilters:
    """Parse and validate the global filters of ``query`` for ``workspace``."""
    today = today or timezone.localdate(timezone=ZoneInfo(workspace.timezone))
    bounds = workspace_cached(
        workspace, "fact-bounds", lambda: workspace_fact_bounds(workspace=workspace)
    )
    period, form = period_from_query(query, today=today, first_day=bounds[0] if bounds else None)
    errors = form.error_messages() if not form.is_valid() else []
    compare = form.comparison_choice()
    if query.get("compare") and query.get("compare") != compare.value:
        errors.append(_("Unknown comparison; the previous period is used."))

    all_accounts = tuple(
        SocialAccount.objects.filter(workspace=workspace).order_by("platform", "display_name", "pk")
    )
    by_id = {account.pk: account for account in all_accounts}
    wanted, bad = _ints(query.getlist("account"))
    account_ids = tuple(dict.fromkeys(pk for pk in wanted if pk in by_id))
    if bad or len(account_ids) < len(set(wanted)):
        errors.append(_("An account in the address is not in this workspace and was left out."))
    known_platforms = {account.platform for account in all_accounts}
    asked_platforms = query.getlist("platform")
    platforms = tuple(dict.fromkeys(p for p in asked_platforms if p in known_platforms))
    if len(platforms) < len(set(asked_platforms)):
        errors.append(_("A platform in the address has no account here and was left out."))
    accounts = tuple(
        account
        for account in all_accounts
        if (not account_ids or account.pk in account_ids)
        and (not platforms or account.platform in platforms)
    )
    available_tags = tuple(
        workspace_cached(workspace, "tag-names", lambda: tag_names(workspace=workspace))
    )
    asked_tags = [tag for tag in query.getlist("tag") if tag]
    tags = tuple(dict.fromkeys(tag for tag in asked_tags if tag in available_tags))
    if len(tags) < len(set(asked_tags)):
        errors.append(_("A tag in the address is not used in this workspace and was left out."))
    return DashboardFilters(
        workspace=workspace,
        today=today,
        period=period,
        compare=compare,
        comparison=period.compared(compare),
        all_accounts=all_accounts,
        accounts=accounts,
        account_ids=account_ids,
        platforms=platforms,
        tags=tags,
        available_tags=available_tags,
        fact_bounds=bounds,
        errors=tuple(errors),
        asked=(
            ("account", len(set(query.getlist("account")))),
            ("platform", len(set(asked_platforms))),
            ("tag", len(set(asked_tags))),
        ),
        page_params=tuple(
            (key, value)
            for key, values in query.lists()
            if key not in FILTER_KEYS and key != "page"
            for value in values
        ),
    )
