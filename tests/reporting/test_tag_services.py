from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from connectors.models import Post, PostFormat, Workspace
from reporting.models import PostRuleTags, TagRuleKind
from reporting.tag_services import (
    post_tagging_queryset,
    post_tags_add,
    post_tags_remove,
    tag_normalise,
    tag_rule_create,
    tag_rule_summary,
    tag_summary,
)
from reporting.tags import tag_rule_delete
from tests.factories import PostFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db


def make_post(workspace: Workspace, **kwargs: object) -> Post:
    return PostFactory.create(account=SocialAccountFactory.create(workspace=workspace), **kwargs)


def tags_of(post: Post) -> list[str]:
    post.refresh_from_db()
    return list(post.tags)


def rule_tags_of(post: Post) -> list[str]:
    record = PostRuleTags.objects.filter(post=post).first()
    return list(record.tags) if record else []


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Summer Launch ", "summer-launch"),
        ("#Tips", "tips"),
        ("behind_the scenes!!", "behind-the-scenes"),
        ("Été 2026", "été-2026"),
    ],
)
def test_tag_names_are_normalised(raw: str, stored: str) -> None:
    assert tag_normalise(raw) == stored


@pytest.mark.parametrize("raw", ["", "  ", "#", "!!!", "x" * 65])
def test_unusable_tag_names_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        tag_normalise(raw)
    assert "tag" in " ".join(error.value.messages).lower()


def test_add_and_remove_are_idempotent(workspace: Workspace) -> None:
    post = make_post(workspace, tags=["product"])

    assert post_tags_add(workspace=workspace, post_ids=[post.pk], tag="Campaign A") == 1
    assert post_tags_add(workspace=workspace, post_ids=[post.pk], tag="campaign-a") == 0
    assert tags_of(post) == ["product", "campaign-a"]

    assert post_tags_remove(workspace=workspace, post_ids=[post.pk], tag="campaign-a") == 1
    assert post_tags_remove(workspace=workspace, post_ids=[post.pk], tag="campaign-a") == 0
    assert tags_of(post) == ["product"]


def test_posts_of_another_workspace_are_never_tagged(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    mine = make_post(workspace)
    theirs = make_post(other_workspace, tags=["secret"])

    added = post_tags_add(workspace=workspace, post_ids=[mine.pk, theirs.pk], tag="x")
    removed = post_tags_remove(workspace=workspace, post_ids=[theirs.pk], tag="secret")

    assert (added, removed) == (1, 0)
    assert tags_of(theirs) == ["secret"]


def test_removing_a_rule_tag_by_hand_keeps_it_while_the_rule_matches(
    workspace: Workspace,
) -> None:
    post = make_post(workspace, text="New #Launch today")
    tag_rule_create(workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"])
    assert tags_of(post) == ["launch"] and rule_tags_of(post) == ["launch"]

    assert post_tags_remove(workspace=workspace, post_ids=[post.pk], tag="launch") == 0
    assert tags_of(post) == ["launch"]


def test_a_hand_tag_survives_the_rule_that_also_added_it(workspace: Workspace) -> None:
    post = make_post(workspace, text="New #Launch today")
    rule, changed = tag_rule_create(
        workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["#launch"]
    )
    assert changed == 1

    # Setting it by hand turns the rule's tag into a hand tag...
    assert post_tags_add(workspace=workspace, post_ids=[post.pk], tag="launch") == 1
    assert rule_tags_of(post) == []
    # ...so deleting the rule leaves it.
    tag_rule_delete(rule=rule)
    assert tags_of(post) == ["launch"]


def test_deleting_a_rule_removes_only_its_tags(workspace: Workspace) -> None:
    by_rule = make_post(workspace, format=PostFormat.REEL, tags=["tips"])
    by_hand = make_post(workspace, format=PostFormat.PHOTO)
    post_tags_add(workspace=workspace, post_ids=[by_hand.pk], tag="video-first")
    rule, _ = tag_rule_create(
        workspace=workspace, tag="video-first", kind=TagRuleKind.FORMAT, values=["reel"]
    )
    assert tags_of(by_rule) == ["tips", "video-first"]

    assert tag_rule_delete(rule=rule) == 1
    assert tags_of(by_rule) == ["tips"]
    assert tags_of(by_hand) == ["video-first"]


def test_tag_summary_counts_hand_and_rule_tags(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    a = make_post(workspace, text="#launch", tags=["product"])
    make_post(workspace, text="#launch")
    make_post(workspace, text="nothing")
    make_post(other_workspace, tags=["product"])
    post_tags_add(workspace=workspace, post_ids=[a.pk], tag="launch")
    tag_rule_create(workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"])

    frame = tag_summary(workspace=workspace)

    assert list(frame.columns) == ["tag", "posts", "from_rules", "by_hand"]
    assert frame.to_dict("records") == [
        {"tag": "launch", "posts": 2, "from_rules": 1, "by_hand": 1},
        {"tag": "product", "posts": 1, "from_rules": 0, "by_hand": 1},
    ]


def test_rule_summary_counts_matching_posts(workspace: Workspace) -> None:
    make_post(workspace, published_at=dt.datetime(2026, 6, 9, 22, 30, tzinfo=dt.UTC))
    make_post(workspace, published_at=dt.datetime(2026, 6, 8, 21, 30, tzinfo=dt.UTC))
    tag_rule_create(
        workspace=workspace,
        tag="summer",
        kind=TagRuleKind.DATE_RANGE,
        values=["2026-06-10", "2026-06-22"],
    )

    frame = tag_rule_summary(workspace=workspace)

    # 22:30 UTC on 9 June is 10 June in Paris; 21:30 UTC on 8 June is still 8 June there.
    assert frame[["tag", "kind", "posts", "active"]].to_dict("records") == [
        {"tag": "summer", "kind": "date_range", "posts": 1, "active": True}
    ]


def test_rule_values_are_checked(workspace: Workspace) -> None:
    with pytest.raises(ValidationError):
        tag_rule_create(workspace=workspace, tag="x", kind=TagRuleKind.KEYWORD, values=[" "])
    with pytest.raises(ValidationError):
        tag_rule_create(
            workspace=workspace,
            tag="x",
            kind=TagRuleKind.DATE_RANGE,
            values=["2026-06-22", "2026-06-10"],
        )


def test_tagging_list_filters(workspace: Workspace, other_workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    old = PostFactory.create(
        account=account, text="Spring tips", published_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    )
    new = PostFactory.create(
        account=account,
        text="Summer news",
        tags=["news"],
        format=PostFormat.VIDEO,
        published_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    make_post(other_workspace, tags=["news"])

    def ids(**kwargs: object) -> list[int]:
        return list(
            post_tagging_queryset(workspace=workspace, **kwargs).values_list("pk", flat=True)  # type: ignore[arg-type]
        )

    assert ids() == [new.pk, old.pk]
    assert ids(tag="news") == [new.pk]
    assert ids(search="SPRING") == [old.pk]
    assert ids(format=PostFormat.VIDEO) == [new.pk]
    assert ids(start=dt.date(2026, 5, 1)) == [new.pk]
    assert ids(end=dt.date(2026, 3, 1)) == [old.pk]
