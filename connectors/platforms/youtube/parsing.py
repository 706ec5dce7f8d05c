"""YouTube answers as rows: Analytics result tables, videos, counts sent as strings."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from connectors.base import PostMetricRow, PostRow, TransientError

VIDEO_COUNTERS: dict[str, str] = {
    "viewCount": "video_views",
    "likeCount": "likes",
    "commentCount": "comments",
}
SHORT_MAX_SECONDS = 60
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def result_table_records(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An Analytics ``resultTable`` as one mapping per row, keyed by ``columnHeaders`` names:
    the column order follows the request and YouTube's whims, so never read by position."""
    headers = [
        str(h.get("name")) for h in body.get("columnHeaders") or [] if isinstance(h, Mapping)
    ]
    rows = body.get("rows") or []
    if rows and "day" not in headers:
        raise TransientError(_("YouTube Analytics answered without a day column. Try again later."))
    return [dict(zip(headers, row, strict=False)) for row in rows if isinstance(row, list)]


def video_parse(
    item: Mapping[str, Any], *, today: dt.date
) -> tuple[PostRow, list[PostMetricRow]] | None:
    """A ``videos.list`` item as a post and its lifetime counters read ``today``.

    Format: ``live`` when the video has ``liveStreamingDetails`` (streams and premieres),
    ``short`` when it lasts from 1 to 60 seconds, else ``video``. The Data API does not say
    which videos are Shorts, so Shorts of 61 seconds to 3 minutes (allowed since October 2024)
    count as videos. A hidden counter (likes hidden, comments off) is left out, never zero.
    """
    video_id = item.get("id")
    snippet = item.get("snippet") or {}
    published = timestamp_parse(snippet.get("publishedAt"))
    if not video_id or published is None:
        return None
    if item.get("liveStreamingDetails"):
        post_format = "live"
    else:
        seconds = duration_seconds((item.get("contentDetails") or {}).get("duration"))
        is_short = seconds is not None and 0 < seconds <= SHORT_MAX_SECONDS
        post_format = "short" if is_short else "video"
    post = PostRow(
        external_id=str(video_id),
        published_at=published,
        format=post_format,
        text=str(snippet.get("title") or ""),
        permalink=f"https://www.youtube.com/watch?v={video_id}",
    )
    statistics = item.get("statistics") or {}
    counters = []
    for name, metric in VIDEO_COUNTERS.items():
        value = number(statistics.get(name))
        if value is not None:
            counters.append(
                PostMetricRow(post_external_id=str(video_id), day=today, metric=metric, value=value)
            )
    return post, counters


def duration_seconds(raw: Any) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT1M5S`` or ``P1DT2H``; None if unreadable."""
    text = str(raw or "")
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        return None
    parts = {key: float(value) for key, value in match.groupdict(default="0").items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def number(raw: Any) -> float | None:
    """A count as a float (YouTube sends ``"1927873"``); absent or unreadable means unknown."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def items(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [item for item in body.get("items") or [] if isinstance(item, Mapping)]


def day_parse(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return None


def timestamp_parse(raw: Any) -> dt.datetime | None:
    """An aware datetime from Google's ``2005-09-18T22:37:10Z`` (fractions allowed)."""
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
