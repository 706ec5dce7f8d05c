from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import include, path, reverse

from connectors.models import Post, Role, User, Workspace
from reporting.models import TagRule, TagRuleKind
from reporting.tag_services import tag_rule_create
from tests.factories import PASSWORD, PostFactory, SocialAccountFactory

# The lead includes dashboards.urls_tags in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_tags"))]
pytestmark = pytest.mark.urls(__name__)


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def url(name: str, workspace: Workspace, **kwargs: object) -> str:
    return reverse(f"tags:{name}", kwargs={"workspace_slug": workspace.slug, **kwargs})


@pytest.fixture
def analyst(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.ANALYST)


def tags_of(post: Post) -> list[str]:
    post.refresh_from_db()
    return list(post.tags)


def test_every_member_reads_the_pages_and_only_editors_get_controls(
    workspace: Workspace, viewer: User, analyst: User
) -> None:
    PostFactory.create(account=SocialAccountFactory.create(workspace=workspace), tags=["tips"])
    rule, _ = tag_rule_create(
        workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"]
    )

    as_viewer = client_for(viewer).get(url("list", workspace)).content.decode()
    as_analyst = client_for(analyst).get(url("list", workspace)).content.decode()
    posts_viewer = client_for(viewer).get(url("posts", workspace)).content.decode()

    assert "tips" in as_viewer and "#launch" in as_viewer
    assert url("rule_new", workspace) not in as_viewer and "Apply rules now" not in as_viewer
    assert url("rule_new", workspace) in as_analyst and "Apply rules now" in as_analyst
    assert url("rule_edit", workspace, rule_id=rule.pk) in as_analyst
    assert 'type="checkbox"' not in posts_viewer


def test_viewers_cannot_change_anything_and_strangers_see_nothing(
    workspace: Workspace,
    other_workspace: Workspace,
    viewer: User,
    member_factory: Callable[..., User],
) -> None:
    post = PostFactory.create(account=SocialAccountFactory.create(workspace=workspace))
    stranger = member_factory(other_workspace, Role.ADMIN)
    client = client_for(viewer)

    assert client.get(url("rule_new", workspace)).status_code == 403
    assert client.post(url("apply", workspace)).status_code == 403
    bulk = {"action": "add", "tag": "x", "posts": [post.pk]}
    assert client.post(url("posts", workspace), bulk).status_code == 403
    assert tags_of(post) == []
    assert client_for(stranger).get(url("list", workspace)).status_code == 404
    assert client_for(stranger).get(url("posts", workspace)).status_code == 404


def test_bulk_add_and_remove_through_the_page(
    workspace: Workspace, other_workspace: Workspace, analyst: User
) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    first, second = PostFactory.create(account=account), PostFactory.create(account=account)
    foreign = PostFactory.create(account=SocialAccountFactory.create(workspace=other_workspace))
    client = client_for(analyst)

    added = client.post(
        url("posts", workspace),
        {"action": "add", "tag": "Summer Launch", "posts": [first.pk, second.pk, foreign.pk]},
        follow=True,
    )
    assert "added to 2 posts" in added.content.decode()
    assert tags_of(first) == tags_of(second) == ["summer-launch"]
    assert tags_of(foreign) == []

    listed = client.get(url("posts", workspace), {"tag": "summer-launch"}).content.decode()
    assert f'value="{first.pk}"' in listed and f'value="{second.pk}"' in listed

    removed = client.post(
        url("posts", workspace),
        {"action": "remove", "tag": "summer-launch", "posts": [first.pk]},
        follow=True,
    )
    assert "removed from 1 post" in removed.content.decode()
    assert tags_of(first) == [] and tags_of(second) == ["summer-launch"]


def test_bulk_form_errors_are_shown(workspace: Workspace, analyst: User) -> None:
    PostFactory.create(account=SocialAccountFactory.create(workspace=workspace))
    page = client_for(analyst).post(url("posts", workspace), {"action": "add", "tag": "!!"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "at least one letter or digit" in html and "Select at least one post" in html


def test_removing_a_rule_tag_by_hand_says_it_stays(workspace: Workspace, analyst: User) -> None:
    post = PostFactory.create(
        account=SocialAccountFactory.create(workspace=workspace), text="#launch"
    )
    tag_rule_create(workspace=workspace, tag="launch", kind=TagRuleKind.HASHTAG, values=["launch"])

    page = client_for(analyst).post(
        url("posts", workspace),
        {"action": "remove", "tag": "launch", "posts": [post.pk]},
        follow=True,
    )

    assert "keeps “launch” because a rule adds it" in page.content.decode()
    assert tags_of(post) == ["launch"]


def test_creating_a_rule_applies_it_and_deleting_removes_only_its_tags(
    workspace: Workspace, analyst: User
) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    reel = PostFactory.create(account=account, format="reel")
    hand = PostFactory.create(account=account, format="photo", tags=["video-first"])
    client = client_for(analyst)

    created = client.post(
        url("rule_new", workspace),
        {"tag": "Video First", "kind": "format", "formats": ["reel"], "active": "on"},
        follow=True,
    )
    assert "saved and applied: 1 post changed" in created.content.decode()
    assert tags_of(reel) == ["video-first"]
    rule = TagRule.objects.get(workspace=workspace)
    assert rule.values == ["reel"]

    confirm = client.get(url("rule_delete", workspace, rule_id=rule.pk)).content.decode()
    assert "removed only from the posts this rule tagged" in confirm
    client.post(url("rule_delete", workspace, rule_id=rule.pk))

    assert not TagRule.objects.filter(pk=rule.pk).exists()
    assert tags_of(reel) == [] and tags_of(hand) == ["video-first"]


def test_rule_form_checks_the_values_of_its_kind(workspace: Workspace, analyst: User) -> None:
    page = client_for(analyst).post(
        url("rule_new", workspace),
        {"tag": "summer", "kind": "date_range", "start": "2026-06-22", "end": "2026-06-09"},
    )
    assert "The last day comes before the first day." in page.content.decode()
    assert not TagRule.objects.exists()


def test_edit_and_apply_now(workspace: Workspace, analyst: User) -> None:
    post = PostFactory.create(
        account=SocialAccountFactory.create(workspace=workspace), text="Big sale today"
    )
    rule, _ = tag_rule_create(
        workspace=workspace, tag="sale", kind=TagRuleKind.KEYWORD, values=["discount"]
    )
    client = client_for(analyst)
    form = client.get(url("rule_edit", workspace, rule_id=rule.pk)).content.decode()
    assert "discount" in form

    client.post(
        url("rule_edit", workspace, rule_id=rule.pk),
        {"tag": "sale", "kind": "keyword", "keywords": "discount, sale", "active": "on"},
    )
    assert tags_of(post) == ["sale"]
    Post.objects.filter(pk=post.pk).update(tags=[])
    applied = client.post(url("apply", workspace), follow=True).content.decode()
    assert "Rules applied: 1 post changed." in applied
    assert tags_of(post) == ["sale"]
