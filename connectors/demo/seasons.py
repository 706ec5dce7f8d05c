"""The demo's calendar: seasons, the yearly campaign, outages and the audience curve.

Everything here is a closed-form function of the date (and of the account's seed), never a
running total from the start of a seeded window, so a day's value is the same whichever window
it is generated in: that is what makes re-seeding idempotent and a later top-up purely additive.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from connectors.demo.profiles import ANCHOR, PlatformProfile


@dataclass(frozen=True)
class Campaign:
    """A yearly product launch: more posts, more paid reach, more engagement, a follower jump."""

    tag: str
    hashtag: str
    month: int
    day: int
    days: int
    post_rate: float  # multiplier on the number of posts
    exposure: float  # multiplier on a campaign post's exposure
    engagement: float  # multiplier on a campaign post's engagement rates
    attention: float  # multiplier on the account's baseline exposure during the campaign
    paid_share: float
    follower_step: float  # log-growth of the audience the launch brings


# The summer collection launches every June. It is yearly rather than on one fixed date because
# the demo's window slides with the calendar: an 18-month window always contains a launch.
SUMMER_LAUNCH = Campaign(
    tag="summer-launch",
    hashtag="#SummerLaunch",
    month=6,
    day=9,
    days=14,
    post_rate=2.0,
    exposure=1.8,
    engagement=1.25,
    attention=1.3,
    paid_share=0.45,
    follower_step=0.025,
)


def campaign_start(year: int) -> dt.date:
    return dt.date(year, SUMMER_LAUNCH.month, SUMMER_LAUNCH.day)


def campaign_active(day: dt.date) -> bool:
    start = campaign_start(day.year)
    return start <= day < start + dt.timedelta(days=SUMMER_LAUNCH.days)


def outage_active(profile: PlatformProfile, day: dt.date) -> bool:
    if profile.outage is None:
        return False
    month, first, length = profile.outage
    start = dt.date(day.year, month, first)
    return start <= day < start + dt.timedelta(days=length)


def season(day: dt.date) -> float:
    """Attention through the year: a gentle winter high, the August holiday dip, the gift peak."""
    doy = day.timetuple().tm_yday
    return (
        1.0
        + 0.10 * math.cos(2 * math.pi * (doy - 355) / 365.25)
        - 0.16 * math.exp(-(((doy - 222) / 16) ** 2))
        + 0.35 * math.exp(-(((doy - 340) / 15) ** 2))
    )


def posting_rate(day: dt.date) -> float:
    """How much the brand publishes compared with usual: gift guides in December, less in August
    and over the holidays."""
    rate = 1.0
    if day.month == 8:
        rate *= 0.6
    if day.month == 12 and day.day < 24:
        rate *= 1.3
    if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1):
        rate *= 0.5
    if campaign_active(day):
        rate *= SUMMER_LAUNCH.post_rate
    return rate


def audience_expected(profile: PlatformProfile, day: dt.date) -> float:
    """The smooth audience curve: log-linear growth, faster in winter, a step at each launch."""
    t = (day - ANCHOR).days / 365.25
    g = profile.growth_per_year
    # The seasonal term's slope stays below the trend's, so the curve never turns down.
    wobble = 0.45 * g / (2 * math.pi) * math.sin(2 * math.pi * t)
    return profile.followers * math.exp(g * t + wobble + _launch_steps(day))


def _launch_steps(day: dt.date) -> float:
    # A smooth step at each launch, counted from the anchor year so the curve passes through the
    # profile's followers there. Summing the neighbouring years keeps it continuous at New Year.
    steps = sum(
        1 / (1 + math.exp(-(day - campaign_start(year)).days / 3))
        for year in (day.year - 1, day.year, day.year + 1)
    )
    return SUMMER_LAUNCH.follower_step * (steps + day.year - 1 - ANCHOR.year)


def followers(profile: PlatformProfile, day: dt.date) -> int:
    """Followers at the end of ``day``: the curve plus a small day-seeded jitter."""
    rng = random.Random(f"{profile.external_id}:followers:{day.isoformat()}")
    return round(audience_expected(profile, day) * (1 + rng.uniform(-0.00015, 0.00015)))


def followers_flow(profile: PlatformProfile, day: dt.date) -> tuple[int, int, int]:
    """``(followers, gained, lost)`` on ``day``.

    The change in followers since the previous day is exactly gained minus lost.
    """
    today = followers(profile, day)
    net = today - followers(profile, day - dt.timedelta(days=1))
    rng = random.Random(f"{profile.external_id}:churn:{day.isoformat()}")
    lost = round(audience_expected(profile, day) * profile.churn_per_day * rng.uniform(0.6, 1.4))
    gained = net + lost
    if gained < 0:
        lost, gained = lost - gained, 0
    return today, gained, lost
