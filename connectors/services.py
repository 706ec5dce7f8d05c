"""Write services for posts and daily facts: the one way connectors and importers store data.

Every writer here is an upsert on the table's natural key, so feeding it the same rows twice
changes nothing: not the rows, not their values, not even ``updated_at``. Each call checks its
input before writing and runs inside one transaction, so a bad row or a failure halfway leaves
nothing half-written.

Inputs are the frozen dataclasses of the connector contract (``connectors.base``): a platform
module, a file importer and the demo generator all produce them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.db import models, transaction

from connectors.base import AccountMetricRow, PostMetricRow, PostRow
from connectors.metrics import METRICS
from connectors.models import AccountMetric, Post, PostFormat, PostMetric, SocialAccount
from connectors.versioning import workspace_data_changed

# Rows per INSERT: large enough to amortise the round trip, small enough for SQLite's bound
# parameter limit and for Postgres to plan the statement quickly.
DEFAULT_BATCH_SIZE = 1000
PERMALINK_MAX = 500  # Post.permalink's length

_POST_FIELDS = ("published_at", "format", "is_paid", "text", "permalink", "tags")
_FORMATS = frozenset(PostFormat.values)

T = TypeVar("T")


class _Fact(Protocol):
    @property
    def metric(self) -> str: ...

    @property
    def value(self) -> float: ...


F = TypeVar("F", bound=_Fact)
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class PostsUpserted:
    """What ``posts_upsert`` did: the database id of every post given, and how many it wrote."""

    post_ids: dict[str, int]
    written: int


def posts_upsert(
    *, account: SocialAccount, posts: Iterable[PostRow], batch_size: int = DEFAULT_BATCH_SIZE
) -> PostsUpserted:
    """Create or update ``account``'s posts, keyed by ``(account, external_id)``.

    Only posts that are new or whose fields differ are written. Raises ``ValueError``, writing
    nothing, on an unknown format, a naive ``published_at`` or an external id given twice.
    """
    rows = list(posts)
    _check_unique(rows, key=lambda p: p.external_id, what="post")
    for post in rows:
        if post.format not in _FORMATS:
            raise ValueError(
                f"Post {post.external_id!r} has unknown format {post.format!r}; "
                f"known formats: {', '.join(sorted(_FORMATS))}"
            )
        if post.published_at.tzinfo is None:
            raise ValueError(f"Post {post.external_id!r} has a naive published_at; use aware UTC.")

    post_ids: dict[str, int] = {}
    written = 0
    with transaction.atomic():
        for batch in _batches(rows, batch_size):
            external_ids = [p.external_id for p in batch]
            existing = {
                values[0]: values[1:]
                for values in Post.objects.filter(
                    account=account, external_id__in=external_ids
                ).values_list("external_id", *_POST_FIELDS)
            }
            changed = [
                Post(
                    account=account,
                    external_id=p.external_id,
                    published_at=p.published_at.astimezone(dt.UTC),
                    format=p.format,
                    is_paid=p.is_paid,
                    text=p.text,
                    permalink=permalink_safe(p.permalink),
                    tags=list(p.tags),
                )
                for p in batch
                if existing.get(p.external_id) != _post_values(p)
            ]
            if changed:
                Post.objects.bulk_create(
                    changed,
                    update_conflicts=True,
                    unique_fields=["account", "external_id"],
                    update_fields=list(_POST_FIELDS),
                )
                written += len(changed)
            post_ids.update(
                Post.objects.filter(account=account, external_id__in=external_ids).values_list(
                    "external_id", "id"
                )
            )
    if written:
        workspace_data_changed(workspace_id=account.workspace_id)
    return PostsUpserted(post_ids=post_ids, written=written)


def account_metrics_upsert(
    *,
    account: SocialAccount,
    rows: Iterable[AccountMetricRow],
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Store ``account``'s daily metric values, keyed by ``(account, metric, day)``.

    Returns how many rows were inserted or changed (0 when re-run with the same rows). Rows
    absent from the input are left alone: a missing day stays missing, it never becomes zero.
    Raises ``ValueError``, writing nothing, on an unknown metric, a non-finite value or a key
    given twice.
    """
    facts = sorted(rows, key=lambda r: (r.day, r.metric))
    _check_facts(facts, key=lambda r: (r.day, r.metric), label=lambda r: f"{r.day} {r.metric}")

    written = 0
    with transaction.atomic():
        for batch in _batches(facts, batch_size):
            existing = {
                (day, metric): value
                for day, metric, value in AccountMetric.objects.filter(
                    account=account,
                    day__range=(batch[0].day, batch[-1].day),
                    metric__in={r.metric for r in batch},
                ).values_list("day", "metric", "value")
            }
            changed = [
                AccountMetric(account=account, day=r.day, metric=r.metric, value=r.value)
                for r in batch
                if existing.get((r.day, r.metric)) != r.value
            ]
            written += _facts_write(
                AccountMetric, changed, unique_fields=["account", "metric", "day"]
            )
    if written:
        workspace_data_changed(workspace_id=account.workspace_id)
    return written


def posts_published_refresh(
    *, account: SocialAccount, days: Iterable[dt.date], reported: Iterable[dt.date] = ()
) -> int:
    """Derive the daily ``posts_published`` fact of ``days`` from the posts stored for them.

    Platforms rarely report how many posts went out each day, but every KPI per post needs it,
    so it is counted from ``Post.published_at`` in the account's timezone. Call it with the days
    whose post list is complete (a sync's post window; an import's days with posts): a day with
    no post then gets a real zero. Days in ``reported`` carry a value from the platform itself
    (an X daily export), which is left as it is.
    """
    wanted = sorted(set(days) - set(reported))
    if not wanted:
        return 0
    tz = ZoneInfo(account.timezone)
    first = dt.datetime.combine(wanted[0], dt.time.min, tzinfo=tz)
    last = dt.datetime.combine(wanted[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    counts = Counter(
        published.astimezone(tz).date()
        for published in Post.objects.filter(
            account=account, published_at__gte=first, published_at__lt=last
        ).values_list("published_at", flat=True)
    )
    return account_metrics_upsert(
        account=account,
        rows=[
            AccountMetricRow(day=day, metric="posts_published", value=counts[day]) for day in wanted
        ],
    )


def post_metrics_upsert(
    *,
    account: SocialAccount,
    rows: Iterable[PostMetricRow],
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Store lifetime counters of ``account``'s posts as read on a day, keyed by
    ``(post, metric, day)``.

    Posts are found by external id within ``account`` only, so one account's sync can never
    write another's posts; store them first with ``posts_upsert``. Returns how many rows were
    inserted or changed. Raises ``ValueError``, writing nothing, on an unknown post or metric, a
    non-finite value or a key given twice.
    """
    facts = sorted(rows, key=lambda r: (r.post_external_id, r.day, r.metric))
    _check_facts(
        facts,
        key=lambda r: (r.post_external_id, r.day, r.metric),
        label=lambda r: f"{r.post_external_id} {r.day} {r.metric}",
    )

    written = 0
    with transaction.atomic():
        for batch in _batches(facts, batch_size):
            post_ids = dict(
                Post.objects.filter(
                    account=account, external_id__in={r.post_external_id for r in batch}
                ).values_list("external_id", "id")
            )
            unknown = sorted({r.post_external_id for r in batch} - post_ids.keys())
            if unknown:
                raise ValueError(
                    f"Unknown posts for account {account.pk}: {', '.join(unknown[:5])}; "
                    "store them with posts_upsert first."
                )
            existing = {
                (post_id, day, metric): value
                for post_id, day, metric, value in PostMetric.objects.filter(
                    post_id__in=post_ids.values(),
                    day__range=(min(r.day for r in batch), max(r.day for r in batch)),
                    metric__in={r.metric for r in batch},
                ).values_list("post_id", "day", "metric", "value")
            }
            changed = [
                PostMetric(
                    post_id=post_ids[r.post_external_id], day=r.day, metric=r.metric, value=r.value
                )
                for r in batch
                if existing.get((post_ids[r.post_external_id], r.day, r.metric)) != r.value
            ]
            written += _facts_write(PostMetric, changed, unique_fields=["post", "metric", "day"])
    if written:
        workspace_data_changed(workspace_id=account.workspace_id)
    return written


def _facts_write(model: type[M], objs: Sequence[M], *, unique_fields: list[str]) -> int:
    # The conflict clause still matters after the read: another sync of the same account may
    # have inserted the row since, and the last writer's value should win rather than fail.
    if objs:
        model._default_manager.bulk_create(
            objs,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=["value", "updated_at"],
        )
    return len(objs)


def permalink_safe(url: str) -> str:
    """A post's link as stored and shown: an http(s) address, else nothing. Export files and
    APIs are outside data: a ``javascript:`` or ``data:`` link would run in the page that shows
    it, and an address without a host leads nowhere."""
    url = url.strip()
    if len(url) > PERMALINK_MAX:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def _post_values(post: PostRow) -> tuple[object, ...]:
    return (
        post.published_at.astimezone(dt.UTC),
        post.format,
        post.is_paid,
        post.text,
        permalink_safe(post.permalink),
        list(post.tags),
    )


def _check_facts(
    rows: Sequence[F], *, key: Callable[[F], Hashable], label: Callable[[F], str]
) -> None:
    for row in rows:
        if row.metric not in METRICS:
            raise ValueError(
                f"Unknown metric {row.metric!r} in row {label(row)}; "
                f"known metrics: {', '.join(METRICS)}"
            )
        if not math.isfinite(row.value):
            raise ValueError(f"Row {label(row)} has a non-finite value {row.value!r}.")
    _check_unique(rows, key=key, what="row")


def _check_unique(rows: Sequence[T], *, key: Callable[[T], Hashable], what: str) -> None:
    # Postgres refuses an upsert that touches the same row twice in one statement; saying which
    # key is repeated is more useful than its "cannot affect row a second time".
    seen: set[Hashable] = set()
    for row in rows:
        k = key(row)
        if k in seen:
            raise ValueError(f"The same {what} is given twice: {k!r}")
        seen.add(k)


def _batches(rows: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
