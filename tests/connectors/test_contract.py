"""The contract every registered connector keeps, checked the same way for each platform.

Every URL under the connector's ``base_url`` (and its OAuth token URL) answers the same canned
response, so what is tested is how the connector turns answers into the error taxonomy of
``connectors.base``, not how it parses a platform's data: success, pagination and deprecated
metrics are in each platform's own tests (``tests/connectors/platforms/``), on fixtures in the
platform's real shapes. Any other URL is refused by ``responses``, so a connector that ignores
its ``base_url`` fails here too (``<PLATFORM>_API_BASE`` and the end-to-end test rely on it).
A platform whose module is missing fails, it is not skipped.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from connectors.base import (
    AccountMetricRow,
    AuthError,
    Connector,
    ConnectorError,
    PostMetricRow,
    PostRow,
    RateLimited,
    TransientError,
)
from connectors.metrics import METRICS
from connectors.registry import CONNECTORS, connector_class

PLATFORMS = sorted(CONNECTORS)
TESTS = Path(__file__).resolve().parents[1]
EXTERNAL_ID = "1234567890"
CREDENTIALS = {
    "access_token": "contract-access-token",
    "refresh_token": "contract-refresh-token",
    "expires_at": "2099-01-01T00:00:00+00:00",
    "refresh_token_expires_at": "2099-01-01T00:00:00+00:00",
    "token_type": "bearer",
    "scope": "read",
}
# The shapes of "nothing here" across platforms: Meta, X and TikTok say data, Google items and
# rows, LinkedIn elements.
EMPTY_BODY: dict[str, Any] = {"data": [], "items": [], "rows": [], "elements": [], "paging": {}}

Operation = Callable[[Connector], object]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def window(connector: Connector) -> tuple[dt.date, dt.date]:
    end = today() if connector.account_metrics_are_snapshots else today() - dt.timedelta(days=1)
    return end - dt.timedelta(days=9), end


def fetch_account_metrics(connector: Connector) -> list[AccountMetricRow]:
    start, end = window(connector)
    return list(connector.fetch_account_metrics(start=start, end=end))


def fetch_posts(connector: Connector) -> list[tuple[PostRow, list[PostMetricRow]]]:
    return list(connector.fetch_posts(since=today() - dt.timedelta(days=30), today=today()))


def check(connector: Connector) -> None:
    connector.check()


OPERATIONS: dict[str, Operation] = {
    "check": check,
    "fetch_account_metrics": fetch_account_metrics,
    "fetch_posts": fetch_posts,
}


def build(platform: str) -> Connector:
    cls = connector_class(platform)
    return cls(
        credentials=dict(CREDENTIALS),
        external_id=EXTERNAL_ID,
        session=requests.Session(),
        base_url=f"https://{platform}.contract.invalid/api",
    )


@pytest.fixture
def answer() -> Iterator[Callable[..., None]]:
    """Make every URL of the connector under test answer one canned response."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def register(connector: Connector, **response: Any) -> None:
            prefixes = {connector.base_url, connector.oauth.token_url}
            pattern = re.compile("|".join(f"^{re.escape(p)}" for p in sorted(prefixes)))
            for method in (responses.GET, responses.POST):
                mock.add(method, pattern, **response)

        yield register


@pytest.mark.parametrize("platform", PLATFORMS)
def test_connector_is_concrete_and_speaks_the_canonical_vocabulary(platform: str) -> None:
    cls = connector_class(platform)

    assert not inspect.isabstract(cls), f"{cls.__name__} leaves abstract methods"
    assert cls.key == platform and cls.label
    assert cls.metrics and cls.metrics <= set(METRICS), cls.metrics - set(METRICS)
    assert cls.oauth.authorize_url.startswith("https://")
    assert cls.oauth.token_url.startswith("https://")
    assert cls.default_base_url.startswith("https://")
    assert cls.lookback_days >= 0 and cls.mapping_version


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_401_is_an_auth_error(platform: str, operation: str, answer: Callable[..., None]) -> None:
    connector = build(platform)
    answer(connector, status=401, json={"message": "Invalid or expired token."})

    with pytest.raises(AuthError):
        OPERATIONS[operation](connector)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_429_with_retry_after_is_rate_limited(
    platform: str, operation: str, answer: Callable[..., None]
) -> None:
    connector = build(platform)
    answer(
        connector, status=429, json={"message": "Too many requests."}, headers={"Retry-After": "7"}
    )

    with pytest.raises(RateLimited) as raised:
        OPERATIONS[operation](connector)

    # A platform whose 429 always means a spent daily quota (LinkedIn) waits for its reset.
    error = raised.value
    if error.daily_quota:
        assert error.retry_after is not None and error.retry_after > 0
    else:
        assert error.retry_after == pytest.approx(7, abs=1)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_429_without_retry_after_is_rate_limited(
    platform: str, operation: str, answer: Callable[..., None]
) -> None:
    connector = build(platform)
    answer(connector, status=429, json={"message": "Too many requests."})

    with pytest.raises(RateLimited):
        OPERATIONS[operation](connector)


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_error_is_transient(
    platform: str, operation: str, status: int, answer: Callable[..., None]
) -> None:
    connector = build(platform)
    answer(connector, status=status, json={"message": "Internal error."})

    with pytest.raises(TransientError):
        OPERATIONS[operation](connector)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_timeout_is_transient(platform: str, operation: str, answer: Callable[..., None]) -> None:
    connector = build(platform)
    answer(connector, body=requests.ReadTimeout("Read timed out. (read timeout=30)"))

    with pytest.raises(TransientError):
        OPERATIONS[operation](connector)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_html_instead_of_json_is_a_connector_error(
    platform: str, operation: str, answer: Callable[..., None]
) -> None:
    connector = build(platform)
    answer(
        connector,
        status=200,
        body="<html><body>502 Bad Gateway</body></html>",
        content_type="text/html",
    )

    with pytest.raises(ConnectorError):
        OPERATIONS[operation](connector)


@pytest.mark.parametrize("body", [{}, EMPTY_BODY], ids=["empty-object", "empty-lists"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_empty_answers_yield_valid_rows_or_a_connector_error(
    platform: str, body: dict[str, Any], answer: Callable[..., None]
) -> None:
    connector = build(platform)
    answer(connector, status=200, json=body)
    start, end = window(connector)

    try:
        rows = fetch_account_metrics(connector)
        posts = fetch_posts(connector)
    except ConnectorError:
        return  # refusing an answer it cannot read is allowed; crashing on it is not

    for row in rows:
        assert row.metric in connector.metrics, row
        assert start <= row.day <= end, row
    for post, counters in posts:
        assert post.published_at.tzinfo is not None, post
        for counter in counters:
            assert counter.post_external_id == post.external_id, counter
            assert counter.metric in connector.metrics, counter
            assert counter.day == today(), counter


@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_has_fixtures_and_its_own_tests(platform: str) -> None:
    fixtures = TESTS / "fixtures" / platform
    assert fixtures.is_dir() and any(fixtures.iterdir()), f"no fixtures in {fixtures}"
    class_name = CONNECTORS[platform].rpartition(".")[2]
    own_tests = TESTS / "connectors" / "platforms" / f"test_{platform}.py"
    # Platforms sharing an API (Facebook and Instagram on Meta's Graph) may share a test module.
    shared = [
        path
        for path in own_tests.parent.glob("test_*.py")
        if class_name in path.read_text(encoding="utf-8")
    ]
    assert own_tests.exists() or shared, f"no {own_tests.name} and no test uses {class_name}"
