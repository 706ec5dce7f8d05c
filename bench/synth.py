"""Synthetic history for the benchmark workspace: pure numpy and pandas, no database.

The numbers borrow the demo's platform profiles (``connectors/demo/profiles.py``: formats, the
metrics each platform reports, engagement rates, decay of a post's audience), spread over many
accounts of different sizes. Everything is drawn from one seeded numpy generator and laid out in
days relative to the last day, so a scale always produces the same row counts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

SEED = 20_260_501
SNAPSHOT_AGES = (0, 1, 2, 7, 30)
TIMEZONE = "Europe/Paris"
_MINUTES = (0, 5, 15, 30, 45, 50)
_EXTRA_TAGS = ("ugc", "giveaway", "partnership", "evergreen", "press")


@dataclass(frozen=True)
class Scale:
    slug: str
    accounts: int
    days: int
    posts: int


SCALES = {
    "small": Scale(slug="bench-small", accounts=10, days=365, posts=10_000),
    "large": Scale(slug="bench-large", accounts=120, days=3 * 365 + 1, posts=150_000),
}


@dataclass
class Tables:
    """The bulk rows of one workspace, as DataFrames in the column order of the COPY."""

    accounts: pd.DataFrame  # platform, external_id, handle, display_name
    posts: pd.DataFrame  # account (index), external_id, published_at, format, is_paid, text…
    post_metrics: pd.DataFrame  # post (index), day (offset), metric, value
    account_metrics: pd.DataFrame  # account (index), day (offset), metric, value

    def counts(self) -> dict[str, int]:
        return {
            "accounts": len(self.accounts),
            "posts": len(self.posts),
            "post_metrics": len(self.post_metrics),
            "account_metrics": len(self.account_metrics),
        }


def _profiles() -> list[Any]:
    from connectors.demo.profiles import FACEBOOK, PROFILES, FormatProfile

    feed = frozenset({"impressions", "likes", "comments", "shares", "clicks"})
    # The demo has no X account; this one behaves like a text-first Facebook page.
    x = replace(
        FACEBOOK,
        platform="x",
        external_id="bench-x",
        posts_per_week=9,
        formats=(
            FormatProfile("text", 0.5, feed),
            FormatProfile("photo", 0.3, feed, exposure=1.3),
            FormatProfile("video", 0.1, feed | {"video_views"}, exposure=1.6, view_rate=0.4),
            FormatProfile("link", 0.1, feed, exposure=0.7, click_boost=3.0),
        ),
        rates={"likes": 0.012, "comments": 0.0015, "shares": 0.003, "clicks": 0.01},
        outage=None,
        account_metrics=FACEBOOK.account_metrics - {"reach"},
    )
    return [*PROFILES, x]


def tables_generate(scale: Scale, *, end: dt.date) -> Tables:
    """Every bulk row of the workspace; ``day`` columns are offsets from the first day."""
    from connectors.demo import seasons
    from connectors.demo.texts import post_text

    rng = np.random.default_rng(SEED)
    profiles = _profiles()
    n_days = scale.days
    days = [end - dt.timedelta(days=n_days - 1 - i) for i in range(n_days)]
    weekday = np.array([d.weekday() for d in days])
    season = np.array([seasons.season(d) for d in days])
    rate = np.array([seasons.posting_rate(d) for d in days])
    campaign_day = np.array([seasons.campaign_active(d) for d in days])

    accounts = []
    for i in range(scale.accounts):
        profile = profiles[i % len(profiles)]
        brand = f"Bench brand {i // len(profiles) + 1:03d}"
        accounts.append((profile.platform, f"bench-{profile.platform}-{i:04d}", f"@b{i}", brand))
    account_df = pd.DataFrame(accounts, columns=["platform", "external_id", "handle", "name"])
    shares = rng.lognormal(0.0, 0.5, scale.accounts) * np.array(
        [profiles[i % len(profiles)].posts_per_week for i in range(scale.accounts)]
    )
    post_counts = rng.multinomial(scale.posts, shares / shares.sum())

    posts: list[pd.DataFrame] = []
    snaps: list[pd.DataFrame] = []
    facts: list[pd.DataFrame] = []
    texts: dict[tuple[str, str, bool], list[str]] = {}
    for index in range(scale.accounts):
        profile = profiles[index % len(profiles)]
        # Accounts of one platform differ by an order of magnitude in audience and growth.
        size = profile.followers * rng.lognormal(0.0, 0.9)
        growth = profile.growth_per_year * rng.uniform(0.3, 1.6)
        t = (np.arange(n_days) - n_days) / 365.25
        walk = np.cumsum(rng.normal(0.0, 0.0008, n_days))
        followers = np.round(size * np.exp(growth * t + walk - walk[-1]))

        count = int(post_counts[index])
        weights = np.array(profile.post_weekdays)[weekday] * rate
        day = np.sort(rng.choice(n_days, size=count, p=weights / weights.sum()))
        fmt_index = rng.choice(
            len(profile.formats), size=count, p=_normalised([f.weight for f in profile.formats])
        )
        pillars = list(profile.pillars)
        pillar = rng.choice(len(pillars), size=count, p=_normalised(profile.pillars.values()))
        campaign = campaign_day[day] & (rng.random(count) < 0.85)
        paid = rng.random(count) < np.where(campaign, 0.45, profile.paid_share)
        paid &= np.array([profile.formats[k].paid_ok for k in fmt_index], dtype=bool)
        exposure = (
            followers[day]
            * profile.exposure_per_follower
            * np.array([f.exposure for f in profile.formats])[fmt_index]
            * season[day]
            * np.array(profile.audience_weekdays)[weekday[day]]
            * np.where(campaign, 1.8, 1.0)
            * np.where(paid, 2.3, 1.0)
            * rng.lognormal(0.0, profile.virality, count)
        )
        view_rate = np.array([f.view_rate for f in profile.formats])[fmt_index]
        views = exposure * view_rate * rng.uniform(0.85, 1.15, count)
        seen = views if profile.exposure_metric == "video_views" else exposure
        engaged = (views if profile.engage_on_views else exposure) * np.where(campaign, 1.25, 1.0)
        engaged *= np.array([f.engagement for f in profile.formats])[fmt_index]
        engaged *= np.where(paid, 0.75, 1.0)
        totals = {
            "impressions": exposure,
            "video_views": views,
            "reach": seen * np.minimum(1.0, profile.reach_ratio * rng.uniform(0.9, 1.05, count)),
        }
        for part, part_rate in profile.rates.items():
            boost = np.array([f.click_boost if part == "clicks" else 1.0 for f in profile.formats])
            totals[part] = engaged * part_rate * boost[fmt_index] * rng.lognormal(0, 0.2, count)

        hour_pick = rng.integers(0, 1000, count)
        hours = np.where(
            weekday[day] >= 5,
            np.array(profile.hours_weekend)[hour_pick % len(profile.hours_weekend)],
            np.array(profile.hours_weekday)[hour_pick % len(profile.hours_weekday)],
        )
        minutes = np.array(_MINUTES)[rng.integers(0, len(_MINUTES), count)]
        local = (
            pd.to_datetime(np.array(days, dtype="datetime64[D]")[day])
            + pd.to_timedelta(hours, unit="h")
            + pd.to_timedelta(minutes, unit="m")
        )
        published = local.tz_localize(TIMEZONE, ambiguous=True, nonexistent="shift_forward")
        extra = rng.integers(0, len(_EXTRA_TAGS) * 6, count)  # one post in six has an extra tag
        text_pick = rng.integers(0, 40, count)
        post_tags: list[list[str]] = []
        post_texts: list[str] = []
        for k in range(count):
            name, is_campaign = (
                ("product" if campaign[k] else pillars[pillar[k]]),
                bool(campaign[k]),
            )
            tags = [name, *(["summer-launch"] if is_campaign else [])]
            if extra[k] < len(_EXTRA_TAGS):
                tags.append(_EXTRA_TAGS[extra[k]])
            post_tags.append(tags)
            pool = texts.setdefault((profile.platform, name, is_campaign), [])
            while len(pool) <= text_pick[k]:
                seed = f"{profile.platform}:{name}:{is_campaign}:{len(pool)}"
                pool.append(
                    post_text(
                        rng=random.Random(seed),
                        platform=profile.platform,
                        pillar=name,
                        campaign=is_campaign,
                    )
                )
            post_texts.append(pool[text_pick[k]])
        first = sum(len(p) for p in posts)
        posts.append(
            pd.DataFrame(
                {
                    "account": index,
                    "external_id": [f"b{index}-{k}" for k in range(count)],
                    "published_at": published.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S+00"),
                    "format": [profile.formats[k].key for k in fmt_index],
                    "is_paid": paid,
                    "text": post_texts,
                    "permalink": [
                        f"https://social.example/{profile.platform}/b{index}-{k}"
                        for k in range(count)
                    ],
                    "tags": [_json_list(tags) for tags in post_tags],
                }
            )
        )

        # Snapshots of lifetime counters on SNAPSHOT_AGES, read off the audience's decay curve.
        curve = 1.0 - np.exp(-(np.arange(120) + 1) / profile.decay_days)
        flows: dict[str, np.ndarray] = {}
        for metric in sorted({m for f in profile.formats for m in f.metrics}):
            has = np.array([metric in f.metrics for f in profile.formats])[fmt_index]
            for age in SNAPSHOT_AGES:
                keep = has & (day + age < n_days)
                short = np.array([len(f.snapshot_ages) < 3 for f in profile.formats])[fmt_index]
                keep &= ~short | (age <= 1)
                snaps.append(
                    pd.DataFrame(
                        {
                            "post": first + np.flatnonzero(keep),
                            "day": day[keep] + age,
                            "metric": metric,
                            "value": np.round(totals[metric][keep] * curve[age]),
                        }
                    )
                )
            daily = np.bincount(day[has], weights=totals[metric][has], minlength=n_days)
            kernel = np.diff(np.concatenate([[0.0], curve / curve[-1]]))
            flows[metric] = np.convolve(daily, kernel)[:n_days]
        facts.append(_account_facts(profile, index, followers, flows, day, season, weekday, rng))

    post_df = pd.concat(posts, ignore_index=True)
    snap_df = pd.concat(snaps, ignore_index=True)
    fact_df = pd.concat(facts, ignore_index=True)
    # Outages: the demo's Meta outage leaves gaps in the facts of every Facebook account.
    outage = {p.platform: np.array([seasons.outage_active(p, d) for d in days]) for p in profiles}
    platform_of = account_df["platform"].to_numpy()[fact_df["account"].to_numpy()]
    down = np.zeros(len(fact_df), dtype=bool)
    for platform, mask in outage.items():
        down |= (platform_of == platform) & mask[fact_df["day"].to_numpy()]
    return Tables(account_df, post_df, snap_df, fact_df[~down].reset_index(drop=True))


def _account_facts(
    profile: Any,
    index: int,
    followers: np.ndarray,
    flows: dict[str, np.ndarray],
    post_day: np.ndarray,
    season: np.ndarray,
    weekday: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    n_days = len(followers)
    net = np.diff(followers, prepend=followers[0])
    lost = np.round(followers * profile.churn_per_day * rng.uniform(0.6, 1.4, n_days))
    gained = net + lost
    lost = np.where(gained < 0, lost - gained, lost)
    gained = np.maximum(gained, 0)
    baseline = (
        followers
        * profile.baseline_per_follower
        * np.array(profile.audience_weekdays)[weekday]
        * season
        * rng.uniform(0.85, 1.15, n_days)
    )
    base_views = baseline if profile.exposure_metric == "video_views" else baseline * 0.1
    zero = np.zeros(n_days)
    values = {
        "followers": followers,
        "followers_gained": gained,
        "followers_lost": lost,
        "posts_published": np.bincount(post_day, minlength=n_days).astype(float),
        "impressions": np.round(flows.get("impressions", zero) + baseline),
        "video_views": np.round(flows.get("video_views", zero) + base_views),
        "reach": np.round((flows.get("reach", zero) + baseline) * rng.uniform(0.85, 0.95, n_days)),
        "profile_visits": np.round(baseline * max(profile.profile_visit_rate, 0.005) * 4),
        "watch_time_minutes": np.round(flows.get("video_views", zero) * 0.4, 1),
    }
    engaged_base = base_views if profile.engage_on_views else baseline
    for part, part_rate in profile.rates.items():
        values[part] = np.round(flows.get(part, zero) + engaged_base * part_rate * 0.5)
    values["engagements"] = sum(
        (values[p] for p in ("likes", "comments", "shares", "saves", "clicks") if p in values),
        zero,
    )
    frames = [
        pd.DataFrame({"account": index, "day": np.arange(n_days), "metric": m, "value": v})
        for m, v in sorted(values.items())
        if m in profile.account_metrics
    ]
    return pd.concat(frames, ignore_index=True)


def _normalised(weights: Any) -> np.ndarray:
    array = np.array(list(weights), dtype=float)
    return array / array.sum()


def _json_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"
