"""Fuzzing the query strings of the filtered pages: any address gives a page (the filter corrected
or ignored, with a message) or a 400, never a 500, and never another workspace's data.

The Django test client re-raises a view's exception, so a crash fails the example outright.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.models import Role, User, Workspace
from dashboards.reports.sharing import share_link_create
from reporting.report_models import ReportTemplate, ShareKind
from tests.factories import (
    PASSWORD,
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
SECRET = "Globex-Secret"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYS = [
    "range",
    "start",
    "end",
    "compare",
    "account",
    "platform",
    "tag",
    "page",
    "sort",
    "dir",
    "q",
    "format",
    "metric",
    "level",
    "run",
    "template",
    "kind",
    "status",
]
NASTY = [
    "",
    "0",
    "-1",
    "-9223372036854775809",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "0000-00-00",
    "9999-12-31",
    "1999-12-31",
    "2026-02-30",
    "2026-03-09",
    "2026-13-01",
    "31/12/2025",
    "custom",
    "all",
    "last_year",
    "year",
    "instagram",
    "import",
    "csv",
    "xlsx",
    "posts",
    "accounts",
    "<script>alert(1)</script>",
    "%ff%fe%00",
    "%C0%AF",
    "\u202e",
    "x" * 5000,
]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def site(
    workspace: Workspace, other_workspace: Workspace, member_factory: Callable[..., User]
) -> dict[str, Any]:
    """A workspace with a little data, and another whose names all carry ``SECRET``."""
    mine = SocialAccountFactory.create(workspace=workspace, display_name="Acme Insta")
    theirs = SocialAccountFactory.create(
        workspace=other_workspace, display_name=f"{SECRET} account", platform="linkedin"
    )
    for account, text in ((mine, "Spring launch #spring"), (theirs, f"{SECRET} post #globex")):
        post = PostFactory.create(
            account=account, text=text, published_at=NOW - dt.timedelta(days=5)
        )
        PostMetricFactory.create(post=post, day=dt.date(2026, 3, 8), value=12)
        for back in range(1, 20):
            AccountMetricFactory.create(
                account=account, day=dt.date(2026, 3, 10) - dt.timedelta(days=back), value=back
            )
    template = ReportTemplate.objects.create(
        workspace=workspace,
        key="fuzz",
        name="Fuzz report",
        sections=[{"type": "cover"}, {"type": "summary"}],
    )
    other_template = ReportTemplate.objects.create(
        workspace=other_workspace, key="secret", name=f"{SECRET} report", sections=[]
    )
    client = Client()
    user = member_factory(workspace, Role.ADMIN)
    assert client.login(username=user.username, password=PASSWORD)
    return {
        "client": client,
        "workspace": workspace,
        "template": template,
        "foreign_ids": [str(theirs.pk), str(other_template.pk)],
    }


def _values(site: dict[str, Any]) -> st.SearchStrategy[str]:
    return (
        st.sampled_from(NASTY)
        | st.sampled_from(site["foreign_ids"])
        | st.integers(min_value=-(2**70), max_value=2**70).map(str)
        | st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str)
        | st.text(max_size=30)
    )


def _query(draw: st.DrawFn, site: dict[str, Any]) -> str:
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(KEYS) | st.text(max_size=8), _values(site)), max_size=8)
    )
    # Values that already look percent-encoded go through raw, so bytes that are not UTF-8
    # (``%ff``) reach the server as such.
    return "&".join(
        f"{quote(key)}={value if value.startswith('%') else quote(value)}" for key, value in pairs
    )


def _check(site: dict[str, Any], path: str, query: str, allowed: set[int]) -> None:
    response = site["client"].get(f"{path}?{query}")
    assert response.status_code in allowed, (path, query, response.status_code)
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    assert SECRET.encode() not in body, (path, query)


def _pages(site: dict[str, Any]) -> list[str]:
    slug = site["workspace"].slug
    return [
        reverse("overview", kwargs={"workspace_slug": slug}),
        reverse("posts:list", kwargs={"workspace_slug": slug}),
        reverse("content:page", kwargs={"workspace_slug": slug}),
        reverse("connectors:export", kwargs={"workspace_slug": slug}),
        reverse("reports:archive", kwargs={"workspace_slug": slug}),
        reverse("share:manage", kwargs={"workspace_slug": slug}),
    ]


@settings(FUZZ, max_examples=25)
@given(st.data())
@example(data=None)
def test_any_query_string_gives_a_page_or_a_400_and_no_other_workspace_data(
    site: dict[str, Any], data: st.DataObject | None
) -> None:
    if data is None:
        query = "range=custom&start=2026-03-09&end=2000-01-01&account=-1&tag=%ff"
        for path in _pages(site):
            _check(site, path, query, {200, 400})
        return
    path = data.draw(st.sampled_from(_pages(site)))
    _check(site, path, data.draw(st.composite(lambda draw: _query(draw, site))()), {200, 400})


@FUZZ
@given(st.data())
def test_the_global_filters_are_corrected_with_a_visible_message(
    site: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(["start", "end", "account", "platform", "tag", "compare"]))
    value = data.draw(st.sampled_from([*NASTY[1:], *site["foreign_ids"]]))
    query = f"{key}={quote(value)}" + ("&range=custom" if key in ("start", "end") else "")
    response = site["client"].get(
        reverse("overview", kwargs={"workspace_slug": site["workspace"].slug}) + "?" + query
    )
    assert response.status_code == 200
    assert SECRET.encode() not in response.content
    filters = response.context["filters"]
    kept = {
        "account": [str(pk) for pk in filters.account_ids],
        "platform": list(filters.platforms),
        "tag": list(filters.tags),
        "compare": [filters.compare.value],
        "start": [filters.period.start.isoformat()] if filters.period.preset == "custom" else [],
        "end": [filters.period.end.isoformat()] if filters.period.preset == "custom" else [],
    }[key]
    # A value that was not kept is said on the page; a kept account is the workspace's own.
    if value and value not in kept:
        assert filters.errors, query
    assert {pk for pk in filters.account_ids} <= {a.pk for a in filters.all_accounts}
    page = response.content.decode()
    for message in filters.errors:
        assert escape(message) in page, message


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
@example(data=None)
def test_report_preview_dates_give_a_page_or_a_400(
    site: dict[str, Any], data: st.DataObject | None
) -> None:
    path = reverse(
        "reports:preview",
        kwargs={"workspace_slug": site["workspace"].slug, "template_id": site["template"].pk},
    )
    query = (
        "start=0000-00-00&end=9999-12-31"
        if data is None
        else data.draw(st.composite(lambda draw: _query(draw, site))())
    )
    _check(site, path, query, {200, 302, 400})


@FUZZ
@given(st.data())
def test_a_shared_dashboard_with_any_stored_filters_opens_without_other_workspace_data(
    site: dict[str, Any], data: st.DataObject
) -> None:
    query = data.draw(st.composite(lambda draw: _query(draw, site))())
    try:
        _link, token = share_link_create(
            workspace=site["workspace"], kind=ShareKind.DASHBOARD, dashboard_query=query
        )
    except ValueError:
        return  # too long to share: refused when the link is made
    # A link whose accounts or tags are all unknown shows nothing rather than everything.
    _check(site, reverse("share:open", args=[token]), "", {200, 404})
