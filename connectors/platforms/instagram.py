"""Instagram business and creator accounts, read through Facebook Login (Graph API v25).

The account is reached with the token of the Facebook Page it is linked to, which does not
expire. Daily values are Pacific days (``connectors.platforms.meta.insights``). Meta removed
``impressions`` and ``plays`` on 21 April 2025 for ``views``, which on user insights answers only
as a ``total_value`` over the requested range: it is asked for one day at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

import requests
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from connectors.base import (
    AccountMetricRow,
    ConnectorError,
    DiscoveredAccount,
    OAuthSpec,
    PostMetricRow,
    PostRow,
)
from connectors.platforms.meta import (
    LOGIN_DIALOG_URL,
    PACIFIC,
    PACIFIC_TZ,
    TOKEN_URL,
    MetaConnector,
    MetricName,
    MetricTable,
    Point,
    day_chunks,
    insight_points,
    insights_fetch,
    number,
    pacific_midnight,
    pacific_today,
    parse_time,
    points_merge,
)

VIEWS_INTRODUCED = dt.date(2025, 4, 21)  # impressions and plays removed on every version
VIDEO_VIEWS_REMOVED = dt.date(2025, 1, 8)
# Meta refuses user-insights ranges over 30 days, and a day that leaves daylight saving time
# lasts 25 hours: 29 days stay under the limit.
USER_CHUNK_DAYS = 29
MEDIA_PER_PAGE = 50

USER_METRICS = MetricTable(
    [
        MetricName("impressions", "impressions", valid_until=VIEWS_INTRODUCED, replaced_by="views"),
        MetricName("views", "impressions", valid_from=VIEWS_INTRODUCED, total_value=True),
        MetricName("reach", "reach"),
        # follower_count is the number of new followers each day, not the audience size.
        MetricName("follower_count", "followers_gained"),
        # Their daily time series were removed in January 2025; the totals remain.
        MetricName("profile_views", "profile_visits", total_value=True),
        MetricName("website_clicks", "clicks", total_value=True),
        MetricName("total_interactions", "engagements", total_value=True),
        MetricName("likes", "likes", total_value=True),
        MetricName("comments", "comments", total_value=True),
        MetricName("shares", "shares", total_value=True),
        MetricName("saves", "saves", total_value=True),
    ]
)

MEDIA_METRICS = MetricTable(
    [
        MetricName("impressions", "impressions", valid_until=VIEWS_INTRODUCED, replaced_by="views"),
        MetricName("views", "impressions", valid_from=VIEWS_INTRODUCED),
        MetricName("plays", "video_views", valid_until=VIEWS_INTRODUCED),
        MetricName("video_views", "video_views", valid_until=VIDEO_VIEWS_REMOVED),
        MetricName("reach", "reach"),
        MetricName("saved", "saves"),
        MetricName("shares", "shares"),
        MetricName("total_interactions", "engagements"),
        MetricName("profile_visits", "profile_visits"),
        MetricName("ig_reels_video_view_total_time", "watch_time_minutes", scale=1 / 60_000),
    ]
)
# Media insights accept a different metric set per kind of media, and one metric a kind does
# not support fails the request: these are the sets Meta documents per kind.
MEDIA_INSIGHTS: dict[str, tuple[str, ...]] = {
    "REELS": (
        "plays",
        "views",
        "reach",
        "saved",
        "shares",
        "total_interactions",
        "ig_reels_video_view_total_time",
    ),
    "STORY": ("impressions", "views", "reach", "shares", "total_interactions", "profile_visits"),
    "CAROUSEL_ALBUM": (
        "impressions",
        "views",
        "reach",
        "saved",
        "shares",
        "total_interactions",
        "profile_visits",
    ),
    "IMAGE": (
        "impressions",
        "views",
        "reach",
        "saved",
        "shares",
        "total_interactions",
        "profile_visits",
    ),
    "VIDEO": (
        "impressions",
        "video_views",
        "views",
        "reach",
        "saved",
        "shares",
        "total_interactions",
    ),
}
MEDIA_KINDS: dict[str, tuple[str, Promise]] = {
    "REELS": ("reel", gettext_lazy("reel")),
    "STORY": ("story", gettext_lazy("story")),
    "CAROUSEL_ALBUM": ("carousel", gettext_lazy("carousel")),
    "IMAGE": ("photo", gettext_lazy("photo")),
    "VIDEO": ("video", gettext_lazy("video")),
}
FIELD_METRICS = (("like_count", "likes"), ("comments_count", "comments"))
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)
# Stories have no likes or comments to count: their replies are private messages.
STORY_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp"


class InstagramConnector(MetaConnector):
    """An Instagram business or creator account linked to a Facebook Page."""

    key: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    thing = gettext_lazy("Instagram account")
    metrics: ClassVar[frozenset[str]] = (
        USER_METRICS.canonical | MEDIA_METRICS.canonical | {"followers", "likes", "comments"}
    )
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url=LOGIN_DIALOG_URL,
        token_url=TOKEN_URL,
        # The Page scopes reach the linked account; business_management lists Pages held in a
        # business portfolio.
        scopes=(
            "instagram_basic",
            "instagram_manage_insights",
            "pages_show_list",
            "pages_read_engagement",
            "business_management",
        ),
        scope_separator=",",
    )

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        """One account per Instagram business or creator account linked to a Page the user
        manages, read with that Page's token."""
        accounts: dict[str, DiscoveredAccount] = {}
        fields = "id,name,access_token,instagram_business_account{id,username,name}"
        for page in cls.owned_pages(token=token, session=session, base_url=base_url, fields=fields):
            linked = page.get("instagram_business_account")
            page_token = page.get("access_token")
            if not isinstance(linked, Mapping) or not linked.get("id") or not page_token:
                continue
            ig_id, username = str(linked["id"]), str(linked.get("username") or "")
            accounts.setdefault(
                ig_id,
                DiscoveredAccount(
                    external_id=ig_id,
                    display_name=str(linked.get("name") or username or ig_id),
                    handle=username,
                    credentials={
                        "access_token": str(page_token),
                        "token_type": "page",
                        "page_id": str(page.get("id") or ""),
                        "ig_user_id": ig_id,
                    },
                    timezone=PACIFIC_TZ,
                ),
            )
        return list(accounts.values())

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        today = pacific_today()
        wanted = USER_METRICS.current(USER_METRICS.by_name, today=today)
        series = [m for m in wanted if not m.total_value]
        totals = [m for m in wanted if m.total_value]
        fetch = partial(
            insights_fetch,
            table=USER_METRICS,
            capabilities=self.capabilities("user"),
            notes=self.notes,
            platform=self.label,
            thing=self.thing,
        )
        points: list[Point] = []
        for first, last in day_chunks(start, end, USER_CHUNK_DAYS, newest_first=True):
            points += fetch(partial(self._user_insights, first=first, last=last), series)
        # Asked day by day, so the first day finds the unsupported metrics once for the rest.
        for day, _ in day_chunks(start, end, 1, newest_first=True):
            points += fetch(partial(self._user_insights, first=day, last=day), totals)
        dated = ((m, d, v) for m, d, v in points if d is not None and start <= d <= end)
        for (day, metric), value in sorted(points_merge(dated).items()):
            yield AccountMetricRow(day=day, metric=metric, value=value)
        # Meta keeps no history of the audience size: read it now, when the window reaches now.
        if end >= today - dt.timedelta(days=1):
            body = self.get(self.external_id, {"fields": "followers_count"})
            followers = number(body.get("followers_count")) if isinstance(body, Mapping) else None
            if followers is not None:
                yield AccountMetricRow(day=end, metric="followers", value=followers)

    def _user_insights(
        self, names: Sequence[MetricName], *, first: dt.date, last: dt.date
    ) -> list[Point]:
        path = f"{self.external_id}/insights"
        points: list[Point] = []
        if series := [n.name for n in names if not n.total_value]:
            body = self.get(
                path, _range({"metric": ",".join(series), "period": "day"}, first, last)
            )
            points += insight_points(body, USER_METRICS)
        if totals := [n.name for n in names if n.total_value]:
            params = {"metric": ",".join(totals), "period": "day", "metric_type": "total_value"}
            for day, _ in day_chunks(first, last, 1):
                body = self.get(path, _range(params, day, day))
                points += [(m, d or day, v) for m, d, v in insight_points(body, USER_METRICS)]
        return points

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        """Feed posts and reels newest first until a page of them ends before ``since``, then
        the stories still online (Meta keeps stories for 24 hours only)."""
        oldest = dt.datetime.combine(since, dt.time(), tzinfo=PACIFIC)
        seen: set[str] = set()
        edges = (
            ("media", {"fields": MEDIA_FIELDS, "limit": MEDIA_PER_PAGE}),
            ("stories", {"fields": STORY_FIELDS}),
        )
        for edge, params in edges:
            for items in self.pages(f"{self.external_id}/{edge}", params):
                for item in items:
                    post = media_row(item)
                    if post is None or post.published_at < oldest or post.external_id in seen:
                        continue
                    seen.add(post.external_id)
                    yield post, self._media_metrics(item, post, today)
                # A pinned post may head a page out of order; the last one shows where paging is.
                last = media_row(items[-1])
                if last is not None and last.published_at < oldest:
                    break

    def _media_metrics(
        self, item: Mapping[str, Any], post: PostRow, today: dt.date
    ) -> list[PostMetricRow]:
        values = {
            metric: value
            for name, metric in FIELD_METRICS
            if (value := number(item.get(name))) is not None
        }
        kind = media_kind(item)
        points = insights_fetch(
            partial(self._media_insights, post.external_id),
            MEDIA_METRICS.current(MEDIA_INSIGHTS[kind], today=today),
            table=MEDIA_METRICS,
            capabilities=self.capabilities(f"media:{kind}"),
            notes=self.notes,
            platform=self.label,
            thing=MEDIA_KINDS[kind][1],
        )
        lifetime = points_merge((m, today, v) for m, _, v in points)
        values.update({metric: value for (_, metric), value in lifetime.items()})
        return [
            PostMetricRow(post_external_id=post.external_id, day=today, metric=m, value=v)
            for m, v in sorted(values.items())
        ]

    def _media_insights(self, media_id: str, names: Sequence[MetricName]) -> list[Point]:
        body = self.get(f"{media_id}/insights", {"metric": ",".join(n.name for n in names)})
        return list(insight_points(body, MEDIA_METRICS))


def _range(params: Mapping[str, Any], first: dt.date, last: dt.date) -> dict[str, Any]:
    since, until = pacific_midnight(first), pacific_midnight(last + dt.timedelta(days=1))
    return {**params, "since": since, "until": until}


def media_kind(item: Mapping[str, Any]) -> str:
    """REELS, STORY, CAROUSEL_ALBUM, IMAGE or VIDEO: what decides format and insights."""
    product, media_type = item.get("media_product_type"), item.get("media_type")
    if product in ("REELS", "STORY"):
        return str(product)
    if isinstance(media_type, str) and media_type in MEDIA_INSIGHTS:
        return media_type
    return "IMAGE"


def media_row(item: Mapping[str, Any]) -> PostRow | None:
    """A post from a ``/media`` or ``/stories`` item, or None without its id or time."""
    media_id, timestamp = item.get("id"), item.get("timestamp")
    if not isinstance(media_id, str) or not isinstance(timestamp, str):
        return None
    try:
        published_at = parse_time(timestamp)
    except ValueError as exc:
        raise ConnectorError(
            gettext("Instagram sent a post with an unreadable time: %(value)s")
            % {"value": timestamp}
        ) from exc
    return PostRow(
        external_id=media_id,
        published_at=published_at,
        format=MEDIA_KINDS[media_kind(item)][0],
        text=str(item.get("caption") or ""),
        permalink=str(item.get("permalink") or ""),
        # Media made only as an ad carry the product type AD; nothing else says a post is paid.
        is_paid=item.get("media_product_type") == "AD",
    )
