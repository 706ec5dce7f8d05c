"""Tag rules: tags added to posts automatically, next to the tags people set by hand.

``Post.tags`` is the one list the KPI engine and the dashboards read, so rule tags are written
into it. What a rule added is also recorded per post (``PostRuleTags``), because that is the
only way to tell, later, a rule's tag from the same tag set by hand:

* a post's hand tags are its tags minus the ones recorded as added by rules;
* applying the rules sets tags = hand tags + the tags of the active rules that match, and
  records only the rule tags the post did not already have by hand;
* so deactivating or deleting a rule and applying again removes exactly what it added, and
  applying twice changes nothing.

A rule tag someone removes by hand comes back at the next apply while the rule still matches:
to stop it, change the rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import transaction

from connectors.models import Post, Workspace
from connectors.versioning import workspace_data_changed
from reporting.models import PostRuleTags, TagRule, TagRuleKind


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value))


def tag_rule_matches(rule: TagRule, *, text: str, format: str, published: dt.date) -> bool:
    """Whether a post (its text, format key and publication day in the workspace's timezone)
    matches the rule. Text matching ignores case; a keyword matches whole words only."""
    values = [str(v) for v in rule.values]
    if rule.kind == TagRuleKind.HASHTAG:
        tags = {t.lower() for t in re.findall(r"#(\w+)", text or "")}
        return any(v.lower().lstrip("#") in tags for v in values)
    if rule.kind == TagRuleKind.KEYWORD:
        return any(
            re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text or "", re.IGNORECASE)
            for v in values
            if v
        )
    if rule.kind == TagRuleKind.FORMAT:
        return format in values
    if rule.kind == TagRuleKind.DATE_RANGE and len(values) == 2:
        return _day(values[0]) <= published <= _day(values[1])
    return False


def _ordered(tags: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        if tag not in seen:
            seen.append(tag)
    return seen


@transaction.atomic
def tag_rules_apply(*, workspace: Workspace) -> int:
    """Bring every post of the workspace in line with its active tag rules; returns how many
    posts' tags changed. Idempotent: a second run returns 0 and writes nothing."""
    rules = list(TagRule.objects.filter(workspace=workspace, active=True).order_by("pk"))
    zone = ZoneInfo(workspace.timezone)
    posts = list(
        Post.objects.filter(account__workspace=workspace)
        .select_for_update()
        .only("pk", "text", "format", "published_at", "tags")
        .order_by("pk")
    )
    records = {
        r.post_id: r for r in PostRuleTags.objects.filter(post__account__workspace=workspace)
    }
    changed: list[Post] = []
    to_save: list[PostRuleTags] = []
    to_delete: list[int] = []
    for post in posts:
        record = records.get(post.pk)
        previous = list(record.tags) if record else []
        current = list(post.tags or [])
        hand = [t for t in current if t not in previous]
        published = post.published_at.astimezone(zone).date()
        matched = _ordered(
            rule.tag
            for rule in rules
            if tag_rule_matches(rule, text=post.text, format=post.format, published=published)
        )
        added = [t for t in matched if t not in hand]
        wanted = _ordered([*hand, *added])
        if wanted != current:
            post.tags = wanted
            changed.append(post)
        if added and added != previous:
            if record is None:
                record = PostRuleTags(post=post)
            record.tags = added
            to_save.append(record)
        elif not added and record is not None:
            to_delete.append(record.pk)
    Post.objects.bulk_update(changed, ["tags"], batch_size=500)
    PostRuleTags.objects.bulk_create(
        to_save,
        update_conflicts=True,
        unique_fields=["post"],
        update_fields=["tags"],
        batch_size=500,
    )
    PostRuleTags.objects.filter(pk__in=to_delete).delete()
    # Always: a new or edited rule changes the Tags page even when no post changes.
    workspace_data_changed(workspace_id=workspace.pk)
    return len(changed)


def tag_rule_delete(*, rule: TagRule) -> int:
    """Delete a rule and take its tags back from the posts; returns the posts changed."""
    workspace = rule.workspace
    rule.delete()
    return tag_rules_apply(workspace=workspace)
