"""The day on which a post-level export's lifetime counters are stored.

A post-level export (X tweet activity, YouTube table data, Meta and LinkedIn post exports…)
gives each post's counters as they stood when the file was made, but rarely says when that was.
They are stored as ``PostMetric`` snapshots on one day, chosen by this rule, first match wins:

1. the day given explicitly (``as_of``);
2. the end of the period in the file name, or the one date it carries:
   ``tweet_activity_metrics_<handle>_<YYYYMMDD>_<YYYYMMDD>_en.csv``,
   ``account_analytics_content_<YYYY-MM-DD>_<YYYY-MM-DD>.csv``, Meta's
   ``<Mon-DD-YYYY>_<Mon-DD-YYYY>_<id>.csv``, ``…_2017-01-19.csv``, or LinkedIn's export time in
   epoch milliseconds (``acme_content_1709251200000.xlsx``); never before the latest date of
   the file itself (a renamed file cannot date counters before their post was published);
3. the latest date present in the file (publication times, daily dates);
4. ``today``.

The same file under the same name therefore always lands on the same day, which is what makes
importing it again change nothing. Only rule 4 depends on when the import runs.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath

from django.utils.translation import gettext as _

_MON = r"[A-Za-z]{3}-\d{1,2}-\d{4}"
_RANGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!\d)(\d{8})[_\s]+(\d{8})(?!\d)"), "%Y%m%d"),
    (re.compile(r"(\d{4}-\d{2}-\d{2})[_\s]+(\d{4}-\d{2}-\d{2})"), "%Y-%m-%d"),
    (re.compile(rf"({_MON})[_\s]+({_MON})"), "%b-%d-%Y"),
)
_SINGLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)"), "%Y-%m-%d"),
    (re.compile(r"(?<!\d)((?:19|20)\d{6})(?!\d)"), "%Y%m%d"),
)
_EPOCH_MS = re.compile(r"(?<!\d)(1\d{12})(?!\d)")


def filename_day(filename: str, *, tz: dt.tzinfo) -> dt.date | None:
    """The export day a file name tells (the end of its period), or None."""
    stem = PurePath(filename.replace("\\", "/")).stem
    for pattern, fmt in _RANGES:
        for match in reversed(list(pattern.finditer(stem))):
            try:
                return dt.datetime.strptime(match.group(2), fmt).date()
            except ValueError:
                continue
    for pattern, fmt in _SINGLES:
        for match in reversed(list(pattern.finditer(stem))):
            try:
                return dt.datetime.strptime(match.group(1), fmt).date()
            except ValueError:
                continue
    for match in reversed(list(_EPOCH_MS.finditer(stem))):
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=tz).date()
    return None


def snapshot_day(
    *,
    filename: str,
    latest: dt.date | None,
    today: dt.date,
    tz: dt.tzinfo,
    as_of: dt.date | None = None,
) -> tuple[dt.date, str]:
    """The day to store lifetime counters on (see the module docstring), and a sentence saying
    which rule chose it, for the import summary."""
    if as_of is not None:
        return as_of, _("Post counters are dated %(day)s, the day given for the export.") % {
            "day": as_of.isoformat()
        }
    named = filename_day(filename, tz=tz)
    if named is not None and (latest is None or named >= latest):
        return named, _("Post counters are dated %(day)s, the export day in the file name.") % {
            "day": named.isoformat()
        }
    if latest is not None:
        return latest, _(
            "Post counters are dated %(day)s, the latest date in the file, because the file name "
            "does not say when it was exported."
        ) % {"day": latest.isoformat()}
    return today, _(
        "Post counters are dated today (%(day)s): neither the file nor its name says when it "
        "was exported."
    ) % {"day": today.isoformat()}
