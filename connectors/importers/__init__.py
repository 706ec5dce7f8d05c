"""File importers: native platform exports and any spreadsheet, read into the connector contract.

``file_parse`` reads a file's bytes and returns a ``ParsedFile`` (posts, lifetime counters,
daily account values, skipped rows, warnings) without touching the database; the service
``connectors.imports.file_import_run`` writes it. The format is recognised from the header
(``detect``), or forced; a generic file is read through a column mapping (``generic``). Post
counters are dated by the rule in ``snapshot``. Every problem raises ``ImportFileError`` with
the row and column when known; nothing is half-parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.translation import gettext as _

from connectors.importers import generic
from connectors.importers.collect import Collector
from connectors.importers.core import ImportFileError, ParseContext, ParsedFile, SkippedRow
from connectors.importers.detect import BY_KEY, GENERIC, GENERIC_LABEL, format_detect
from connectors.importers.reading import header_find, header_guess, sheets_read
from connectors.models import Platform

__all__ = [
    "FORMATS",
    "ImportFileError",
    "ParsedFile",
    "SkippedRow",
    "file_columns",
    "file_parse",
]


class _Labels(Mapping[str, str]):
    """Format key → label, translated into the language active when a label is read."""

    def __getitem__(self, key: str) -> str:
        if key == GENERIC:
            return str(GENERIC_LABEL)
        return str(BY_KEY[key].label)

    def __iter__(self) -> Iterator[str]:
        yield from BY_KEY
        yield GENERIC

    def __len__(self) -> int:
        return len(BY_KEY) + 1


FORMATS: Mapping[str, str] = _Labels()
PLATFORMS = (*settings.PLATFORM_KEYS, "import")


def _size_check(content: bytes, max_mb: int) -> None:
    if len(content) > max_mb * 1024 * 1024:
        raise ImportFileError(
            _(
                "The file is larger than %(max)s MB, the most Rapport imports at once "
                "(RAPPORT_IMPORT_MAX_MB). Export a shorter period and import each part."
            )
            % {"max": max_mb}
        )


def file_parse(
    *,
    content: bytes,
    filename: str,
    platform: str | None = None,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    year: int | None = None,
    today: dt.date | None = None,
    timezone: str = "UTC",
    as_of: dt.date | None = None,
    max_mb: int | None = None,
    max_rows: int | None = None,
) -> ParsedFile:
    """Read an export file into rows of the connector contract, writing nothing.

    ``format`` forces a format key of ``FORMATS`` (detected from the header otherwise; a
    ``mapping`` implies ``generic``). ``platform`` is checked against a native format's and
    names a generic file's platform (``import`` by default). ``year`` completes dates written
    without one (TikTok). ``timezone`` places times written without an offset; ``today`` (in
    that timezone by default) bounds yearless dates and dates counters as a last resort;
    ``as_of`` dates post counters explicitly. ``max_mb`` and ``max_rows`` default to
    ``settings.IMPORT_MAX_MB`` and ``IMPORT_MAX_ROWS``.

    Raises ``ImportFileError``: too large, unreadable, unrecognised, or a bad cell (with its row
    and column).
    """
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    _size_check(content, settings.IMPORT_MAX_MB if max_mb is None else max_mb)
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFileError(_("“%(tz)s” is not a known time zone.") % {"tz": timezone}) from None
    if platform is not None and platform not in PLATFORMS:
        raise ImportFileError(
            _("“%(platform)s” is not a platform. Choose one of: %(platforms)s.")
            % {"platform": platform, "platforms": ", ".join(PLATFORMS)}
        )
    if year is not None and not 2000 <= year <= 2100:
        raise ImportFileError(_("%(year)s is not a plausible year.") % {"year": year})
    if format is not None and format not in FORMATS:
        raise ImportFileError(
            _("“%(format)s” is not a format Rapport knows. Choose one of: %(formats)s.")
            % {"format": format, "formats": ", ".join(FORMATS)}
        )
    if mapping and format not in (None, GENERIC):
        raise ImportFileError(
            _("A column mapping is for generic files; it cannot be used with the %(label)s.")
            % {"label": FORMATS[format or GENERIC]}
        )

    sheets, read_warnings = sheets_read(content, max_rows=max_rows)
    ctx = ParseContext(
        filename=filename,
        timezone=tz,
        today=today or dt.datetime.now(tz).date(),
        year=year,
        mapping=mapping,
        as_of=as_of,
        max_rows=max_rows,
    )
    out = Collector(ctx)
    for warning in read_warnings:
        out.warn(warning)

    if mapping or format == GENERIC:
        generic.parse(sheets, ctx, out)
        return out.result(format=GENERIC, label=FORMATS[GENERIC], platform=platform or "import")

    fmt = BY_KEY[format] if format else format_detect(sheets)
    found = ", ".join(header_guess(sheets)[:15]) or _("(none)")
    if fmt is None:
        raise ImportFileError(
            _(
                "Rapport does not recognise this file: its columns (%(columns)s) match none of "
                "the exports it knows. Choose its format if it is one of them, or import it as a "
                "generic spreadsheet with a column mapping."
            )
            % {"columns": found}
        )
    if format and header_find(sheets, fmt.accepts or fmt.signature) is None:
        raise ImportFileError(
            _(
                "This file does not look like a %(label)s: Rapport looks for the columns "
                "%(expected)s and found %(columns)s."
            )
            % {"label": fmt.label, "expected": ", ".join(fmt.columns), "columns": found}
        )
    if platform not in (None, fmt.platform):
        raise ImportFileError(
            _(
                "This is a %(label)s, which belongs to %(platform)s; it cannot be imported into "
                "a %(chosen)s account."
            )
            % {
                "label": fmt.label,
                "platform": Platform(fmt.platform).label,
                "chosen": Platform(platform).label,
            }
        )
    fmt.parse(sheets, ctx, out)
    return out.result(format=fmt.key, label=str(fmt.label), platform=fmt.platform)


def file_columns(*, content: bytes, filename: str) -> tuple[str, ...]:
    """The header of a file as the column mapping names it (repeats made unique, ``Views (2)``),
    for a mapping editor. Raises ``ImportFileError`` when the file cannot be read."""
    _size_check(content, settings.IMPORT_MAX_MB)
    sheets, _warnings = sheets_read(content, max_rows=settings.IMPORT_MAX_ROWS)
    return header_guess(sheets)
