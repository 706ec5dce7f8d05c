"""The sync tests' fixtures: a scriptable connector (no HTTP, every behaviour chosen per test),
a frozen clock, a connected account and rows to sync."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
import requests

from connectors.base import (
    AccountMetricRow,
    Connector,
    DiscoveredAccount,
    OAuthSpec,
    PostMetricRow,
    PostRow,
    RecordedResponse,
)
from connectors.models import (
    AccountMetric,
    Platform,
    Post,
    PostMetric,
    SocialAccount,
    SyncRun,
    SyncTrigger,
    Workspace,
)
from connectors.sync import RetryPolicy, account_sync
from tests.factories import SocialAccountFactory

# Noon in Paris: "today" is 10 March there, and yesterday the last complete day.
NOW = dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)
YESTERDAY = dt.date(2026, 3, 9)
ACCESS_TOKEN = "ya29.access-token-that-must-never-leak"
REFRESH_TOKEN = "1//refresh-token-that-must-never-leak"


@dataclass
class FakeScript:
    """What the fake connector yields, raises and records; ``calls`` is what it was asked."""

    account_rows: list[AccountMetricRow] = field(default_factory=list)
    posts: list[tuple[PostRow, list[PostMetricRow]]] = field(default_factory=list)
    # Raised once every account row was yielded (so the failure comes halfway through a sync).
    account_error: Exception | None = None
    # Raised after the first post was yielded.
    posts_error: Exception | None = None
    refreshed: dict[str, Any] | None = None
    refresh_error: Exception | None = None
    warnings: list[str] = field(default_factory=list)
    recorded: list[RecordedResponse] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def called(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]


class FakeConnector(Connector):
    key = "youtube"
    label = "Fake"
    metrics = frozenset({"followers", "impressions", "likes", "comments", "video_views"})
    oauth = OAuthSpec(
        authorize_url="https://fake.invalid/authorize",
        token_url="https://fake.invalid/token",
        scopes=("read",),
    )
    default_base_url = "https://fake.invalid"
    script: ClassVar[FakeScript]

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
        raise NotImplementedError("The sync never connects an account.")

    @classmethod
    def discover_accounts(
        cls, *, token: Mapping[str, Any], session: requests.Session, base_url: str | None = None
    ) -> list[DiscoveredAccount]:
        raise NotImplementedError("The sync never discovers accounts.")

    def refresh_credentials(self, *, client_id: str, client_secret: str) -> dict[str, Any] | None:
        self.script.calls.append(("refresh", {"client_id": client_id}))
        if self.script.refresh_error is not None:
            raise self.script.refresh_error
        return self.script.refreshed

    def check(self) -> None:
        self.script.calls.append(("check", {}))

    def fetch_account_metrics(self, *, start: dt.date, end: dt.date) -> Iterator[AccountMetricRow]:
        self.script.calls.append(
            ("account", {"start": start, "end": end, "credentials": dict(self.credentials)})
        )
        self.recorded.extend(self.script.recorded)
        for message in self.script.warnings:
            self.notes.warn(message)
        yield from self.script.account_rows
        if self.script.account_error is not None:
            raise self.script.account_error

    def fetch_posts(
        self, *, since: dt.date, today: dt.date
    ) -> Iterator[tuple[PostRow, list[PostMetricRow]]]:
        self.script.calls.append(("posts", {"since": since, "today": today}))
        for index, pair in enumerate(self.script.posts):
            yield pair
            if index == 0 and self.script.posts_error is not None:
                raise self.script.posts_error
        if not self.script.posts and self.script.posts_error is not None:
            raise self.script.posts_error


def fake_connector_install(
    monkeypatch: pytest.MonkeyPatch,
    script: FakeScript,
    *,
    lookback_days: int = 3,
    snapshots: bool = False,
) -> type[FakeConnector]:
    """Make the sync service build a fake connector with ``script``, for every platform."""
    cls = type(
        "ScriptedConnector",
        (FakeConnector,),
        {
            "script": script,
            "lookback_days": lookback_days,
            "account_metrics_are_snapshots": snapshots,
        },
    )

    def connector_class(key: str) -> type[Connector]:
        return cls

    monkeypatch.setattr("connectors.sync.fetch.connector_class", connector_class)
    return cls


def connected_account(workspace: Workspace, **fields: Any) -> SocialAccount:
    account: SocialAccount = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.YOUTUBE, timezone="Europe/Paris", **fields
    )
    account.credentials = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "expires_at": "2026-03-10T12:00:00+00:00",
    }
    account.save()
    return account


def run_sync(
    account: SocialAccount,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    retry_in: RetryPolicy | None = None,
) -> SyncRun:
    run = SyncRun.objects.create(
        account=account, trigger=SyncTrigger.MANUAL, window_start=start, window_end=end
    )
    account_sync(run_id=run.pk, retry_in=retry_in)
    run.refresh_from_db()
    return run


def daily_rows(days: int = 3, end: dt.date = YESTERDAY) -> list[AccountMetricRow]:
    return [
        AccountMetricRow(end - dt.timedelta(days=offset), metric, float(100 * offset + i))
        for offset in range(days)
        for i, metric in enumerate(["impressions", "likes"])
    ]


def post_pair(
    external_id: str, *, age_days: int, views: float = 50.0, today: dt.date = TODAY
) -> tuple[PostRow, list[PostMetricRow]]:
    published = dt.datetime.combine(
        today - dt.timedelta(days=age_days), dt.time(9, 30), tzinfo=dt.UTC
    )
    post = PostRow(external_id=external_id, published_at=published, format="video", text="Hi")
    return post, [
        PostMetricRow(external_id, today, "video_views", views),
        PostMetricRow(external_id, today, "likes", views / 10),
    ]


def facts(account: SocialAccount) -> dict[str, set[tuple[Any, ...]]]:
    """Every row the account has, with values and timestamps: equal means nothing changed."""
    return {
        "account": set(
            AccountMetric.objects.filter(account=account).values_list(
                "day", "metric", "value", "updated_at"
            )
        ),
        "posts": set(
            Post.objects.filter(account=account).values_list(
                "external_id", "published_at", "format", "text"
            )
        ),
        "post_metrics": set(
            PostMetric.objects.filter(post__account=account).values_list(
                "post__external_id", "day", "metric", "value", "updated_at"
            )
        ),
    }
