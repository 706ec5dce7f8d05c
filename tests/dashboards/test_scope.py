"""The global filters: calendar presets, comparison periods and the account/platform/tag scope."""

from __future__ import annotations

import datetime as dt
from typing import cast
from urllib.parse import parse_qs

import pytest
from django.http import QueryDict

from connectors.models import SocialAccount, Workspace
from dashboards.filters import Period, period_from_query
from dashboards.scope import DashboardFilters, filters_from_query
from reporting.analysis.timeseries import Compare
from tests.factories import PostFactory, SocialAccountFactory

D = dt.date


def period(query: str, today: dt.date) -> Period:
    return period_from_query(QueryDict(query), today=today, first_day=None)[0]


@pytest.mark.parametrize(
    ("preset", "today", "start", "end", "previous"),
    [
        (
            "7d",
            D(2026, 11, 25),
            D(2026, 11, 18),
            D(2026, 11, 24),
            (D(2026, 11, 11), D(2026, 11, 17)),
        ),
        # Month to date against the same days of the month before.
        (
            "this_month",
            D(2026, 11, 25),
            D(2026, 11, 1),
            D(2026, 11, 24),
            (D(2026, 10, 1), D(2026, 10, 24)),
        ),
        # On the first of the month "this month" is today alone, never an empty range.
        (
            "this_month",
            D(2026, 1, 1),
            D(2026, 1, 1),
            D(2026, 1, 1),
            (D(2025, 12, 1), D(2025, 12, 1)),
        ),
        (
            "last_month",
            D(2026, 3, 31),
            D(2026, 2, 1),
            D(2026, 2, 28),
            (D(2026, 1, 1), D(2026, 1, 31)),
        ),
        (
            "last_month",
            D(2026, 1, 15),
            D(2025, 12, 1),
            D(2025, 12, 31),
            (D(2025, 11, 1), D(2025, 11, 30)),
        ),
        (
            "this_quarter",
            D(2026, 11, 25),
            D(2026, 10, 1),
            D(2026, 11, 24),
            (D(2026, 7, 1), D(2026, 8, 24)),
        ),
        # A quarter to date never runs past the end of the previous quarter.
        (
            "this_quarter",
            D(2026, 3, 31),
            D(2026, 1, 1),
            D(2026, 3, 30),
            (D(2025, 10, 1), D(2025, 12, 28)),
        ),
        (
            "last_quarter",
            D(2026, 11, 25),
            D(2026, 7, 1),
            D(2026, 9, 30),
            (D(2026, 4, 1), D(2026, 6, 30)),
        ),
        (
            "this_year",
            D(2026, 11, 25),
            D(2026, 1, 1),
            D(2026, 11, 24),
            (D(2025, 1, 1), D(2025, 11, 24)),
        ),
        (
            "last_year",
            D(2026, 11, 25),
            D(2025, 1, 1),
            D(2025, 12, 31),
            (D(2024, 1, 1), D(2024, 12, 31)),
        ),
    ],
)
def test_calendar_presets_and_their_previous_period(
    preset: str, today: dt.date, start: dt.date, end: dt.date, previous: tuple[dt.date, dt.date]
) -> None:
    chosen = period(f"range={preset}", today)
    assert (chosen.start, chosen.end, chosen.preset) == (start, end, preset)
    assert (chosen.previous.start, chosen.previous.end) == previous


def test_same_period_last_year_handles_29_february() -> None:
    chosen = Period(start=D(2024, 2, 1), end=D(2024, 2, 29), preset="custom")
    compared = chosen.compared(Compare.YEAR)
    assert compared is not None
    assert (compared.start, compared.end) == (D(2023, 2, 1), D(2023, 2, 28))
    assert chosen.compared(Compare.NONE) is None


@pytest.fixture
def accounts(workspace: Workspace, other_workspace: Workspace) -> dict[str, int]:
    insta = cast(SocialAccount, SocialAccountFactory(workspace=workspace, platform="instagram"))
    face = cast(SocialAccount, SocialAccountFactory(workspace=workspace, platform="facebook"))
    stranger = cast(
        SocialAccount, SocialAccountFactory(workspace=other_workspace, platform="instagram")
    )
    PostFactory(account=insta, tags=["launch"])
    return {"instagram": insta.pk, "facebook": face.pk, "stranger": stranger.pk}


def scope(workspace: Workspace, query: str) -> DashboardFilters:
    return filters_from_query(QueryDict(query), workspace=workspace, today=D(2026, 11, 25))


def test_no_scope_means_every_account(workspace: Workspace, accounts: dict[str, int]) -> None:
    filters = scope(workspace, "")
    assert {a.pk for a in filters.accounts} == {accounts["instagram"], accounts["facebook"]}
    assert not filters.is_scoped and filters.accounts_or_none is None
    assert filters.compare is Compare.PREVIOUS and filters.errors == ()


def test_platform_and_account_filters_narrow_the_accounts(
    workspace: Workspace, accounts: dict[str, int]
) -> None:
    by_platform = scope(workspace, "platform=facebook")
    assert [a.pk for a in by_platform.accounts] == [accounts["facebook"]]
    both = scope(workspace, f"account={accounts['instagram']}&platform=facebook")
    assert both.accounts == ()  # an Instagram account is not on Facebook


def test_another_workspaces_account_is_dropped_with_a_notice(
    workspace: Workspace, accounts: dict[str, int]
) -> None:
    filters = scope(workspace, f"account={accounts['stranger']}&account=abc&platform=myspace")
    assert filters.account_ids == () and filters.platforms == ()
    # Dropping an unknown account never widens to someone else's data; it shows everything
    # of this workspace with a notice.
    assert {a.pk for a in filters.accounts} == {accounts["instagram"], accounts["facebook"]}
    assert len(filters.errors) == 2


def test_unknown_tags_and_comparisons_are_reported(
    workspace: Workspace, accounts: dict[str, int]
) -> None:
    filters = scope(workspace, "tag=launch&tag=nope&compare=decade")
    assert filters.tags == ("launch",)
    assert filters.compare is Compare.PREVIOUS
    assert len(filters.errors) == 2


def test_links_keep_every_filter_and_the_pages_own_parameters(
    workspace: Workspace, accounts: dict[str, int]
) -> None:
    filters = scope(
        workspace,
        f"range=last_month&compare=year&account={accounts['instagram']}&tag=launch"
        "&sort=likes&page=4",
    )
    query = parse_qs(filters.query(range="7d")[1:])
    assert query == {
        "range": ["7d"],
        "compare": ["year"],
        "account": [str(accounts["instagram"])],
        "tag": ["launch"],
        "sort": ["likes"],  # the page's sort stays; the page number does not
    }
    removed = parse_qs(filters.chips[0]["remove"][1:])
    assert "account" not in removed and removed["tag"] == ["launch"]
    assert "account" not in parse_qs(filters.clear_query[1:])


def test_custom_range_links_keep_their_dates(
    workspace: Workspace, accounts: dict[str, int]
) -> None:
    filters = scope(workspace, "range=custom&start=2026-01-01&end=2026-01-31&compare=none")
    assert filters.comparison is None
    assert parse_qs(filters.query()[1:]) == {
        "range": ["custom"],
        "start": ["2026-01-01"],
        "end": ["2026-01-31"],
        "compare": ["none"],
    }
    # Choosing a preset drops the custom dates.
    assert "start" not in parse_qs(filters.query(range="28d")[1:])
