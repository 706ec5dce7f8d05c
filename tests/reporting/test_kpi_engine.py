from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any, cast
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from connectors.models import (
    AccountMetric,
    Platform,
    Post,
    PostMetric,
    SocialAccount,
    User,
    Workspace,
)
from reporting.kpis.engine import BREAKDOWN_COLUMNS, KpiGroupingError, kpi_breakdown, kpi_value
from reporting.kpis.library import BUILTIN_KEYS
from reporting.kpis.selectors import KpiNotFound
from reporting.kpis.services import kpi_create, kpi_update
from reporting.models import KpiDefinition
from tests.factories import (
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are compared in English; a test elsewhere may leave French active.
    with translation.override("en"):
        yield


D = dt.date
UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")
JAN: dict[str, Any] = {"start": D(2026, 1, 1), "end": D(2026, 1, 31)}


def account(workspace: Workspace, platform: str, name: str | None = None) -> SocialAccount:
    return cast(
        SocialAccount,
        SocialAccountFactory(
            workspace=workspace, platform=platform, display_name=name or f"Acme {platform}"
        ),
    )


def facts(owner: SocialAccount, day: dt.date, **metrics: float) -> None:
    for metric, value in metrics.items():
        AccountMetricFactory(account=owner, day=day, metric=metric, value=value)


def post(
    owner: SocialAccount,
    published_at: dt.datetime,
    snapshots: dict[dt.date, dict[str, float]],
    **fields: Any,
) -> Post:
    created = cast(Post, PostFactory(account=owner, published_at=published_at, **fields))
    for day, metrics in snapshots.items():
        for metric, value in metrics.items():
            PostMetricFactory(post=created, day=day, metric=metric, value=value)
    return created


def custom(workspace: Workspace, formula: str, aggregation: str, key: str = "custom") -> str:
    kpi_create(
        workspace=workspace,
        key=key,
        name_en="Custom",
        name_fr="Personnalisé",
        formula=formula,
        unit="decimal",
        aggregation=aggregation,
    )
    return key


def left_out(result: Any) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(o.account.id, o.reason, o.missing_metrics) for o in result.left_out]


# One test per aggregation, with numbers worked out by hand ---------------------------------------


def test_ratio_of_sums_divides_the_periods_totals(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    li = account(workspace, Platform.LINKEDIN)
    facts(ig, D(2026, 1, 5), engagements=10, reach=500)
    facts(ig, D(2026, 1, 6), engagements=20, reach=100)
    facts(ig, D(2026, 1, 7), engagements=700)  # no reach that day: not counted
    facts(li, D(2026, 1, 5), engagements=1000, impressions=9000)

    result = kpi_value(workspace=workspace, kpi="engagement_rate_reach", **JAN)

    # Σ engagements = 30, Σ reach = 600; the mean of the daily rates would be 0.11.
    assert result.value == pytest.approx(0.05)
    assert (result.sample_size, result.sample_unit) == (2, "account_days")
    assert [a.id for a in result.accounts] == [ig.pk]
    assert result.rows_missing_inputs == 1
    assert left_out(result) == [(li.pk, "LinkedIn does not report reach.", ("reach",))]


def test_sum_adds_the_formula_of_each_day(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    fb = account(workspace, Platform.FACEBOOK)
    facts(ig, D(2026, 1, 1), followers_gained=10, followers_lost=2)
    facts(ig, D(2026, 1, 2), followers_gained=5, followers_lost=1)
    facts(ig, D(2026, 1, 3), followers_gained=100)  # lost unknown: the day is not counted
    facts(fb, D(2026, 1, 1), followers_gained=3, followers_lost=3)
    facts(fb, D(2026, 2, 1), followers_gained=50, followers_lost=0)  # after the period

    result = kpi_value(workspace=workspace, kpi="follower_growth", **JAN)

    assert result.value == 12
    assert (result.sample_size, result.sample_unit) == (3, "account_days")
    assert {a.id for a in result.accounts} == {ig.pk, fb.pk}


def test_last_adds_each_accounts_last_value(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    fb = account(workspace, Platform.FACEBOOK)
    x = account(workspace, Platform.X)
    facts(ig, D(2026, 1, 1), followers=100)
    facts(ig, D(2026, 1, 2), followers=110)
    facts(ig, D(2026, 1, 3), impressions=40)  # followers not reported on the last day
    facts(fb, D(2026, 1, 1), followers=50)
    facts(fb, D(2026, 1, 31), followers=60)
    facts(fb, D(2026, 2, 1), followers=999)
    facts(x, D(2026, 1, 31), impressions=10)

    result = kpi_value(workspace=workspace, kpi="followers", **JAN)

    assert result.value == 170
    assert (result.sample_size, result.sample_unit) == (2, "accounts")
    assert left_out(result) == [(x.pk, "X does not report followers.", ("followers",))]


def test_growth_rate_divides_by_the_audience_at_the_start(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    facts(ig, D(2026, 1, 1), followers=1010, followers_gained=20, followers_lost=10)
    facts(ig, D(2026, 1, 2), followers=1030, followers_gained=25, followers_lost=5)

    result = kpi_value(workspace=workspace, kpi="follower_growth_rate", **JAN)

    assert result.value == pytest.approx(30 / 1000)


def test_mean_of_post_ratios_differs_from_the_ratio_of_sums(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    post(
        ig,
        dt.datetime(2026, 1, 10, 12, tzinfo=UTC),
        {
            D(2026, 1, 10): {"likes": 5, "reach": 50},
            D(2026, 1, 12): {"likes": 10, "reach": 100},  # latest within the period
            D(2026, 2, 2): {"likes": 99, "reach": 100},  # after the period
        },
    )
    post(
        ig, dt.datetime(2026, 1, 20, 9, tzinfo=UTC), {D(2026, 1, 21): {"likes": 90, "reach": 1000}}
    )
    facts(ig, D(2026, 1, 21), likes=100, reach=1100)
    per_post = custom(workspace, "likes / reach", "mean_of_post_ratios", key="per_post")
    totals = custom(workspace, "likes / reach", "ratio_of_sums", key="totals")

    mean = kpi_value(workspace=workspace, kpi=per_post, **JAN)
    ratio = kpi_value(workspace=workspace, kpi=totals, **JAN)

    assert mean.value == pytest.approx((0.10 + 0.09) / 2)
    assert (mean.sample_size, mean.sample_unit) == (2, "posts")
    assert ratio.value == pytest.approx(100 / 1100)
    assert mean.value != pytest.approx(ratio.value)


def test_posts_belong_to_the_day_of_the_workspace_timezone(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    likes = {D(2026, 2, 3): {"likes": 1.0}}
    post(ig, dt.datetime(2025, 12, 31, 22, 30, tzinfo=UTC), likes)  # Dec 31, 23:30 in Paris
    post(ig, dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC), likes)  # Jan 1, 00:30 in Paris
    post(ig, dt.datetime(2026, 1, 31, 22, 59, tzinfo=UTC), likes)  # Jan 31, 23:59 in Paris
    post(ig, dt.datetime(2026, 1, 31, 23, 30, tzinfo=UTC), likes)  # Feb 1, 00:30 in Paris

    january_and_february = kpi_value(
        workspace=workspace, kpi="applause_rate", start=D(2026, 1, 1), end=D(2026, 2, 28)
    )
    february = kpi_value(
        workspace=workspace, kpi="applause_rate", start=D(2026, 2, 1), end=D(2026, 2, 28)
    )
    january = kpi_value(workspace=workspace, kpi="applause_rate", **JAN)

    assert january_and_february.sample_size == 3
    assert february.sample_size == 1
    # Both January posts were read only in February, after the period: no value yet.
    assert (january.sample_size, january.value) == (0, None)
    assert left_out(january) == [
        (ig.pk, "The posts published in the period have no counts yet.", ())
    ]


def test_a_division_by_zero_is_not_available_not_an_error(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    facts(ig, D(2026, 1, 5), engagements=10, reach=0)

    result = kpi_value(workspace=workspace, kpi="engagement_rate_reach", **JAN)

    assert result.value is None
    assert result.sample_size == 1
    assert [a.id for a in result.accounts] == [ig.pk]


# Accounts left out, and why ----------------------------------------------------------------------


def test_accounts_without_data_or_posts_are_left_out_with_the_reason(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    tiktok = account(workspace, Platform.TIKTOK)
    silent = account(workspace, Platform.FACEBOOK)
    facts(ig, D(2026, 1, 3), impressions=10)
    facts(silent, D(2025, 12, 31), impressions=10)
    post(
        ig,
        dt.datetime(2026, 1, 3, 12, tzinfo=UTC),
        {D(2026, 1, 4): {"likes": 4, "impressions": 40}},
    )
    post(ig, dt.datetime(2026, 1, 4, 12, tzinfo=UTC), {D(2026, 1, 5): {"impressions": 20}})  # story
    post(tiktok, dt.datetime(2026, 1, 3, 12, tzinfo=UTC), {D(2026, 1, 4): {"likes": 9}})
    kpi = custom(workspace, "likes / impressions", "mean_of_post_ratios")

    per_post = kpi_value(workspace=workspace, kpi=kpi, **JAN)
    daily = kpi_value(workspace=workspace, kpi="impressions", **JAN)

    assert per_post.value == pytest.approx(0.1)
    assert per_post.rows_missing_inputs == 1
    assert left_out(per_post) == [
        (silent.pk, "No post was published in the period.", ()),
        (tiktok.pk, "TikTok does not report impressions for posts.", ("impressions",)),
    ]
    assert left_out(daily) == [
        (silent.pk, "No data was collected for this account in the period.", ()),
        (tiktok.pk, "No data was collected for this account in the period.", ()),
    ]


def test_metrics_never_reported_together_are_named(workspace: Workspace) -> None:
    fb = account(workspace, Platform.FACEBOOK)
    facts(fb, D(2026, 1, 1), engagements=5)
    facts(fb, D(2026, 1, 2), reach=50)

    result = kpi_value(workspace=workspace, kpi="engagement_rate_reach", **JAN)

    assert result.value is None
    assert left_out(result) == [
        (fb.pk, "Facebook never reports engagements and reach together in the period.", ())
    ]


def test_the_choice_of_accounts_limits_the_kpi(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    fb = account(workspace, Platform.FACEBOOK)
    facts(ig, D(2026, 1, 1), impressions=10)
    facts(fb, D(2026, 1, 1), impressions=5)

    result = kpi_value(workspace=workspace, kpi="impressions", accounts=[fb], **JAN)

    assert result.value == 5
    assert [a.id for a in result.accounts] == [fb.pk]
    assert result.left_out == ()


# Workspace scoping ------------------------------------------------------------------------------


def test_other_workspaces_never_leak_in(workspace: Workspace, other_workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    intruder = account(other_workspace, Platform.INSTAGRAM)
    facts(ig, D(2026, 1, 1), engagements=10, reach=100, impressions=1000)
    facts(intruder, D(2026, 1, 1), engagements=77_777, reach=1, impressions=1)
    post(intruder, dt.datetime(2026, 1, 2, tzinfo=UTC), {D(2026, 1, 3): {"likes": 5000}})
    theirs = KpiDefinition.objects.get(workspace=other_workspace, key="engagement_rate_reach")
    kpi_update(kpi=theirs, formula="impressions / reach")

    result = kpi_value(workspace=workspace, kpi="engagement_rate_reach", **JAN)

    assert result.value == pytest.approx(0.1)
    assert result.version == 1
    assert [a.id for a in result.accounts] == [ig.pk]
    assert kpi_value(workspace=workspace, kpi="applause_rate", **JAN).value is None
    with pytest.raises(ValueError, match="belongs to another workspace"):
        kpi_value(workspace=workspace, kpi=theirs, **JAN)
    with pytest.raises(ValueError, match="do not belong to Acme"):
        kpi_value(workspace=workspace, kpi="reach", accounts=[intruder], **JAN)
    with pytest.raises(KpiNotFound, match=r"There is no KPI 'nope' in Acme\. Available KPIs: "):
        kpi_value(workspace=workspace, kpi="nope", **JAN)


# Versions ---------------------------------------------------------------------------------------


def test_results_record_the_version_they_used(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    facts(ig, D(2026, 1, 1), engagements=30, likes=20, reach=600)
    kpi = KpiDefinition.objects.get(workspace=workspace, key="engagement_rate_reach")
    first = kpi.current_version
    assert first is not None

    before = kpi_value(workspace=workspace, kpi=kpi, **JAN)
    kpi_update(kpi=kpi, formula="likes / reach")
    after = kpi_value(workspace=workspace, kpi="engagement_rate_reach", **JAN)
    replayed = kpi_value(workspace=workspace, kpi=kpi, version=first, **JAN)

    assert (before.version, before.version_id, before.value) == (1, first.pk, 0.05)
    assert after.version == 2
    assert after.version_id != first.pk
    assert after.formula == "likes / reach"
    assert after.value == pytest.approx(20 / 600)
    assert (replayed.version_id, replayed.value) == (first.pk, 0.05)
    other = KpiDefinition.objects.get(workspace=workspace, key="reach").current_version
    with pytest.raises(ValueError, match="no such version"):
        kpi_value(workspace=workspace, kpi=kpi, version=other, **JAN)


# Breakdowns -------------------------------------------------------------------------------------


def test_breakdown_by_day_lists_every_day_and_adds_up(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    fb = account(workspace, Platform.FACEBOOK)
    facts(ig, D(2026, 1, 1), impressions=10)
    facts(fb, D(2026, 1, 1), impressions=5)
    facts(ig, D(2026, 1, 3), impressions=7)
    period: dict[str, Any] = {"start": D(2026, 1, 1), "end": D(2026, 1, 3)}

    frame = kpi_breakdown(workspace=workspace, kpi="impressions", by="day", **period)

    assert list(frame.columns) == BREAKDOWN_COLUMNS
    assert frame["group"].tolist() == [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)]
    assert frame["label"].tolist() == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert frame["value"].fillna(-1).tolist() == [15, -1, 7]
    assert frame["sample_size"].tolist() == [2, 0, 1]
    assert frame["accounts"].tolist() == [2, 0, 1]
    total = kpi_value(workspace=workspace, kpi="impressions", **period).value
    assert frame["value"].sum() == total


def test_breakdown_by_week_ends_on_the_last_day(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM)
    for day in pd.date_range("2026-01-01", "2026-01-10").date:
        facts(ig, day, engagements=1, reach=10 * day.day)

    frame = kpi_breakdown(
        workspace=workspace,
        kpi="engagement_rate_reach",
        by="week",
        start=D(2026, 1, 1),
        end=D(2026, 1, 10),
    )

    assert frame["period_start"].dt.date.tolist() == [D(2026, 1, 1), D(2026, 1, 4)]
    assert frame["period_end"].dt.date.tolist() == [D(2026, 1, 3), D(2026, 1, 10)]
    assert frame["label"].tolist() == ["2026-01-01 to 2026-01-03", "2026-01-04 to 2026-01-10"]
    assert frame["value"].tolist() == pytest.approx([3 / 60, 7 / 490])
    assert frame["sample_size"].tolist() == [3, 7]


def test_breakdown_of_last_values_by_month_and_account(workspace: Workspace) -> None:
    ig = account(workspace, Platform.INSTAGRAM, "Acme IG")
    fb = account(workspace, Platform.FACEBOOK, "Acme FB")
    facts(ig, D(2026, 1, 10), followers=100)
    facts(ig, D(2026, 2, 10), followers=120)
    facts(fb, D(2026, 1, 31), followers=40)
    period: dict[str, Any] = {"start": D(2026, 1, 15), "end": D(2026, 2, 28)}

    months = kpi_breakdown(workspace=workspace, kpi="followers", by="month", **period)
    accounts = kpi_breakdown(workspace=workspace, kpi="followers", by="account", **period)
    platforms = kpi_breakdown(workspace=workspace, kpi="followers", by="platform", **period)

    assert months["label"].tolist() == ["2026-01", "2026-02"]
    assert months["period_start"].dt.date.tolist() == [D(2026, 1, 15), D(2026, 2, 1)]
    assert months["value"].fillna(-1).tolist() == [40, 120]
    assert accounts[["group", "label", "value"]].values.tolist() == [
        [fb.pk, "Acme FB (Facebook)", 40],
        [ig.pk, "Acme IG (Instagram)", 120],
    ]
    assert platforms[["group", "label"]].values.tolist() == [
        ["facebook", "Facebook"],
        ["instagram", "Instagram"],
    ]
    assert platforms["period_start"].isna().all()


@pytest.fixture
def tagged_posts(workspace: Workspace) -> SocialAccount:
    ig = account(workspace, Platform.INSTAGRAM)
    snap = D(2026, 1, 20)
    # Sunday 4 January 23:30 UTC is Monday 00:30 in Paris.
    post(
        ig,
        dt.datetime(2026, 1, 4, 23, 30, tzinfo=UTC),
        {snap: {"likes": 10}},
        format="reel",
        tags=["launch", "promo"],
    )
    post(
        ig,
        dt.datetime(2026, 1, 5, 17, 0, tzinfo=UTC),
        {snap: {"likes": 20}},
        format="photo",
        tags=["launch"],
    )
    post(
        ig,
        dt.datetime(2026, 1, 6, 17, 10, tzinfo=UTC),
        {snap: {"likes": 60}},
        format="photo",
        tags=[],
    )
    post(
        ig,
        dt.datetime(2026, 1, 7, 17, 0, tzinfo=UTC),
        {snap: {"reach": 60}},
        format="story",
        tags=[],
    )
    return ig


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("format", [("photo", "Photo", 40.0, 2), ("reel", "Reel", 10.0, 1)]),
        (
            "tag",
            [("launch", "launch", 15.0, 2), ("promo", "promo", 10.0, 1), (None, "No tag", 60.0, 1)],
        ),
        ("platform", [("instagram", "Instagram", 30.0, 3)]),
    ],
)
def test_breakdown_of_posts_by_what_was_posted(
    workspace: Workspace, tagged_posts: SocialAccount, by: str, expected: list[tuple[Any, ...]]
) -> None:
    frame = kpi_breakdown(workspace=workspace, kpi="applause_rate", by=by, **JAN)

    rows = [(r.group, r.label, r.value, r.sample_size) for r in frame.itertuples(index=False)]
    assert rows == expected


def test_breakdown_of_posts_by_weekday_and_hour_uses_the_workspace_clock(
    workspace: Workspace, tagged_posts: SocialAccount
) -> None:
    weekdays = kpi_breakdown(workspace=workspace, kpi="applause_rate", by="weekday", **JAN)
    hours = kpi_breakdown(workspace=workspace, kpi="applause_rate", by="hour", **JAN)

    assert weekdays["group"].tolist() == list(range(7))
    assert weekdays["label"].tolist()[:2] == ["Monday", "Tuesday"]
    assert weekdays["value"].fillna(-1).tolist() == [15, 60, -1, -1, -1, -1, -1]
    assert weekdays["sample_size"].tolist() == [2, 1, 0, 0, 0, 0, 0]
    assert hours["group"].tolist() == list(range(24))
    assert hours.set_index("label").loc[["00:00", "18:00"], "value"].tolist() == [10, 40]


def test_a_breakdown_without_data_keeps_its_columns(workspace: Workspace) -> None:
    account(workspace, Platform.INSTAGRAM)

    by_platform = kpi_breakdown(workspace=workspace, kpi="reach", by="platform", **JAN)
    by_month = kpi_breakdown(workspace=workspace, kpi="applause_rate", by="month", **JAN)

    assert list(by_platform.columns) == BREAKDOWN_COLUMNS
    assert by_platform.empty
    assert by_month["group"].tolist() == [D(2026, 1, 1)]
    assert by_month["value"].isna().all()
    assert by_month["sample_size"].tolist() == [0]


def test_per_post_groupings_need_a_kpi_computed_per_post(workspace: Workspace) -> None:
    for by in ("format", "tag", "weekday", "hour"):
        with pytest.raises(KpiGroupingError, match=f"do not split by {by}"):
            kpi_breakdown(workspace=workspace, kpi="engagement_rate_reach", by=by, **JAN)
    with pytest.raises(ValueError, match="'colour' is not a valid Grouping"):
        kpi_breakdown(workspace=workspace, kpi="reach", by="colour", **JAN)


def test_a_start_after_the_end_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="start date must be on or before the end date"):
        kpi_value(workspace=workspace, kpi="reach", start=D(2026, 2, 1), end=D(2026, 1, 1))


# The demo: every built-in KPI equals the same computation done by hand in pandas ----------------

DEMO_END = D(2025, 10, 20)  # the seeded window covers Facebook's yearly outage (14 to 17 October)
PERIODS = [(D(2025, 7, 1), DEMO_END), (D(2025, 10, 1), DEMO_END)]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workspace]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        call_command("seed_demo", "--days=120", f"--end={DEMO_END}", stdout=StringIO())
        workspace = Workspace.objects.get(slug="demo")
        try:
            yield workspace
        finally:
            workspace.delete()
            User.objects.filter(username__startswith="demo-").delete()


def raw_facts(workspace: Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    rows = AccountMetric.objects.filter(
        account__workspace=workspace, day__gte=start, day__lte=end
    ).values("account_id", "day", "metric", "value")
    long = pd.DataFrame(list(rows))
    return long.pivot(index=["account_id", "day"], columns="metric", values="value").reset_index()


def raw_posts(workspace: Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    posts = pd.DataFrame(
        list(
            Post.objects.filter(account__workspace=workspace).values(
                "id", "account_id", "published_at"
            )
        )
    )
    local_day = pd.to_datetime(posts["published_at"], utc=True).dt.tz_convert(PARIS).dt.date
    posts = posts[(local_day >= start) & (local_day <= end)]
    snapshots = pd.DataFrame(
        list(
            PostMetric.objects.filter(post__account__workspace=workspace, day__lte=end).values(
                "post_id", "day", "metric", "value"
            )
        )
    )
    latest = snapshots.sort_values("day").groupby(["post_id", "metric"])["value"].last()
    return posts.join(latest.unstack(), on="id")


Hand = tuple[float, int, set[int]]  # value, sample size, accounts that take part


def _last(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows.sort_values("day").groupby("account_id")[column].last()


def _summed(column: str) -> Callable[[pd.DataFrame, pd.DataFrame], Hand]:
    def compute(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
        rows = f.dropna(subset=[column])
        return rows[column].sum(), len(rows), set(rows["account_id"])

    return compute


def _ratio(numerator: str, denominator: str) -> Callable[[pd.DataFrame, pd.DataFrame], Hand]:
    def compute(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
        rows = f.dropna(subset=[numerator, denominator])
        value = rows[numerator].sum() / rows[denominator].sum()
        return value, len(rows), set(rows["account_id"])

    return compute


def _per_post(column: str) -> Callable[[pd.DataFrame, pd.DataFrame], Hand]:
    def compute(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
        rows = p.dropna(subset=[column])
        return rows[column].mean(), len(rows), set(rows["account_id"])

    return compute


def _followers(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
    last = _last(f.dropna(subset=["followers"]), "followers")
    return last.sum(), len(last), set(last.index)


def _growth(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
    rows = f.dropna(subset=["followers_gained", "followers_lost"])
    net = rows["followers_gained"] - rows["followers_lost"]
    return net.sum(), len(rows), set(rows["account_id"])


def _growth_rate(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
    rows = f.dropna(subset=["followers_gained", "followers_lost", "followers"])
    net = (rows["followers_gained"] - rows["followers_lost"]).sum()
    at_end = _last(rows, "followers").sum()
    return net / (at_end - net), len(rows), set(rows["account_id"])


def _engagement_rate_followers(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
    rows = f.dropna(subset=["engagements", "followers"])
    value = rows["engagements"].sum() / _last(rows, "followers").sum()
    return value, len(rows), set(rows["account_id"])


def _engagements_per_post(f: pd.DataFrame, p: pd.DataFrame) -> Hand:
    def column(name: str) -> pd.Series:
        return p[name] if name in p else pd.Series(math.nan, index=p.index)

    parts = (
        column("likes")
        + column("comments")
        + column("shares")
        + column("saves").fillna(0)
        + column("clicks").fillna(0)
    )
    values = column("engagements").fillna(parts).dropna()
    return values.mean(), len(values), set(p.loc[values.index, "account_id"])


HAND: dict[str, Callable[[pd.DataFrame, pd.DataFrame], Hand]] = {
    "followers": _followers,
    "follower_growth": _growth,
    "follower_growth_rate": _growth_rate,
    "impressions": _summed("impressions"),
    "reach": _summed("reach"),
    "engagements": _summed("engagements"),
    "engagement_rate_reach": _ratio("engagements", "reach"),
    "engagement_rate_impressions": _ratio("engagements", "impressions"),
    "engagement_rate_followers": _engagement_rate_followers,
    "applause_rate": _per_post("likes"),
    "conversation_rate": _per_post("comments"),
    "amplification_rate": _per_post("shares"),
    "virality_rate": _ratio("shares", "impressions"),
    "ctr": _ratio("clicks", "impressions"),
    "video_view_rate": _ratio("video_views", "impressions"),
    "posts_published": _summed("posts_published"),
    "engagements_per_post": _engagements_per_post,
}


def test_every_builtin_has_a_hand_computation() -> None:
    assert sorted(HAND) == sorted(BUILTIN_KEYS)


@pytest.mark.parametrize(("start", "end"), PERIODS, ids=["jul-oct", "october"])
@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_demo_kpi_equals_the_hand_computation(
    demo: Workspace, db: None, key: str, start: dt.date, end: dt.date
) -> None:
    expected, sample, taking_part = HAND[key](
        raw_facts(demo, start, end), raw_posts(demo, start, end)
    )
    assert math.isfinite(expected) and expected > 0 and sample > 0

    result = kpi_value(workspace=demo, kpi=key, start=start, end=end)

    assert result.value == pytest.approx(expected, rel=1e-12)
    assert result.sample_size == sample
    assert {a.id for a in result.accounts} == taking_part
    every = set(SocialAccount.objects.filter(workspace=demo).values_list("pk", flat=True))
    assert {o.account.id for o in result.left_out} == every - taking_part
    assert all(o.reason for o in result.left_out)


def test_demo_breakdowns_add_up_to_the_period(demo: Workspace, db: None) -> None:
    start, end = PERIODS[0]
    value = kpi_value(workspace=demo, kpi="engagements", start=start, end=end)
    by_week = kpi_breakdown(workspace=demo, kpi="engagements", start=start, end=end, by="week")
    by_platform = kpi_breakdown(
        workspace=demo, kpi="engagements", start=start, end=end, by="platform"
    )
    posts = kpi_value(workspace=demo, kpi="applause_rate", start=start, end=end)
    by_format = kpi_breakdown(
        workspace=demo, kpi="applause_rate", start=start, end=end, by="format"
    )

    assert by_week["value"].sum() == pytest.approx(value.value)
    assert by_platform["value"].sum() == pytest.approx(value.value)
    assert by_week["sample_size"].sum() == value.sample_size
    assert by_format["sample_size"].sum() == posts.sample_size
    weighted = (by_format["value"] * by_format["sample_size"]).sum() / posts.sample_size
    assert weighted == pytest.approx(posts.value)
