"""The deterministic demo generator: posts, post snapshots and account facts for a window.

Pure functions, no ORM. Every random draw comes from a ``random.Random`` seeded with the
account's external id, what is drawn and the ISO date (never the salted ``hash()``), so a day
always produces the same values whatever window it is generated in.

The account's daily engagement is the sum of its posts' daily increments plus a small baseline
(old posts, profile, search), so post-level and account-level numbers tell the same story. A
post's counters grow along a decay curve shaped by the audience's weekdays; its snapshots on
``SNAPSHOT_AGES`` read that curve, so they rise monotonically and saturate.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from connectors.base import AccountMetricRow, PostMetricRow, PostRow
from connectors.demo import seasons
from connectors.demo.profiles import ENGAGEMENT_PARTS, FormatProfile, PlatformProfile
from connectors.demo.texts import post_text

_PILLAR_EXPOSURE = {"behind-the-scenes": 1.1, "tips": 1.05, "product": 1.0, "community": 0.9}
_PAID_EXPOSURE = 2.3
# Paid reach goes to people who do not know the brand yet: they engage less per impression.
_PAID_ENGAGEMENT = 0.75
_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass(frozen=True)
class DemoHistory:
    posts: list[PostRow]
    post_metrics: list[PostMetricRow]
    account_metrics: list[AccountMetricRow]


@dataclass(frozen=True)
class _Post:
    row: PostRow
    day: dt.date  # local publication date
    fmt: FormatProfile
    totals: dict[str, float]  # lifetime counter per metric
    curve: tuple[float, ...]  # share of the lifetime total reached by the end of each age

    def counter(self, metric: str, age: int) -> int:
        if age < 0:
            return 0
        return round(self.totals[metric] * self.curve[min(age, len(self.curve) - 1)])


def history_generate(
    *, profile: PlatformProfile, timezone: str, start: dt.date, end: dt.date
) -> DemoHistory:
    """Posts published in ``start``..``end``, their snapshots up to ``end`` and the account's
    daily facts for the window, except on the profile's outage days, which have no rows at all.
    """
    if start > end:
        return DemoHistory(posts=[], post_metrics=[], account_metrics=[])
    tz = ZoneInfo(timezone)
    # Posts published before the window still add to its first days' account numbers.
    lookback = max(f.lifetime_days for f in profile.formats)
    posts = [
        post
        for offset in range((end - start).days + lookback + 1)
        for post in _posts_on(profile, tz, start - dt.timedelta(days=lookback - offset))
    ]
    in_window = [p for p in posts if p.day >= start]
    return DemoHistory(
        posts=[p.row for p in in_window],
        post_metrics=_snapshots(profile, in_window, end),
        account_metrics=_account_facts(profile, posts, start, end),
    )


def _posts_on(profile: PlatformProfile, tz: ZoneInfo, day: dt.date) -> list[_Post]:
    key = f"{profile.external_id}:{day.isoformat()}"
    rng = random.Random(f"{key}:posts")
    weekday_weight = profile.post_weekdays[day.weekday()] / (sum(profile.post_weekdays) / 7)
    expected = profile.posts_per_week / 7 * weekday_weight * seasons.posting_rate(day)
    count = int(expected) + (rng.random() < expected - int(expected))
    hours = profile.hours_weekend if day.weekday() >= 5 else profile.hours_weekday
    chosen = sorted(rng.sample(hours, k=min(count, len(hours))))
    return [_post(profile, tz, day, index, hour) for index, hour in enumerate(chosen)]


def _post(profile: PlatformProfile, tz: ZoneInfo, day: dt.date, index: int, hour: int) -> _Post:
    key = f"{profile.external_id}:{day.isoformat()}:{index}"
    rng = random.Random(f"{key}:post")
    fmt = rng.choices(profile.formats, weights=[f.weight for f in profile.formats])[0]
    campaign = seasons.campaign_active(day) and rng.random() < 0.85
    pillar = (
        "product"
        if campaign
        else rng.choices(list(profile.pillars), weights=list(profile.pillars.values()))[0]
    )
    paid_share = seasons.SUMMER_LAUNCH.paid_share if campaign else profile.paid_share
    paid = fmt.paid_ok and rng.random() < paid_share
    local = dt.datetime.combine(day, dt.time(hour, rng.choice((0, 5, 15, 30, 45, 50))), tz)
    external_id, permalink = _identity(profile, fmt.key, rng, day, index)

    exposure = (
        seasons.audience_expected(profile, day)
        * profile.exposure_per_follower
        * fmt.exposure
        * seasons.season(day)
        * profile.audience_weekdays[day.weekday()]
        * _PILLAR_EXPOSURE.get(pillar, 1.0)
        * (seasons.SUMMER_LAUNCH.exposure if campaign else 1.0)
        * (_PAID_EXPOSURE if paid else 1.0)
        * math.exp(rng.gauss(0, profile.virality))
    )
    views = exposure * fmt.view_rate * rng.uniform(0.85, 1.15)
    seen = views if profile.exposure_metric == "video_views" else exposure
    engaged_base = views if profile.engage_on_views else exposure
    engagement = (
        fmt.engagement
        * (seasons.SUMMER_LAUNCH.engagement if campaign else 1.0)
        * (_PAID_ENGAGEMENT if paid else 1.0)
    )
    totals: dict[str, float] = {}
    for metric in sorted(fmt.metrics):
        if metric == "impressions":
            totals[metric] = exposure
        elif metric == "video_views":
            totals[metric] = views
        elif metric == "reach":
            totals[metric] = seen * min(1.0, profile.reach_ratio * rng.uniform(0.9, 1.05))
        else:
            boost = fmt.click_boost if metric == "clicks" else 1.0
            noise = math.exp(rng.gauss(0, 0.2))
            totals[metric] = engaged_base * profile.rates[metric] * engagement * boost * noise

    tags = [pillar, *([seasons.SUMMER_LAUNCH.tag] if campaign else [])]
    text = post_text(
        rng=random.Random(f"{key}:text"),
        platform=profile.platform,
        pillar=pillar,
        campaign=campaign,
    )
    row = PostRow(
        external_id=external_id,
        published_at=local.astimezone(dt.UTC),
        format=fmt.key,
        text=text,
        permalink=permalink,
        is_paid=paid,
        tags=tuple(tags),
    )
    return _Post(
        row=row,
        day=day,
        fmt=fmt,
        totals=totals,
        curve=_curve(
            fmt.decay_days or profile.decay_days,
            fmt.lifetime_days,
            profile.audience_weekdays,
            day.weekday(),
        ),
    )


def _identity(
    profile: PlatformProfile, fmt: str, rng: random.Random, day: dt.date, index: int
) -> tuple[str, str]:
    # Numeric ids start with the date, as platforms' time-ordered ids do, which also keeps them
    # unique per account; short codes are random, as YouTube's and Instagram's are.
    digits = f"{day.toordinal()}{index}{rng.randrange(10**12):012d}"
    code = "".join(rng.choice(_CODE_ALPHABET) for _ in range(11))
    template = profile.permalinks.get(fmt) or profile.permalinks[""]
    permalink = template.format(code=code, digits=digits)
    external_id = code if "{code}" in template else digits
    return external_id, permalink


@lru_cache(maxsize=256)
def _curve(
    decay_days: float, lifetime: int, weekdays: tuple[float, ...], first_weekday: int
) -> tuple[float, ...]:
    # Exponential decay, modulated by the audience's weekday, normalised to reach exactly 1.
    weights = [
        (math.exp(-age / decay_days) - math.exp(-(age + 1) / decay_days))
        * weekdays[(first_weekday + age) % 7]
        for age in range(lifetime)
    ]
    total = sum(weights)
    cumulative: list[float] = []
    running = 0.0
    for weight in weights:
        running += weight
        cumulative.append(running / total)
    cumulative[-1] = 1.0
    return tuple(cumulative)


def _snapshots(profile: PlatformProfile, posts: list[_Post], end: dt.date) -> list[PostMetricRow]:
    rows: list[PostMetricRow] = []
    for post in posts:
        for age in post.fmt.snapshot_ages:
            day = post.day + dt.timedelta(days=age)
            # A snapshot is only taken when a sync ran: never in the future, never in an outage.
            if day > end or seasons.outage_active(profile, day):
                continue
            rows.extend(
                PostMetricRow(post.row.external_id, day, metric, float(post.counter(metric, age)))
                for metric in post.totals
            )
    return rows


def _account_facts(
    profile: PlatformProfile, posts: list[_Post], start: dt.date, end: dt.date
) -> list[AccountMetricRow]:
    days = (end - start).days + 1
    flows: defaultdict[str, list[float]] = defaultdict(lambda: [0.0] * days)
    published = [0] * days
    for post in posts:
        offset = (post.day - start).days
        if offset >= 0:
            published[offset] += 1
        for age in range(max(0, -offset), min(len(post.curve), days - offset)):
            for metric in post.totals:
                increment = post.counter(metric, age) - post.counter(metric, age - 1)
                flows[metric][offset + age] += increment
                if metric == "video_views":
                    flows["watch_time_minutes"][offset + age] += (
                        increment * post.fmt.minutes_per_view
                    )

    rows: list[AccountMetricRow] = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if seasons.outage_active(profile, day):
            continue
        values = _day_values(profile, day, {m: v[offset] for m, v in flows.items()})
        values["posts_published"] = published[offset]
        rows.extend(
            AccountMetricRow(day, metric, float(value))
            for metric, value in sorted(values.items())
            if metric in profile.account_metrics
        )
    return rows


def _day_values(
    profile: PlatformProfile, day: dt.date, from_posts: dict[str, float]
) -> dict[str, float]:
    rng = random.Random(f"{profile.external_id}:{day.isoformat()}:day")
    audience, gained, lost = seasons.followers_flow(profile, day)
    baseline = (
        audience
        * profile.baseline_per_follower
        * profile.audience_weekdays[day.weekday()]
        * seasons.season(day)
        * (seasons.SUMMER_LAUNCH.attention if seasons.campaign_active(day) else 1.0)
        * rng.uniform(0.85, 1.15)
    )
    baseline_views = (
        baseline
        if profile.exposure_metric == "video_views"
        else baseline * profile.baseline_view_rate
    )
    impressions = round(from_posts.get("impressions", 0) + baseline)
    views = round(from_posts.get("video_views", 0) + baseline_views)
    seen = views if profile.exposure_metric == "video_views" else impressions
    reach = from_posts.get("reach", 0) + baseline * profile.reach_ratio
    values: dict[str, float] = {
        "followers": audience,
        "followers_gained": gained,
        "followers_lost": lost,
        "impressions": impressions,
        # Daily reach counts each person once, so it is less than the posts' reach added up.
        "reach": min(seen, round(reach * rng.uniform(0.85, 0.95))),
        "video_views": views,
        "watch_time_minutes": round(
            from_posts.get("watch_time_minutes", 0)
            + baseline_views * profile.baseline_minutes_per_view,
            1,
        ),
        "profile_visits": round(seen * profile.profile_visit_rate * rng.uniform(0.8, 1.2)),
    }
    engaged_base = baseline_views if profile.engage_on_views else baseline
    for part, rate in profile.rates.items():
        values[part] = round(
            from_posts.get(part, 0) + engaged_base * rate * 0.5 * rng.uniform(0.8, 1.2)
        )
    # Engagements are exactly the parts this platform reports, so KPI checks add up.
    values["engagements"] = sum(
        values[part]
        for part in ENGAGEMENT_PARTS
        if part in profile.rates and part in profile.account_metrics
    )
    return values
