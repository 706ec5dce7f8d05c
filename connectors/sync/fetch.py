"""The connector side of a sync: build it, refresh its token, fetch a window, and keep only
the post snapshots that are due. No fact is written here (``connectors.sync.service`` does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from connectors.base import AccountMetricRow, Connector, PostMetricRow, PostRow
from connectors.crypto import CredentialsUnreadable
from connectors.models import AccountStatus, PostMetric, SocialAccount, SyncCursor
from connectors.registry import connector_class
from connectors.sync.window import SyncWindow, post_snapshot_due


class SyncSetupError(Exception):
    """The sync cannot start; the message is for the workspace admin.

    ``account_status`` is what the account becomes: ``needs_reauth`` when reconnecting it is
    the fix (like an ``AuthError``), ``error`` for a problem on Rapport's side, None when the
    account is fine as it is (an account filled by imports has nothing to sync).
    """

    def __init__(self, message: str, *, account_status: str | None) -> None:
        super().__init__(message)
        self.account_status = account_status


@dataclass
class Fetched:
    """What a connector returned for a window, already filtered for writing."""

    account_rows: list[AccountMetricRow] = field(default_factory=list)
    posts: list[PostRow] = field(default_factory=list)
    post_rows: list[PostMetricRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def platform_app(platform: str) -> Mapping[str, str]:
    """The platform's app settings: client id, secret and API base (each may be empty)."""
    return settings.PLATFORM_APPS.get(platform, {})


def connector_build(*, account: SocialAccount, session: requests.Session) -> Connector:
    """The account's connector, with its decrypted credentials and the configured API base."""
    label = account.get_platform_display()
    try:
        cls = connector_class(account.platform)
    except (KeyError, ImportError, AttributeError, TypeError) as exc:
        raise SyncSetupError(
            _(
                "Rapport cannot sync %(platform)s accounts: its connector is not available "
                "(%(problem)s). Ask your administrator to check the installation."
            )
            % {"platform": label, "problem": exc},
            account_status=AccountStatus.ERROR,
        ) from exc
    try:
        credentials = account.credentials
    except CredentialsUnreadable as exc:
        raise SyncSetupError(
            _(
                "The saved credentials of this account cannot be read with the server's "
                "encryption keys (were RAPPORT_ENCRYPTION_KEYS changed?). Restore the previous "
                "key, or reconnect the account on the Accounts page."
            ),
            account_status=AccountStatus.NEEDS_REAUTH,
        ) from exc
    if not credentials:
        # Accounts created by a file import (or the demo) carry their platform but no token.
        raise SyncSetupError(
            _(
                "This account is not connected to %(platform)s: its data comes from imported "
                "files. To sync it from the platform instead, connect it on the Accounts page."
            )
            % {"platform": label},
            account_status=None,
        )
    return cls(
        credentials=credentials,
        external_id=account.external_id,
        session=session,
        base_url=platform_app(account.platform).get("api_base") or None,
    )


def credentials_refresh(
    *, account: SocialAccount, cursor: SyncCursor, connector: Connector
) -> None:
    """Renew the token when the connector says it is due, and save the new credentials at once.

    They are committed in their own transaction before anything is fetched: a platform that
    rotates refresh tokens has already invalidated the old one, so losing the new one to a later
    failure would lock the account out. Without a configured client id and secret nothing is
    refreshed: the sync goes on with the credentials it has.
    """
    app = platform_app(account.platform)
    if app.get("client_id") and app.get("client_secret"):
        fresh = connector.refresh_credentials(
            client_id=app["client_id"], client_secret=app["client_secret"]
        )
        if fresh:
            # Some platforms (Google) leave the refresh token out of a refresh's answer.
            credentials = {**connector.credentials, **fresh}
            account.credentials = credentials
            with transaction.atomic():
                SocialAccount.objects.filter(pk=account.pk).update(
                    credentials_encrypted=account.credentials_encrypted
                )
            connector.credentials = credentials
    expires = token_expiry(connector.credentials)
    if expires != cursor.token_expires_at:
        SyncCursor.objects.filter(pk=cursor.pk).update(token_expires_at=expires)
        cursor.token_expires_at = expires


def token_expiry(credentials: Mapping[str, Any]) -> dt.datetime | None:
    raw = credentials.get("expires_at")
    if not isinstance(raw, str):
        return None
    try:
        expires = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return expires if expires.tzinfo is not None else expires.replace(tzinfo=dt.UTC)


def window_fetch(*, connector: Connector, account: SocialAccount, window: SyncWindow) -> Fetched:
    """Fetch the window and keep what is to be written.

    Account rows outside the window are dropped with a warning. Every post is kept (new posts
    appear at once, edits are picked up), but a post's counters are kept only when its snapshot
    is due (``post_snapshot_due``). A row given twice (pages that shifted while being read)
    keeps its last value.
    """
    fetched = Fetched()
    account_rows: dict[tuple[dt.date, str], AccountMetricRow] = {}
    outside = 0
    for account_row in connector.fetch_account_metrics(start=window.start, end=window.end):
        if window.start <= account_row.day <= window.end:
            account_rows[(account_row.day, account_row.metric)] = account_row
        else:
            outside += 1
    fetched.account_rows = list(account_rows.values())
    if outside:
        fetched.warnings.append(
            _("%(count)s values for days outside %(start)s to %(end)s were ignored.")
            % {"count": outside, "start": window.start, "end": window.end}
        )

    posts: dict[str, PostRow] = {}
    post_rows: dict[tuple[str, dt.date, str], PostMetricRow] = {}
    for post, rows in connector.fetch_posts(since=window.posts_since, today=window.today):
        posts[post.external_id] = post
        for row in rows:
            post_rows[(row.post_external_id, row.day, row.metric)] = row
    fetched.posts = list(posts.values())
    fetched.post_rows = _snapshots_due(
        account=account, posts=posts, rows=list(post_rows.values()), today=window.today
    )
    return fetched


def _snapshots_due(
    *,
    account: SocialAccount,
    posts: Mapping[str, PostRow],
    rows: list[PostMetricRow],
    today: dt.date,
) -> list[PostMetricRow]:
    if not rows:
        return []
    tz = ZoneInfo(account.timezone)
    last_snapshot: dict[str, dt.date] = dict(
        PostMetric.objects.filter(post__account=account, post__external_id__in=list(posts))
        .values("post__external_id")
        .annotate(last=Max("day"))
        .values_list("post__external_id", "last")
    )
    due = {
        external_id
        for external_id, post in posts.items()
        if post_snapshot_due(
            published=post.published_at.astimezone(tz).date(),
            last_snapshot=last_snapshot.get(external_id),
            today=today,
        )
    }
    # Counters of a post the connector did not list go through, so that the upsert refuses
    # them loudly instead of this filter hiding a connector bug.
    return [r for r in rows if r.post_external_id in due or r.post_external_id not in posts]
