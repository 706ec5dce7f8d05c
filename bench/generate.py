"""Build the generated workspace the dashboard benchmark runs on, straight into Postgres.

``python bench/generate.py --scale small|large`` (or ``workspace_ensure`` from ``bench/run.py``).
The rows come from ``bench/synth.py`` (seeded, so a scale always has the same row counts): a
re-run finds the workspace with those counts and keeps it, and rebuilds it otherwise. Bulk rows
go in with PostgreSQL COPY, in one transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import SCALES, TIMEZONE, Scale, Tables, tables_generate


def _copy(cursor: Any, table: str, frame: pd.DataFrame, chunk: int = 1_000_000) -> None:
    columns = ", ".join(frame.columns)
    for first in range(0, len(frame), chunk):
        buffer = io.StringIO()
        frame.iloc[first : first + chunk].to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)


def _counts_in_db(workspace: Any) -> dict[str, int]:
    from connectors.models import AccountMetric, Post, PostMetric, SocialAccount

    accounts = SocialAccount.objects.filter(workspace=workspace)
    return {
        "accounts": accounts.count(),
        "posts": Post.objects.filter(account__in=accounts).count(),
        "post_metrics": PostMetric.objects.filter(post__account__in=accounts).count(),
        "account_metrics": AccountMetric.objects.filter(account__in=accounts).count(),
    }


def _workspace_delete(workspace: Any) -> None:
    # The ORM's cascade would load millions of facts into memory first; plain DELETEs do not.
    from django.db import connection

    from connectors.models import AccountMetric, Post, PostMetric, SocialAccount

    # Only table names (from the models) are formatted in; the workspace id is a bound parameter.
    accounts = f"SELECT id FROM {SocialAccount._meta.db_table} WHERE workspace_id = %s"  # noqa: S608
    posts = f"SELECT id FROM {Post._meta.db_table} WHERE account_id IN ({accounts})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {PostMetric._meta.db_table} WHERE post_id IN ({posts})",  # noqa: S608
            [workspace.pk],
        )
        for model in (AccountMetric, Post):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE account_id IN ({accounts})",  # noqa: S608
                [workspace.pk],
            )
    workspace.delete()


def workspace_ensure(scale_name: str, *, verbose: bool = True) -> Any:
    """The benchmark workspace of ``scale_name``, built unless one with the same counts exists."""
    from django.db import connection, transaction
    from django.utils import timezone

    from connectors.models import Workspace

    if scale_name == "large" and connection.vendor != "postgresql":
        raise SystemExit(
            "The large benchmark needs PostgreSQL: set DATABASE_URL=postgres://… "
            f"(the configured database is {connection.vendor})."
        )
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark loads rows with PostgreSQL COPY: set DATABASE_URL.")
    scale = SCALES[scale_name]
    say = print if verbose else (lambda *args, **kwargs: None)
    started = time.perf_counter()
    end = timezone.now().date() - dt.timedelta(days=1)
    tables = tables_generate(scale, end=end)
    expected = tables.counts()
    say(f"generated {scale.slug} in memory in {time.perf_counter() - started:.1f} s")
    existing = Workspace.objects.filter(slug=scale.slug).first()
    if existing is not None and _counts_in_db(existing) == expected:
        say(f"reusing workspace {scale.slug}: {_format_counts(expected)}")
        _member_ensure(existing, scale_name)
        return existing
    with transaction.atomic():
        if existing is not None:
            say(f"rebuilding workspace {scale.slug}: row counts differ")
            _workspace_delete(existing)
        workspace = _write(scale, tables, end=end, say=say)
        _member_ensure(workspace, scale_name)
    with connection.cursor() as cursor:
        for table in _bulk_tables():
            cursor.execute(f"ANALYZE {table}")
    say(
        f"built {scale.slug} in {time.perf_counter() - started:.1f} s: "
        f"{_format_counts(_counts_in_db(workspace))}"
    )
    return workspace


def _bulk_tables() -> list[str]:
    from connectors.models import AccountMetric, Post, PostMetric, SocialAccount

    return [m._meta.db_table for m in (SocialAccount, Post, PostMetric, AccountMetric)]


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in counts.items())


def _write(scale: Scale, tables: Tables, *, end: dt.date, say: Any) -> Any:
    from django.db import connection
    from django.utils import timezone

    from connectors.models import (
        AccountMetric,
        AccountStatus,
        Post,
        PostMetric,
        SocialAccount,
        Workspace,
    )

    # Creating the workspace through the ORM seeds its built-in KPIs (a post_save receiver).
    workspace = Workspace.objects.create(name=f"Benchmark ({scale.slug})", slug=scale.slug)
    workspace.timezone = TIMEZONE
    workspace.save(update_fields=["timezone"])
    now = timezone.now()
    statuses = [AccountStatus.ACTIVE] * 18 + [AccountStatus.NEEDS_REAUTH, AccountStatus.ERROR]
    accounts = SocialAccount.objects.bulk_create(
        SocialAccount(
            workspace=workspace,
            platform=str(row.platform),
            external_id=str(row.external_id),
            handle=str(row.handle),
            display_name=str(row.name),
            timezone=TIMEZONE,
            status=statuses[i % len(statuses)],
            last_synced_at=now - dt.timedelta(hours=1 + 30 * (i % len(statuses) >= 18)),
        )
        for i, row in enumerate(tables.accounts.itertuples(index=False))
    )
    account_ids = np.array([a.pk for a in accounts])
    day_text = np.array(
        [(end - dt.timedelta(days=scale.days - 1 - i)).isoformat() for i in range(scale.days)]
    )
    stamp = now.isoformat()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Post._meta.db_table, len(tables.posts)],
        )
        post_ids = np.array([row[0] for row in cursor.fetchall()])
        posts = tables.posts.assign(
            id=post_ids, account=account_ids[tables.posts["account"].to_numpy()]
        ).rename(columns={"account": "account_id"})
        columns = ["id", "account_id", "external_id", "published_at", "format", "is_paid"]
        _copy(cursor, Post._meta.db_table, posts[[*columns, "text", "permalink", "tags"]])
        say(f"  posts copied: {len(posts):,}")
        for model, frame, key, ids in (
            (AccountMetric, tables.account_metrics, "account", account_ids),
            (PostMetric, tables.post_metrics, "post", post_ids),
        ):
            rows = pd.DataFrame(
                {
                    f"{key}_id": ids[frame[key].to_numpy()],
                    "day": day_text[frame["day"].to_numpy()],
                    "metric": frame["metric"].to_numpy(),
                    "value": frame["value"].to_numpy(),
                    "updated_at": stamp,
                }
            )
            _copy(cursor, model._meta.db_table, rows)
            say(f"  {model.__name__} copied: {len(rows):,}")
    _extras_write(workspace, accounts, end=end)
    return workspace


def _extras_write(workspace: Any, accounts: list[Any], *, end: dt.date) -> None:
    """What the pages show besides facts: sync history, annotations, tag rules, goals."""
    from django.db.models import F
    from django.utils import timezone

    from connectors.models import SyncCursor, SyncRun, SyncStatus, SyncTrigger
    from reporting.annotation_models import Annotation
    from reporting.demo import demo_goals_and_alerts_seed
    from reporting.models import TagRule, TagRuleKind

    now = timezone.now()
    runs = []
    for i, account in enumerate(accounts):
        for age in range(30):
            day = end - dt.timedelta(days=age)
            failed = account.status != "active" and age < 2 + i % 3
            queued = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3), dt.UTC)
            runs.append(
                SyncRun(
                    account=account,
                    trigger=SyncTrigger.SCHEDULE,
                    status=SyncStatus.FAILED if failed else SyncStatus.SUCCEEDED,
                    window_start=day - dt.timedelta(days=3),
                    window_end=day,
                    started_at=queued,
                    finished_at=queued + dt.timedelta(seconds=20 + i % 40),
                    attempts=1,
                    account_rows_written=0 if failed else 40,
                    posts_written=0 if failed else 2,
                    post_rows_written=0 if failed else 60,
                    error="Token expired (401)." if failed else "",
                )
            )
    SyncRun.objects.bulk_create(runs, batch_size=2000)
    # queued_at is auto_now_add: put each run back on the night it ran.
    SyncRun.objects.filter(account__workspace=workspace).update(queued_at=F("started_at"))
    SyncCursor.objects.bulk_create(
        SyncCursor(
            account=account,
            synced_through=end,
            posts_synced_at=now,
            last_attempt_at=now,
            consecutive_failures=0 if account.status == "active" else 3,
            last_error="" if account.status == "active" else "Token expired (401).",
        )
        for account in accounts
    )
    Annotation.objects.bulk_create(
        Annotation(workspace=workspace, day=end - dt.timedelta(days=d), text=f"Campaign wave {d}")
        for d in range(15, 3 * 365, 45)
    )
    TagRule.objects.create(
        workspace=workspace, tag="tips", kind=TagRuleKind.HASHTAG, values=["candletips"]
    )
    TagRule.objects.create(
        workspace=workspace, tag="video", kind=TagRuleKind.FORMAT, values=["video", "reel"]
    )
    # The demo's goals and alert rules, derived from this workspace's own history.
    demo_goals_and_alerts_seed(sender=type(workspace), workspace=workspace, end=end)


def _member_ensure(workspace: Any, scale_name: str) -> Any:
    from connectors.models import Membership, Role, User

    user, created = User.objects.get_or_create(username=f"bench-{scale_name}")
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.update_or_create(
        user=user, workspace=workspace, defaults={"role": Role.ADMIN}
    )
    return user


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    args = parser.parse_args(argv)
    django_setup()
    workspace_ensure(args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
