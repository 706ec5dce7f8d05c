"""The YouTube connector: one channel, authorised by its owner through Google OAuth.

Mapping, version 1. Analytics API ``reports`` with ``dimensions=day`` (days in Pacific time, as
YouTube counts them): ``views`` → video_views, ``estimatedMinutesWatched`` →
watch_time_minutes, ``likes``, ``comments``, ``shares``, ``subscribersGained`` →
followers_gained, ``subscribersLost`` → followers_lost. ``engagements`` is likes + comments +
shares, written only on days where all three are reported. ``followers`` is the channel's
``subscriberCount`` (which YouTube rounds down to three significant figures) read now and dated
``end``; it is not written when the channel hides it, nor for a window ending more than
``lookback_days`` ago, where today's count would rewrite history.

Posts come from the channel's uploads playlist (newest first, read back to ``since``), then
``videos.list`` in batches of 50; ``parsing.video_parse`` has the format rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import requests
from django.utils.translation import gettext as _

from connectors.base import (
    AccountMetricRow,
    AuthError,
    Connector,
    ConnectorError,
    DiscoveredAccount,
    OAuthSpec,
    PostMetricRow,
    PostRow,
    RateLimited,
    TransientError,
)
from connectors.platforms.oauth2 import (
    credentials_refreshed,
    exchange_code,
    expires_soon,
    refresh_access_token,
)
from connectors.platforms.youtube.google import (
    GOOGLE_BASE,
    PACIFIC,
    PLATFORM,
    NoUploads,
    api_get,
    endpoints,
)
from connectors.platforms.youtube.parsing import (
    day_parse,
    items,
    number,
    result_table_records,
    timestamp_parse,
    video_parse,
)

ANALYTICS_METRICS: dict[str, str] = {
    "views": "video_views",
    "estimatedMinutesWatched": "watch_time_minutes",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "subscribersGained": "followers_gained",
    "subscribersLost": "followers_lost",
}
ENGAGEMENT_PARTS = ("likes", "comments", "shares")
REFRESH_MARGIN = dt.timedelta(minutes=5)
VIDEOS_PER_REQUEST = 50
# Errors that say nothing about one metric: they end the fetch rather than skip a metric.
_NOT_A_METRIC_PROBLEM = (AuthError, RateLimited, TransientError)


class YouTubeConnector(Connector):
    """A YouTube channel. Credentials: ``access_token``, ``refresh_token``, ``expires_at``."""

    key = "youtube"
    label = "YouTube"
    metrics = frozenset({*ANALYTICS_METRICS.values(), "engagements", "followers"})
    oauth = OAuthSpec(
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106 (a URL, not a secret)
        scopes=(
            "https://www.googleapis.com/auth/youtube.readonly",
            "https://www.googleapis.com/auth/yt-analytics.readonly",
        ),
        pkce=True,
        # Google sends a refresh token only for offline access, and on a reconnect only when
        # the consent screen is shown again.
        extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
    )
    default_base_url = GOOGLE_BASE
    # Analytics data lags one to two days and is still revised after that.
    lookback_days = 4
    analytics_page_size: ClassVar[int] = 200

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any],
        external_id: str,
        session: requests.Session | None = None,
        base_url: str | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials, external_id=external_id, session=session, base_url=base_url
        )
        self.endpoints = endpoints(self.base_url)

    @classmethod
    def oauth_exchange(
        cls,
        *,
        code: str,
        redirect_uri: str,
        client_id: str,
        client_secret: str,
        code_verifier: str | None,
        session: requests.Session,
        base_url: str | None = None,
    ) -> dict[str, Any]:
        token = exchange_code(
            token_url=endpoints(base_url).token,
            code=code,
            redirect_uri=redirect_uri,
            client_id=client_id,
            client_secret=client_secret,
            code_verifier=code_verifier,
            session=session,
            platform=PLATFORM,
        )
        if not token.get("refresh_token"):
            raise AuthError(
                _(
                    "Google did not grant offline access, so Rapport could not keep the channel "
                    "connected. Click Connect again and accept every permission."
                )
            )
        return token

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        body = api_get(
            None,
            f"{endpoints(base_url).data}/channels",
            params={"part": "snippet,statistics", "mine": "true", "maxResults": 50},
            token=token,
            session=session,
        )
        found = []
        for item in items(body):
            channel_id = str(item.get("id") or "")
            if not channel_id:
                continue
            snippet = item.get("snippet") or {}
            found.append(
                DiscoveredAccount(
                    external_id=channel_id,
                    display_name=str(snippet.get("title") or channel_id),
                    handle=str(snippet.get("customUrl") or ""),
                    credentials=dict(token),
                    timezone=PACIFIC.key,
                )
            )
        return found

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        """Refresh when under five minutes remain (or the expiry is unknown). Google usually
        keeps the refresh token and only sometimes sends a new one: either way it is kept."""
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token or not expires_soon(
            self.credentials, margin=REFRESH_MARGIN, unknown=True
        ):
            return None
        fresh = refresh_access_token(
            token_url=self.endpoints.token,
            refresh_token=str(refresh_token),
            client_id=client_id,
            client_secret=client_secret,
            session=self.session,
            platform=PLATFORM,
        )
        self.credentials = credentials_refreshed(self.credentials, fresh)
        return dict(self.credentials)

    def check(self) -> None:
        body = self._get(f"{self.endpoints.data}/channels", {"part": "id", "mine": "true"})
        if not any(item.get("id") == self.external_id for item in items(body)):
            raise AuthError(
                _(
                    "This Google authorisation does not reach the channel. Reconnect the "
                    "channel with the Google account that owns or manages it."
                )
            )

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        if end < start:
            return
        table = self._analytics(start, end)
        for day in sorted(table):
            values = table[day]
            for name, metric in ANALYTICS_METRICS.items():
                if name in values:
                    yield AccountMetricRow(day=day, metric=metric, value=values[name])
            if all(part in values for part in ENGAGEMENT_PARTS):
                total = sum(values[part] for part in ENGAGEMENT_PARTS)
                yield AccountMetricRow(day=day, metric="engagements", value=total)
        oldest = dt.datetime.now(PACIFIC).date() - dt.timedelta(days=self.lookback_days)
        if end < oldest:
            self.notes.warn(
                _(
                    "Subscribers are only known as they are today, so they were not recorded "
                    "for a period ending before %(day)s."
                )
                % {"day": oldest.isoformat()}
            )
            return
        subscribers = self._subscribers()
        if subscribers is not None:
            yield AccountMetricRow(day=end, metric="followers", value=subscribers)

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        video_ids = self._upload_ids(since)
        for offset in range(0, len(video_ids), VIDEOS_PER_REQUEST):
            body = self._get(
                f"{self.endpoints.data}/videos",
                {
                    "part": "snippet,statistics,contentDetails,liveStreamingDetails",
                    "id": ",".join(video_ids[offset : offset + VIDEOS_PER_REQUEST]),
                    "maxResults": VIDEOS_PER_REQUEST,
                },
            )
            for item in items(body):
                parsed = video_parse(item, today=today)
                if parsed is not None and parsed[0].published_at.date() >= since:
                    yield parsed

    def _get(self, url: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        return api_get(self, url, params=params, token=self.credentials, session=self.session)

    def _analytics(self, start: dt.date, end: dt.date) -> dict[dt.date, dict[str, float]]:
        """Daily values by Analytics metric name. When YouTube rejects the query (a metric
        renamed or removed), each metric is asked alone and the rejected ones are skipped
        with a warning; if every one is rejected, the first error stands."""
        names = list(ANALYTICS_METRICS)
        try:
            return self._report(names, start, end)
        except _NOT_A_METRIC_PROBLEM:
            raise
        except ConnectorError as rejected:
            table: dict[dt.date, dict[str, float]] = {}
            read_any = False
            for name in names:
                try:
                    part = self._report([name], start, end)
                except _NOT_A_METRIC_PROBLEM:
                    raise
                except ConnectorError as exc:
                    self.notes.warn(
                        _("YouTube did not report the metric %(metric)s: %(reason)s")
                        % {"metric": name, "reason": exc}
                    )
                    continue
                read_any = True
                for day, values in part.items():
                    table.setdefault(day, {}).update(values)
            if not read_any:
                raise rejected from None
            return table

    def _report(
        self, names: list[str], start: dt.date, end: dt.date
    ) -> dict[dt.date, dict[str, float]]:
        table: dict[dt.date, dict[str, float]] = {}
        size = self.analytics_page_size
        # A day report has at most one row per day, which bounds the paging.
        for page in range((end - start).days // size + 1):
            body = self._get(
                f"{self.endpoints.analytics}/reports",
                {
                    "ids": "channel==MINE",
                    "startDate": start.isoformat(),
                    "endDate": end.isoformat(),
                    "dimensions": "day",
                    "metrics": ",".join(names),
                    "sort": "day",
                    "startIndex": page * size + 1,
                    "maxResults": size,
                },
            )
            records = result_table_records(body)
            for record in records:
                day = day_parse(record.get("day"))
                if day is None or not start <= day <= end:
                    continue
                for name in names:
                    value = number(record.get(name))
                    if value is not None:
                        table.setdefault(day, {})[name] = value
            if len(records) < size:
                break
        return table

    def _subscribers(self) -> float | None:
        body = self._get(
            f"{self.endpoints.data}/channels", {"part": "statistics", "id": self.external_id}
        )
        found = items(body)
        if not found:
            self.notes.warn(_("YouTube did not return the channel, so subscribers are unknown."))
            return None
        statistics = found[0].get("statistics") or {}
        if statistics.get("hiddenSubscriberCount") is True:
            self.notes.warn(
                _(
                    "The channel hides its subscriber count, so followers were not recorded. "
                    "Show the count in YouTube Studio to record it."
                )
            )
            return None
        return number(statistics.get("subscriberCount"))

    def _upload_ids(self, since: dt.date) -> list[str]:
        """Ids of the videos uploaded since ``since``, newest first."""
        body = self._get(
            f"{self.endpoints.data}/channels", {"part": "contentDetails", "id": self.external_id}
        )
        found = items(body)
        details = (found[0].get("contentDetails") or {}) if found else {}
        playlist = (details.get("relatedPlaylists") or {}).get("uploads")
        if not playlist:
            return []
        video_ids: list[str] = []
        params: dict[str, Any] = {
            "part": "contentDetails",
            "playlistId": playlist,
            "maxResults": VIDEOS_PER_REQUEST,
        }
        seen_pages: set[str] = set()
        while True:
            try:
                body = self._get(f"{self.endpoints.data}/playlistItems", params)
            except NoUploads:
                return video_ids
            reached_since = False
            for item in items(body):
                content = item.get("contentDetails") or {}
                published = timestamp_parse(content.get("videoPublishedAt"))
                # Newest first, but scheduled videos and premieres can sit slightly out of
                # order: the page is read to its end before stopping.
                if published is not None and published.date() < since:
                    reached_since = True
                elif content.get("videoId") and content["videoId"] not in video_ids:
                    video_ids.append(str(content["videoId"]))
            next_page = body.get("nextPageToken")
            if reached_since or not next_page or next_page in seen_pages:
                return video_ids
            seen_pages.add(next_page)
            params["pageToken"] = next_page
