"""The Tags page: tags with their counts, tag rules and tagging posts by hand. Every member
reads it; analysts and up (EDIT_TAGS) change rules and tags through ``reporting.tag_services``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

import pandas as pd
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.models import Post, PostFormat
from connectors.permissions import Action, role_can
from dashboards.cache import workspace_cached
from dashboards.forms_tags import BulkTagForm, PostFilterForm, TagRuleForm
from reporting.models import TagRule, TagRuleKind
from reporting.tag_services import (
    post_tagging_queryset,
    post_tags_add,
    post_tags_remove,
    tag_names,
    tag_rule_create,
    tag_rule_get,
    tag_rule_summary,
    tag_rule_update,
    tag_summary,
)
from reporting.tags import tag_rule_delete, tag_rules_apply

POSTS_PER_PAGE = 50


def rule_values_in_words(kind: str, values: list[Any]) -> str:
    """What a rule matches, as a reader would say it."""
    texts = [str(v) for v in values]
    if kind == TagRuleKind.HASHTAG:
        return ", ".join(f"#{v}" for v in texts)
    if kind == TagRuleKind.KEYWORD:
        return ", ".join(f"“{v}”" for v in texts)
    if kind == TagRuleKind.FORMAT:
        labels = dict(PostFormat.choices)
        return ", ".join(str(labels.get(v, v)) for v in texts)
    if kind == TagRuleKind.DATE_RANGE and len(texts) == 2:
        first, last = (date_format(dt.date.fromisoformat(v), "DATE_FORMAT") for v in texts)
        return _("from %(first)s to %(last)s") % {"first": first, "last": last}
    return ", ".join(texts)


@dataclass(frozen=True)
class RuleRow:
    rule_id: int
    tag: str
    kind_label: str
    words: str
    active: bool
    posts: int


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


@workspace_required(Action.VIEW)
def tag_list(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    kind_labels = dict(TagRuleKind.choices)
    rules = [
        RuleRow(
            rule_id=int(row["rule_id"]),
            tag=str(row["tag"]),
            kind_label=str(kind_labels.get(row["kind"], row["kind"])),
            words=rule_values_in_words(row["kind"], row["values"]),
            active=bool(row["active"]),
            posts=int(row["posts"]),
        )
        for row in _records(
            workspace_cached(workspace, "tag-rules", lambda: tag_rule_summary(workspace=workspace))
        )
    ]
    tags = workspace_cached(
        workspace, "tags", lambda: tag_summary(workspace=workspace).to_dict("records")
    )
    return render(request, "tags/list.html", {"tags": tags, "rules": rules})


def _rule_form_page(request: WorkspaceRequest, rule: TagRule | None) -> HttpResponse:
    workspace = request.membership.workspace
    initial = TagRuleForm.initial_for(rule) if rule else {}
    form = TagRuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "tag": data["tag"],
            "kind": data["kind"],
            "values": data["values"],
            "active": data["active"],
        }
        try:
            if rule is None:
                _rule, changed = tag_rule_create(workspace=workspace, **values)
            else:
                changed = tag_rule_update(rule=rule, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext(
                    "The rule was saved and applied: %(count)d post changed.",
                    "The rule was saved and applied: %(count)d posts changed.",
                    changed,
                )
                % {"count": changed},
            )
            return redirect("tags:list", workspace_slug=workspace.slug)
    return render(request, "tags/rule_form.html", {"form": form, "rule": rule})


@workspace_required(Action.EDIT_TAGS)
def rule_new(request: WorkspaceRequest) -> HttpResponse:
    return _rule_form_page(request, None)


def _rule_or_404(request: WorkspaceRequest, rule_id: int) -> TagRule:
    rule = tag_rule_get(workspace=request.membership.workspace, rule_id=rule_id)
    if rule is None:
        raise Http404("No such tag rule.")
    return rule


@workspace_required(Action.EDIT_TAGS)
def rule_edit(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    return _rule_form_page(request, _rule_or_404(request, rule_id))


@workspace_required(Action.EDIT_TAGS)
def rule_delete(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    rule = _rule_or_404(request, rule_id)
    if request.method == "POST":
        changed = tag_rule_delete(rule=rule)
        messages.success(
            request,
            ngettext(
                "The rule was deleted; its tag was removed from %(count)d post.",
                "The rule was deleted; its tag was removed from %(count)d posts.",
                changed,
            )
            % {"count": changed},
        )
        return redirect("tags:list", workspace_slug=request.membership.workspace.slug)
    words = rule_values_in_words(rule.kind, list(rule.values))
    return render(request, "tags/rule_delete.html", {"rule": rule, "words": words})


@workspace_required(Action.EDIT_TAGS)
@require_POST
def rules_apply(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    changed = tag_rules_apply(workspace=workspace)
    messages.success(
        request,
        ngettext(
            "Rules applied: %(count)d post changed.",
            "Rules applied: %(count)d posts changed.",
            changed,
        )
        % {"count": changed},
    )
    return redirect("tags:list", workspace_slug=workspace.slug)


@dataclass(frozen=True)
class PostRow:
    post: Post
    hand_tags: list[str]
    rule_tags: list[str]


def _post_row(post: Post) -> PostRow:
    # A missing one-to-one raises; hasattr is the documented way to test for it.
    ruled = list(post.rule_tags.tags) if hasattr(post, "rule_tags") else []
    tags = list(post.tags or [])
    return PostRow(
        post=post,
        hand_tags=[t for t in tags if t not in ruled],
        rule_tags=[t for t in tags if t in ruled],
    )


def _bulk_action(request: WorkspaceRequest) -> BulkTagForm:
    workspace = request.membership.workspace
    form = BulkTagForm(request.POST)
    if not form.is_valid():
        return form
    tag, post_ids = form.cleaned_data["tag"], form.cleaned_data["posts"]
    if form.cleaned_data["action"] == "add":
        count = post_tags_add(workspace=workspace, post_ids=post_ids, tag=tag)
        messages.success(
            request,
            ngettext(
                "Tag “%(tag)s” added to %(count)d post.",
                "Tag “%(tag)s” added to %(count)d posts.",
                count,
            )
            % {"tag": tag, "count": count},
        )
        return form
    count = post_tags_remove(workspace=workspace, post_ids=post_ids, tag=tag)
    messages.success(
        request,
        ngettext(
            "Tag “%(tag)s” removed from %(count)d post.",
            "Tag “%(tag)s” removed from %(count)d posts.",
            count,
        )
        % {"tag": tag, "count": count},
    )
    kept = post_tagging_queryset(workspace=workspace, tag=tag).filter(pk__in=post_ids).count()
    if kept:
        messages.info(
            request,
            ngettext(
                "%(count)d selected post keeps “%(tag)s” because a rule adds it; "
                "change the rule to stop that.",
                "%(count)d selected posts keep “%(tag)s” because a rule adds it; "
                "change the rule to stop that.",
                kept,
            )
            % {"tag": tag, "count": kept},
        )
    return form


@workspace_required(Action.VIEW)
def posts(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    can_edit = role_can(request.membership.role, Action.EDIT_TAGS)
    bulk_form = BulkTagForm()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        bulk_form = _bulk_action(request)
        if bulk_form.is_valid():
            back = request.POST.get("return_query", "")
            return redirect(f"{request.path}?{back}" if back else request.path)
    filters = PostFilterForm(request.GET or None, workspace=workspace)
    criteria: dict[str, Any] = {}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "account_id": data["account"].pk if data["account"] else None,
            "format": data["format"] or None,
            "start": data["start"],
            "end": data["end"],
            "search": data["q"] or "",
            "tag": data["tag"] or "",
        }
    page = Paginator(
        post_tagging_queryset(workspace=workspace, **criteria), POSTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "tags/posts.html",
        {
            "filters": filters,
            "bulk_form": bulk_form,
            "page": page,
            "rows": [_post_row(post) for post in page.object_list],
            "query": urlencode(query),
            "filtered": bool(query),
            "tag_names": tag_names(workspace=workspace),
        },
    )
