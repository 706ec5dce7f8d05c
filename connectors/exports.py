"""Exports of a workspace's facts as CSV or XLSX, for the download page and ``export_data``.

Two levels, each a long table that pivots well in a spreadsheet:

- ``account``: one row per platform, account, day, metric and value (days in the account's
  timezone), ordered by platform, account, day and metric.
- ``post``: one row per post and metric with the post's latest value: the snapshot with the
  greatest day, which that row's ``value_day`` gives. Posts are those published between
  ``start`` and ``end`` (days in the workspace's timezone), ordered by platform, account,
  publication time, post id and metric. ``published_at`` is ISO 8601 in UTC.

Rows are streamed: one query per account, read in chunks, never one query per row. Any text
cell a spreadsheet could run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is prefixed with ``'``; numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from connectors.models import AccountMetric, PostMetric, SocialAccount, Workspace

CHUNK_SIZE = 5000
# Excel's limit is 1,048,576 rows; a sheet holds its header and this many data rows.
XLSX_SHEET_ROWS = 1_048_575

ACCOUNT_COLUMNS = ("platform", "account", "day", "metric", "value")
POST_COLUMNS = (
    "platform",
    "account",
    "post_id",
    "published_at",
    "format",
    "paid",
    "metric",
    "value",
    "value_day",
)

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | dt.date | None


class ExportLevel(StrEnum):
    ACCOUNT = "account"
    POST = "post"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class ExportQuery:
    """What to export. ``accounts`` None means every account of the workspace; ``start`` and
    ``end`` are inclusive and optional."""

    workspace: Workspace
    level: ExportLevel
    accounts: Sequence[SocialAccount] | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def export_columns(level: ExportLevel) -> tuple[str, ...]:
    return ACCOUNT_COLUMNS if level == ExportLevel.ACCOUNT else POST_COLUMNS


def export_accounts_find(*, workspace: Workspace, name: str) -> list[SocialAccount]:
    """The workspace's accounts whose name or handle is ``name`` (case and ``@`` ignored)."""
    handle = name.strip().removeprefix("@")
    return list(
        SocialAccount.objects.filter(workspace=workspace)
        .filter(
            Q(display_name__iexact=name.strip())
            | Q(handle__iexact=handle)
            | Q(handle__iexact=f"@{handle}")
        )
        .order_by("platform", "display_name", "pk")
    )


def export_rows(query: ExportQuery) -> Iterator[tuple[Cell, ...]]:
    """The rows of ``query`` with typed values (dates, floats, booleans), header excluded."""
    for account in _accounts(query):
        if query.level == ExportLevel.ACCOUNT:
            yield from _account_rows(account, query)
        else:
            yield from _post_rows(account, query)


def cell_safe(value: Cell) -> Cell:
    """``value``, with a text that a spreadsheet would evaluate turned into plain text."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def export_csv_lines(query: ExportQuery, *, bom: bool = False) -> Iterator[str]:
    """The CSV text of ``query``, line by line (RFC 4180, UTF-8), header first.

    ``bom`` starts the text with a byte order mark, so that Excel reads accents correctly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(export_columns(query.level))
    yield ("\ufeff" if bom else "") + flush()
    pending = 0
    for row in export_rows(query):
        writer.writerow(_csv_row(row))
        pending += 1
        # Yielding a few hundred lines at once keeps a streamed response from sending one
        # network packet per row.
        if pending >= 500:
            yield flush()
            pending = 0
    if pending:
        yield flush()


def export_csv_write(query: ExportQuery, out: IO[str], *, bom: bool = False) -> int:
    """Write the CSV of ``query`` to ``out`` (opened with ``newline=""``); returns the number
    of data rows."""
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(export_columns(query.level))
    written = 0
    for row in export_rows(query):
        writer.writerow(_csv_row(row))
        written += 1
    return written


def export_xlsx_write(query: ExportQuery, out: IO[bytes]) -> int:
    """Write ``query`` as an XLSX workbook to ``out``; returns the number of data rows.

    Past Excel's row limit the rows continue on a second sheet, and so on.
    """
    workbook = Workbook(write_only=True)
    columns = export_columns(query.level)
    title = "Accounts" if query.level == ExportLevel.ACCOUNT else "Posts"
    sheet = workbook.create_sheet(title)
    sheet.append(list(columns))
    written = 0
    for row in export_rows(query):
        if written and written % XLSX_SHEET_ROWS == 0:
            sheet = workbook.create_sheet(f"{title} ({written // XLSX_SHEET_ROWS + 1})")
            sheet.append(list(columns))
        sheet.append([_xlsx_value(cell_safe(value)) for value in row])
        written += 1
    workbook.save(out)
    return written


def export_filename(query: ExportQuery, fmt: ExportFormat) -> str:
    parts = ["rapport", query.workspace.slug, query.level.value]
    if query.accounts is not None and len(query.accounts) == 1:
        parts.append(slugify(query.accounts[0].display_name) or str(query.accounts[0].pk))
    if query.start or query.end:
        parts.append(
            f"{query.start.isoformat() if query.start else 'start'}"
            f"_{query.end.isoformat() if query.end else 'end'}"
        )
    return "-".join(parts) + f".{fmt.value}"


def _accounts(query: ExportQuery) -> Iterable[SocialAccount]:
    accounts: QuerySet[SocialAccount] = SocialAccount.objects.filter(workspace=query.workspace)
    if query.accounts is not None:
        # Re-filtered by workspace: an account of another workspace is never exported, whatever
        # the caller passed.
        accounts = accounts.filter(pk__in=[a.pk for a in query.accounts])
    return accounts.order_by("platform", "display_name", "pk")


def _account_rows(account: SocialAccount, query: ExportQuery) -> Iterator[tuple[Cell, ...]]:
    facts = AccountMetric.objects.filter(account=account)
    if query.start:
        facts = facts.filter(day__gte=query.start)
    if query.end:
        facts = facts.filter(day__lte=query.end)
    for day, metric, value in (
        facts.order_by("day", "metric")
        .values_list("day", "metric", "value")
        .iterator(chunk_size=CHUNK_SIZE)
    ):
        yield (account.platform, account.display_name, day, metric, value)


def _post_rows(account: SocialAccount, query: ExportQuery) -> Iterator[tuple[Cell, ...]]:
    tz = ZoneInfo(query.workspace.timezone)
    facts = PostMetric.objects.filter(post__account=account)
    if query.start:
        facts = facts.filter(post__published_at__gte=_midnight(query.start, tz))
    if query.end:
        facts = facts.filter(post__published_at__lt=_midnight(query.end + dt.timedelta(days=1), tz))
    latest = (
        facts.annotate(
            snapshot_rank=Window(
                RowNumber(),
                partition_by=[F("post_id"), F("metric")],
                order_by=F("day").desc(),
            )
        )
        .filter(snapshot_rank=1)
        .order_by("post__published_at", "post__external_id", "metric")
        .values_list(
            "post__external_id",
            "post__published_at",
            "post__format",
            "post__is_paid",
            "metric",
            "value",
            "day",
        )
    )
    for external_id, published_at, post_format, is_paid, metric, value, day in latest.iterator(
        chunk_size=CHUNK_SIZE
    ):
        yield (
            account.platform,
            account.display_name,
            external_id,
            published_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            post_format,
            is_paid,
            metric,
            value,
            day,
        )


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _csv_row(row: tuple[Cell, ...]) -> list[str]:
    return [_csv_text(cell_safe(value)) for value in row]


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(_number(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_value(value: Cell) -> Any:
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        # openpyxl refuses control characters that XML 1.0 cannot hold.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
