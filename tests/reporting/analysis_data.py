"""Hand-built posts and facts with known effects, shared by the analysis and insight tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from connectors.models import AccountMetric, Post, PostMetric, SocialAccount
from tests.factories import PostFactory

START = dt.date(2026, 3, 2)  # a Monday
END = dt.date(2026, 3, 29)


def posts_make(
    account: SocialAccount,
    *,
    fmt: str,
    reaches: list[float],
    hour: int = 12,
    tags: list[str] | None = None,
    first: dt.date = START,
    text: str = "Hello",
) -> list[Post]:
    """One post a day from ``first`` at ``hour`` (Paris), each with one reach snapshot."""
    zone = ZoneInfo("Europe/Paris")
    made = []
    for i, reach in enumerate(reaches):
        day = first + dt.timedelta(days=i % 28)
        post = PostFactory.create(
            account=account,
            format=fmt,
            published_at=dt.datetime.combine(day, dt.time(hour, i % 50), tzinfo=zone),
            tags=list(tags or []),
            text=text,
        )
        PostMetric.objects.create(post=post, day=END, metric="reach", value=reach)
        made.append(post)
    return made


def followers_make(account: SocialAccount, value: float, day: dt.date = START) -> None:
    AccountMetric.objects.create(account=account, day=day, metric="followers", value=value)
