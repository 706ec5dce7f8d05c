"""X (formerly Twitter) through API v2, authorised with OAuth 2.0 and PKCE.

X has no daily account metrics: the account's counters are read as they are now
(``account_metrics_are_snapshots``) and ``followers_count`` is stored on the day it was read.

Mapping, version 1. Posts come from the user's timeline (``/users/:id/tweets``, retweets
excluded, newest first) with lifetime counters dated ``today``: ``like_count`` → likes,
``reply_count`` → comments, ``retweet_count`` + ``quote_count`` → shares (a quote is a repost
with a comment, so X's own "reposts" figure counts both), ``bookmark_count`` → saves,
``impression_count`` → impressions. The non-public metrics of the author's own posts,
``url_link_clicks`` → clicks and ``user_profile_clicks`` → profile_visits, exist only for posts
created in the last 30 days: the timeline is read in two passes, recent posts with
``non_public_metrics``, ``organic_metrics`` and ``promoted_metrics`` and older ones with public
metrics only. When X refuses one of those fields (a "Field Authorization Error" in the
``errors`` of a 200 answer), the page is read again without it and the counters X did give are
kept; a refused ``non_public_metrics`` is recorded as a warning, a refused
``promoted_metrics`` only means the posts were not promoted. A post with ``promoted_metrics``
above zero is marked paid.

Formats: ``video`` for a video or GIF, ``photo`` for one photo, ``carousel`` for several,
``link`` for a post with a link to another site, ``text`` otherwise, ``other`` for polls and
media X did not describe.

Limits: a 429 carries ``x-rate-limit-reset`` (epoch seconds), read by ``connectors.http``; a
429 "UsageCapExceeded" is the monthly cap and is not retried; 402 "CreditsDepleted" and 403
"client-not-enrolled" are problems of the developer account, not of the authorisation.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

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

PLATFORM = "X"
API_BASE = "https://api.x.com/2"
# Access tokens last two hours: refresh ahead so that a long sync does not outlive its token.
REFRESH_MARGIN = dt.timedelta(minutes=15)
# Non-public metrics exist for posts under 30 days old; a day to spare for clock drift.
NON_PUBLIC_MAX_AGE = dt.timedelta(days=29)
PAGE_SIZE = 100

BASE_TWEET_FIELDS = ("created_at", "public_metrics", "attachments", "entities", "referenced_tweets")
PRIVATE_GROUPS = ("non_public_metrics", "organic_metrics", "promoted_metrics")
PUBLIC_METRICS: dict[str, str] = {
    "like_count": "likes",
    "reply_count": "comments",
    "bookmark_count": "saves",
    "impression_count": "impressions",
}
SHARE_PARTS = ("retweet_count", "quote_count")
PRIVATE_METRICS: dict[str, str] = {
    "url_link_clicks": "clicks",
    "user_profile_clicks": "profile_visits",
}
X_HOSTS = frozenset({"x.com", "twitter.com", "www.x.com", "www.twitter.com", "mobile.x.com"})
_FIELD_IN_DETAIL = re.compile(r"'([a-z_]+)")


class XConnector(Connector):
    """An X account, authorised by its owner."""

    key = "x"
    label = "X"
    metrics = frozenset(
        {"followers", *PUBLIC_METRICS.values(), "shares", *PRIVATE_METRICS.values()}
    )
    oauth = OAuthSpec(
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url=f"{API_BASE}/oauth2/token",
        scopes=("tweet.read", "users.read", "offline.access"),
        pkce=True,
    )
    default_base_url = API_BASE
    account_metrics_are_snapshots = True

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
            client_auth=_client_auth(client_secret),
        )

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        """The authorising user's own account: X tokens act for one user only."""
        user = _user(
            None,
            session=session,
            url=f"{(base_url or API_BASE).rstrip('/')}/users/me",
            token=str(token.get("access_token", "")),
        )
        return [
            DiscoveredAccount(
                external_id=str(user["id"]),
                display_name=str(user.get("name") or user.get("username") or user["id"]),
                handle=str(user.get("username") or ""),
                credentials=dict(token),
            )
        ]

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        """Refresh when the token has less than 15 minutes left (or no known expiry). X rotates
        refresh tokens: the old one stops working, so the returned credentials must be saved."""
        if not oauth2.expires_soon(self.credentials, margin=REFRESH_MARGIN, unknown=True):
            return None
        refresh_token = str(self.credentials.get("refresh_token") or "")
        if not refresh_token:
            if oauth2.expires_soon(self.credentials, margin=dt.timedelta(0)):
                raise AuthError(
                    _(
                        "The X authorisation has expired and cannot be renewed (it was given "
                        "without offline access). Connect the account again."
                    )
                )
            return None
        tokens = oauth2.refresh_access_token(
            token_url=token_url(self.base_url),
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            session=self.session,
            platform=PLATFORM,
            client_auth=_client_auth(client_secret),
        )
        self.credentials = oauth2.credentials_refreshed(self.credentials, tokens)
        return dict(self.credentials)

    def check(self) -> None:
        user = _user(self, session=self.session, url=f"{self.base_url}/users/me", token=self._token)
        if str(user["id"]) != self.external_id:
            raise AuthError(
                _(
                    "This X authorisation belongs to another account (@%(handle)s). Connect the "
                    "account again while signed in to X as its owner."
                )
                % {"handle": user.get("username") or user["id"]}
            )

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        user = _user(
            self,
            session=self.session,
            url=f"{self.base_url}/users/{self.external_id}",
            token=self._token,
            params={"user.fields": "public_metrics"},
        )
        public = user.get("public_metrics")
        followers = _number(public.get("followers_count")) if isinstance(public, Mapping) else None
        if followers is not None:
            yield AccountMetricRow(end, "followers", followers)

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        since_at = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        recent_from = dt.datetime.now(dt.UTC) - NON_PUBLIC_MAX_AGE
        passes: list[tuple[dt.datetime, dt.datetime | None, bool]] = [
            (max(since_at, recent_from), None, True)
        ]
        if since_at < recent_from:
            passes.append((since_at, recent_from, False))
        seen: set[str] = set()
        for start_time, end_time, private in passes:
            for tweet, media in self._timeline(start_time, end_time, private=private):
                tweet_id = str(tweet.get("id") or "")
                post = post_row(tweet, media)
                if post is None or tweet_id in seen:
                    continue
                seen.add(tweet_id)
                yield (
                    post,
                    [
                        PostMetricRow(tweet_id, today, metric, value)
                        for metric, value in post_metrics(tweet).items()
                    ],
                )

    @property
    def _token(self) -> str:
        return str(self.credentials.get("access_token", ""))

    def _timeline(
        self, start_time: dt.datetime, end_time: dt.datetime | None, *, private: bool
    ) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Mapping[str, Any]]]]:
        params: dict[str, Any] = {
            "max_results": PAGE_SIZE,
            "exclude": "retweets",
            "start_time": _iso(start_time),
            "expansions": "attachments.media_keys",
            "media.fields": "type",
        }
        if end_time is not None:
            params["end_time"] = _iso(end_time)
        groups = list(PRIVATE_GROUPS) if private else []
        tokens_seen: set[str] = set()
        while True:
            body, groups = self._timeline_page(params, groups)
            includes = body.get("includes")
            media_list = includes.get("media") if isinstance(includes, Mapping) else None
            media = {
                str(item.get("media_key")): item
                for item in (media_list if isinstance(media_list, list) else [])
                if isinstance(item, Mapping)
            }
            for tweet in _tweets(body):
                yield tweet, media
            meta = body.get("meta")
            next_token = meta.get("next_token") if isinstance(meta, Mapping) else None
            if not next_token or next_token in tokens_seen:
                return
            tokens_seen.add(next_token)
            params["pagination_token"] = next_token

    def _timeline_page(
        self, params: Mapping[str, Any], groups: list[str]
    ) -> tuple[Mapping[str, Any], list[str]]:
        """One page, read again without the optional fields X refuses; the refused fields stay
        off for the following pages. Counters X gave before refusing are kept."""
        given: dict[str, dict[str, Any]] = {}
        while True:
            body = self._get(
                f"/users/{self.external_id}/tweets",
                {**params, "tweet.fields": ",".join([*BASE_TWEET_FIELDS, *groups])},
            )
            for tweet in _tweets(body):
                found = {group: tweet[group] for group in groups if group in tweet}
                given.setdefault(str(tweet.get("id")), {}).update(found)
            refused = set()
            for error in body.get("errors") or []:
                group = _refused_group(error)
                if group is None:
                    self.notes.warn(
                        _("X left part of its answer out: %(detail)s") % {"detail": _detail(error)}
                    )
                elif group in groups:
                    refused.add(group)
            if not refused:
                break
            if "non_public_metrics" in refused:
                self.notes.warn(
                    _(
                        "X did not give link clicks and profile visits for recent posts: this "
                        "authorisation does not allow non-public metrics. Public counters were "
                        "collected."
                    )
                )
            groups = [group for group in groups if group not in refused]
        tweets = [{**given.get(str(tweet.get("id")), {}), **tweet} for tweet in _tweets(body)]
        return {**body, "data": tweets}, groups

    def _get(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        return _get(
            self,
            session=self.session,
            url=f"{self.base_url}{path}",
            token=self._token,
            params=params,
        )


def token_url(base_url: str | None) -> str:
    """X's token endpoint lives under the API base, whichever it is."""
    return f"{(base_url or API_BASE).rstrip('/')}/oauth2/token"


def post_row(tweet: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]) -> PostRow | None:
    """The post of a timeline item, or None when it has no id or creation time."""
    tweet_id = str(tweet.get("id") or "")
    created = _datetime(tweet.get("created_at"))
    if not tweet_id or created is None:
        return None
    promoted = tweet.get("promoted_metrics")
    return PostRow(
        external_id=tweet_id,
        published_at=created,
        format=post_format(tweet, media),
        text=html.unescape(str(tweet.get("text") or "")),
        permalink=f"https://x.com/i/web/status/{tweet_id}",
        is_paid=isinstance(promoted, Mapping)
        and any((_number(value) or 0) > 0 for value in promoted.values()),
    )


def post_format(tweet: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]) -> str:
    attachments = tweet.get("attachments")
    attachments = attachments if isinstance(attachments, Mapping) else {}
    keys = [str(key) for key in attachments.get("media_keys") or []]
    types = [str(media[key].get("type")) for key in keys if key in media]
    if any(kind in ("video", "animated_gif") for kind in types):
        return "video"
    photos = types.count("photo")
    if photos:
        return "carousel" if photos > 1 else "photo"
    if keys or attachments.get("poll_ids"):
        return "other"
    entities = tweet.get("entities")
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    for url in urls if isinstance(urls, list) else []:
        if not isinstance(url, Mapping) or url.get("media_key"):
            continue
        host = urlsplit(str(url.get("expanded_url") or url.get("url") or "")).hostname or ""
        if host and host.lower() not in X_HOSTS:
            return "link"
    return "text"


def post_metrics(tweet: Mapping[str, Any]) -> dict[str, float]:
    """Canonical counters of a timeline item; a counter X did not give is left out."""
    public = tweet.get("public_metrics")
    public = public if isinstance(public, Mapping) else {}
    values = {
        metric: number
        for field, metric in PUBLIC_METRICS.items()
        if (number := _number(public.get(field))) is not None
    }
    shares = [number for field in SHARE_PARTS if (number := _number(public.get(field))) is not None]
    if shares:
        values["shares"] = sum(shares)
    for group in ("non_public_metrics", "organic_metrics"):
        private = tweet.get(group)
        if not isinstance(private, Mapping):
            continue
        for field, metric in PRIVATE_METRICS.items():
            number = _number(private.get(field))
            if number is not None:
                values.setdefault(metric, number)
        impressions = _number(private.get("impression_count"))
        if impressions is not None:
            values.setdefault("impressions", impressions)
    return values


def classify(response: requests.Response, body: Any) -> ConnectorError | None:
    """X answers whose meaning the status code alone does not give."""
    status = response.status_code
    if status < 400 or not isinstance(body, Mapping):
        return None
    text = " ".join(str(body.get(key) or "") for key in ("title", "type", "reason", "detail"))
    text = text.lower()
    if status == 429 and ("usage-capped" in text or "usagecapexceeded" in text):
        return RateLimited(
            _(
                "The X developer account has reached its monthly usage cap. Syncing resumes "
                "when the cap resets; the X developer console shows when."
            ),
            daily_quota=True,
        )
    if status == 402 or "creditsdepleted" in text or "credits" in text:
        return ConnectorError(
            _(
                "X refused the request: the X developer account has no API credits left. Add "
                "credits in the X developer console, then sync again."
            )
        )
    if status == 403 and ("client-not-enrolled" in text or "client-forbidden" in text):
        return ConnectorError(
            _(
                "X refused the request: Rapport's X app is not attached to a project with "
                "access to this part of the API. Check the app's project and plan in the X "
                "developer console."
            )
        )
    return None


def _get(
    connector: Connector | None,
    *,
    session: requests.Session,
    url: str,
    token: str,
    params: Mapping[str, Any] | None = None,
) -> Mapping[str, Any]:
    body = request_json(
        connector,
        "GET",
        url,
        session=session,
        platform=PLATFORM,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        classify=classify,
    )
    if not isinstance(body, Mapping):
        raise TransientError(_("X answered with an empty body. Try again later."))
    return body


def _user(
    connector: Connector | None,
    *,
    session: requests.Session,
    url: str,
    token: str,
    params: Mapping[str, Any] | None = None,
) -> Mapping[str, Any]:
    body = _get(connector, session=session, url=url, token=token, params=params)
    user = body.get("data")
    if isinstance(user, Mapping) and user.get("id"):
        return user
    errors = body.get("errors") or [{}]
    raise ConnectorError(
        _(
            "X did not return the account (%(detail)s). It may have been suspended, deleted or "
            "made private."
        )
        % {"detail": _detail(errors[0])}
    )


def _tweets(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    data = body.get("data")
    return [tweet for tweet in data if isinstance(tweet, Mapping)] if isinstance(data, list) else []


def _refused_group(error: Any) -> str | None:
    """The optional field group a "Field Authorization Error" refuses, or None for others."""
    if not isinstance(error, Mapping) or not str(error.get("type", "")).endswith(
        "not-authorized-for-field"
    ):
        return None
    field = str(error.get("field") or "")
    if not field:
        match = _FIELD_IN_DETAIL.search(str(error.get("detail") or ""))
        field = match.group(1) if match else ""
    return field.split(".", 1)[0] or None


def _detail(error: Any) -> str:
    if not isinstance(error, Mapping):
        return ""
    return str(error.get("detail") or error.get("title") or error.get("message") or "")


def _client_auth(client_secret: str) -> oauth2.ClientAuth:
    # A confidential client (with a secret) must authenticate with HTTP Basic; a public one
    # sends only its client id.
    return oauth2.ClientAuth.BASIC if client_secret else oauth2.ClientAuth.BODY


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _datetime(raw: Any) -> dt.datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)
