"""Importing an export file into a workspace: find or create the account, then upsert.

The file is parsed first (``connectors.importers.file_parse``), entirely, so a bad cell stops
the import before anything is written. Then one transaction creates the account if needed and
runs the upsert services of ``connectors.services``: a failure rolls everything back, and a
second import of the same file writes nothing (the services skip unchanged rows, and post
counters land on the same snapshot day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from connectors.base import AccountMetricRow
from connectors.importers import ImportFileError, ParsedFile, SkippedRow, file_parse
from connectors.importers.detect import GENERIC
from connectors.models import AccountMetric, Platform, SocialAccount, Workspace
from connectors.services import (
    account_metrics_upsert,
    post_metrics_upsert,
    posts_published_refresh,
    posts_upsert,
)


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote (or, on a dry run, would write).

    ``period`` spans the days of the account metrics and the publication days of the posts;
    ``days_written`` counts the days of which at least one account metric was written.
    """

    format: str
    format_label: str
    platform: str
    account: str
    account_created: bool
    rows_read: int
    posts_written: int
    post_metric_rows_written: int
    days_written: int
    account_metric_rows_written: int
    metrics: tuple[str, ...]
    period: tuple[dt.date, dt.date] | None
    skipped: tuple[SkippedRow, ...]
    warnings: tuple[str, ...]
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values: dates in ISO format, skipped rows as objects."""
        return {
            "format": self.format,
            "format_label": self.format_label,
            "platform": self.platform,
            "account": self.account,
            "account_created": self.account_created,
            "rows_read": self.rows_read,
            "posts_written": self.posts_written,
            "post_metric_rows_written": self.post_metric_rows_written,
            "days_written": self.days_written,
            "account_metric_rows_written": self.account_metric_rows_written,
            "metrics": list(self.metrics),
            "period": [day.isoformat() for day in self.period] if self.period else None,
            "skipped": [{"row": s.row, "reason": s.reason} for s in self.skipped],
            "warnings": list(self.warnings),
            "dry_run": self.dry_run,
        }


def account_external_id(name: str) -> str:
    """The external id of an account created by an import: derived from its name alone, so that
    the next import of the same name finds it even after it was renamed."""
    key = " ".join(name.strip().lstrip("@").split()).casefold()
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    slug = slugify(key)[:60]
    return f"file:{slug}:{digest}" if slug else f"file:{digest}"


def _candidates(workspace: Workspace, name: str, platform: str | None) -> list[SocialAccount]:
    bare = name.strip().lstrip("@")
    accounts = SocialAccount.objects.filter(workspace=workspace).filter(
        Q(display_name__iexact=name.strip())
        | Q(handle__iexact=bare)
        | Q(handle__iexact=f"@{bare}")
        | Q(external_id=account_external_id(name))
    )
    if platform:
        accounts = accounts.filter(platform=platform)
    return list(accounts.order_by("pk"))


def _ambiguous(name: str, accounts: Iterable[SocialAccount]) -> ImportFileError:
    return ImportFileError(
        _(
            "Several accounts of this workspace are called “%(name)s” (%(accounts)s). Choose the "
            "platform, or use the account's handle."
        )
        % {"name": name, "accounts": ", ".join(str(a) for a in accounts)}
    )


def file_import_run(
    *,
    workspace: Workspace,
    content: bytes,
    filename: str,
    account_name: str,
    platform: str | None = None,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    year: int | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
) -> ImportSummary:
    """Import an export file into ``workspace``, for the account called ``account_name``.

    The account is matched by display name or handle (and ``platform`` when given; a native
    format's own platform otherwise), and created when there is none, with an external id
    derived from the name. ``format``, ``mapping``, ``year`` and ``as_of`` are as in
    ``file_parse``; times without an offset are read in the account's timezone (the
    workspace's for a new account). ``dry_run`` does everything, then rolls back.

    Raises ``ImportFileError`` (nothing written) for any problem with the file or the account.
    """
    name = " ".join(account_name.split())
    if not name:
        raise ImportFileError(_("Give the name of the account the file belongs to."))
    candidates = _candidates(workspace, name, platform)
    guess = candidates[0].timezone if len(candidates) == 1 else workspace.timezone

    def parse(timezone: str) -> ParsedFile:
        return file_parse(
            content=content,
            filename=filename,
            platform=platform,
            format=format,
            mapping=mapping,
            year=year,
            today=today,
            timezone=timezone,
            as_of=as_of,
        )

    parsed = parse(guess)
    account = _account_pick(name, parsed, candidates, platform)
    if account is not None and account.timezone != guess:
        parsed = parse(account.timezone)
    target = account.platform if account is not None else parsed.platform

    with transaction.atomic():
        created = account is None
        if account is None:
            account, created = SocialAccount.objects.get_or_create(
                workspace=workspace,
                platform=target,
                external_id=account_external_id(name),
                defaults={
                    "display_name": name,
                    "handle": name if name.startswith("@") else "",
                    "timezone": workspace.timezone,
                },
            )
        try:
            summary = _write(account, parsed, created=created, dry_run=dry_run)
        except ValueError as exc:
            # The parsers check what the services check; this is the net under that promise.
            raise ImportFileError(
                _("The file could not be stored: %(reason)s") % {"reason": exc}
            ) from exc
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _account_pick(
    name: str, parsed: ParsedFile, candidates: list[SocialAccount], platform: str | None
) -> SocialAccount | None:
    if parsed.format != GENERIC or platform:
        matches = [a for a in candidates if a.platform == parsed.platform]
    else:
        # A generic file without a platform goes to the one account of that name, whatever its
        # platform; to a new "imported file" account when there is none.
        matches = candidates
        if len(matches) > 1:
            matches = [a for a in candidates if a.platform == Platform.IMPORT]
            if len(matches) != 1:
                raise _ambiguous(name, candidates)
    exact = [a for a in matches if a.display_name.casefold() == name.casefold()]
    if len(matches) > 1 and len(exact) == 1:
        return exact[0]
    if len(matches) > 1:
        raise _ambiguous(name, matches)
    return matches[0] if matches else None


def _days_changed(account: SocialAccount, rows: tuple[AccountMetricRow, ...]) -> set[dt.date]:
    if not rows:
        return set()
    existing = {
        (day, metric): value
        for day, metric, value in AccountMetric.objects.filter(
            account=account,
            day__range=(min(r.day for r in rows), max(r.day for r in rows)),
            metric__in={r.metric for r in rows},
        ).values_list("day", "metric", "value")
    }
    return {r.day for r in rows if existing.get((r.day, r.metric)) != r.value}


def _write(
    account: SocialAccount, parsed: ParsedFile, *, created: bool, dry_run: bool
) -> ImportSummary:
    posts = posts_upsert(account=account, posts=parsed.posts)
    post_rows = post_metrics_upsert(account=account, rows=parsed.post_metrics)
    days = _days_changed(account, parsed.account_metrics)
    account_rows = account_metrics_upsert(account=account, rows=parsed.account_metrics)
    tz = ZoneInfo(account.timezone)
    # A post export may cover only part of each day's posts, so only days it has posts for are
    # counted; days the file itself reports keep the file's figure. The summary speaks of what
    # the file holds, so these derived rows are not counted in it.
    posts_published_refresh(
        account=account,
        days={p.published_at.astimezone(tz).date() for p in parsed.posts},
        reported={r.day for r in parsed.account_metrics if r.metric == "posts_published"},
    )
    covered = [r.day for r in parsed.account_metrics] + [
        p.published_at.astimezone(tz).date() for p in parsed.posts
    ]
    metrics = {r.metric for r in parsed.account_metrics} | {r.metric for r in parsed.post_metrics}
    return ImportSummary(
        format=parsed.format,
        format_label=parsed.format_label,
        platform=account.platform,
        account=account.display_name,
        account_created=created,
        rows_read=parsed.rows_read,
        posts_written=posts.written,
        post_metric_rows_written=post_rows,
        days_written=len(days),
        account_metric_rows_written=account_rows,
        metrics=tuple(sorted(metrics)),
        period=(min(covered), max(covered)) if covered else None,
        skipped=parsed.skipped,
        warnings=parsed.warnings,
        dry_run=dry_run,
    )
