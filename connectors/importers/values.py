"""Reading numbers and dates as the platforms write them in their exports.

Missing values come in many spellings (``-`` in X's promoted columns, ``undefined`` in TikTok's,
blanks in YouTube's, ``N/A`` in Meta's); they are ``None`` here, never zero. Dates come with
or without a year, with English or localised month names, US or European day order, or as
Excel serial numbers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

# En and em dashes too: spreadsheet programs turn a typed "-" into them.
MISSING = frozenset(
    {"", "-", "\u2013", "\u2014", "--", "undefined", "n/a", "na", "n.a.", "null", "none", "nan"}
    | {"#n/a"}
)

# Thousands separators: "1,234,567.5" (en), "1.234.567,5" (de, es, fr on some exports) and
# spaces (fr). A lone "1.234" stays one point two: X writes ratios such as "0.034".
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_THOUSANDS_DOT = re.compile(
    r"^[+-]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?$|^[+-]?\d{1,3}(?:\.\d{3})+,\d+$"
)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f'](?=\d{3})")


def is_missing(text: str) -> bool:
    return text.strip().casefold() in MISSING


def number_parse(text: str) -> float | None:
    """The number in ``text``, ``None`` when the cell says the value is missing.

    Raises ``ValueError`` with a reason a person can act on when the cell is not a number.
    """
    raw = text.strip()
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        # The plain case, most cells of most files; float() also takes "1_000" and "nan".
        if math.isfinite(number) and "_" not in raw:
            return number
    if raw.casefold() in MISSING:
        return None
    value = _SPACES.sub("", raw)
    if value.endswith("%"):
        raise ValueError(_("“%(value)s” is a percentage, not a count.") % {"value": raw})
    if _THOUSANDS_COMMA.match(value):
        value = value.replace(",", "")
    elif _THOUSANDS_DOT.match(value):
        value = value.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.match(value):
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not math.isfinite(number):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    return number


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).rstrip(".")


_MONTH_WORDS = {
    1: "january jan enero ene janvier janv janeiro januar gennaio gen",
    2: "february feb febrero fevrier fevr fev fevereiro fev februar febbraio",
    3: "march mar marzo mars marco marz",
    4: "april apr abril abr avril avr aprile",
    5: "may mayo mai maio maggio mag",
    6: "june jun junio juin junho juni giugno giu",
    7: "july jul julio juillet juil julho juli luglio lug",
    8: "august aug agosto ago aout",
    9: "september sep sept septiembre setiembre septembre setembro settembre set",
    10: "october oct octubre octobre outubro out oktober ottobre ott okt",
    11: "november nov noviembre novembre novembro",
    12: "december dec diciembre dic decembre dezembro dez dezember dicembre",
}
MONTHS: dict[str, int] = {
    word: month for month, words in _MONTH_WORDS.items() for word in words.split()
}
# Words that sit around a date without meaning anything: "8 de marzo", "Sat, Nov 30, 2024".
_FILLERS = frozenset(
    {"de", "del", "of", "the", "le", "der", "am", "um", "at", "a", "las", "los"}
    | {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday"}
    | {"thursday", "friday", "saturday", "sunday", "lunes", "martes", "miercoles", "jueves"}
    | {"viernes", "sabado", "domingo"}
)

_TZ = r"(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})"
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
_ISO = re.compile(
    rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}})(?:[T ]+{_TIME})?\s*{_TZ}?$"
)
_NUMERIC = re.compile(
    rf"^(?P<a>\d{{1,2}})(?P<sep>[/.-])(?P<b>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|\d{{2}})"
    rf"(?:[ ,T]+{_TIME})?\s*{_TZ}?$"
)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_TIME_ANYWHERE = re.compile(_TIME)
_WORDS = re.compile(r"[^\W\d_]+|\d+")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class DateValue:
    """A date as written in a cell. ``year`` is None when the export left it out (TikTok);
    ``offset`` is None when the time is local to the account (most exports)."""

    year: int | None
    month: int
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0
    offset: dt.timedelta | None = None
    has_time: bool = False

    def date(self, year: int | None = None) -> dt.date:
        """The calendar date; ``year`` fills in a missing year. Raises ``ValueError``."""
        chosen = self.year if self.year is not None else year
        if chosen is None:
            raise ValueError("the date has no year")
        return dt.date(chosen, self.month, self.day)

    def datetime(self, tz: dt.tzinfo, year: int | None = None) -> dt.datetime:
        """An aware datetime: at the written offset when there is one, else in ``tz``."""
        day = self.date(year)
        naive = dt.datetime(day.year, day.month, day.day, self.hour, self.minute, self.second)
        if self.offset is not None:
            return naive.replace(tzinfo=dt.timezone(self.offset))
        return naive.replace(tzinfo=tz)


def _offset(tz: str | None) -> dt.timedelta | None:
    if not tz:
        return None
    if tz in ("Z", "UTC", "GMT"):
        return dt.timedelta(0)
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _clock(match: re.Match[str]) -> tuple[int, int, int, bool]:
    if match.group("H") is None:
        return 0, 0, 0, False
    hour, minute = int(match.group("H")), int(match.group("M"))
    second = int(match.group("S") or 0)
    ampm = (match.group("ampm") or "").replace(".", "").casefold()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("bad hour")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    return hour, minute, second, True


def _checked(value: DateValue) -> DateValue:
    # Builds the date once so that "February 30" fails here, not later; a yearless February 29
    # is checked against a leap year and resolved later.
    dt.date(value.year if value.year is not None else 2000, value.month, value.day)
    dt.time(value.hour, value.minute, value.second)
    return value


def date_parse(text: str, *, dayfirst: bool = False) -> DateValue | None:
    """The date (and time) written in ``text``; ``None`` for a missing value.

    ``dayfirst`` decides ``03/04/2024`` when neither part is above 12 (see ``dayfirst_guess``).
    Raises ``ValueError`` when the text is not a date.
    """
    raw = " ".join(text.split())
    if raw.casefold() in MISSING:
        return None
    try:
        return _checked(_date_parse(raw, dayfirst=dayfirst))
    except ValueError:
        raise ValueError(
            _("“%(value)s” is not a date Rapport can read.") % {"value": raw}
        ) from None


def _date_parse(raw: str, *, dayfirst: bool) -> DateValue:
    if match := _ISO.match(raw):
        hour, minute, second, has_time = _clock(match)
        return DateValue(
            int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, second,
            _offset(match["tz"]), has_time,
        )  # fmt: skip
    if match := _NUMERIC.match(raw):
        a, b = int(match["a"]), int(match["b"])
        first_is_day = a > 12 or (b <= 12 and (dayfirst or match["sep"] == "."))
        day, month = (a, b) if first_is_day else (b, a)
        year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
        hour, minute, second, has_time = _clock(match)
        return DateValue(year, month, day, hour, minute, second, _offset(match["tz"]), has_time)
    if match := _COMPACT.match(raw):
        return DateValue(int(match["y"]), int(match["m"]), int(match["d"]))
    if _SERIAL.match(raw):
        serial = float(raw)
        moment = dt.datetime.combine(_EXCEL_EPOCH, dt.time()) + dt.timedelta(days=serial)
        return DateValue(
            moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
            None, serial % 1 != 0,
        )  # fmt: skip
    return _words_parse(raw)


def _words_parse(raw: str) -> DateValue:
    hour = minute = second = 0
    has_time = False
    if match := _TIME_ANYWHERE.search(raw):
        hour, minute, second, has_time = _clock(match)
        raw = raw[: match.start()] + " " + raw[match.end() :]
    month: int | None = None
    numbers: list[str] = []
    for token in _WORDS.findall(raw):
        if token.isdigit():
            numbers.append(token)
            continue
        word = _fold(token)
        if word in _FILLERS:
            continue
        if word in MONTHS and month is None:
            month = MONTHS[word]
        else:
            raise ValueError(raw)
    days = [int(n) for n in numbers if len(n) <= 2]
    years = [int(n) for n in numbers if len(n) == 4]
    if month is None or len(days) != 1 or len(years) > 1 or len(days) + len(years) != len(numbers):
        raise ValueError(raw)
    return DateValue(
        years[0] if years else None, month, days[0], hour, minute, second, None, has_time
    )


def dayfirst_guess(texts: Sequence[str]) -> bool:
    """Whether a column writes day before month (``31/01/2024``): true when one of its numeric
    dates can only be read that way, else US order, as Meta and LinkedIn write it."""
    for text in texts:
        if match := _NUMERIC.match(" ".join(text.split())):
            if int(match["a"]) > 12:
                return True
            if int(match["b"]) > 12:
                return False
    return False


def years_resolve(dates: Sequence[DateValue], *, year: int | None, today: dt.date) -> list[dt.date]:
    """Calendar dates for a column of consecutive days written without a year (TikTok).

    The rows run in date order, oldest first or newest first; where the month and day go back
    (December → January in an oldest-first file) the year changes. ``year`` is the year of the
    oldest row; without it, the most recent years that keep the newest row on or before
    ``today``. Raises ``ValueError`` when no year makes every date valid (February 29).
    """
    if not dates:
        return []
    keys = [(d.month, d.day) for d in dates]
    # Consecutive days are a short step forward (oldest first) or backward (newest first) around
    # the calendar; only the New Year's turn looks like a long jump the other way.
    forward = [_circular(a, b) <= 183 for a, b in itertools.pairwise(keys)]
    ascending = sum(forward) >= len(forward) - sum(forward)
    ordered = keys if ascending else keys[::-1]
    offsets = [0]
    for previous, current in itertools.pairwise(ordered):
        offsets.append(offsets[-1] + (1 if current < previous else 0))

    def build(first_year: int) -> list[dt.date]:
        days = [dt.date(first_year + o, m, d) for o, (m, d) in zip(offsets, ordered, strict=True)]
        return days if ascending else days[::-1]

    if year is not None:
        return build(year)
    for first_year in range(today.year - offsets[-1], today.year - offsets[-1] - 9, -1):
        try:
            days = build(first_year)
        except ValueError:
            continue
        if max(days) <= today:
            return days
    raise ValueError(_("No year puts these dates on or before today."))


def _circular(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Days from month-day ``a`` forward to ``b``, around the year (in a leap year)."""
    start, end = dt.date(2000, *a), dt.date(2000, *b)
    return (end - start).days % 366


def year_resolve(value: DateValue, *, year: int | None, today: dt.date) -> dt.date:
    """One date written without a year: in ``year`` if given, else the most recent one on or
    before ``today``. Raises ``ValueError`` (February 29 in a year that has none)."""
    if value.year is not None:
        return value.date()
    if year is not None:
        return value.date(year)
    for candidate in range(today.year, today.year - 9, -1):
        try:
            day = value.date(candidate)
        except ValueError:
            continue
        if day <= today:
            return day
    raise ValueError(_("No year puts this date on or before today."))
