from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from connectors.models import Post, Workspace
from reporting.models import PostRuleTags, TagRule, TagRuleKind
from reporting.tags import tag_rule_delete, tag_rules_apply
from tests.factories import PostFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _post(workspace: Workspace, **kwargs: object) -> Post:
    account = SocialAccountFactory.create(workspace=workspace)
    return PostFactory.create(account=account, **kwargs)


def test_rules_add_tags_idempotently_and_keep_hand_tags(workspace: Workspace) -> None:
    post = _post(workspace, text="New #Launch today", tags=["product"], format="reel")
    other = _post(workspace, text="Nothing", tags=[], format="photo")
    TagRule.objects.create(
        workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"]
    )
    TagRule.objects.create(
        workspace=workspace, tag="video", kind=TagRuleKind.FORMAT, values=["reel"]
    )
    assert tag_rules_apply(workspace=workspace) == 1
    post.refresh_from_db()
    assert post.tags == ["product", "launch", "video"]
    assert tag_rules_apply(workspace=workspace) == 0
    post.refresh_from_db()
    other.refresh_from_db()
    assert post.tags == ["product", "launch", "video"] and other.tags == []


def test_removing_a_rule_removes_only_its_tags(workspace: Workspace) -> None:
    # "launch" is also set by hand on this post: the rule must not take it away.
    post = _post(workspace, text="Big #launch sale", tags=["launch"])
    rule = TagRule.objects.create(
        workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"]
    )
    sale = TagRule.objects.create(
        workspace=workspace, tag="promo", kind=TagRuleKind.KEYWORD, values=["sale"]
    )
    tag_rules_apply(workspace=workspace)
    post.refresh_from_db()
    assert post.tags == ["launch", "promo"]
    tag_rule_delete(rule=rule)
    post.refresh_from_db()
    assert post.tags == ["launch", "promo"]
    sale.active = False
    sale.save()
    assert tag_rules_apply(workspace=workspace) == 1
    post.refresh_from_db()
    assert post.tags == ["launch"] and not PostRuleTags.objects.exists()


def test_keyword_matches_whole_words_and_date_range_uses_workspace_days(
    workspace: Workspace,
) -> None:
    june = _post(
        workspace,
        text="Summer is here",
        published_at=dt.datetime(2026, 6, 9, 0, 30, tzinfo=PARIS),
    )
    may = _post(
        workspace,
        text="Summertime",
        published_at=dt.datetime(2026, 6, 8, 23, 30, tzinfo=PARIS),
    )
    TagRule.objects.create(
        workspace=workspace,
        tag="campaign",
        kind=TagRuleKind.DATE_RANGE,
        values=["2026-06-09", "2026-06-22"],
    )
    TagRule.objects.create(
        workspace=workspace, tag="summer", kind=TagRuleKind.KEYWORD, values=["summer"]
    )
    tag_rules_apply(workspace=workspace)
    june.refresh_from_db()
    may.refresh_from_db()
    assert june.tags == ["campaign", "summer"] and may.tags == []


def test_rules_are_scoped_to_their_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    theirs = _post(other_workspace, text="#launch")
    TagRule.objects.create(
        workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"]
    )
    call_command("tags_apply", workspace=workspace.slug)
    theirs.refresh_from_db()
    assert theirs.tags == []
