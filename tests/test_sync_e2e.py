"""End to end: beat's dispatcher message, a real Celery worker on Redis, real HTTP to a local
stand-in for Google that answers 429 once, and the facts in Postgres.

The worker is a separate process with ``YOUTUBE_API_BASE`` pointing at a ``ThreadingHTTPServer``
in this process, which serves YouTube Data and Analytics answers in their recorded shapes
(``connectors/platforms/youtube/google.py`` says how one base URL stands for both APIs).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from config.celery import app
from connectors.models import (
    AccountMetric,
    PostMetric,
    RawResponse,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
)
from connectors.tasks import account_sync_task, accounts_sync_dispatch_task
from tests.factories import SocialAccountFactory, WorkspaceFactory
from tests.processes import CELERY, REDIS_URL, ROOT, worker_database_url
from tests.test_celery_worker import tail

pytestmark = pytest.mark.worker

TIMEOUT_SECONDS = 60
CHANNEL = "UCe2eRapportTestChannel7"
UPLOADS = "UUe2eRapportTestChannel7"
ACCESS_TOKEN = "ya29.e2e-access-token-Hq73"
LA = "America/Los_Angeles"

# The fixture: YouTube Analytics rows for the last three days of any requested range (oldest
# first), as day offset → views, estimatedMinutesWatched, likes, comments, shares,
# subscribersGained, subscribersLost.
ANALYTICS_METRICS = [
    "views",
    "estimatedMinutesWatched",
    "likes",
    "comments",
    "shares",
    "subscribersGained",
    "subscribersLost",
]
DAILY = {
    2: [2304, 7121, 143, 12, 9, 31, 4],
    1: [1876, 5530, 97, 6, 3, 17, 2],
    0: [2950, 9902, 201, 25, 14, 40, 1],
}
CANONICAL = [
    "video_views",
    "watch_time_minutes",
    "likes",
    "comments",
    "shares",
    "followers_gained",
    "followers_lost",
]
SUBSCRIBERS = "18300"
# Videos: id → days since publication, duration, counters (comments off on the second).
VIDEOS = {
    "e2eVideo001": (1, "PT6M12S", {"viewCount": "5210", "likeCount": "388", "commentCount": "41"}),
    "e2eShort002": (5, "PT38S", {"viewCount": "20417", "likeCount": "1733"}),
}


class FakeGoogle(BaseHTTPRequestHandler):
    """Answers like YouTube's Data and Analytics APIs; the very first request gets a 429."""

    requests_seen: list[str] = []
    lock = threading.Lock()
    # Publication times are relative to the server's start, the same for every answer.
    started = dt.datetime.now(dt.UTC)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        with self.lock:
            first = not self.requests_seen
            self.requests_seen.append(url.path)
        if first and self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}":
            body = {
                "error": {
                    "code": 429,
                    "message": "Too many requests",
                    "status": "RESOURCE_EXHAUSTED",
                }
            }
            self.send(429, body, headers={"Retry-After": "1"})
        else:
            self.send(*self.answer(self.path, self.headers.get("Authorization")))

    @classmethod
    def answer(cls, path: str, authorization: str | None) -> tuple[int, Any]:
        """The status and JSON body YouTube gives to a GET of ``path`` (with its query)."""
        url = urlsplit(path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if authorization != f"Bearer {ACCESS_TOKEN}":
            return 401, {"error": {"code": 401, "message": "Invalid Credentials"}}
        if url.path == "/youtubeAnalytics/v2/reports":
            return 200, cls.report(dt.date.fromisoformat(query["endDate"]))
        if url.path == "/youtube/v3/channels":
            return 200, cls.channel(query["part"])
        if url.path == "/youtube/v3/playlistItems" and query["playlistId"] == UPLOADS:
            return 200, cls.uploads()
        if url.path == "/youtube/v3/videos":
            return 200, cls.videos(query["id"].split(","))
        return 404, {"error": {"code": 404, "message": f"Not found: {url.path}"}}

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @staticmethod
    def report(end: dt.date) -> dict[str, Any]:
        headers = [{"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}]
        headers += [
            {"name": m, "columnType": "METRIC", "dataType": "INTEGER"} for m in ANALYTICS_METRICS
        ]
        rows = [
            [(end - dt.timedelta(days=offset)).isoformat(), *values]
            for offset, values in sorted(DAILY.items(), reverse=True)
        ]
        return {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows}

    @staticmethod
    def channel(part: str) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": "e2e-channel", "id": CHANNEL}
        if "statistics" in part:
            item["statistics"] = {
                "viewCount": "1927873",
                "subscriberCount": SUBSCRIBERS,
                "hiddenSubscriberCount": False,
                "videoCount": "212",
            }
        if "contentDetails" in part:
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": UPLOADS}}
        return {
            "kind": "youtube#channelListResponse",
            "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
            "items": [item],
        }

    @classmethod
    def published(cls, video_id: str) -> str:
        when = cls.started - dt.timedelta(days=VIDEOS[video_id][0])
        return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")

    @classmethod
    def uploads(cls) -> dict[str, Any]:
        items = [
            {
                "kind": "youtube#playlistItem",
                "id": f"item-{video_id}",
                "contentDetails": {
                    "videoId": video_id,
                    "videoPublishedAt": cls.published(video_id),
                },
            }
            for video_id in VIDEOS
        ]
        return {
            "kind": "youtube#playlistItemListResponse",
            "pageInfo": {"totalResults": 2, "resultsPerPage": 50},
            "items": items,
        }

    @classmethod
    def videos(cls, ids: list[str]) -> dict[str, Any]:
        items = [
            {
                "kind": "youtube#video",
                "id": video_id,
                "snippet": {
                    "publishedAt": cls.published(video_id),
                    "channelId": CHANNEL,
                    "title": f"Video {video_id}",
                },
                "contentDetails": {"duration": VIDEOS[video_id][1]},
                "statistics": VIDEOS[video_id][2],
            }
            for video_id in ids
            if video_id in VIDEOS
        ]
        return {"kind": "youtube#videoListResponse", "items": items}


@pytest.fixture
def google() -> Iterator[str]:
    FakeGoogle.requests_seen = []
    FakeGoogle.started = dt.datetime.now(dt.UTC)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoogle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def broker() -> Iterator[str]:
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(REDIS_URL) as conn:
            conn.ensure_connection(max_retries=1)
            app.control.purge(connection=conn)
        yield REDIS_URL
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def worker(broker: str, google: str) -> Iterator[tuple[subprocess.Popen[bytes], IO[str]]]:
    if connection.vendor != "postgresql":
        pytest.skip("The worker is a separate process: it needs the Postgres test database.")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker,
        "YOUTUBE_API_BASE": google,
        # No app: the stored token is used as it is, without a refresh.
        "YOUTUBE_CLIENT_ID": "",
        "YOUTUBE_CLIENT_SECRET": "",
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                "celery",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=rapport-e2e-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def send(task_name: str, *args: Any) -> None:
    with app.connection_for_write(REDIS_URL) as conn:
        app.send_task(task_name, args=list(args), connection=conn)


def finished_run(
    account: SocialAccount, worker: tuple[subprocess.Popen[bytes], IO[str]], *, after: int = 0
) -> SyncRun:
    process, log = worker
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"The worker exited early:\n{tail(log)}"
        run = account.sync_runs.filter(pk__gt=after).order_by("pk").first()
        if run is not None and run.status not in (SyncStatus.QUEUED, SyncStatus.RUNNING):
            return run
        time.sleep(0.3)
    pytest.fail(f"No sync finished within {TIMEOUT_SECONDS} s:\n{tail(log)}")


def facts(account: SocialAccount) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    return (
        set(
            AccountMetric.objects.filter(account=account).values_list(
                "day", "metric", "value", "updated_at"
            )
        ),
        set(
            PostMetric.objects.filter(post__account=account).values_list(
                "post__external_id", "day", "metric", "value", "updated_at"
            )
        ),
    )


def test_worker_syncs_through_http_retries_a_429_and_a_rerun_changes_nothing(
    transactional_db: None, worker: tuple[subprocess.Popen[bytes], IO[str]]
) -> None:
    workspace = WorkspaceFactory.create(slug="e2e", timezone=LA)
    account = SocialAccountFactory.create(
        workspace=workspace,
        platform="youtube",
        external_id=CHANNEL,
        display_name="E2E Channel",
        timezone=LA,
    )
    account.credentials = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": "1//e2e-refresh-token-Kd02",
        "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
    }
    account.save()

    # As beat does: the dispatcher finds the never-synced account due and queues its sync.
    send(accounts_sync_dispatch_task.name)
    run = finished_run(account, worker)

    assert run.trigger == SyncTrigger.SCHEDULE
    assert run.status == SyncStatus.SUCCEEDED, f"{run.error}\n{tail(worker[1])}"
    assert run.attempts >= 2, "the 429 should have cost one attempt"
    assert run.error == "" and run.warnings == []
    assert FakeGoogle.requests_seen[0] == "/youtubeAnalytics/v2/reports"

    end = run.window_end
    assert end is not None and run.window_start == end - dt.timedelta(days=89)
    expected = {
        (end - dt.timedelta(days=offset), metric, float(value))
        for offset, values in DAILY.items()
        for metric, value in zip(CANONICAL, values, strict=True)
    }
    expected |= {
        (end - dt.timedelta(days=o), "engagements", float(v[2] + v[3] + v[4]))
        for o, v in DAILY.items()
    }
    expected.add((end, "followers", float(SUBSCRIBERS)))
    # posts_published is counted from the stored posts for every day of the post window.
    published_days = Counter(
        dt.datetime.fromisoformat(FakeGoogle.published(video)).astimezone(ZoneInfo(LA)).date()
        for video in VIDEOS
    )
    expected |= {
        (day, "posts_published", float(published_days[day]))
        for day in (run.window_start + dt.timedelta(days=n) for n in range(90))
    }
    account_facts, post_facts = facts(account)
    assert {row[:3] for row in account_facts} == expected
    today = end + dt.timedelta(days=1)
    assert {row[:4] for row in post_facts} == {
        ("e2eVideo001", today, "video_views", 5210.0),
        ("e2eVideo001", today, "likes", 388.0),
        ("e2eVideo001", today, "comments", 41.0),
        ("e2eShort002", today, "video_views", 20417.0),
        ("e2eShort002", today, "likes", 1733.0),
    }
    assert set(account.posts.values_list("external_id", "format")) == {
        ("e2eVideo001", "video"),
        ("e2eShort002", "short"),
    }
    derived = {row for row in expected if row[1] == "posts_published"}
    assert (run.account_rows_written, run.posts_written, run.post_rows_written) == (
        len(expected) - len(derived),
        2,
        5,
    )
    raw = RawResponse.objects.filter(sync_run=run)
    assert raw.filter(endpoint="/youtubeAnalytics/v2/reports", status_code=200).exists()
    assert not any(ACCESS_TOKEN in json.dumps([r.params, r.body]) for r in raw)

    # A second run of the same window changes nothing: not a row, not a value, not a timestamp.
    before = facts(account)
    second = SyncRun.objects.create(account=account, trigger=SyncTrigger.MANUAL)
    send(account_sync_task.name, second.pk)
    second = finished_run(account, worker, after=run.pk)

    assert second.status == SyncStatus.SUCCEEDED, second.error
    assert second.attempts == 1
    assert (second.account_rows_written, second.posts_written, second.post_rows_written) == (
        0,
        0,
        0,
    )
    assert facts(account) == before
    assert account.sync_runs.count() == 2
