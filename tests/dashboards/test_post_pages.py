from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import include, path, reverse

from connectors.models import Platform, Post, Role, SocialAccount, User, Workspace
from tests.factories import PASSWORD, PostFactory, PostMetricFactory, SocialAccountFactory

# The lead includes dashboards.urls_posts in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_posts"))]
pytestmark = pytest.mark.urls(__name__)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 10, 12, tzinfo=PARIS)
PERIOD = "range=custom&start=2026-03-01&end=2026-03-05"


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def list_url(workspace: Workspace, query: str = PERIOD) -> str:
    return reverse("posts:list", kwargs={"workspace_slug": workspace.slug}) + "?" + query


def detail_url(workspace: Workspace, post: Post, query: str = "") -> str:
    kwargs = {"workspace_slug": workspace.slug, "post_id": post.pk}
    return reverse("posts:detail", kwargs=kwargs) + ("?" + query if query else "")


def make_post(account: SocialAccount, day: int, text: str, **fields: Any) -> Post:
    when = dt.datetime(2026, fields.pop("month", 3), day, 10, tzinfo=PARIS)
    created: Post = PostFactory.create(account=account, published_at=when, text=text, **fields)
    return created


def snap(post: Post, metric: str, value: float, day: dt.date = dt.date(2026, 3, 6)) -> None:
    PostMetricFactory.create(post=post, metric=metric, value=value, day=day)


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/w/[^/]+/posts/(\d+)/', html)]


@pytest.fixture
def analyst(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.ANALYST)


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    created: SocialAccount = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.INSTAGRAM, display_name="Acme on Instagram"
    )
    return created


@pytest.fixture
def posts(account: SocialAccount) -> list[Post]:
    first = make_post(account, 1, "Spring sale starts", tags=["sale"])
    second = make_post(account, 2, "Behind the scenes", format="reel")
    third = make_post(account, 3, "Last day of the sale", tags=["sale"])
    for post, likes, impressions in [(first, 50, 1000), (second, 80, 400), (third, 10, 500)]:
        snap(post, "likes", likes)
        snap(post, "impressions", impressions)
        snap(post, "comments", 0)
        snap(post, "shares", 0)
    return [first, second, third]


def test_table_lists_the_periods_posts_newest_first_with_their_metrics(
    workspace: Workspace, viewer: User, posts: list[Post]
) -> None:
    html = client_for(viewer).get(list_url(workspace)).content.decode()

    assert row_ids(html) == [posts[2].pk, posts[1].pk, posts[0].pk]
    assert "3 posts" in html and "Impressions" in html and "Likes" in html
    assert "Video views" not in html  # no post of the result reports it
    assert "20.0%" in html  # 80 likes / 400 impressions
    assert "03/02/2026 10 a.m." in html  # in the workspace's timezone
    assert 'name="posts"' not in html  # viewers do not tag


def test_sort_links_keep_the_filters_and_sort_in_the_database(
    workspace: Workspace, viewer: User, posts: list[Post]
) -> None:
    client = client_for(viewer)
    html = client.get(list_url(workspace)).content.decode()
    link = re.search(r'href="(\?[^"]*sort=engagement_rate[^"]*)"', html)
    assert link is not None
    query = link.group(1).replace("&amp;", "&")
    assert "start=2026-03-01" in query and "dir=desc" in query

    by_rate = client.get(list_url(workspace, query[1:])).content.decode()
    assert row_ids(by_rate) == [posts[1].pk, posts[0].pk, posts[2].pk]
    by_likes = client.get(list_url(workspace, PERIOD + "&sort=likes&dir=asc")).content.decode()
    assert row_ids(by_likes) == [posts[2].pk, posts[0].pk, posts[1].pk]


def test_tag_search_and_format_filters(
    workspace: Workspace, viewer: User, posts: list[Post]
) -> None:
    client = client_for(viewer)
    tagged = client.get(list_url(workspace, PERIOD + "&tag=sale")).content.decode()
    searched = client.get(list_url(workspace, PERIOD + "&q=BEHIND")).content.decode()
    reels = client.get(list_url(workspace, PERIOD + "&format=reel")).content.decode()

    assert row_ids(tagged) == [posts[2].pk, posts[0].pk]
    assert row_ids(searched) == row_ids(reels) == [posts[1].pk]
    none = client.get(list_url(workspace, PERIOD + "&q=nothing")).content.decode()
    assert "No post matches this search" in none


def test_pagination_keeps_filters_and_sort(
    workspace: Workspace, viewer: User, account: SocialAccount
) -> None:
    for index in range(55):
        make_post(account, 1 + index % 5, f"Post {index}")
    client = client_for(viewer)
    first = client.get(list_url(workspace, PERIOD + "&sort=text&dir=asc")).content.decode()
    assert "55 posts" in first and len(row_ids(first)) == 50
    assert "Posts 1–50 of 55 (page 1 of 2)" in first
    link = re.search(r'href="(\?[^"]*)" rel="next"', first)
    assert link is not None
    query = link.group(1).replace("&amp;", "&")
    assert all(part in query for part in ("page=2", "sort=text", "dir=asc", "start=2026-03-01"))
    second = client.get(list_url(workspace, query[1:])).content.decode()
    assert len(row_ids(second)) == 5


def test_another_workspace_is_never_shown(
    workspace: Workspace,
    other_workspace: Workspace,
    viewer: User,
    posts: list[Post],
    member_factory: Callable[..., User],
) -> None:
    foreign_account = SocialAccountFactory.create(workspace=other_workspace)
    foreign = make_post(foreign_account, 2, "Other tenant")
    client = client_for(viewer)

    assert client.get(detail_url(workspace, foreign)).status_code == 404
    assert client.get(detail_url(other_workspace, foreign)).status_code == 404
    ignored = client.get(list_url(workspace, PERIOD + f"&account={foreign_account.pk}"))
    html = ignored.content.decode()
    assert "An account in the address is not in this workspace" in html
    assert row_ids(html) == [posts[2].pk, posts[1].pk, posts[0].pk]
    stranger = member_factory(other_workspace, Role.ADMIN)
    assert client_for(stranger).get(list_url(workspace)).status_code == 404


def test_bulk_tagging_from_the_table(
    workspace: Workspace, analyst: User, viewer: User, posts: list[Post]
) -> None:
    client = client_for(analyst)
    url = list_url(workspace, PERIOD + "&sort=likes")
    page = client.get(url).content.decode()
    assert page.count('name="posts"') == 3

    added = client.post(url, {"action": "add", "tag": "Best Of", "posts": [posts[0].pk]})
    assert added.status_code == 302 and added["Location"] == url
    followed = client.get(url).content.decode()
    assert "Tag “best-of” added to 1 post." in followed
    posts[0].refresh_from_db()
    assert posts[0].tags == ["sale", "best-of"]

    client.post(
        url,
        {
            "action": "add",
            "tag": "march",
            "scope": "page",
            "page_posts": [post.pk for post in posts],
        },
    )
    client.post(url, {"action": "remove", "tag": "sale", "posts": [posts[2].pk]})
    tags = {post.pk: Post.objects.get(pk=post.pk).tags for post in posts}
    assert tags[posts[1].pk] == ["march"] and tags[posts[2].pk] == ["march"]

    refused = client_for(viewer).post(url, {"action": "add", "tag": "x", "posts": [posts[1].pk]})
    assert refused.status_code == 403
    assert Post.objects.get(pk=posts[1].pk).tags == ["march"]


def test_bulk_form_errors_are_shown(workspace: Workspace, analyst: User, posts: list[Post]) -> None:
    page = client_for(analyst).post(list_url(workspace), {"action": "add", "tag": "ok"})
    assert page.status_code == 200
    assert "Select at least one post." in page.content.decode()


def test_post_page_compares_with_the_accounts_median_post(
    workspace: Workspace, analyst: User, account: SocialAccount, posts: list[Post]
) -> None:
    target = make_post(account, 8, "The big one", permalink="https://instagram.com/p/big")
    snap(target, "likes", 60, dt.date(2026, 3, 8))
    snap(target, "likes", 150, dt.date(2026, 3, 9))
    snap(target, "impressions", 1500, dt.date(2026, 3, 9))
    snap(target, "comments", 0, dt.date(2026, 3, 9))
    snap(target, "shares", 0, dt.date(2026, 3, 9))
    client = client_for(analyst)

    html = client.get(detail_url(workspace, target, PERIOD + "&sort=likes")).content.decode()

    # Earlier posts: likes 50, 80, 10 (median 50); impressions 1000, 400, 500 (median 500).
    assert "3.0\u00d7 typical" in html
    assert 'href="https://instagram.com/p/big"' in html and 'rel="noopener noreferrer"' in html
    # Rates 5%, 20% and 2% have a median of 5%; this post's is 10%.
    assert "10.0%" in html and "5.0%" in html and "2.0\u00d7 typical" in html
    back = reverse("posts:list", kwargs={"workspace_slug": workspace.slug})
    assert f'href="{back}?{PERIOD.replace("&", "&amp;")}&amp;sort=likes"' in html
    figure = json.loads(
        re.search(r'id="figure-post-history"[^>]*>(.*?)</script>', html, re.S).group(1)  # type: ignore[union-attr]
    )
    assert [trace["name"] for trace in figure["data"]] == [
        "Impressions",
        "Likes",
        "Comments",
        "Shares",
    ]

    tagged = client.post(
        detail_url(workspace, target), {"action": "add", "tag": "hero", "posts": [target.pk]}
    )
    assert tagged.status_code == 302
    target.refresh_from_db()
    assert target.tags == ["hero"]


def test_post_without_snapshots_says_so(
    workspace: Workspace, viewer: User, account: SocialAccount
) -> None:
    fresh = make_post(account, 9, "Just published")
    html = client_for(viewer).get(detail_url(workspace, fresh)).content.decode()
    assert "No metrics for this post yet" in html
    assert 'name="tag"' not in html  # viewers get no tag form
    assert client_for(viewer).post(detail_url(workspace, fresh), {}).status_code == 403


def test_empty_states(workspace: Workspace, viewer: User, account: SocialAccount) -> None:
    client = client_for(viewer)
    html = client.get(list_url(workspace)).content.decode()
    assert "No posts were published in this period" in html
    assert "range=all" in html


def test_workspace_without_accounts(workspace: Workspace, viewer: User) -> None:
    page = client_for(viewer).get(list_url(workspace, ""))
    assert page.status_code == 200
    assert "No social accounts in this workspace yet" in page.content.decode()


def test_query_count_does_not_depend_on_the_number_of_posts(
    workspace: Workspace,
    analyst: User,
    account: SocialAccount,
    posts: list[Post],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(analyst)
    with django_assert_max_num_queries(20) as few:
        client.get(list_url(workspace, PERIOD + "&sort=engagement_rate"))
    for index in range(80):
        extra = make_post(account, 1 + index % 5, f"Extra {index}")
        snap(extra, "likes", index)
        snap(extra, "saves", index)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(list_url(workspace, PERIOD + "&sort=engagement_rate&page=2"))
