"""Structured logs: the JSON format, the request id, the task context, and share tokens that
never reach a log line in either format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from celery import shared_task
from django.test import Client

from config.celery import app
from config.log_filters import RedactShareTokens
from config.logs import ContextFilter, JsonFormatter, TextFormatter, log_context_update

TOKEN = "gEiPmFqGZtHJrbP7BHayDE7IQpUKbqcSTzX1r9c4_NI"


@shared_task(name="tests.log_probe")
def log_probe(run_id: int) -> None:
    logging.getLogger("tests.probe").info("probing run %s", run_id)


def capture(logger_name: str, formatter: logging.Formatter) -> tuple[logging.Handler, io.StringIO]:
    """A handler set up as settings.LOGGING's console handler, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactShareTokens())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler, stream


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    handler, stream = capture("", JsonFormatter())
    yield stream
    logging.getLogger("").removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_the_fields_and_the_context() -> None:
    handler, stream = capture("tests.json", JsonFormatter())
    try:
        log_context_update(request_id="abc12345", workspace="acme")
        logging.getLogger("tests.json").warning(
            "Sync of %s failed", "Acme", extra={"account_id": 7}
        )
    finally:
        logging.getLogger("tests.json").removeHandler(handler)
        log_context_update(request_id=None, workspace=None)
    (entry,) = parsed(stream)
    assert entry["timestamp"].endswith("+00:00")
    assert entry["level"] == "WARNING" and entry["logger"] == "tests.json"
    assert entry["message"] == "Sync of Acme failed"
    assert (entry["request_id"], entry["workspace"], entry["account_id"]) == ("abc12345", "acme", 7)


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter("%(message)s")])
def test_share_tokens_never_reach_either_format(formatter: logging.Formatter) -> None:
    handler, stream = capture("tests.tokens", formatter)
    logger = logging.getLogger("tests.tokens")
    try:
        logger.warning("Not Found: %s", f"/s/{TOKEN}/", extra={"path": f"/s/{TOKEN}/file/"})
        try:
            raise ValueError(f"/s/{TOKEN}/")
        except ValueError:
            logger.exception("Broken share page")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TOKEN not in output
    assert "/s/[token]/" in output


def test_a_request_gets_an_id_in_its_logs_and_its_response(
    client: Client, db: None, json_lines: io.StringIO
) -> None:
    response = client.get(f"/s/{TOKEN}/")
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    not_found = [e for e in parsed(json_lines) if e["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == request_id
    assert TOKEN not in json_lines.getvalue()


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("req-2026-11-26-0001", True),
        ("3f2a9c1e-5b7d-4e8a-9c0b-1d2e3f4a5b6c", True),
        ("short", False),
        ("evil\nINFO forged line", False),
        ("<script>alert(1)</script>", False),
        ("x" * 200, False),
    ],
)
def test_a_proxys_request_id_is_kept_only_when_sane(
    client: Client, db: None, header: str, kept: bool
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": header})
    assert (response["X-Request-ID"] == header) is kept
    if not kept:
        assert len(response["X-Request-ID"]) == 32


def test_a_tasks_records_carry_its_name_id_and_run_id(json_lines: io.StringIO) -> None:
    assert app.conf.task_always_eager
    result = log_probe.delay(42)
    (entry,) = [e for e in parsed(json_lines) if e["logger"] == "tests.probe"]
    assert entry["task_name"] == "tests.log_probe"
    assert entry["task_id"] == result.id
    assert entry["run_id"] == 42
    # The task's context ends with it.
    logging.getLogger("tests.probe").info("after")
    assert "task_id" not in parsed(json_lines)[-1]


def test_the_text_format_appends_the_request_id() -> None:
    handler, stream = capture("tests.text", TextFormatter("%(levelname)s %(message)s"))
    try:
        log_context_update(request_id="abc12345")
        logging.getLogger("tests.text").info("hello")
    finally:
        logging.getLogger("tests.text").removeHandler(handler)
        log_context_update(request_id=None)
    assert stream.getvalue().strip() == "INFO hello [request_id=abc12345]"
