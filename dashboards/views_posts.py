"""The Posts pages: the sortable table of the period's posts (with bulk tagging) and one post
with its history and its comparison to the account's typical post.

Both pages read the global filters (``dashboards.scope``); the table adds its own ``sort``,
``dir``, ``q``, ``format`` and ``page`` parameters, which every link keeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connectors.access import WorkspaceRequest, workspace_required
from connectors.metrics import METRICS
from connectors.models import Platform, PostFormat
from connectors.permissions import Action, role_can
from dashboards import charts, charts_posts
from dashboards.cache import panel_cached
from dashboards.forms_tags import BulkTagForm
from dashboards.scope import DashboardFilters, filters_from_query
from dashboards.templatetags.rapport import number
from reporting.annotations import annotation_notes
from reporting.post_selectors import (
    ENGAGEMENT_RATE,
    MEDIAN_WINDOW_DAYS,
    SORT_DEFAULT,
    post_comparison,
    post_get,
    post_history,
    post_sort_keys,
    post_table,
)
from reporting.tag_services import post_tagging_queryset, post_tags_add, post_tags_remove

_FORMATS = dict(PostFormat.choices)
_PLATFORMS = dict(Platform.choices)


@dataclass(frozen=True)
class TableState:
    """The table's own parameters, validated; ``query`` builds links that keep them."""

    filters: DashboardFilters
    sort: str
    direction: str
    search: str
    format: str
    page: int

    @classmethod
    def from_request(cls, request: WorkspaceRequest, filters: DashboardFilters) -> TableState:
        sort = request.GET.get("sort", SORT_DEFAULT)
        try:
            page = int(request.GET.get("page", "1"))
        except ValueError:
            page = 1
        return cls(
            filters=filters,
            sort=sort if sort in post_sort_keys() else SORT_DEFAULT,
            direction="asc" if request.GET.get("dir") == "asc" else "desc",
            search=request.GET.get("q", "").strip()[:200],
            format=request.GET.get("format", "") if request.GET.get("format") in _FORMATS else "",
            page=page,
        )

    def query(self, **overrides: Any) -> str:
        values: dict[str, Any] = {
            "sort": self.sort if self.sort != SORT_DEFAULT else None,
            "dir": self.direction if self.direction != "desc" else None,
            "q": self.search or None,
            "format": self.format or None,
        }
        values.update(overrides)
        return self.filters.query(**values)

    def header(self, key: str, label: str, *, numeric: bool = False) -> dict[str, Any]:
        """A sortable column: a click sorts by it, descending first for numbers and dates."""
        current = key == self.sort
        first = "desc" if numeric or key == SORT_DEFAULT else "asc"
        then = ("asc" if self.direction == "desc" else "desc") if current else first
        return {
            "key": key,
            "label": label,
            "numeric": numeric,
            "current": current,
            "aria_sort": ("ascending" if self.direction == "asc" else "descending")
            if current
            else "none",
            "query": self.query(sort=key, dir=then, page=None),
        }


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _percent(ratio: float | None, decimals: int = 1) -> str:
    if ratio is None:
        return ""
    return _("%(number)s%%") % {"number": number(ratio * 100, decimals)}


def _tag_message(request: WorkspaceRequest, form: BulkTagForm) -> None:
    """Apply a valid bulk form and say what changed (the Tags page's messages)."""
    workspace = request.membership.workspace
    tag, post_ids = form.cleaned_data["tag"], form.cleaned_data["posts"]
    if form.cleaned_data["action"] == "add":
        count = post_tags_add(workspace=workspace, post_ids=post_ids, tag=tag)
        text = ngettext(
            "Tag “%(tag)s” added to %(count)d post.",
            "Tag “%(tag)s” added to %(count)d posts.",
            count,
        )
        messages.success(request, text % {"tag": tag, "count": count})
        return
    count = post_tags_remove(workspace=workspace, post_ids=post_ids, tag=tag)
    text = ngettext(
        "Tag “%(tag)s” removed from %(count)d post.",
        "Tag “%(tag)s” removed from %(count)d posts.",
        count,
    )
    messages.success(request, text % {"tag": tag, "count": count})
    kept = post_tagging_queryset(workspace=workspace, tag=tag).filter(pk__in=post_ids).count()
    if kept:
        text = ngettext(
            "%(count)d selected post keeps “%(tag)s” because a rule adds it; "
            "change the rule to stop that.",
            "%(count)d selected posts keep “%(tag)s” because a rule adds it; "
            "change the rule to stop that.",
            kept,
        )
        messages.info(request, text % {"tag": tag, "count": kept})


def _bulk_post(request: WorkspaceRequest) -> tuple[BulkTagForm, bool]:
    """Handle a tagging POST; returns the form and whether it was applied."""
    if not role_can(request.membership.role, Action.EDIT_TAGS):
        raise PermissionDenied
    data = request.POST.copy()
    if data.get("scope") == "page":
        # "Apply to all posts on this page": the page lists its posts in hidden inputs, so the
        # choice works without JavaScript.
        data.setlist("posts", data.getlist("page_posts"))
    form = BulkTagForm(data)
    if not form.is_valid():
        return form, False
    _tag_message(request, form)
    return form, True


def _table_rows(table: Any, workspace_slug: str, query: str) -> list[dict[str, Any]]:
    rows = []
    for record in table.rows.to_dict("records"):
        rows.append(
            {
                "post_id": int(record["post_id"]),
                "url": reverse(
                    "posts:detail",
                    kwargs={"workspace_slug": workspace_slug, "post_id": int(record["post_id"])},
                )
                + query,
                "text": str(record["text"] or ""),
                "account": record["account"],
                "platform": record["platform"],
                "platform_label": str(_PLATFORMS.get(record["platform"], record["platform"])),
                "published": record["published"].to_pydatetime(),
                "format": record["format"],
                "format_label": str(_FORMATS.get(record["format"], record["format"])),
                "is_paid": bool(record["is_paid"]),
                "tags": list(record["tags"]),
                "values": [_number(record[key]) for key in table.metrics],
                "rate": _number(record["engagement_rate"]),
                "rate_base": record["rate_base"],
                "rate_text": _percent(_number(record["engagement_rate"])),
            }
        )
    return rows


@workspace_required(Action.VIEW)
def post_list(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    bulk_form = BulkTagForm()
    if request.method == "POST":
        bulk_form, applied = _bulk_post(request)
        if applied:
            return redirect(request.get_full_path())
    filters = filters_from_query(request.GET, workspace=workspace)
    state = TableState.from_request(request, filters)
    context: dict[str, Any] = {"filters": filters, "state": state, "bulk_form": bulk_form}
    if not filters.all_accounts:
        return render(request, "posts/list.html", context)
    table = panel_cached(
        filters,
        "posts-table",
        lambda: post_table(
            workspace=workspace,
            start=filters.period.start,
            end=filters.period.end,
            accounts=filters.accounts_or_none,
            tags=filters.tags,
            search=state.search,
            format=state.format,
            sort=state.sort,
            direction=state.direction,
            page=state.page,
        ),
        state.sort,
        state.direction,
        state.search,
        state.format,
        state.page,
    )
    labels = {
        "published": _("Published"),
        "text": _("Text"),
        "account": _("Account"),
        "format": _("Format"),
    }
    headers = {key: state.header(key, str(labels[key])) for key in labels}
    headers["published"] = state.header("published", str(labels["published"]), numeric=True)
    context.update(
        {
            "table": table,
            "headers": headers,
            "metric_headers": [
                state.header(key, str(METRICS[key].label), numeric=True) for key in table.metrics
            ],
            "rate_header": state.header(ENGAGEMENT_RATE, _("Engagement rate"), numeric=True),
            "rows": _table_rows(
                table, workspace.slug, state.query(page=table.number if table.number > 1 else None)
            ),
            "formats": PostFormat.choices,
            "narrowed": bool(state.search or state.format or filters.tags),
            "wide_query": state.query(range="all", page=None),
            "clear_query": state.query(q=None, format=None, tag=None, page=None),
            "previous_query": state.query(page=table.number - 1),
            "next_query": state.query(page=table.number + 1),
        }
    )
    return render(request, "posts/list.html", context)


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    label: str
    value: float | None
    median: float | None
    posts: int
    ratio: float | None
    percent: bool

    @property
    def trend(self) -> str:
        if self.ratio is None or 0.9 < self.ratio < 1.1:
            return "flat"
        return "up" if self.ratio >= 1.1 else "down"

    @property
    def ratio_text(self) -> str:
        if self.ratio is None:
            return ""
        return _("%(ratio)s× typical") % {"ratio": number(self.ratio, 1)}


@workspace_required(Action.VIEW)
def post_detail(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    post = post_get(workspace=workspace, post_id=post_id)
    if post is None:
        raise Http404("No such post.")
    tag_form = BulkTagForm()
    if request.method == "POST":
        tag_form, applied = _bulk_post(request)
        if applied:
            return redirect(request.get_full_path())
    filters = filters_from_query(request.GET, workspace=workspace)
    history = post_history(post=post)
    comparison = post_comparison(post=post, history=history)
    rows = [
        ComparisonRow(
            key=str(record["metric"]),
            label=str(METRICS[record["metric"]].label)
            if record["metric"] in METRICS
            else _("Engagement rate"),
            value=_number(record["value"]),
            median=_number(record["median"]),
            posts=int(record["posts"]),
            ratio=_number(record["ratio"]),
            percent=record["metric"] == ENGAGEMENT_RATE,
        )
        for record in comparison.to_dict("records")
    ]
    figure = None
    if len(history):
        published = timezone.localtime(post.published_at, ZoneInfo(workspace.timezone)).date()
        notes = annotation_notes(
            workspace=workspace, start=published, end=history["day"].max().date()
        )
        figure = charts.figure_json(
            charts.annotations_add(charts_posts.post_history_chart(history), notes)
        )
    return render(
        request,
        "posts/detail.html",
        {
            "post": post,
            "filters": filters,
            "history_figure": figure,
            "metric_rows": [row for row in rows if not row.percent],
            "rate_row": rows[-1],
            "rate_text": _percent(rows[-1].value),
            "rate_median_text": _percent(rows[-1].median),
            "median_days": MEDIAN_WINDOW_DAYS,
            "tag_form": tag_form,
            # The list's own parameters (sort, search, page) came along in the address.
            "back_query": "?" + request.GET.urlencode(),
            "tag_names": filters.available_tags,
            "has_snapshots": bool(len(history)),
        },
    )
