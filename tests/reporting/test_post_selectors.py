from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.models import Platform, Post, SocialAccount, Workspace
from reporting.post_selectors import post_comparison, post_history, post_table
from tests.factories import PostFactory, PostMetricFactory, SocialAccountFactory

PARIS = ZoneInfo("Europe/Paris")
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 5)


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=PARIS)


def post(account: SocialAccount, when: dt.datetime, text: str, **fields: Any) -> Post:
    created: Post = PostFactory.create(account=account, published_at=when, text=text, **fields)
    return created


def snapshot(target: Post, metric: str, value: float, day: dt.date = END) -> None:
    PostMetricFactory.create(post=target, metric=metric, value=value, day=day)


@dataclass
class Data:
    alpha: SocialAccount
    beta: SocialAccount
    foreign: SocialAccount
    p1: Post
    p2: Post
    p3: Post
    p4: Post


@pytest.fixture
def data(workspace: Workspace, other_workspace: Workspace) -> Data:
    alpha = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.INSTAGRAM, display_name="Alpha"
    )
    beta = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.FACEBOOK, display_name="Beta"
    )
    foreign = SocialAccountFactory.create(workspace=other_workspace, display_name="Foreign")
    p1 = post(alpha, at(1), "Spring sale", format="photo", tags=["sale"])
    p2 = post(alpha, at(2), "Behind the scenes", format="reel", tags=["bts"])
    p3 = post(beta, at(3), "Sale ends tonight", format="text", tags=["sale", "promo"])
    p4 = post(beta, at(4), "No metrics yet", format="link")
    # Published just before the period (23:30 in Paris is still 28 February there).
    post(alpha, dt.datetime(2026, 2, 28, 23, 30, tzinfo=PARIS), "Too early #sale", tags=["sale"])
    snapshot(post(foreign, at(2), "Other tenant sale"), "impressions", 1.0)

    # p1: the earlier snapshot of impressions must not be read; engagements are summed.
    snapshot(p1, "impressions", 500, dt.date(2026, 3, 2))
    snapshot(p1, "impressions", 1000)
    for metric, value in {"likes": 50, "comments": 5, "shares": 5}.items():
        snapshot(p1, metric, value)
    for metric, value in {
        "impressions": 200,
        "likes": 30,
        "comments": 10,
        "shares": 0,
        "video_views": 150,
    }.items():
        snapshot(p2, metric, value)
    # p3: the platform's own engagement count, and reach without impressions.
    snapshot(p3, "engagements", 90)
    snapshot(p3, "reach", 300)
    return Data(alpha, beta, foreign, p1, p2, p3, p4)


def ids(workspace: Workspace, **kwargs: Any) -> list[int]:
    page = post_table(workspace=workspace, start=START, end=END, **kwargs)
    return [int(pk) for pk in page.rows["post_id"]]


def test_default_is_newest_first_with_latest_values_and_rates(
    workspace: Workspace, data: Data
) -> None:
    page = post_table(workspace=workspace, start=START, end=END)

    assert page.total == 4
    assert list(page.rows["post_id"]) == [data.p4.pk, data.p3.pk, data.p2.pk, data.p1.pk]
    assert page.metrics == [
        "impressions",
        "reach",
        "engagements",
        "likes",
        "comments",
        "shares",
        "video_views",
    ]
    rows = page.rows.set_index("post_id")
    assert rows.loc[data.p1.pk, "impressions"] == 1000
    assert rows.loc[data.p1.pk, "engagement_rate"] == pytest.approx(60 / 1000)
    assert rows.loc[data.p1.pk, "rate_base"] == "impressions"
    assert rows.loc[data.p2.pk, "engagement_rate"] == pytest.approx(40 / 200)
    assert rows.loc[data.p3.pk, "engagement_rate"] == pytest.approx(90 / 300)
    assert rows.loc[data.p3.pk, "rate_base"] == "reach"
    assert bool(rows["engagement_rate"].isna()[data.p4.pk])
    assert rows.loc[data.p3.pk, "published"] == dt.datetime(2026, 3, 3, 10)
    assert rows.loc[data.p3.pk, "tags"] == ["sale", "promo"]
    assert rows.loc[data.p1.pk, "as_of"] == dt.datetime(2026, 3, 5)


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        ("engagement_rate", "desc", ["p3", "p2", "p1", "p4"]),
        ("engagement_rate", "asc", ["p1", "p2", "p3", "p4"]),
        # Posts without impressions come last either way, newest first among them.
        ("impressions", "asc", ["p2", "p1", "p4", "p3"]),
        ("impressions", "desc", ["p1", "p2", "p4", "p3"]),
        ("likes", "desc", ["p1", "p2", "p4", "p3"]),
        ("text", "asc", ["p2", "p4", "p3", "p1"]),
        ("account", "asc", ["p2", "p1", "p4", "p3"]),
        ("account", "desc", ["p4", "p3", "p2", "p1"]),
        ("format", "asc", ["p4", "p1", "p2", "p3"]),
        ("published", "asc", ["p1", "p2", "p3", "p4"]),
        ("unknown", "sideways", ["p4", "p3", "p2", "p1"]),
    ],
)
def test_sorts_in_the_database(
    workspace: Workspace, data: Data, sort: str, direction: str, expected: list[str]
) -> None:
    wanted = [getattr(data, name).pk for name in expected]
    assert ids(workspace, sort=sort, direction=direction) == wanted


def test_pages_are_clamped_and_counted(workspace: Workspace, data: Data) -> None:
    first = post_table(workspace=workspace, start=START, end=END, per_page=3)
    second = post_table(workspace=workspace, start=START, end=END, per_page=3, page=2)
    beyond = post_table(workspace=workspace, start=START, end=END, per_page=3, page=99)

    assert list(first.rows["post_id"]) == [data.p4.pk, data.p3.pk, data.p2.pk]
    assert (first.num_pages, first.has_next, first.has_previous) == (2, True, False)
    assert list(second.rows["post_id"]) == [data.p1.pk]
    assert (second.first_index, second.last_index) == (4, 4)
    assert beyond.number == 2 and list(beyond.rows["post_id"]) == [data.p1.pk]
    sorted_second = ids(workspace, per_page=3, page=2, sort="engagement_rate")
    assert sorted_second == [data.p4.pk]


def test_filters_by_any_tag_text_format_and_account(workspace: Workspace, data: Data) -> None:
    assert ids(workspace, tags=["sale"]) == [data.p3.pk, data.p1.pk]
    assert ids(workspace, tags=["bts", "promo"]) == [data.p3.pk, data.p2.pk]
    assert ids(workspace, search="SALE") == [data.p3.pk, data.p1.pk]
    assert ids(workspace, format="reel") == [data.p2.pk]
    assert ids(workspace, accounts=[data.beta]) == [data.p4.pk, data.p3.pk]


def test_another_workspaces_posts_and_accounts_are_never_read(
    workspace: Workspace, data: Data
) -> None:
    assert data.p1.pk in ids(workspace)
    assert ids(workspace, accounts=[data.foreign]) == []
    assert ids(workspace, accounts=[data.foreign, data.alpha]) == [data.p2.pk, data.p1.pk]
    assert ids(workspace, search="Other tenant") == []


def test_metric_columns_are_those_the_result_has(workspace: Workspace, data: Data) -> None:
    page = post_table(workspace=workspace, start=START, end=END, accounts=[data.beta])
    assert page.metrics == ["reach", "engagements"]
    empty = post_table(workspace=workspace, start=START, end=END, search="nothing like this")
    assert (empty.total, empty.metrics, len(empty.rows)) == (0, [], 0)
    assert list(empty.rows.columns)[-2:] == ["engagement_rate", "rate_base"]


def test_query_count_does_not_grow_with_the_posts(
    workspace: Workspace, data: Data, django_assert_max_num_queries: Any
) -> None:
    for index in range(60):
        extra = post(data.alpha, at(5, hour=index % 20), f"Extra {index}")
        snapshot(extra, "likes", index)
    for sort in ("published", "likes", "engagement_rate"):
        with django_assert_max_num_queries(6):
            page = post_table(workspace=workspace, start=START, end=END, sort=sort, page=2)
        assert page.total == 64 and len(page.rows) == 14


def test_comparison_with_the_accounts_median_post(workspace: Workspace, data: Data) -> None:
    gamma = SocialAccountFactory.create(workspace=workspace, display_name="Gamma")
    target = post(gamma, at(10, month=4), "Target")
    earlier = [
        ({"likes": 10, "impressions": 100, "engagements": 5}, at(1, month=4)),
        ({"likes": 20, "impressions": 200, "engagements": 30}, at(20, month=3)),
        ({"likes": 40, "reach": 40, "engagements": 4}, at(15, month=2)),
    ]
    for values, when in earlier:
        peer = post(gamma, when, "Peer")
        for metric, value in values.items():
            snapshot(peer, metric, value)
    # Not peers: too old (more than 90 days before), published after, another account.
    for account, when in [
        (gamma, at(1, month=1)),
        (gamma, at(11, month=4)),
        (data.alpha, at(9, month=4)),
    ]:
        snapshot(post(account, when, "Not a peer"), "likes", 1000)
    snapshot(target, "likes", 30, dt.date(2026, 4, 10))
    snapshot(target, "likes", 60, dt.date(2026, 4, 12))
    snapshot(target, "impressions", 600, dt.date(2026, 4, 12))
    snapshot(target, "engagements", 120, dt.date(2026, 4, 12))

    history = post_history(post=target)
    table = post_comparison(post=target, history=history).set_index("metric")

    assert list(table.index) == ["impressions", "reach", "engagements", "likes", "engagement_rate"]
    assert table.loc["likes", "value"] == 60
    assert table.loc["likes", "median"] == 20
    assert table.loc["likes", "ratio"] == pytest.approx(3.0)
    assert table.loc["impressions", "median"] == 150
    assert table.loc["impressions", "posts"] == 2
    assert table.loc["impressions", "ratio"] == pytest.approx(4.0)
    assert bool(table["value"].isna()["reach"]) and table.loc["reach", "median"] == 40
    assert bool(table["ratio"].isna()["reach"])
    # Rates of the peers: 5/100, 30/200 and 4/40 (reach); their median is 0.10.
    assert table.loc["engagement_rate", "value"] == pytest.approx(0.2)
    assert table.loc["engagement_rate", "median"] == pytest.approx(0.1)
    assert table.loc["engagement_rate", "ratio"] == pytest.approx(2.0)
    assert list(history[history["metric"] == "likes"]["value"]) == [30, 60]


def test_comparison_of_a_post_without_snapshots_or_peers(workspace: Workspace) -> None:
    lonely = post(SocialAccountFactory.create(workspace=workspace), at(4), "Alone")
    history = post_history(post=lonely)
    table = post_comparison(post=lonely, history=history)
    assert history.empty
    assert list(table["metric"]) == ["engagement_rate"]
    assert bool(table["value"].isna()[0]) and table.loc[0, "posts"] == 0
