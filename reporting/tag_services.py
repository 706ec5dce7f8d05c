"""Tags set by hand, tag rules saved from the Tags page, and what that page reads.

Hand tags and rule tags share ``Post.tags``; ``PostRuleTags`` records the ones rules added (see
``reporting.tags``). These services keep that invariant: a tag is on a post either by hand or
from a rule, never both, so

* adding a tag by hand to a post that has it from a rule makes it a hand tag (it stays when the
  rule goes);
* removing a tag by hand removes only a hand tag; a tag a rule adds stays while the rule matches.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from connectors.models import Post, Workspace
from connectors.versioning import workspace_data_changed
from reporting.models import PostRuleTags, TagRule, TagRuleKind
from reporting.tags import tag_rule_matches, tag_rules_apply

TAG_MAX_LENGTH = 64  # TagRule.tag's column size; hand tags follow the same limit.

TAG_SUMMARY_COLUMNS = ["tag", "posts", "from_rules", "by_hand"]
RULE_SUMMARY_COLUMNS = ["rule_id", "tag", "kind", "values", "active", "posts"]


def tag_normalise(value: str) -> str:
    """The stored form of a tag: trimmed, lowercase, a leading '#' dropped, spaces and
    punctuation turned into single hyphens ("  Summer Launch!" → "summer-launch"). Letters
    with accents are kept. Raises ``ValidationError`` when nothing is left or it is too long."""
    text = str(value).strip().lstrip("#").replace("_", "-")
    tag = re.sub(r"-{2,}", "-", slugify(text, allow_unicode=True)).strip("-")
    if not tag:
        raise ValidationError(_("A tag needs at least one letter or digit."), code="empty")
    if len(tag) > TAG_MAX_LENGTH:
        raise ValidationError(
            _("A tag has at most %(max)d characters (this one has %(length)d)."),
            code="too_long",
            params={"max": TAG_MAX_LENGTH, "length": len(tag)},
        )
    return tag


def _workspace_posts(workspace: Workspace, post_ids: Iterable[int]) -> QuerySet[Post]:
    # Ids come from a form: those of another workspace simply do not match.
    ids = {int(pk) for pk in post_ids}
    return Post.objects.filter(account__workspace=workspace, pk__in=ids).order_by("pk")


@transaction.atomic
def post_tags_add(*, workspace: Workspace, post_ids: Iterable[int], tag: str) -> int:
    """Set ``tag`` by hand on the workspace's posts among ``post_ids``; returns how many posts
    did not have it by hand before. Idempotent: a second call returns 0."""
    tag = tag_normalise(tag)
    posts = list(_workspace_posts(workspace, post_ids).select_for_update())
    records = {r.post_id: r for r in PostRuleTags.objects.filter(post__in=posts)}
    changed_posts: list[Post] = []
    changed_records: list[PostRuleTags] = []
    count = 0
    for post in posts:
        record = records.get(post.pk)
        if record is not None and tag in record.tags:
            # It was a rule's tag: it becomes a hand tag, so a removed rule leaves it.
            record.tags = [t for t in record.tags if t != tag]
            changed_records.append(record)
            count += 1
        elif tag not in (post.tags or []):
            post.tags = [*(post.tags or []), tag]
            changed_posts.append(post)
            count += 1
    Post.objects.bulk_update(changed_posts, ["tags"], batch_size=500)
    PostRuleTags.objects.bulk_update(
        [r for r in changed_records if r.tags], ["tags"], batch_size=500
    )
    PostRuleTags.objects.filter(pk__in=[r.pk for r in changed_records if not r.tags]).delete()
    if count:
        workspace_data_changed(workspace_id=workspace.pk)
    return count


@transaction.atomic
def post_tags_remove(*, workspace: Workspace, post_ids: Iterable[int], tag: str) -> int:
    """Remove the hand tag ``tag`` from the workspace's posts among ``post_ids``; returns how
    many posts lost it. A tag a rule adds is not a hand tag and stays; if the post also matches
    a rule for that tag, the rule adds it back at once, as every apply would."""
    tag = tag_normalise(tag)
    posts = list(_workspace_posts(workspace, post_ids).select_for_update())
    records = {r.post_id: r.tags for r in PostRuleTags.objects.filter(post__in=posts)}
    changed: list[Post] = []
    for post in posts:
        if tag in (post.tags or []) and tag not in records.get(post.pk, []):
            post.tags = [t for t in post.tags if t != tag]
            changed.append(post)
    Post.objects.bulk_update(changed, ["tags"], batch_size=500)
    if changed and TagRule.objects.filter(workspace=workspace, tag=tag, active=True).exists():
        tag_rules_apply(workspace=workspace)
    if changed:
        workspace_data_changed(workspace_id=workspace.pk)
    return len(changed)


def _rule_values(kind: str, values: list[str]) -> list[str]:
    if kind == TagRuleKind.HASHTAG:
        cleaned = [v.strip().lstrip("#") for v in values]
    elif kind == TagRuleKind.DATE_RANGE:
        cleaned = [dt.date.fromisoformat(str(v)).isoformat() for v in values]
        if len(cleaned) != 2 or cleaned[0] > cleaned[1]:
            raise ValidationError(_("A date range needs a first day on or before its last day."))
        return cleaned
    else:
        cleaned = [v.strip() for v in values]
    unique = list(dict.fromkeys(v for v in cleaned if v))
    if not unique:
        raise ValidationError(_("A rule needs at least one value."))
    return unique


@transaction.atomic
def tag_rule_create(
    *, workspace: Workspace, tag: str, kind: str, values: list[str], active: bool = True
) -> tuple[TagRule, int]:
    """Create a rule and apply the rules; returns the rule and how many posts changed."""
    rule = TagRule.objects.create(
        workspace=workspace,
        tag=tag_normalise(tag),
        kind=kind,
        values=_rule_values(kind, values),
        active=active,
    )
    return rule, tag_rules_apply(workspace=workspace)


@transaction.atomic
def tag_rule_update(*, rule: TagRule, tag: str, kind: str, values: list[str], active: bool) -> int:
    """Save a rule's new definition and apply the rules; returns how many posts changed."""
    rule.tag = tag_normalise(tag)
    rule.kind = kind
    rule.values = _rule_values(kind, values)
    rule.active = active
    rule.save(update_fields=["tag", "kind", "values", "active"])
    return tag_rules_apply(workspace=rule.workspace)


def tag_rule_get(*, workspace: Workspace, rule_id: int) -> TagRule | None:
    return TagRule.objects.filter(workspace=workspace, pk=rule_id).first()


def tag_summary(*, workspace: Workspace) -> pd.DataFrame:
    """Every tag on the workspace's posts.

    Columns:
        tag (str): the tag.
        posts (int): posts carrying it.
        from_rules (int): of those, posts where a rule added it.
        by_hand (int): of those, posts where someone set it by hand.

    One row per tag, most used first, then by name; empty with these columns when no post has
    a tag.
    """
    posts: Counter[str] = Counter()
    ruled: Counter[str] = Counter()
    rows = Post.objects.filter(account__workspace=workspace).values_list("tags", "rule_tags__tags")
    for tags, rule_tags in rows:
        for tag in set(tags or []):
            posts[tag] += 1
            if tag in (rule_tags or []):
                ruled[tag] += 1
    frame = pd.DataFrame(
        [(tag, n, ruled[tag], n - ruled[tag]) for tag, n in posts.items()],
        columns=TAG_SUMMARY_COLUMNS,
    ).astype({"tag": "object", "posts": "int64", "from_rules": "int64", "by_hand": "int64"})
    return frame.sort_values(["posts", "tag"], ascending=[False, True], ignore_index=True)


def tag_rule_summary(*, workspace: Workspace) -> pd.DataFrame:
    """The workspace's tag rules with the number of posts each matches now.

    Columns:
        rule_id (int), tag (str), kind (str: a ``TagRuleKind``), values (list of str),
        active (bool), posts (int): posts the rule matches, whether or not it is active.

    One row per rule, ordered by tag then creation.
    """
    rules = list(TagRule.objects.filter(workspace=workspace).order_by("tag", "pk"))
    matched: Counter[int] = Counter()
    if rules:
        zone = ZoneInfo(workspace.timezone)
        posts = Post.objects.filter(account__workspace=workspace).values_list(
            "text", "format", "published_at"
        )
        for text, format_, published_at in posts.iterator(chunk_size=2000):
            day = published_at.astimezone(zone).date()
            for rule in rules:
                if tag_rule_matches(rule, text=text, format=format_, published=day):
                    matched[rule.pk] += 1
    return pd.DataFrame(
        [(r.pk, r.tag, r.kind, list(r.values), r.active, matched[r.pk]) for r in rules],
        columns=RULE_SUMMARY_COLUMNS,
    )


def post_tagging_queryset(
    *,
    workspace: Workspace,
    account_id: int | None = None,
    format: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    search: str = "",
    tag: str = "",
) -> QuerySet[Post]:
    """The workspace's posts for the hand-tagging list, newest first, filtered. A queryset
    rather than a DataFrame because the page paginates it; dates are days in the workspace's
    timezone, both included."""
    zone = ZoneInfo(workspace.timezone)
    posts = Post.objects.filter(account__workspace=workspace).select_related("account", "rule_tags")
    if account_id is not None:
        posts = posts.filter(account_id=account_id)
    if format:
        posts = posts.filter(format=format)
    if start is not None:
        posts = posts.filter(published_at__gte=dt.datetime.combine(start, dt.time(), zone))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
        posts = posts.filter(published_at__lt=after)
    if search.strip():
        posts = posts.filter(Q(text__icontains=search.strip()))
    if tag and connection.vendor == "postgresql":
        posts = posts.filter(tags__contains=[tag])
    elif tag:
        # SQLite has no JSON containment lookup: match in Python on the filtered ids.
        ids = [pk for pk, tags in posts.values_list("pk", "tags") if tag in (tags or [])]
        posts = posts.filter(pk__in=ids)
    return posts.order_by("-published_at", "-pk")


def tag_names(*, workspace: Workspace) -> list[str]:
    """Every tag used on the workspace's posts or by its rules, sorted (for the datalist)."""
    names: set[str]
    if connection.vendor == "postgresql":
        # Postgres unnests the tags itself: reading every post's list into Python takes seconds
        # on a workspace of 150,000 posts, and every dashboard's filter bar asks for this.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT jsonb_array_elements_text(p.tags) FROM connectors_post p "
                "JOIN connectors_socialaccount a ON a.id = p.account_id "
                "WHERE a.workspace_id = %s AND jsonb_typeof(p.tags) = 'array'",
                [workspace.pk],
            )
            names = {str(row[0]) for row in cursor.fetchall()}
    else:
        rows = Post.objects.filter(account__workspace=workspace).values_list("tags", flat=True)
        names = {str(tag) for tags in rows for tag in (tags or [])}
    names.update(TagRule.objects.filter(workspace=workspace).values_list("tag", flat=True))
    return sorted(names)
