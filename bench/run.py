"""Dashboard benchmark: ``python bench/run.py dashboards --scale small|large [--json FILE]``.

Requests every page of ``bench/pages.py`` through Django's test client, as a member of the
generated workspace (``bench/generate.py``): once cold (cache cleared, fresh client) and
``--warm`` times warm. For each request it measures the server time (the whole ``client.get``:
middleware, view, queries, template) and the database time (the sum of the queries' execution,
timed by a ``connection.execute_wrapper``). Exits 1 when a page does not answer 200.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import platform
import pstats
import statistics
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import reports as report_bench
from bench.generate import django_setup, workspace_ensure
from bench.pages import PAGES, Page

TARGET_P95_MS = 300.0
TARGET_RATIO = 1.5


class QueryTimer:
    """An execute wrapper that adds up the time and number of the queries run through it."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


@dataclass
class Result:
    label: str
    url: str
    status: int | str
    cold_ms: float | None = None
    warm_median_ms: float | None = None
    warm_p95_ms: float | None = None
    db_median_ms: float | None = None
    queries: int | None = None
    ratio: float | None = None
    error: str = ""
    warm_ms: list[float] = field(default_factory=list)

    @property
    def meets_targets(self) -> bool:
        return (
            self.warm_p95_ms is not None
            and self.warm_p95_ms < TARGET_P95_MS
            and self.ratio is not None
            and self.ratio <= TARGET_RATIO
        )


def _client(user: Any) -> Any:
    from django.test import Client

    # ALLOWED_HOSTS holds 127.0.0.1 by default; the test client's "testserver" would get a 400.
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    return client


def _request(client: Any, url: str) -> tuple[int | str, float, float, int, str]:
    from django.db import connection

    timer = QueryTimer()
    error = ""
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(timer):
            response = client.get(url)
        status: int | str = response.status_code
    except Exception as exc:  # a page that raises is reported as a failure, not a crash
        status, error = "error", f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    return status, elapsed * 1000, timer.seconds * 1000, timer.count, error


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _url(page: Page, workspace: Any, ids: dict[str, int]) -> str | None:
    from django.urls import NoReverseMatch, reverse

    kwargs: dict[str, Any] = {"workspace_slug": workspace.slug}
    for key, value in page.kwargs.items():
        kwargs[key] = ids[value.strip("{}")] if value.startswith("{") else value
    try:
        return reverse(page.url_name, kwargs=kwargs) + page.query
    except NoReverseMatch:
        return None


def _ids(workspace: Any) -> dict[str, int]:
    from django.db.models import Count
    from django.utils import timezone

    from connectors.models import Post, SocialAccount

    # The busiest account, and a post old enough to have all its snapshots: the heaviest pages.
    account = (
        SocialAccount.objects.filter(workspace=workspace)
        .annotate(n=Count("posts"))
        .order_by("-n", "pk")
        .first()
    )
    post = (
        Post.objects.filter(account=account, published_at__lte=timezone.now() - _days(40))
        .order_by("-published_at")
        .first()
    )
    return {"account": account.pk if account else 0, "post": post.pk if post else 0}


def _days(days: int) -> Any:
    import datetime as dt

    return dt.timedelta(days=days)


def page_measure(page: Page, url: str, user: Any, warm: int) -> Result:
    from django.core.cache import cache

    cache.clear()
    client = _client(user)
    status, cold_ms, _, _, error = _request(client, url)
    result = Result(page.label, url, status, cold_ms=cold_ms, error=error)
    if status != 200:
        return result
    server: list[float] = []
    database: list[float] = []
    counts: list[int] = []
    for _ in range(warm):
        status, elapsed, db_ms, count, error = _request(client, url)
        if status != 200:
            result.status, result.error = status, error
            return result
        server.append(elapsed)
        database.append(db_ms)
        counts.append(count)
    result.warm_ms = [round(value, 2) for value in server]
    result.warm_median_ms = statistics.median(server)
    result.warm_p95_ms = _percentile(server, 0.95)
    result.db_median_ms = statistics.median(database)
    result.queries = int(statistics.median(counts))
    result.ratio = result.warm_median_ms / result.db_median_ms if result.db_median_ms else None
    return result


def _cell(value: float | int | str | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def table_print(results: list[Result]) -> None:
    header = ("page", "status", "cold ms", "warm med", "warm p95", "DB med", "queries", "ratio")
    rows = [
        (
            r.label,
            _cell(r.status),
            _cell(r.cold_ms),
            _cell(r.warm_median_ms),
            _cell(r.warm_p95_ms),
            _cell(r.db_median_ms),
            _cell(r.queries),
            _cell(r.ratio, 2) + ("" if r.meets_targets or r.status != 200 else " !"),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(
        f"'!' marks a page missing a target: warm p95 < {TARGET_P95_MS:.0f} ms and "
        f"server time <= {TARGET_RATIO}x DB time."
    )


def profile_page(url: str, user: Any, top: int) -> None:
    """cProfile one warm request of ``url`` and print the functions it spends most time in."""
    client = _client(user)
    _request(client, url)
    profiler = cProfile.Profile()
    profiler.enable()
    _request(client, url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    # The project's own functions first (where a fix goes), then everything by own time.
    project = str(Path(__file__).resolve().parent.parent)
    stats.sort_stats("cumulative").print_stats(f"^{project}/(?!bench|\\.venv)", top)
    stats.sort_stats("tottime").print_stats(top)


def dashboards(args: argparse.Namespace) -> int:
    # Whitenoise warns that collectstatic has not run; the benchmark serves no static file.
    warnings.filterwarnings("ignore", message="No directory at")
    django_setup()
    # Pages that fail are reported in the table; Django's traceback log would bury it.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    from django.test.utils import override_settings

    # Production serves hashed names from collectstatic's manifest; the benchmark must not depend
    # on collectstatic having run, and a manifest lookup is one dict access either way.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    from bench.generate import _counts_in_db, _member_ensure

    workspace = workspace_ensure(args.scale)
    user = _member_ensure(workspace, args.scale)
    ids = _ids(workspace)
    results: list[Result] = []
    for page in PAGES:
        if args.page and page.label not in args.page:
            continue
        url = _url(page, workspace, ids)
        if url is None:
            print(f"{page.label}: {page.url_name} not installed, skipped")
            continue
        if args.profile:
            print(f"== profile of {page.label}: {url}")
            profile_page(url, user, args.top)
            continue
        result = page_measure(page, url, user, args.warm)
        print(f"{page.label}: {url} → {result.status} {result.warm_median_ms or 0:.0f} ms")
        if result.error:
            print(f"  {result.error}")
        results.append(result)
    if args.profile:
        return 0
    print()
    print(f"scale {args.scale}: {_describe(_counts_in_db(workspace))}; {_machine()}")
    table_print(results)
    if args.json:
        report = {
            "scale": args.scale,
            "workspace": workspace.slug,
            "rows": _counts_in_db(workspace),
            "machine": _machine(),
            "warm_requests": args.warm,
            "pages": [asdict(r) for r in results],
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0 if all(r.status == 200 for r in results) else 1


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in counts.items())


def _machine() -> str:
    system = f"{platform.system()} {platform.machine()}"
    return f"{os.cpu_count()} CPUs, {system}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    board = commands.add_parser("dashboards", help="Time every dashboard page.")
    board.add_argument("--scale", choices=["small", "large"], default="small")
    board.add_argument("--json", metavar="FILE", help="Also write the results as JSON.")
    board.add_argument("--warm", type=int, default=15, help="Warm requests per page (15).")
    board.add_argument("--page", action="append", help="Only this page label (repeatable).")
    board.add_argument("--profile", action="store_true", help="cProfile one warm request.")
    board.add_argument("--top", type=int, default=30, help="Rows of profile output (30).")
    board.set_defaults(handler=dashboards)
    report_bench.add_parser(commands)
    args = parser.parse_args(argv)
    handler: Any = args.handler
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
