"""Structured logs: one JSON object per line (``LOG_FORMAT=json``), with the context of the
request or task that wrote each record.

The context lives in a ``ContextVar``, set by ``RequestIdMiddleware`` for a web request and by
Celery's task signals for a task, and copied onto every record by ``ContextFilter``. Both the
text and the JSON format run the share-token filter first (``config.log_filters``); the JSON
formatter redacts its extra fields as well, since a path can reach a log through them too.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import inspect
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from config.log_filters import SHARE_TOKEN

LOG_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "rapport_log_context", default=None
)
# The context keys a record may carry, in the order they are written.
CONTEXT_KEYS = ("request_id", "workspace", "account_id", "task_name", "task_id", "run_id")
# A proxy's request id is reused only when it looks like one: a bounded run of safe characters,
# so a client cannot write arbitrary text (newlines, markup) into the logs and headers.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{8,128}")
REQUEST_ID_HEADER = "X-Request-ID"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Extras not worth a log line: Django attaches the whole request object to django.request
# records (its method and path are in the message already).
_DROPPED = {"request"}


def log_context_update(**values: Any) -> None:
    """Add ``values`` to the current request's or task's log context."""
    LOG_CONTEXT.set({**(LOG_CONTEXT.get() or {}), **values})


def log_context_clear(**_: Any) -> None:
    LOG_CONTEXT.set(None)


request_finished.connect(log_context_clear, dispatch_uid="rapport_log_context_clear")


def request_id_for(header: str | None) -> str:
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Copy the current log context onto the record (an explicit ``extra=`` value wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (LOG_CONTEXT.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _redact(value: Any) -> Any:
    if isinstance(value, str) and "/s/" in value:
        return SHARE_TOKEN.sub("/s/[token]", value)
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, the
    context keys present, any other ``extra=`` values, and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": _redact(record.getMessage()),
        }
        for key in CONTEXT_KEYS:
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and key not in _DROPPED:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # Redacted last, over the whole line: a token can hide in any value (an extra's repr,
        # an exception's message), and its characters never need escaping in JSON.
        return _redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """The plain format, with the request or task id appended when there is one, and share
    tokens blanked out of the whole text, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [
            f"{key}={getattr(record, key)}"
            for key in ("request_id", "task_id")
            if getattr(record, key, None) is not None
        ]
        if tags:
            line = f"{line} [{' '.join(tags)}]"
        # The filter redacts the message; this catches a token in an exception's traceback.
        return _redact(line)


class RequestIdMiddleware:
    """Give each request an id (the proxy's ``X-Request-ID`` when sane, else a new one), put it
    in the log context with the workspace and account of the URL, and return it in the
    response's ``X-Request-ID`` header so a user's report can be matched to the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs a 4xx or 5xx response ("Not Found: …") after
        # the middleware has returned. ``request_finished`` clears it once the response is sent.
        LOG_CONTEXT.set({"request_id": request_id})
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        context = {
            key: view_kwargs[name]
            for key, name in (("workspace", "workspace_slug"), ("account_id", "account_id"))
            if name in view_kwargs
        }
        if context:
            log_context_update(**context)


_task_tokens: dict[str, contextvars.Token[dict[str, Any] | None]] = {}


def task_context_start(*, task: Any, task_id: str, args: Any, kwargs: Any) -> None:
    """The log context of a Celery task: its name and id, and its run id when it takes one.

    Added to the current context, so a task run in-process (no broker) keeps the request id of
    the request that ran it; ``task_context_end`` puts the context back as it was."""
    context: dict[str, Any] = {
        **(LOG_CONTEXT.get() or {}),
        "task_name": task.name,
        "task_id": task_id,
    }
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except TypeError:
        bound = None
    if bound is not None and "run_id" in bound.arguments:
        context["run_id"] = bound.arguments["run_id"]
    _task_tokens[task_id] = LOG_CONTEXT.set(context)


def task_context_end(*, task_id: str) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            LOG_CONTEXT.reset(token)
        except ValueError:  # set in another context (a thread pool): nothing of ours to undo
            LOG_CONTEXT.set(None)
