"""The pages the dashboard benchmark requests: edit this list when a page is added or renamed.

Each entry is (label, URL name, URL kwargs, query string). ``workspace_slug`` is added to the
kwargs; a kwarg value ``"{post}"`` or ``"{account}"`` is replaced by the id of a post or account
of the benchmark workspace. A URL name that does not resolve is reported as not installed.
"""

from __future__ import annotations

from typing import NamedTuple


class Page(NamedTuple):
    label: str
    url_name: str
    kwargs: dict[str, str]
    query: str


PAGES: list[Page] = [
    Page("overview 90d", "overview", {}, "?range=90d"),
    Page("overview 365d", "overview", {}, "?range=365d"),
    Page("overview last month vs year", "overview", {}, "?range=last_month&compare=year"),
    Page("insights", "insights:list", {}, ""),
    Page("goals", "kpis:goals", {}, ""),
    Page("kpis", "kpis:kpis", {}, ""),
    Page("tags", "tags:list", {}, ""),
    Page("accounts", "connectors:accounts", {}, ""),
    Page("posts", "posts:list", {}, ""),
    Page("posts by engagements p3", "posts:list", {}, "?sort=engagements&dir=desc&page=3"),
    Page("post detail", "posts:detail", {"post_id": "{post}"}, ""),
    Page("content", "content:page", {}, ""),
    Page("health", "health:page", {}, ""),
    Page("health account", "health:account", {"account_id": "{account}"}, ""),
    Page("platform page", "platform_dashboard", {"platform": "instagram"}, ""),
    Page("account page", "account_dashboard", {"account_id": "{account}"}, ""),
]
