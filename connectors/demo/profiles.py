"""Who the demo brand is and how each of its platforms behaves: data only, no logic.

Maison Lumière is a fictional Paris home-fragrance brand (candles, diffusers, linen mists). The
numbers below are tuned so that charts look like a mid-sized brand's: Instagram is the main
channel, TikTok grows fastest, LinkedIn speaks to the trade on weekdays, YouTube has a small but
loyal subscriber base that watches long videos. Rates are per unit of a post's exposure (its
impressions, or its views where the platform counts no impressions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Followers are pinned at this date and grow from it in both directions, so a value never depends
# on where a seeded window starts or ends.
ANCHOR = dt.date(2025, 1, 1)
# The ages at which a real sync re-reads a post's lifetime counters: often while it is fresh, then
# on a slowing cadence until it stops changing.
SNAPSHOT_AGES = (0, 1, 2, 3, 7, 14, 30, 90)
# A post's counters are treated as final after this many days.
LIFETIME_DAYS = 120

ENGAGEMENT_PARTS = ("likes", "comments", "shares", "saves", "clicks")

BRAND = "Maison Lumière"
WORKSPACE_NAME = "Maison Lumière (demo)"
SITE = "https://maisonlumiere.example"


@dataclass(frozen=True)
class FormatProfile:
    key: str  # a PostFormat value
    weight: float  # share of the account's posts
    metrics: frozenset[str]  # lifetime counters the platform reports for this format
    exposure: float = 1.0  # multiplier on the platform's exposure per follower
    view_rate: float = 0.0  # video views per unit of exposure; 0 for formats that are not video
    minutes_per_view: float = 0.0
    engagement: float = 1.0  # multiplier on the platform's engagement rates
    click_boost: float = 1.0  # link posts and articles exist to be clicked
    snapshot_ages: tuple[int, ...] = SNAPSHOT_AGES
    decay_days: float | None = None  # overrides the platform's, for short-lived formats
    lifetime_days: int = LIFETIME_DAYS
    paid_ok: bool = True


@dataclass(frozen=True)
class PlatformProfile:
    platform: str  # a Platform value
    external_id: str  # also the seed of every random draw for this account
    handle: str
    display_name: str
    followers: float  # at ANCHOR
    growth_per_year: float  # log-growth of the audience
    churn_per_day: float  # share of followers who leave on an ordinary day
    posts_per_week: float
    post_weekdays: tuple[float, ...]  # relative likelihood of posting, Monday first
    audience_weekdays: tuple[float, ...]  # relative attention of the audience, Monday first
    hours_weekday: tuple[int, ...]  # local publishing hours
    hours_weekend: tuple[int, ...]
    formats: tuple[FormatProfile, ...]
    pillars: dict[str, float]  # content pillar → weight
    exposure_per_follower: float  # lifetime exposure of an average post
    baseline_per_follower: float  # daily exposure not tied to recent posts (profile, search…)
    baseline_view_rate: float  # share of that baseline exposure that is video views
    baseline_minutes_per_view: float
    exposure_metric: str  # "impressions", or "video_views" where that is all the platform counts
    engage_on_views: bool  # engagement rates apply to views rather than exposure
    rates: dict[str, float]  # engagement part → per unit of exposure (or view)
    reach_ratio: float  # distinct viewers per unit of exposure
    profile_visit_rate: float
    decay_days: float  # how fast a post's audience fades
    virality: float  # spread of post performance (sigma of a log-normal)
    paid_share: float
    account_metrics: frozenset[str]  # what the platform reports per account and day
    # Days the platform's insights API was down for this account: (month, day, length), yearly.
    outage: tuple[int, int, int] | None = None
    permalinks: dict[str, str] = field(default_factory=dict)  # format → URL template ("" default)


def _metrics(*keys: str) -> frozenset[str]:
    return frozenset(keys)


_FEED = _metrics("impressions", "reach", "likes", "comments", "shares", "saves")
_FOLLOWERS = ("followers", "followers_gained", "followers_lost", "posts_published")

INSTAGRAM = PlatformProfile(
    platform="instagram",
    external_id="demo-instagram",
    handle="@maisonlumiere.paris",
    display_name="Maison Lumière",
    followers=48_000,
    growth_per_year=0.32,
    churn_per_day=0.00035,
    posts_per_week=5,
    post_weekdays=(0.8, 0.9, 1.0, 1.0, 1.1, 1.3, 1.2),
    audience_weekdays=(0.92, 0.95, 0.97, 0.98, 1.02, 1.1, 1.12),
    hours_weekday=(12, 18, 19, 20, 21),
    hours_weekend=(10, 11, 17, 19, 20),
    formats=(
        FormatProfile("photo", 0.28, _FEED),
        FormatProfile("carousel", 0.22, _FEED, exposure=1.25, engagement=1.3),
        FormatProfile(
            "reel",
            0.32,
            _FEED | {"video_views"},
            exposure=2.6,
            view_rate=0.85,
            minutes_per_view=0.3,
        ),
        # Stories vanish after a day and the API reports only their views: two snapshots.
        FormatProfile(
            "story",
            0.18,
            _metrics("impressions", "reach"),
            exposure=0.3,
            snapshot_ages=(0, 1),
            decay_days=0.6,
            lifetime_days=2,
            paid_ok=False,
        ),
    ),
    pillars={"product": 0.35, "behind-the-scenes": 0.25, "tips": 0.2, "community": 0.2},
    exposure_per_follower=0.28,
    baseline_per_follower=0.05,
    baseline_view_rate=0.12,
    baseline_minutes_per_view=0.3,
    exposure_metric="impressions",
    engage_on_views=False,
    rates={"likes": 0.045, "comments": 0.0035, "shares": 0.004, "saves": 0.006},
    reach_ratio=0.74,
    profile_visit_rate=0.012,
    decay_days=1.2,
    virality=0.35,
    paid_share=0.06,
    # Instagram counts likes, comments, shares and saves as interactions; link taps are not.
    account_metrics=_metrics(
        *_FOLLOWERS,
        "impressions",
        "reach",
        "engagements",
        "likes",
        "comments",
        "shares",
        "saves",
        "profile_visits",
        "video_views",
    ),
    permalinks={
        "": "https://www.instagram.com/p/{code}/",
        "reel": "https://www.instagram.com/reel/{code}/",
        "story": "https://www.instagram.com/stories/maisonlumiere.paris/{digits}/",
    },
)

_FB_FEED = _metrics("impressions", "reach", "likes", "comments", "shares", "clicks")

FACEBOOK = PlatformProfile(
    platform="facebook",
    external_id="demo-facebook",
    handle="maisonlumiere.paris",
    display_name="Maison Lumière",
    followers=31_000,
    growth_per_year=0.05,
    churn_per_day=0.00025,
    posts_per_week=4,
    post_weekdays=(1.0, 1.0, 1.1, 1.0, 1.0, 0.9, 0.8),
    audience_weekdays=(0.97, 0.98, 1.0, 1.0, 1.0, 1.03, 1.05),
    hours_weekday=(9, 12, 13, 19),
    hours_weekend=(10, 11, 18, 19),
    formats=(
        FormatProfile("photo", 0.38, _FB_FEED),
        FormatProfile(
            "video",
            0.2,
            _FB_FEED | {"video_views"},
            exposure=1.9,
            view_rate=0.55,
            minutes_per_view=0.6,
        ),
        FormatProfile("link", 0.27, _FB_FEED, exposure=0.7, click_boost=3.5),
        FormatProfile("text", 0.15, _FB_FEED, exposure=0.8, paid_ok=False),
    ),
    pillars={"product": 0.4, "behind-the-scenes": 0.2, "tips": 0.2, "community": 0.2},
    exposure_per_follower=0.09,
    baseline_per_follower=0.02,
    baseline_view_rate=0.05,
    baseline_minutes_per_view=0.5,
    exposure_metric="impressions",
    engage_on_views=False,
    rates={"likes": 0.03, "comments": 0.004, "shares": 0.005, "clicks": 0.012},
    reach_ratio=0.8,
    profile_visit_rate=0.01,
    decay_days=0.9,
    virality=0.3,
    paid_share=0.08,
    # Facebook's engaged-users total counts clicks; pages have no saves.
    account_metrics=_metrics(
        *_FOLLOWERS,
        "impressions",
        "reach",
        "engagements",
        "likes",
        "comments",
        "shares",
        "clicks",
        "profile_visits",
        "video_views",
    ),
    # Meta's insights endpoints fail for days at a time now and then; the demo keeps one such
    # outage a year so that charts show how missing days look (a gap, never a zero).
    outage=(10, 14, 4),
    permalinks={
        "": "https://www.facebook.com/maisonlumiere.paris/posts/{digits}",
        "video": "https://www.facebook.com/maisonlumiere.paris/videos/{digits}/",
    },
)

_LI_FEED = _metrics("impressions", "likes", "comments", "shares", "clicks")

LINKEDIN = PlatformProfile(
    platform="linkedin",
    external_id="demo-linkedin",
    handle="maison-lumiere",
    display_name="Maison Lumière",
    followers=9_500,
    growth_per_year=0.3,
    churn_per_day=0.0002,
    posts_per_week=3,
    post_weekdays=(1.2, 1.3, 1.3, 1.2, 0.9, 0.05, 0.02),
    audience_weekdays=(1.15, 1.2, 1.2, 1.15, 1.0, 0.45, 0.4),
    hours_weekday=(8, 9, 10, 12),
    hours_weekend=(10,),
    formats=(
        FormatProfile("text", 0.28, _LI_FEED),
        FormatProfile("photo", 0.37, _LI_FEED, exposure=1.15),
        FormatProfile("article", 0.15, _LI_FEED, exposure=0.75, click_boost=2.5),
        FormatProfile(
            "video",
            0.2,
            _LI_FEED | {"video_views"},
            exposure=1.5,
            view_rate=0.35,
            minutes_per_view=0.8,
        ),
    ),
    pillars={"behind-the-scenes": 0.35, "product": 0.2, "tips": 0.15, "community": 0.3},
    exposure_per_follower=0.45,
    baseline_per_follower=0.015,
    baseline_view_rate=0.02,
    baseline_minutes_per_view=0.8,
    exposure_metric="impressions",
    engage_on_views=False,
    rates={"likes": 0.02, "comments": 0.0025, "shares": 0.0018, "clicks": 0.018},
    reach_ratio=1.0,
    profile_visit_rate=0.02,
    decay_days=2.0,
    virality=0.35,
    paid_share=0.05,
    # LinkedIn organisation statistics have no reach and no saves.
    account_metrics=_metrics(
        *_FOLLOWERS,
        "impressions",
        "engagements",
        "likes",
        "comments",
        "shares",
        "clicks",
        "profile_visits",
        "video_views",
    ),
    permalinks={"": "https://www.linkedin.com/feed/update/urn:li:activity:{digits}/"},
)

_YT_VIDEO = _metrics("impressions", "video_views", "likes", "comments", "shares")

YOUTUBE = PlatformProfile(
    platform="youtube",
    external_id="demo-youtube",
    handle="@MaisonLumiereParis",
    display_name="Maison Lumière",
    followers=6_200,
    growth_per_year=0.38,
    churn_per_day=0.0003,
    posts_per_week=3,
    post_weekdays=(0.8, 0.9, 1.0, 1.2, 1.0, 1.1, 1.0),
    audience_weekdays=(0.95, 0.95, 0.97, 0.98, 1.0, 1.12, 1.15),
    hours_weekday=(12, 17, 18, 19),
    hours_weekend=(10, 11, 17, 18),
    formats=(
        FormatProfile("video", 0.5, _YT_VIDEO, view_rate=0.065, minutes_per_view=4.3),
        FormatProfile("short", 0.42, _YT_VIDEO, exposure=1.6, view_rate=0.7, minutes_per_view=0.45),
        FormatProfile("live", 0.08, _YT_VIDEO, exposure=0.6, view_rate=0.09, minutes_per_view=11.0),
    ),
    pillars={"tips": 0.35, "behind-the-scenes": 0.35, "product": 0.3},
    exposure_per_follower=3.0,
    baseline_per_follower=0.9,
    baseline_view_rate=0.07,
    baseline_minutes_per_view=3.5,
    exposure_metric="impressions",
    engage_on_views=True,
    rates={"likes": 0.04, "comments": 0.004, "shares": 0.002},
    reach_ratio=1.0,
    profile_visit_rate=0.0,
    decay_days=10.0,
    virality=0.45,
    paid_share=0.03,
    # YouTube Analytics reports no reach; engagement is likes, comments and shares.
    account_metrics=_metrics(
        *_FOLLOWERS,
        "impressions",
        "engagements",
        "likes",
        "comments",
        "shares",
        "video_views",
        "watch_time_minutes",
    ),
    permalinks={
        "": "https://www.youtube.com/watch?v={code}",
        "short": "https://www.youtube.com/shorts/{code}",
    },
)

TIKTOK = PlatformProfile(
    platform="tiktok",
    external_id="demo-tiktok",
    handle="@maisonlumiere.paris",
    display_name="Maison Lumière",
    followers=21_000,
    growth_per_year=0.75,
    churn_per_day=0.0006,
    posts_per_week=5,
    post_weekdays=(0.9, 0.9, 1.0, 1.0, 1.1, 1.1, 1.0),
    audience_weekdays=(0.93, 0.93, 0.95, 0.97, 1.05, 1.12, 1.1),
    hours_weekday=(7, 12, 19, 20, 21, 22),
    hours_weekend=(11, 13, 19, 20, 21),
    formats=(
        FormatProfile(
            "video",
            1.0,
            _metrics("video_views", "reach", "likes", "comments", "shares"),
            view_rate=1.0,
            minutes_per_view=0.28,
        ),
    ),
    pillars={"behind-the-scenes": 0.4, "tips": 0.35, "product": 0.25},
    exposure_per_follower=0.55,
    baseline_per_follower=0.04,
    baseline_view_rate=1.0,
    baseline_minutes_per_view=0.25,
    # TikTok counts views, not impressions.
    exposure_metric="video_views",
    engage_on_views=True,
    rates={"likes": 0.065, "comments": 0.0045, "shares": 0.0035},
    reach_ratio=0.82,
    profile_visit_rate=0.015,
    decay_days=2.5,
    virality=0.7,
    paid_share=0.05,
    account_metrics=_metrics(
        *_FOLLOWERS,
        "reach",
        "engagements",
        "likes",
        "comments",
        "shares",
        "profile_visits",
        "video_views",
        "watch_time_minutes",
    ),
    permalinks={"": "https://www.tiktok.com/@maisonlumiere.paris/video/{digits}"},
)

PROFILES: tuple[PlatformProfile, ...] = (INSTAGRAM, FACEBOOK, LINKEDIN, YOUTUBE, TIKTOK)
PROFILES_BY_EXTERNAL_ID = {p.external_id: p for p in PROFILES}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str  # a Role value
    language: str
    is_superuser: bool = False


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("demo-admin", "demo-admin-2026", "admin", "en", is_superuser=True),
    DemoLogin("demo-manager", "demo-manager-2026", "manager", "en"),
    DemoLogin("demo-analyst", "demo-analyst-2026", "analyst", "en"),
    # A French-speaking client, so the demo shows the translated interface too.
    DemoLogin("demo-viewer", "demo-viewer-2026", "viewer", "fr"),
)
