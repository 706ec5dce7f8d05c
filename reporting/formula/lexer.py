"""Formula text to tokens, one at a time, so the first problem in reading order is reported."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _LETTERS | _DIGITS
_SPACE = frozenset(" \t\r\n")


class FormulaError(ValueError):
    """A formula that cannot be used, with a message for the person who wrote it.

    ``position`` is the 1-based character where the problem is, or None when it concerns the
    whole formula (empty, too long).
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "(", ")", ",", "end"
    text: str
    position: int  # 1-based
    value: float = 0.0


def syntax_hint() -> str:
    return _("Formulas use metric names, numbers, + - * /, brackets and min, max, abs, coalesce.")


def error(message: str, position: int | None, **params: object) -> FormulaError:
    """A FormulaError whose translated ``message`` is filled with ``params`` and the position."""
    return FormulaError(message % {**params, "position": position or 0}, position)


def _number(source: str, start: int) -> tuple[Token, int]:
    i, n = start, len(source)
    while i < n and source[i] in _DIGITS:
        i += 1
    if i < n and source[i] == ".":
        i += 1
        while i < n and source[i] in _DIGITS:
            i += 1
    if i < n and (source[i] in _NAME_CHARS or source[i] == "."):
        raise error(
            _(
                "Unexpected '%(char)s' after the number at position %(position)d. "
                "Write numbers with digits and at most one decimal point, such as 0.5."
            ),
            i + 1,
            char=source[i],
        )
    value = float(source[start:i])
    if not math.isfinite(value):
        raise error(_("The number at position %(position)d is too large."), start + 1)
    return Token("number", source[start:i], start + 1, value), i


def _name(source: str, start: int) -> tuple[Token, int]:
    i, n = start, len(source)
    while i < n and source[i] in _NAME_CHARS:
        i += 1
    if i < n and source[i] == ".":
        raise error(
            _("'.' at position %(position)d: attribute access is not allowed. %(syntax)s"),
            i + 1,
            syntax=syntax_hint(),
        )
    return Token("name", source[start:i], start + 1), i


def tokens(source: str) -> Iterator[Token]:
    """The tokens of ``source``, then one ``end`` token; raises FormulaError on a bad character."""
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in _SPACE:
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and source[i + 1 : i + 2] in _DIGITS):
            token, i = _number(source, i)
        elif ch in _LETTERS:
            token, i = _name(source, i)
        elif source.startswith("**", i):
            raise error(
                _("'**' at position %(position)d: powers are not supported. %(syntax)s"),
                i + 1,
                syntax=syntax_hint(),
            )
        elif ch in "+-*/":
            token, i = Token("op", ch, i + 1), i + 1
        elif ch in "(),":
            token, i = Token(ch, ch, i + 1), i + 1
        elif ch in "'\"`":
            raise error(
                _("Text in quotes at position %(position)d is not allowed. %(syntax)s"),
                i + 1,
                syntax=syntax_hint(),
            )
        else:
            raise error(
                _("Unexpected '%(char)s' at position %(position)d. %(syntax)s"),
                i + 1,
                char=ch,
                syntax=syntax_hint(),
            )
        yield token
    yield Token("end", "", n + 1)
