from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors.base import AccountMetricRow, PostMetricRow, PostRow
from connectors.models import AccountMetric, Post, PostMetric, SocialAccount
from connectors.services import (
    account_metrics_upsert,
    post_metrics_upsert,
    posts_published_refresh,
    posts_upsert,
)
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)
PUBLISHED = dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC)


@pytest.fixture
def account() -> SocialAccount:
    return SocialAccountFactory.create()


def account_rows(days: int = 3) -> list[AccountMetricRow]:
    return [
        AccountMetricRow(DAY + dt.timedelta(days=offset), metric, float(offset * 10 + i))
        for offset in range(days)
        for i, metric in enumerate(["impressions", "reach", "likes"])
    ]


def post_rows() -> list[PostRow]:
    return [
        PostRow(
            external_id=f"p{i}",
            published_at=PUBLISHED + dt.timedelta(hours=i),
            format="reel" if i % 2 else "photo",
            text=f"Post {i} #launch ✨",
            permalink=f"https://example.com/p/{i}",
            is_paid=i == 0,
            tags=("product", "summer-launch") if i == 0 else ("tips",),
        )
        for i in range(3)
    ]


def snapshot_rows() -> list[PostMetricRow]:
    return [
        PostMetricRow(f"p{i}", DAY + dt.timedelta(days=age), metric, float(age * 5 + i))
        for i in range(3)
        for age in (0, 1, 2)
        for metric in ("likes", "impressions")
    ]


def account_facts(account: SocialAccount) -> set[tuple[Any, ...]]:
    return set(
        AccountMetric.objects.filter(account=account).values_list(
            "day", "metric", "value", "updated_at"
        )
    )


def post_facts(account: SocialAccount) -> set[tuple[Any, ...]]:
    return set(
        PostMetric.objects.filter(post__account=account).values_list(
            "post__external_id", "day", "metric", "value", "updated_at"
        )
    )


def posts(account: SocialAccount) -> set[tuple[Any, ...]]:
    return {
        (*values[:-1], tuple(values[-1]))
        for values in Post.objects.filter(account=account).values_list(
            "id", "external_id", "published_at", "format", "is_paid", "text", "permalink", "tags"
        )
    }


def test_account_metrics_twice_changes_nothing(account: SocialAccount) -> None:
    assert account_metrics_upsert(account=account, rows=account_rows()) == 9
    before = account_facts(account)

    assert account_metrics_upsert(account=account, rows=account_rows()) == 0

    assert account_facts(account) == before
    assert len(before) == 9
    assert {(d, m, v) for d, m, v, _ in before} == {
        (r.day, r.metric, r.value) for r in account_rows()
    }


def test_account_metrics_new_values_overwrite(account: SocialAccount) -> None:
    account_metrics_upsert(account=account, rows=account_rows())
    changed = AccountMetricRow(DAY, "impressions", 12345.0)

    assert account_metrics_upsert(account=account, rows=[changed]) == 1

    values = dict(
        ((d, m), v)
        for d, m, v in AccountMetric.objects.filter(account=account).values_list(
            "day", "metric", "value"
        )
    )
    assert values[(DAY, "impressions")] == 12345.0
    assert len(values) == 9  # a partial input leaves the other rows alone


def test_account_metrics_are_scoped_to_their_account(account: SocialAccount) -> None:
    other = SocialAccountFactory.create(workspace=account.workspace)
    account_metrics_upsert(account=account, rows=account_rows())
    account_metrics_upsert(account=other, rows=[AccountMetricRow(DAY, "impressions", 1.0)])

    assert (
        AccountMetric.objects.filter(account=account, day=DAY, metric="impressions").get().value
        == 0.0
    )
    assert AccountMetric.objects.filter(account=other).count() == 1


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (AccountMetricRow(DAY, "followerz", 1.0), "Unknown metric 'followerz'"),
        (AccountMetricRow(DAY, "likes", float("nan")), "non-finite"),
        (AccountMetricRow(DAY, "impressions", 5.0), "given twice"),
    ],
)
def test_account_metrics_bad_row_writes_nothing(
    account: SocialAccount, bad_row: AccountMetricRow, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        account_metrics_upsert(account=account, rows=[*account_rows(), bad_row], batch_size=2)

    assert not AccountMetric.objects.exists()


def test_account_metrics_failure_halfway_rolls_back(
    account: SocialAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = AccountMetric._default_manager
    real_bulk_create = manager.bulk_create
    calls = []

    def failing_bulk_create(objs: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real_bulk_create(objs, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", failing_bulk_create)

    with pytest.raises(RuntimeError, match="connection lost"):
        account_metrics_upsert(account=account, rows=account_rows(), batch_size=4)

    assert calls == [4, 4]
    assert not AccountMetric.objects.exists()  # the first batch was rolled back too


def test_account_metrics_are_written_in_batches(account: SocialAccount) -> None:
    with CaptureQueriesContext(connection) as queries:
        written = account_metrics_upsert(account=account, rows=account_rows(), batch_size=4)

    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert written == 9
    assert len(inserts) == 3  # 4 + 4 + 1 rows
    assert AccountMetric.objects.filter(account=account).count() == 9


def test_account_metrics_rerun_issues_no_insert(account: SocialAccount) -> None:
    account_metrics_upsert(account=account, rows=account_rows(), batch_size=4)

    with CaptureQueriesContext(connection) as queries:
        account_metrics_upsert(account=account, rows=account_rows(), batch_size=4)

    assert not [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]


def test_posts_twice_changes_nothing(account: SocialAccount) -> None:
    first = posts_upsert(account=account, posts=post_rows())
    before = posts(account)

    second = posts_upsert(account=account, posts=post_rows())

    assert first.written == 3
    assert second.written == 0
    assert first.post_ids == second.post_ids
    assert set(first.post_ids) == {"p0", "p1", "p2"}
    assert posts(account) == before
    assert any("summer-launch" in tags for *_, tags in before)


def test_posts_changed_fields_overwrite(account: SocialAccount) -> None:
    first = posts_upsert(account=account, posts=post_rows())
    edited = PostRow(
        external_id="p1",
        published_at=PUBLISHED,
        format="video",
        text="Edited caption",
        tags=("tips", "behind-the-scenes"),
    )

    result = posts_upsert(account=account, posts=[edited])

    post = Post.objects.get(account=account, external_id="p1")
    assert result.written == 1
    assert result.post_ids == {"p1": first.post_ids["p1"]}
    assert (post.format, post.text, post.tags, post.permalink) == (
        "video",
        "Edited caption",
        ["tips", "behind-the-scenes"],
        "",
    )
    assert Post.objects.filter(account=account).count() == 3


def test_posts_published_at_is_stored_as_utc(account: SocialAccount) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    row = PostRow(external_id="tz", published_at=dt.datetime(2026, 3, 2, 18, 30, tzinfo=paris))

    posts_upsert(account=account, posts=[row])

    stored = Post.objects.get(account=account, external_id="tz").published_at
    assert stored == PUBLISHED
    assert posts_upsert(account=account, posts=[row]).written == 0


@pytest.mark.parametrize(
    ("bad_post", "message"),
    [
        (PostRow(external_id="x", published_at=PUBLISHED, format="hologram"), "unknown format"),
        (PostRow(external_id="x", published_at=dt.datetime(2026, 3, 2, 12)), "naive"),
        (PostRow(external_id="p0", published_at=PUBLISHED), "given twice"),
    ],
)
def test_posts_bad_row_writes_nothing(
    account: SocialAccount, bad_post: PostRow, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        posts_upsert(account=account, posts=[*post_rows(), bad_post], batch_size=1)

    assert not Post.objects.exists()


def test_post_metrics_twice_changes_nothing(account: SocialAccount) -> None:
    posts_upsert(account=account, posts=post_rows())

    assert post_metrics_upsert(account=account, rows=snapshot_rows(), batch_size=5) == 18
    before = post_facts(account)
    assert post_metrics_upsert(account=account, rows=snapshot_rows(), batch_size=5) == 0

    assert post_facts(account) == before
    assert {(p, d, m, v) for p, d, m, v, _ in before} == {
        (r.post_external_id, r.day, r.metric, r.value) for r in snapshot_rows()
    }


def test_post_metrics_new_values_overwrite(account: SocialAccount) -> None:
    posts_upsert(account=account, posts=post_rows())
    post_metrics_upsert(account=account, rows=snapshot_rows())

    written = post_metrics_upsert(account=account, rows=[PostMetricRow("p2", DAY, "likes", 99.0)])

    assert written == 1
    assert PostMetric.objects.get(post__external_id="p2", day=DAY, metric="likes").value == 99.0
    assert PostMetric.objects.count() == 18


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (PostMetricRow("p0", DAY, "hearts", 1.0), "Unknown metric 'hearts'"),
        (PostMetricRow("zz-unknown", DAY, "likes", 1.0), "Unknown posts .*zz-unknown"),
        (PostMetricRow("p0", DAY, "likes", float("inf")), "non-finite"),
    ],
)
def test_post_metrics_bad_row_writes_nothing(
    account: SocialAccount, bad_row: PostMetricRow, message: str
) -> None:
    posts_upsert(account=account, posts=post_rows())

    with pytest.raises(ValueError, match=message):
        # Rows are written sorted by post: the unknown one comes after batches already written.
        post_metrics_upsert(account=account, rows=[*snapshot_rows(), bad_row], batch_size=2)

    assert not PostMetric.objects.exists()


def test_post_metrics_cannot_reach_another_accounts_posts(account: SocialAccount) -> None:
    other = SocialAccountFactory.create(workspace=account.workspace)
    posts_upsert(account=other, posts=post_rows())

    with pytest.raises(ValueError, match="Unknown posts"):
        post_metrics_upsert(account=account, rows=snapshot_rows())

    assert not PostMetric.objects.exists()


def test_posts_published_counts_posts_per_local_day(account: SocialAccount) -> None:
    account.timezone = "Europe/Paris"
    account.save()
    paris = dt.timezone(dt.timedelta(hours=1))
    posts_upsert(
        account=account,
        posts=[
            # 23:30 in Paris on the 1st is 22:30 UTC: it counts for the 1st, not the 2nd.
            PostRow("a", dt.datetime(2026, 1, 1, 23, 30, tzinfo=paris)),
            PostRow("b", dt.datetime(2026, 1, 1, 9, 0, tzinfo=paris)),
            PostRow("c", dt.datetime(2026, 1, 3, 0, 30, tzinfo=paris)),
        ],
    )
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)]
    written = posts_published_refresh(account=account, days=days)

    stored = dict(
        AccountMetric.objects.filter(account=account, metric="posts_published").values_list(
            "day", "value"
        )
    )
    assert written == 3
    assert stored == {days[0]: 2.0, days[1]: 0.0, days[2]: 1.0}
    assert posts_published_refresh(account=account, days=days) == 0


def test_posts_published_leaves_platform_figures_alone(account: SocialAccount) -> None:
    day = dt.date(2026, 1, 1)
    account_metrics_upsert(
        account=account, rows=[AccountMetricRow(day=day, metric="posts_published", value=4)]
    )
    assert posts_published_refresh(account=account, days=[day], reported={day}) == 0
    assert AccountMetric.objects.get(account=account, metric="posts_published").value == 4


@pytest.mark.parametrize(
    ("link", "stored"),
    [
        ("https://www.instagram.com/p/Cx1/", "https://www.instagram.com/p/Cx1/"),
        ("  http://example.com/post?id=1 ", "http://example.com/post?id=1"),
        ("javascript:alert(document.cookie)", ""),
        ("JaVaScRiPt:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("vbscript:msgbox(1)", ""),
        ("//evil.example/no-scheme", ""),
        ("https://", ""),
        ("http://[::1", ""),  # unparseable
        ("https://example.com/" + "a" * 600, ""),  # longer than the column
    ],
)
def test_posts_keep_only_web_links(account: SocialAccount, link: str, stored: str) -> None:
    row = PostRow(
        external_id="p-link", published_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC), permalink=link
    )
    posts_upsert(account=account, posts=[row])
    assert Post.objects.get(account=account, external_id="p-link").permalink == stored
    # Idempotent: the same unsafe link again is not seen as a change.
    assert posts_upsert(account=account, posts=[row]).written == 0
