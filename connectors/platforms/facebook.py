"""Facebook Pages: daily Page insights, and posts with their lifetime counters (Graph API v25).

Page tokens come from ``/me/accounts`` after Facebook Login and do not expire. Daily values are
Pacific days (``connectors.platforms.meta.insights``). Meta renamed its metrics on 15 November
2025 (``page_impressions`` → ``page_media_view``, ``page_fans`` → ``page_follows``, …): both
names are in the tables below and map to the same canonical metric, so the history is one line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

import requests
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
    InsightsUnavailable,
    InvalidMetricError,
    MetaConnector,
    MetricName,
    MetricTable,
    Point,
    data_items,
    day_chunks,
    insight_points,
    insights_fetch,
    number,
    pacific_midnight,
    pacific_today,
    parse_time,
    points_merge,
    unavailable_warning,
)

# "Impressions" became "views" and Page fans became follows on every API version.
RENAMED = dt.date(2025, 11, 15)
# Meta answers at most about 90 days of daily Page insights per request.
PAGE_CHUNK_DAYS = 90
# Small pages of posts: each carries reaction and comment summaries, and Meta answers code 1
# ("reduce the amount of data") to large ones.
POSTS_PER_PAGE = 25

PAGE_METRICS = MetricTable(
    [
        MetricName(
            "page_impressions", "impressions", valid_until=RENAMED, replaced_by="page_media_view"
        ),
        MetricName("page_media_view", "impressions", valid_from=RENAMED),
        # Meta answers page_impressions_unique until June 2026, but its replacement is the
        # authoritative reach from the rename on.
        MetricName(
            "page_impressions_unique",
            "reach",
            valid_until=RENAMED,
            replaced_by="page_total_media_view_unique",
        ),
        MetricName("page_total_media_view_unique", "reach", valid_from=RENAMED),
        MetricName("page_fans", "followers", valid_until=RENAMED, replaced_by="page_follows"),
        MetricName("page_follows", "followers", valid_from=RENAMED),
        MetricName(
            "page_fan_adds",
            "followers_gained",
            valid_until=RENAMED,
            replaced_by="page_daily_follows_unique",
        ),
        MetricName("page_daily_follows_unique", "followers_gained", valid_from=RENAMED),
        MetricName(
            "page_fan_removes",
            "followers_lost",
            valid_until=RENAMED,
            replaced_by="page_daily_unfollows_unique",
        ),
        MetricName("page_daily_unfollows_unique", "followers_lost", valid_from=RENAMED),
        MetricName("page_post_engagements", "engagements"),
        MetricName("page_views_total", "profile_visits"),
    ]
)

POST_METRICS = MetricTable(
    [
        MetricName(
            "post_impressions", "impressions", valid_until=RENAMED, replaced_by="post_media_view"
        ),
        MetricName("post_media_view", "impressions", valid_from=RENAMED),
        MetricName(
            "post_impressions_unique",
            "reach",
            valid_until=RENAMED,
            replaced_by="post_total_media_view_unique",
        ),
        MetricName("post_total_media_view_unique", "reach", valid_from=RENAMED),
        MetricName("post_clicks", "clicks"),
        # Reels answer on /video_insights with their own names; view time is in milliseconds.
        MetricName("blue_reels_play_count", "video_views"),
        MetricName("post_video_view_time", "watch_time_minutes", scale=1 / 60_000),
    ]
)
FEED_POST_INSIGHTS = (
    "post_impressions",
    "post_media_view",
    "post_impressions_unique",
    "post_total_media_view_unique",
    "post_clicks",
)

# Lifetime counters read from the post's own fields: path into the post → canonical metric.
FIELD_METRICS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("reactions", "summary", "total_count"), "likes"),
    (("comments", "summary", "total_count"), "comments"),
    (("shares", "count"), "shares"),
)
POST_FIELDS = (
    "id,message,created_time,permalink_url,status_type,"
    "attachments{media_type,type,url,target{id}},shares,"
    "reactions.limit(0).summary(true),comments.limit(0).summary(true)"
)
ATTACHMENT_FORMATS = {
    "photo": "photo",
    "album": "carousel",
    "video": "video",
    "link": "link",
    "event": "other",
    "note": "article",
}
STATUS_FORMATS = {
    "added_photos": "photo",
    "added_video": "video",
    "shared_story": "link",
    "mobile_status_update": "text",
    "created_note": "article",
}


class FacebookConnector(MetaConnector):
    """A Facebook Page, read with its Page token."""

    key: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
    thing = gettext_lazy("Page")
    metrics: ClassVar[frozenset[str]] = (
        PAGE_METRICS.canonical | POST_METRICS.canonical | {m for _, m in FIELD_METRICS}
    )
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url=LOGIN_DIALOG_URL,
        token_url=TOKEN_URL,
        # business_management: /me/accounts lists Pages held in a business portfolio only with it.
        scopes=("pages_show_list", "pages_read_engagement", "read_insights", "business_management"),
        scope_separator=",",
    )

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        """One account per Page the user manages, with its Page token. A Page listed without a
        token (the user lacks a task on it) cannot be read and is left out."""
        accounts = []
        for page in cls.owned_pages(
            token=token, session=session, base_url=base_url, fields="id,name,username,access_token"
        ):
            page_token, page_id = page.get("access_token"), page.get("id")
            if not page_token or not page_id:
                continue
            accounts.append(
                DiscoveredAccount(
                    external_id=str(page_id),
                    display_name=str(page.get("name") or page_id),
                    handle=str(page.get("username") or ""),
                    credentials={"access_token": str(page_token), "token_type": "page"},
                    timezone=PACIFIC_TZ,
                )
            )
        return accounts

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        wanted = PAGE_METRICS.current(PAGE_METRICS.by_name, today=pacific_today())
        for first, last in day_chunks(start, end, PAGE_CHUNK_DAYS, newest_first=True):
            points = insights_fetch(
                partial(self._page_insights, first=first, last=last),
                wanted,
                table=PAGE_METRICS,
                capabilities=self.capabilities("page"),
                notes=self.notes,
                platform=self.label,
                thing=self.thing,
            )
            dated = ((m, d, v) for m, d, v in points if d is not None and first <= d <= last)
            for (day, metric), value in sorted(points_merge(dated).items()):
                yield AccountMetricRow(day=day, metric=metric, value=value)

    def _page_insights(
        self, names: Sequence[MetricName], *, first: dt.date, last: dt.date
    ) -> list[Point]:
        body = self.get(
            f"{self.external_id}/insights",
            {
                "metric": ",".join(n.name for n in names),
                "period": "day",
                "since": pacific_midnight(first),
                "until": pacific_midnight(last + dt.timedelta(days=1)),
            },
        )
        return list(insight_points(body, PAGE_METRICS))

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        """Posts newest first, until a page of them ends before ``since``."""
        oldest = dt.datetime.combine(since, dt.time(), tzinfo=PACIFIC)
        seen: set[str] = set()
        params = {"fields": POST_FIELDS, "limit": POSTS_PER_PAGE, "since": pacific_midnight(since)}
        for items in self.pages(f"{self.external_id}/posts", params):
            for item in items:
                post = post_row(item)
                if post is None or post.published_at < oldest or post.external_id in seen:
                    continue
                seen.add(post.external_id)
                yield post, self._post_metrics(item, post, today)
            # A pinned post may head a page out of order; the last one shows where paging is.
            last = post_row(items[-1])
            if last is not None and last.published_at < oldest:
                return

    def _post_metrics(
        self, item: Mapping[str, Any], post: PostRow, today: dt.date
    ) -> list[PostMetricRow]:
        values = {
            metric: value
            for path, metric in FIELD_METRICS
            if (value := number(_path(item, path))) is not None
        }
        if post.format == "reel":
            points = self._reel_insights(item)
        else:
            points = insights_fetch(
                partial(self._post_insights, post.external_id),
                POST_METRICS.current(FEED_POST_INSIGHTS, today=today),
                table=POST_METRICS,
                capabilities=self.capabilities("post"),
                notes=self.notes,
                platform=self.label,
                thing=gettext_lazy("post"),
            )
        lifetime = points_merge((m, today, v) for m, _, v in points)
        values.update({metric: value for (_, metric), value in lifetime.items()})
        return [
            PostMetricRow(post_external_id=post.external_id, day=today, metric=m, value=v)
            for m, v in sorted(values.items())
        ]

    def _post_insights(self, post_id: str, names: Sequence[MetricName]) -> list[Point]:
        body = self.get(f"{post_id}/insights", {"metric": ",".join(n.name for n in names)})
        return list(insight_points(body, POST_METRICS))

    def _reel_insights(self, item: Mapping[str, Any]) -> list[Point]:
        # Reels have no /insights edge; /video_insights without a metric list answers Meta's
        # default set, so no removed name can fail the request.
        video_id = _path(_first_attachment(item), ("target", "id"))
        if not video_id:
            return []
        try:
            body = self.get(f"{video_id}/video_insights")
        except InsightsUnavailable:
            self.notes.warn(unavailable_warning(self.label, gettext_lazy("reel")))
            return []
        except InvalidMetricError as exc:
            self.notes.warn(str(exc))
            return []
        return list(insight_points(body, POST_METRICS))


def post_row(item: Mapping[str, Any]) -> PostRow | None:
    """A post from a ``/posts`` item, or None when Meta left out its id or time."""
    post_id, created = item.get("id"), item.get("created_time")
    if not isinstance(post_id, str) or not isinstance(created, str):
        return None
    try:
        published_at = parse_time(created)
    except ValueError as exc:
        raise ConnectorError(
            gettext("Facebook sent a post with an unreadable time: %(value)s") % {"value": created}
        ) from exc
    return PostRow(
        external_id=post_id,
        published_at=published_at,
        format=post_format(item),
        text=str(item.get("message") or ""),
        permalink=str(item.get("permalink_url") or ""),
    )


def post_format(item: Mapping[str, Any]) -> str:
    """Reel, photo, album, video, link or text, from the attachment or else ``status_type``."""
    attachment = _first_attachment(item)
    urls = (str(item.get("permalink_url") or ""), str(attachment.get("url") or ""))
    # Meta has no reel flag on posts; a reel's permalink is facebook.com/reel/<video id>.
    if any("/reel/" in url for url in urls):
        return "reel"
    media_type = attachment.get("media_type")
    if isinstance(media_type, str) and media_type in ATTACHMENT_FORMATS:
        return ATTACHMENT_FORMATS[media_type]
    status_type = item.get("status_type")
    if isinstance(status_type, str) and status_type in STATUS_FORMATS:
        return STATUS_FORMATS[status_type]
    return "text" if item.get("message") else "other"


def _first_attachment(item: Mapping[str, Any]) -> Mapping[str, Any]:
    attachments = data_items(item.get("attachments"))
    return attachments[0] if attachments else {}


def _path(value: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
