"""Limits on one report render: wall time and memory, watched from a thread beside it.

A report's size follows the workspace's data (accounts, goals, tags, the period), and WeasyPrint
or Chromium can take minutes or gigabytes on a pathological one. ``render_limits`` wraps a render:
a watchdog thread samples the elapsed time and the memory of this process and of the processes it
started (Chromium and its helpers), every ``TICK`` seconds. Past a limit it kills the processes the
render started (Chromium: a wait on a chart then ends at once) and raises ``RenderLimitExceeded``
in the rendering thread, which unwinds through the ``with`` blocks (closing Chromium, no file
stored) and leaves the process healthy for the next render.

The exception is raised with ``PyThreadState_SetAsyncExc``: it lands at the next Python
instruction of the rendering thread, whichever thread that is (a Celery worker's main thread, a
web server's request thread). A thread blocked inside one C call (a single huge regular
expression) sees it only when that call returns; the Celery time limits of ``reports.run_render``
are the backstop for that case.

Memory is the proportional set size (PSS, from ``/proc``: shared pages split between the processes
sharing them) summed over the process and its descendants, so Chromium's renderer and GPU
processes count. It includes what the process held before the render (a web process's other
requests, too), hence a generous default. On a system without ``/proc`` only the time is watched.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TICK = 0.25
# After the exception is posted, how long the watchdog waits before posting it again (a library
# may catch and drop it once).
REPOST_AFTER = 5.0
PROC = Path("/proc")


class RenderLimitExceeded(BaseException):
    """A render went past its time or memory limit. A ``BaseException``, like ``KeyboardInterrupt``:
    the libraries' own ``except Exception`` blocks must not swallow it on its way out."""

    reason = ""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.reason)
        self.message = message or self.reason


def timeout_message(seconds: int) -> str:
    limit = f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
    return _(
        "Rendering took longer than the limit of %(limit)s (RAPPORT_REPORT_RENDER_TIMEOUT) and "
        "was stopped. Shorten the period or remove sections, then render the report again."
    ) % {"limit": limit}


def memory_message(megabytes: int) -> str:
    return _(
        "Rendering needed more than %(mb)s MB of memory (RAPPORT_REPORT_RENDER_MAX_MEMORY_MB) and "
        "was stopped. Shorten the period or remove sections, then render the report again."
    ) % {"mb": megabytes}


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        # "pid (name) state ppid …": the name may hold spaces and brackets, so split after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (children, grandchildren…), from ``/proc``."""
    tree = _children_of()
    found: set[int] = set()
    stack = list(tree.get(pid, []))
    while stack:
        child = stack.pop()
        if child not in found:
            found.add(child)
            stack.extend(tree.get(child, []))
    return found


def _memory_kb(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:  # kernels before 4.14: the resident set size
        pages = int((PROC / str(pid) / "statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def tree_memory_mb(pid: int) -> float:
    """The memory of ``pid`` and its descendants, in MB (PSS where the kernel reports it)."""
    return sum(_memory_kb(p) for p in {pid, *descendants(pid)}) / 1024


def _raise_in(thread_id: int, exc_type: type[BaseException] | None) -> None:
    # None clears an exception posted but not yet raised.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type else None
    )


@dataclass
class _Watch:
    timeout: float
    max_memory_mb: int
    thread_id: int
    started: float = field(default_factory=time.monotonic)
    before: set[int] = field(default_factory=set)
    reason: str = ""
    posted_at: float | None = None
    active: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)

    def breach(self) -> str:
        if time.monotonic() - self.started > self.timeout:
            return timeout_message(int(self.timeout))
        over = self.max_memory_mb and PROC.is_dir()
        if over and tree_memory_mb(os.getpid()) > self.max_memory_mb:
            return memory_message(self.max_memory_mb)
        return ""

    def run(self) -> None:
        while not self.done.wait(TICK):
            try:
                reason = self.reason or self.breach()
            except Exception:  # a /proc oddity must not stop the time watch
                logger.warning("Could not measure the report render", exc_info=True)
                reason = ""
            if not reason:
                continue
            now = time.monotonic()
            with self.lock:
                if not self.active:
                    return
                if self.posted_at is not None and now - self.posted_at < REPOST_AFTER:
                    continue
                self.reason = reason
                self._stop_children()
                # A class of its own per breach: an async exception is raised from its class,
                # without arguments, and the class carries the message.
                _raise_in(self.thread_id, type("_Exceeded", (_Exceeded,), {"reason": reason}))
                self.posted_at = now

    def _stop_children(self) -> None:
        if not PROC.is_dir():
            return
        for pid in descendants(os.getpid()) - self.before:
            with suppress(OSError):  # already gone
                os.kill(pid, signal.SIGKILL)


class _Exceeded(RenderLimitExceeded):
    """What the watchdog posts into the rendering thread."""


@contextmanager
def render_limits(
    *, timeout: int | None = None, max_memory_mb: int | None = None
) -> Iterator[None]:
    """Run the block under the time and memory limits (settings ``REPORT_RENDER_TIMEOUT``, in
    seconds, and ``REPORT_RENDER_MAX_MEMORY_MB``, 0 for none, by default).

    Raises ``RenderLimitExceeded`` with a message for the run's page when a limit is passed.
    """
    watch = _Watch(
        timeout=settings.REPORT_RENDER_TIMEOUT if timeout is None else timeout,
        max_memory_mb=(
            settings.REPORT_RENDER_MAX_MEMORY_MB if max_memory_mb is None else max_memory_mb
        ),
        thread_id=threading.get_ident(),
        before=descendants(os.getpid()) if PROC.is_dir() else set(),
    )
    watchdog = threading.Thread(target=watch.run, name="rapport-render-limits", daemon=True)
    watchdog.start()
    try:
        yield
    except BaseException as error:
        # Killing Chromium can fail a chart before the posted exception lands: whatever ends the
        # block after a limit was passed is that limit's doing.
        with watch.lock:
            reason = watch.reason if watch.posted_at is not None else ""
        if isinstance(error, RenderLimitExceeded):
            raise RenderLimitExceeded(error.message or reason) from None
        if reason:
            raise RenderLimitExceeded(reason) from error
        raise
    finally:
        with watch.lock:
            watch.active = False
            if watch.posted_at is not None:
                _raise_in(watch.thread_id, None)
        watch.done.set()
        watchdog.join()
