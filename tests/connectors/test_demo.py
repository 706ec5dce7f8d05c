from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections import defaultdict
from io import StringIO
from pathlib import Path
from statistics import mean
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from connectors.demo import demo_workspace_topup, demo_workspaces_topup
from connectors.demo.generate import history_generate
from connectors.demo.profiles import ENGAGEMENT_PARTS, PROFILES, SNAPSHOT_AGES
from connectors.models import (
    AccountMetric,
    Membership,
    Post,
    PostMetric,
    SocialAccount,
    User,
    Workspace,
)
from connectors.tasks import demo_topup
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Covers the Facebook account's yearly insights outage (14 to 17 October).
END = dt.date(2025, 10, 20)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Each seed creates four users; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(days: int, end: dt.date = END) -> str:
    out = StringIO()
    call_command("seed_demo", f"--days={days}", f"--end={end.isoformat()}", stdout=out)
    return out.getvalue()


def state() -> dict[str, set[tuple[Any, ...]]]:
    """Every demo row by its natural key, with all values (and write times, which must not move)."""
    return {
        "workspaces": set(
            Workspace.objects.values_list("slug", "name", "is_demo", "timezone", "language")
        ),
        "accounts": set(
            SocialAccount.objects.values_list(
                "workspace__slug", "platform", "external_id", "handle", "display_name", "timezone"
            )
        ),
        "posts": {
            (*values[:-1], tuple(values[-1]))
            for values in Post.objects.values_list(
                "account__external_id",
                "external_id",
                "published_at",
                "format",
                "is_paid",
                "text",
                "permalink",
                "tags",
            )
        },
        "account_facts": set(
            AccountMetric.objects.values_list(
                "account__external_id", "day", "metric", "value", "updated_at"
            )
        ),
        "post_facts": set(
            PostMetric.objects.values_list(
                "post__account__external_id",
                "post__external_id",
                "day",
                "metric",
                "value",
                "updated_at",
            )
        ),
        "users": set(
            User.objects.values_list(
                "username", "password", "is_staff", "is_superuser", "language", "email"
            )
        ),
        "memberships": set(
            Membership.objects.values_list("user__username", "workspace__slug", "role")
        ),
    }


def facts(platform: str) -> dict[str, dict[dt.date, float]]:
    by_metric: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for day, metric, value in AccountMetric.objects.filter(account__platform=platform).values_list(
        "day", "metric", "value"
    ):
        by_metric[metric][day] = value
    return by_metric


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(PARIS).date()


DIGEST_SCRIPT = """
import datetime as dt, django, hashlib
django.setup()
from connectors.demo.generate import history_generate
from connectors.demo.profiles import PROFILES
end = dt.date(2025, 10, 20)
print(hashlib.sha256(repr([
    history_generate(profile=p, timezone="Europe/Paris", start=end - dt.timedelta(days=9), end=end)
    for p in PROFILES
]).encode()).hexdigest())
"""


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_generation_is_the_same_in_every_process(hash_seed: str) -> None:
    # A salted hash() or set iteration order would make another process generate other values.
    histories = [
        history_generate(
            profile=p, timezone="Europe/Paris", start=END - dt.timedelta(days=9), end=END
        )
        for p in PROFILES
    ]
    here = hashlib.sha256(repr(histories).encode()).hexdigest()

    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DJANGO_SETTINGS_MODULE": "config.settings"}
    there = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert there == here


def test_seed_twice_writes_identical_rows() -> None:
    seed(days=30)
    first = state()

    output = seed(days=30)

    assert state() == first
    assert "0 written" in output
    assert len(first["accounts"]) == 5
    assert len(first["users"]) == 4
    assert len(first["memberships"]) == 4
    assert len(first["posts"]) > 60


def test_extending_the_end_by_a_day_only_adds_that_day() -> None:
    seed(days=30)
    before = state()

    seed(days=30, end=END + dt.timedelta(days=1))
    after = state()

    new_day = END + dt.timedelta(days=1)
    for table in ("account_facts", "post_facts", "posts"):
        assert before[table] <= after[table], table
    assert {row[1] for row in after["account_facts"] - before["account_facts"]} == {new_day}
    assert {row[2] for row in after["post_facts"] - before["post_facts"]} <= {new_day}
    assert all(local_day(row[2]) == new_day for row in after["posts"] - before["posts"])
    assert after["users"] == before["users"]


def test_values_do_not_depend_on_the_window() -> None:
    seed(days=10)
    short = state()

    seed(days=40)
    long = state()

    # The longer window only adds older days: every row of the short one is untouched.
    assert short["account_facts"] < long["account_facts"]
    assert short["post_facts"] < long["post_facts"]
    assert short["posts"] < long["posts"]


def test_one_account_has_a_gap_of_missing_days_not_zeros() -> None:
    seed(days=30)
    window = {END - dt.timedelta(days=n) for n in range(30)}

    missing = {
        account.platform: window - set(account.facts.values_list("day", flat=True))
        for account in SocialAccount.objects.all()
    }

    gaps = {platform: days for platform, days in missing.items() if days}
    assert list(gaps) == ["facebook"]
    gap = sorted(gaps["facebook"])
    assert 3 <= len(gap) <= 4
    assert (gap[-1] - gap[0]).days == len(gap) - 1  # consecutive
    # No post snapshot was taken during the outage either.
    assert not PostMetric.objects.filter(post__account__platform="facebook", day__in=gap).exists()
    assert PostMetric.objects.filter(post__account__platform="instagram", day__in=gap).exists()


@pytest.mark.parametrize(
    ("platform", "absent"),
    [
        ("linkedin", {"reach", "saves"}),
        ("youtube", {"reach", "saves", "profile_visits", "clicks"}),
        ("facebook", {"saves", "watch_time_minutes"}),
        ("instagram", {"clicks", "watch_time_minutes"}),
        ("tiktok", {"impressions", "saves"}),
    ],
)
def test_platforms_report_only_what_they_really_report(platform: str, absent: set[str]) -> None:
    seed(days=14)

    account_metrics = set(
        AccountMetric.objects.filter(account__platform=platform).values_list("metric", flat=True)
    )
    post_metrics = set(
        PostMetric.objects.filter(post__account__platform=platform).values_list("metric", flat=True)
    )

    assert not (account_metrics | post_metrics) & absent
    assert {"followers", "followers_gained", "followers_lost", "engagements"} <= account_metrics


def test_followers_change_by_gained_minus_lost() -> None:
    seed(days=60)

    for account in SocialAccount.objects.all():
        values = facts(account.platform)
        for day, count in values["followers"].items():
            previous = values["followers"].get(day - dt.timedelta(days=1))
            if previous is not None:
                change = values["followers_gained"][day] - values["followers_lost"][day]
                assert count - previous == change, (account.platform, day)
        assert min(values["followers_gained"].values()) >= 0
        assert min(values["followers_lost"].values()) >= 0
        assert values["followers"][END] > values["followers"][END - dt.timedelta(days=59)]


def test_engagements_are_the_sum_of_the_reported_parts() -> None:
    seed(days=30)

    for account in SocialAccount.objects.all():
        values = facts(account.platform)
        parts = [values[p] for p in ENGAGEMENT_PARTS if p in values]
        assert parts, account.platform
        for day, engagements in values["engagements"].items():
            assert engagements == sum(part[day] for part in parts), (account.platform, day)


def test_post_snapshots_grow_monotonically_at_the_sync_ages() -> None:
    seed(days=120)

    series: dict[tuple[int, str], list[tuple[dt.date, float]]] = defaultdict(list)
    for post_id, day, metric, value in PostMetric.objects.values_list(
        "post_id", "day", "metric", "value"
    ):
        series[(post_id, metric)].append((day, value))
    published = {p.id: local_day(p.published_at) for p in Post.objects.all()}

    for (post_id, metric), points in series.items():
        points.sort()
        ages = {(day - published[post_id]).days for day, _ in points}
        assert ages <= set(SNAPSHOT_AGES)
        values = [value for _, value in points]
        assert values == sorted(values), (post_id, metric)
    # An old reel's reach at 90 days is close to its reach at 30: the counters saturate.
    old = Post.objects.filter(account__platform="instagram", format="reel").order_by("published_at")
    reach = dict(PostMetric.objects.filter(post=old[0], metric="reach").values_list("day", "value"))
    start = local_day(old[0].published_at)
    assert reach[start + dt.timedelta(days=90)] <= 1.01 * reach[start + dt.timedelta(days=30)]
    assert reach[start] < reach[start + dt.timedelta(days=30)]


@pytest.mark.parametrize(
    ("platform", "video", "photo"),
    [("instagram", "reel", "photo"), ("facebook", "video", "photo")],
)
def test_videos_reach_more_than_photos(platform: str, video: str, photo: str) -> None:
    seed(days=120)

    def reach_at_a_week(fmt: str) -> float:
        values: list[float] = []
        for post in Post.objects.filter(account__platform=platform, format=fmt):
            day = local_day(post.published_at) + dt.timedelta(days=7)
            values.extend(
                post.facts.filter(metric="reach", day=day).values_list("value", flat=True)
            )
        assert len(values) >= 5
        return mean(values)

    assert reach_at_a_week(video) > 1.5 * reach_at_a_week(photo)


def test_linkedin_is_a_weekday_channel() -> None:
    seed(days=120)

    impressions = facts("linkedin")["impressions"]
    weekdays = mean(v for d, v in impressions.items() if d.weekday() < 5)
    weekends = mean(v for d, v in impressions.items() if d.weekday() >= 5)
    posted = [
        local_day(p)
        for p in Post.objects.filter(account__platform="linkedin").values_list(
            "published_at", flat=True
        )
    ]

    assert weekdays > 1.4 * weekends
    assert sum(d.weekday() < 5 for d in posted) > 0.9 * len(posted)


def test_summer_launch_brings_more_posts_and_engagement() -> None:
    seed(days=90, end=dt.date(2025, 7, 31))
    campaign = {dt.date(2025, 6, 9) + dt.timedelta(days=n) for n in range(14)}

    # Filtered in Python: SQLite has no JSON containment lookup.
    tagged = [p for p in Post.objects.select_related("account") if "summer-launch" in p.tags]
    assert {p.account.platform for p in tagged} == {
        "instagram",
        "facebook",
        "linkedin",
        "youtube",
        "tiktok",
    }
    assert all(local_day(p.published_at) in campaign for p in tagged)
    assert all("#SummerLaunch" in p.text for p in tagged)

    for platform in ("instagram", "tiktok"):
        values = facts(platform)
        during = [values["engagements"][d] for d in campaign]
        other = [v for d, v in values["engagements"].items() if d not in campaign]
        assert mean(during) > 1.5 * mean(other), platform
        per_day_during = mean(values["posts_published"][d] for d in campaign)
        per_day_other = mean(v for d, v in values["posts_published"].items() if d not in campaign)
        assert per_day_during > 1.5 * per_day_other, platform


def test_posts_look_like_the_platforms_posts() -> None:
    seed(days=60)

    formats = defaultdict(set)
    for post in Post.objects.select_related("account"):
        formats[post.account.platform].add(post.format)
        assert 7 <= post.published_at.astimezone(PARIS).hour <= 22
        assert post.permalink.startswith("https://")
        assert "#" in post.text
        assert post.tags
    assert formats["instagram"] == {"photo", "carousel", "reel", "story"}
    assert formats["facebook"] <= {"photo", "video", "link", "text"}
    assert formats["linkedin"] <= {"text", "photo", "article", "video"}
    assert formats["youtube"] <= {"video", "short", "live"}
    assert formats["tiktok"] == {"video"}
    assert Post.objects.filter(is_paid=True).exists()
    assert len(set(Post.objects.values_list("text", flat=True))) > 0.5 * Post.objects.count()
    per_week = Post.objects.count() / 5 / (60 / 7)
    assert 3 <= per_week <= 6


def test_demo_logins_are_created_once_with_their_roles() -> None:
    seed(days=3)
    admin = User.objects.get(username="demo-admin")
    admin.set_password("changed-by-the-operator")
    admin.save()

    seed(days=3)

    roles = dict(
        Membership.objects.filter(workspace__slug="demo").values_list("user__username", "role")
    )
    assert roles == {
        "demo-admin": "admin",
        "demo-manager": "manager",
        "demo-analyst": "analyst",
        "demo-viewer": "viewer",
    }
    assert authenticate(username="demo-admin", password="changed-by-the-operator") is not None
    assert authenticate(username="demo-analyst", password="demo-analyst-2026") is not None
    admin.refresh_from_db()
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(username="demo-manager").is_staff
    languages = dict(User.objects.values_list("username", "language"))
    assert languages["demo-viewer"] == "fr"
    assert {languages[u] for u in ("demo-admin", "demo-manager", "demo-analyst")} == {"en"}


def test_seed_refuses_a_real_workspace_with_the_demo_slug() -> None:
    WorkspaceFactory.create(slug="demo", name="Our real brand", is_demo=False)

    with pytest.raises(CommandError, match="not a demo workspace"):
        seed(days=3)

    assert not SocialAccount.objects.exists()


def test_topup_fills_the_missing_days_and_nothing_else() -> None:
    seed(days=20)
    workspace = Workspace.objects.get(slug="demo")
    new_end = END + dt.timedelta(days=3)

    demo_workspace_topup(workspace=workspace, end=new_end)
    topped_up = state()
    # A seed straight to the new end, in a fresh database, would have written the same rows.
    Workspace.objects.all().delete()
    User.objects.all().delete()
    seed(days=23, end=new_end)
    direct = state()

    assert topped_up["posts"] == direct["posts"]
    for table in ("account_facts", "post_facts"):
        # Everything but the write time, which differs between the two databases' runs.
        assert {r[:-1] for r in topped_up[table]} == {r[:-1] for r in direct[table]}, table
    assert (
        demo_workspace_topup(
            workspace=Workspace.objects.get(slug="demo"), end=new_end
        ).account_metrics
        == 0
    )


def test_full_default_seed_then_nightly_topup() -> None:
    output = StringIO()
    call_command("seed_demo", stdout=output)

    yesterday = dt.datetime.now(PARIS).date() - dt.timedelta(days=1)
    workspace = Workspace.objects.get(slug="demo")
    assert (workspace.name, workspace.is_demo, workspace.timezone, workspace.language) == (
        "Maison Lumière (demo)",
        True,
        "Europe/Paris",
        "en",
    )
    window = {yesterday - dt.timedelta(days=n) for n in range(548)}
    for account in workspace.accounts.all():
        missing = window - set(account.facts.values_list("day", flat=True))
        if account.platform == "facebook":
            # Eighteen months always hold at least one of its yearly outages (14-17 October).
            assert missing
            assert all(
                (d.month, d.day) in {(10, 14), (10, 15), (10, 16), (10, 17)} for d in missing
            )
        else:
            assert not missing, account.platform
    text = output.getvalue()
    for login in ("demo-admin", "demo-admin-2026", "demo-viewer-2026", "viewer"):
        assert login in text
    assert Post.objects.count() > 1200

    # The nightly task on the same day has nothing to do; a day later it adds exactly one day.
    assert demo_topup() == {"demo": 0}
    before = AccountMetric.objects.count()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)):
        assert demo_topup()["demo"] > 0
    added = AccountMetric.objects.exclude(day__lte=yesterday)
    assert set(added.values_list("day", flat=True)) <= {yesterday + dt.timedelta(days=1)}
    assert AccountMetric.objects.count() - before == added.count()
    assert demo_workspaces_topup(end=yesterday + dt.timedelta(days=1))["demo"].account_metrics == 0
