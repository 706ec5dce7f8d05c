"""LinkedIn Pages: an organization's statistics through the Community Management API.

Versioned REST (``LinkedIn-Version`` header, a version is served for about a year) with the
Rest.li 2.0 protocol. Rest.li structures in a query (``timeIntervals=(timeRange:(…))``,
``shares=List(…)``) must keep their parentheses, colons and commas unescaped while the URNs
inside them are percent-encoded, which ``requests`` cannot express: those values are written
into the URL by hand (``restli``), plain parameters go through ``requests`` as usual.

Mapping, version 1. Days are UTC days, taken from each bucket's ``timeRange.start`` (epoch
milliseconds). ``organizationalEntityShareStatistics`` by day: ``impressionCount`` →
impressions, ``clickCount`` → clicks, ``likeCount`` → likes, ``commentCount`` → comments,
``shareCount`` → shares; LinkedIn's ``engagement`` is a *rate* ((clicks + likes + comments +
shares) / impressions), so ``engagements`` is the count it is computed from, written only when
all four parts are reported. ``organizationalEntityFollowerStatistics`` by day: organic + paid
``followerGains`` → followers_gained. ``networkSizes`` (``firstDegreeSize``) → followers, read
now and dated ``end``; not written for a window that ended more than ``lookback_days`` ago.
LinkedIn reports neither reach (``uniqueImpressionsCount`` is not reach) nor saves for pages:
neither is ever written. Posts (``/posts?q=author``, newest created first) get the same share
statistics per post, lifetime counters dated ``today``; LinkedIn leaves out posts without any
impression or action, so those get no counters rather than zeros.

Limits. Time-bound statistics must start within the last 12 months and end at least two days
before today (UTC); the window is clipped to that, and the days lost at the start are named in
a warning (days clipped at the end are fetched by a later sync, see ``lookback_days``). A 429
means a daily quota is spent: it resets at midnight UTC and LinkedIn sends no retry header.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

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
from connectors.http import request_json
from connectors.platforms import oauth2

PLATFORM = "LinkedIn"
API_VERSION = "202609"  # YYYYMM; LinkedIn sunsets a version about a year after its release
API_BASE = "https://api.linkedin.com/rest"
AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 (a URL)
ORGANIZATION_URN = "urn:li:organization:{}"
# Page followers (members); the older CamelCase spelling is refused by versioned APIs.
EDGE_TYPE = "COMPANY_FOLLOWED_BY_MEMBER"
# Access tokens last 60 days; refreshing a week ahead leaves room for failed syncs.
REFRESH_MARGIN = dt.timedelta(days=7)
STATISTICS_LAG_DAYS = 2
STATISTICS_MAX_AGE_DAYS = 364  # "within the last 12 months", with a day to spare
PAGE_SIZE = 50
POSTS_PER_STATISTICS_REQUEST = 20  # keeps the hand-built URL well under length limits

SHARE_STATISTICS: dict[str, str] = {
    "impressionCount": "impressions",
    "clickCount": "clicks",
    "likeCount": "likes",
    "commentCount": "comments",
    "shareCount": "shares",
}
ENGAGEMENT_PARTS = ("clicks", "likes", "comments", "shares")
# Post URN type → the share statistics parameter that takes it.
STATISTICS_PARAMETERS = {"share": "shares", "ugcPost": "ugcPosts"}

_HASHTAG = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
_MENTION = re.compile(r"@\[([^\]]*)\]\(urn:li:[^)]*\)")
_ESCAPED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


class LinkedInConnector(Connector):
    """A LinkedIn Page (organization), authorised by one of its administrators."""

    key = "linkedin"
    label = "LinkedIn"
    metrics = frozenset(
        {*SHARE_STATISTICS.values(), "engagements", "followers_gained", "followers"}
    )
    oauth = OAuthSpec(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        scopes=("r_organization_social", "rw_organization_admin", "r_organization_admin"),
    )
    default_base_url = API_BASE
    # The statistics end two days before today and the clipped days must be asked for again.
    lookback_days = 5
    page_size: ClassVar[int] = PAGE_SIZE

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
        return oauth2.exchange_code(
            token_url=token_url(base_url),
            code=code,
            redirect_uri=redirect_uri,
            client_id=client_id,
            client_secret=client_secret,
            code_verifier=code_verifier,
            session=session,
            platform=PLATFORM,
        )

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        """The organizations the member administers (approved ADMINISTRATOR roles)."""
        base = (base_url or API_BASE).rstrip("/")
        access_token = str(token.get("access_token", ""))
        params = {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}
        organization_ids: list[str] = []
        for acls in _pages(
            lambda paging: _get(
                None,
                session=session,
                url=f"{base}/organizationAcls",
                token=access_token,
                params={**params, **paging},
            )
        ):
            for acl in acls:
                urn = acl.get("organization") or acl.get("organizationTarget") or ""
                organization_id = str(urn).rsplit(":", 1)[-1]
                if organization_id.isdigit() and organization_id not in organization_ids:
                    organization_ids.append(organization_id)
        accounts = []
        for organization_id in organization_ids:
            organization = _get(
                None,
                session=session,
                url=f"{base}/organizations/{organization_id}",
                token=access_token,
            )
            vanity = str(organization.get("vanityName") or "")
            accounts.append(
                DiscoveredAccount(
                    external_id=organization_id,
                    display_name=str(organization.get("localizedName") or vanity)
                    or organization_id,
                    handle=vanity,
                    credentials=dict(token),
                    timezone="UTC",
                )
            )
        return accounts

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        """Refresh when the access token has less than a week left and a refresh token is
        still valid (LinkedIn gives them to approved partners only; they do not slide)."""
        if not oauth2.expires_soon(self.credentials, margin=REFRESH_MARGIN):
            return None
        refresh_token = str(self.credentials.get("refresh_token") or "")
        refreshable = bool(refresh_token) and not oauth2.expires_soon(
            self.credentials, margin=dt.timedelta(0), field="refresh_token_expires_at"
        )
        if not refreshable:
            if oauth2.expires_soon(self.credentials, margin=dt.timedelta(0)):
                raise AuthError(
                    _(
                        "The LinkedIn authorisation has expired (LinkedIn authorisations last "
                        "60 days). Connect the page again."
                    )
                )
            return None
        tokens = oauth2.refresh_access_token(
            token_url=token_url(None if self.base_url == API_BASE else self.base_url),
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            session=self.session,
            platform=PLATFORM,
        )
        self.credentials = oauth2.credentials_refreshed(self.credentials, tokens)
        return dict(self.credentials)

    def check(self) -> None:
        self._get(f"/organizations/{self.external_id}")

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        window = self._statistics_window(start, end)
        if window is not None:
            first, last = window
            for day, values in self._daily_statistics(
                "/organizationalEntityShareStatistics", first, last
            ):
                for metric, value in share_metrics(values.get("totalShareStatistics")).items():
                    yield AccountMetricRow(day, metric, value)
            for day, values in self._daily_statistics(
                "/organizationalEntityFollowerStatistics", first, last
            ):
                gained = follower_gains(values.get("followerGains"))
                if gained is not None:
                    yield AccountMetricRow(day, "followers_gained", gained)
        if end < _utc_today() - dt.timedelta(days=self.lookback_days):
            self.notes.warn(
                _(
                    "LinkedIn only gives the current number of followers: it was not recorded "
                    "for a window that ended on %(end)s."
                )
                % {"end": end.isoformat()}
            )
            return
        size = self._get(f"/networkSizes/{quote(self._urn, safe='')}", {"edgeType": EDGE_TYPE})
        followers = _number(size.get("firstDegreeSize"))
        if followers is not None:
            yield AccountMetricRow(end, "followers", followers)

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        params = {"q": "author", "author": self._urn, "sortBy": "CREATED"}
        pages = _pages(lambda paging: self._get("/posts", {**params, **paging}), self.page_size)
        for elements in pages:
            posts: list[PostRow] = []
            reached_since = False
            for element in elements:
                created = _timestamp(element.get("createdAt") or element.get("publishedAt"))
                if created is not None and created.date() < since:
                    reached_since = True
                    break
                post = post_row(element)
                if post is not None and post.published_at.date() >= since:
                    posts.append(post)
            counters = self._post_statistics([post.external_id for post in posts], today)
            for post in posts:
                yield post, counters.get(post.external_id, [])
            if reached_since:
                return

    @property
    def _urn(self) -> str:
        return ORGANIZATION_URN.format(self.external_id)

    def _get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        restli: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        return _get(
            self,
            session=self.session,
            url=f"{self.base_url}{path}",
            token=str(self.credentials.get("access_token", "")),
            params=params,
            restli=restli,
        )

    def _statistics_window(self, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
        today = _utc_today()
        earliest = today - dt.timedelta(days=STATISTICS_MAX_AGE_DAYS)
        # The end of a time range is exclusive: the last full day ends two days before today.
        latest = today - dt.timedelta(days=STATISTICS_LAG_DAYS + 1)
        if start < earliest:
            self.notes.warn(
                _(
                    "LinkedIn keeps daily page statistics for 12 months only: the days from "
                    "%(start)s to %(end)s could not be collected."
                )
                % {
                    "start": start.isoformat(),
                    "end": min(end, earliest - dt.timedelta(days=1)).isoformat(),
                }
            )
        first, last = max(start, earliest), min(end, latest)
        return (first, last) if first <= last else None

    def _daily_statistics(
        self, path: str, first: dt.date, last: dt.date
    ) -> Iterator[tuple[dt.date, Mapping[str, Any]]]:
        body = self._get(
            path,
            {"q": "organizationalEntity", "organizationalEntity": self._urn},
            restli={"timeIntervals": time_intervals(first, last)},
        )
        for element in _elements(body):
            time_range = element.get("timeRange")
            began = _timestamp(time_range.get("start")) if isinstance(time_range, Mapping) else None
            if began is None:
                raise TransientError(
                    _("LinkedIn answered with statistics that have no date. Try again later.")
                )
            if first <= began.date() <= last:
                yield began.date(), element

    def _post_statistics(
        self, urns: Sequence[str], today: dt.date
    ) -> dict[str, list[PostMetricRow]]:
        counters: dict[str, list[PostMetricRow]] = {}
        for kind, parameter in STATISTICS_PARAMETERS.items():
            of_kind = [urn for urn in urns if urn.startswith(f"urn:li:{kind}:")]
            for offset in range(0, len(of_kind), POSTS_PER_STATISTICS_REQUEST):
                batch = of_kind[offset : offset + POSTS_PER_STATISTICS_REQUEST]
                body = self._get(
                    "/organizationalEntityShareStatistics",
                    {"q": "organizationalEntity", "organizationalEntity": self._urn},
                    restli={parameter: restli_list(batch)},
                )
                for element in _elements(body):
                    urn = str(element.get(kind) or "")
                    if urn in batch:
                        counters[urn] = [
                            PostMetricRow(urn, today, metric, value)
                            for metric, value in share_metrics(
                                element.get("totalShareStatistics")
                            ).items()
                        ]
        return counters


def token_url(base_url: str | None) -> str:
    """LinkedIn's token endpoint, or ``{base}/oauth/v2/accessToken`` under a non-default base
    (a proxy or a local test server stands in for both LinkedIn hosts)."""
    if base_url is None or base_url.rstrip("/") == API_BASE:
        return TOKEN_URL
    return f"{base_url.rstrip('/')}/oauth/v2/accessToken"


def time_intervals(first: dt.date, last: dt.date) -> str:
    """The Rest.li ``timeIntervals`` value for the UTC days ``first``..``last`` inclusive."""
    return (
        f"(timeRange:(start:{_epoch_ms(first)},end:{_epoch_ms(last + dt.timedelta(days=1))}),"
        "timeGranularityType:DAY)"
    )


def restli_list(urns: Sequence[str]) -> str:
    return "List(" + ",".join(quote(urn, safe="") for urn in urns) + ")"


def share_metrics(statistics: Any) -> dict[str, float]:
    """Canonical metrics from a ``totalShareStatistics`` object; missing fields are left out."""
    if not isinstance(statistics, Mapping):
        return {}
    values = {
        metric: number
        for field, metric in SHARE_STATISTICS.items()
        if (number := _number(statistics.get(field))) is not None
    }
    if all(part in values for part in ENGAGEMENT_PARTS):
        values["engagements"] = sum(values[part] for part in ENGAGEMENT_PARTS)
    return values


def follower_gains(gains: Any) -> float | None:
    """Organic + paid follower gains; None when LinkedIn reports neither."""
    if not isinstance(gains, Mapping):
        return None
    parts = [_number(gains.get(field)) for field in ("organicFollowerGain", "paidFollowerGain")]
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


def post_row(element: Mapping[str, Any]) -> PostRow | None:
    """A published post of the ``/posts`` finder, or None for drafts and unreadable items."""
    urn = str(element.get("id") or "")
    state = element.get("lifecycleState")
    published = _timestamp(element.get("publishedAt") or element.get("createdAt"))
    if not urn or published is None or state not in (None, "PUBLISHED"):
        return None
    return PostRow(
        external_id=urn,
        published_at=published,
        format=post_format(element.get("content")),
        text=commentary_text(str(element.get("commentary") or "")),
        permalink=f"https://www.linkedin.com/feed/update/{urn}/",
    )


def post_format(content: Any) -> str:
    if not isinstance(content, Mapping) or not content:
        return "text"
    if "article" in content:
        return "article"
    if "multiImage" in content or "carousel" in content:
        return "carousel"
    media = content.get("media")
    if isinstance(media, Mapping):
        media_urn = str(media.get("id") or "")
        if media_urn.startswith("urn:li:video:"):
            return "video"
        if media_urn.startswith("urn:li:image:"):
            return "photo"
    return "other"


def commentary_text(raw: str) -> str:
    """Plain text from LinkedIn's "little text" format: hashtags, mentions and escapes."""
    text = _HASHTAG.sub(lambda match: f"#{match.group(1)}", raw)
    text = _MENTION.sub(lambda match: match.group(1), text)
    return _ESCAPED.sub(lambda match: match.group(1), text)


def seconds_until_utc_midnight(now: dt.datetime | None = None) -> float:
    now = now or dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return (midnight - now).total_seconds()


def classify(response: requests.Response, body: Any) -> ConnectorError | None:
    """LinkedIn answers whose meaning the status code alone does not give."""
    status = response.status_code
    message = str(body.get("message") or "") if isinstance(body, Mapping) else ""
    if status == 429:
        return RateLimited(
            _(
                "LinkedIn's daily request quota for this app is used up. It resets at midnight "
                "UTC; the sync will continue then."
            ),
            retry_after=seconds_until_utc_midnight(),
            daily_quota=True,
        )
    if status == 426 or (isinstance(body, Mapping) and body.get("code") == "NONEXISTENT_VERSION"):
        return ConnectorError(
            _(
                "LinkedIn no longer serves the API version this Rapport release uses "
                "(%(version)s). Update Rapport to keep syncing LinkedIn pages."
            )
            % {"version": API_VERSION}
        )
    if status == 400 and "timeIntervals" in message:
        return ConnectorError(
            _(
                "LinkedIn refused the date range: its statistics cover the last 12 months and "
                "end two days before today (%(detail)s)."
            )
            % {"detail": message}
        )
    return None


def _get(
    connector: Connector | None,
    *,
    session: requests.Session,
    url: str,
    token: str,
    params: Mapping[str, Any] | None = None,
    restli: Mapping[str, str] | None = None,
) -> Mapping[str, Any]:
    if restli:
        url += "?" + "&".join(f"{name}={value}" for name, value in restli.items())
    recorded = len(connector.recorded) if connector is not None else 0
    try:
        body = request_json(
            connector,
            "GET",
            url,
            session=session,
            platform=PLATFORM,
            params=params,
            headers={
                "Authorization": f"Bearer {token}",
                "LinkedIn-Version": API_VERSION,
                "X-Restli-Protocol-Version": "2.0.0",
            },
            classify=classify,
        )
    finally:
        # The hand-written Rest.li part of the query is archived with the other parameters.
        if connector is not None and restli and len(connector.recorded) > recorded:
            last = connector.recorded[-1]
            connector.recorded[-1] = dataclasses.replace(last, params={**last.params, **restli})
    if not isinstance(body, Mapping):
        raise TransientError(_("LinkedIn answered with an empty body. Try again later."))
    return body


def _elements(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    elements = body.get("elements")
    if not isinstance(elements, list):
        return []
    return [element for element in elements if isinstance(element, Mapping)]


def _pages(
    fetch: Callable[[dict[str, int]], Mapping[str, Any]], page_size: int = PAGE_SIZE
) -> Iterator[list[Mapping[str, Any]]]:
    """The elements of each page of a Rest.li finder paged with ``start``/``count``."""
    start = 0
    while True:
        body = fetch({"start": start, "count": page_size})
        elements = _elements(body)
        if not elements:
            return
        yield elements
        paging = body.get("paging")
        paging = paging if isinstance(paging, Mapping) else {}
        total, links = paging.get("total"), paging.get("links")
        if isinstance(total, int) and start + len(elements) >= total:
            return
        if isinstance(links, list) and links:
            if not any(isinstance(link, Mapping) and link.get("rel") == "next" for link in links):
                return
        elif len(elements) < page_size:
            return
        start += len(elements)


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()) * 1000


def _timestamp(raw: Any) -> dt.datetime | None:
    """An aware UTC datetime from epoch milliseconds (integer arithmetic, no float drift)."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=raw)


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
