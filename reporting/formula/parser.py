"""Tokens to a formula tree: a recursive-descent parser with the usual precedence.

expression := term (("+" | "-") term)*
term       := unary (("*" | "/") unary)*
unary      := "-" unary | primary
primary    := number | metric | function "(" expression ("," expression)* ")"
            | "(" expression ")"
"""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Collection, Iterator

from django.utils.translation import gettext as _

from connectors.metrics import METRICS
from reporting.formula.lexer import FormulaError, Token, error, syntax_hint, tokens
from reporting.formula.tree import Binary, Call, Formula, MetricRef, Negate, Node, Number

MAX_LENGTH = 500
# Brackets, function calls and minus signs each add a level; real formulas need a handful.
MAX_DEPTH = 24
# name → (fewest arguments, most arguments or None for no limit)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "coalesce": (2, None),
}


class _Parser:
    def __init__(self, stream: Iterator[Token], metrics: Collection[str]) -> None:
        self.stream = stream
        # Read on demand, so that a bad character after a bad name does not hide the name.
        self.current: Token | None = None
        self.metrics = metrics
        self.used: list[str] = []

    def peek(self) -> Token:
        if self.current is None:
            self.current = next(self.stream)
        return self.current

    def advance(self) -> Token:
        token = self.peek()
        if token.kind != "end":
            self.current = None
        return token

    def formula(self) -> Node:
        node = self.expression(0)
        if self.peek().kind != "end":
            raise self.unexpected(self.peek())
        return node

    def expression(self, depth: int) -> Node:
        node = self.term(depth)
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.advance().text
            node = Binary(op, node, self.term(depth))
        return node

    def term(self, depth: int) -> Node:
        node = self.unary(depth)
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.advance().text
            node = Binary(op, node, self.unary(depth))
        return node

    def unary(self, depth: int) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.advance()
            self.check_depth(depth + 1, token)
            return Negate(self.unary(depth + 1))
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.advance()
        if token.kind == "number":
            return Number(token.value)
        if token.kind == "name":
            if token.text.startswith("_") or keyword.iskeyword(token.text):
                raise error(
                    _("'%(name)s' at position %(position)d is not allowed. %(syntax)s"),
                    token.position,
                    name=token.text,
                    syntax=syntax_hint(),
                )
            if self.peek().kind == "(":
                return self.call(token, depth)
            return self.metric(token)
        if token.kind == "(":
            self.check_depth(depth + 1, token)
            node = self.expression(depth + 1)
            self.close(token)
            return node
        raise self.unexpected(token)

    def close(self, opening: Token) -> None:
        closing = self.advance()
        if closing.kind == "end":
            raise error(
                _("Missing ')' to close the '(' at position %(position)d."), opening.position
            )
        if closing.kind != ")":
            raise self.unexpected(closing)

    def call(self, name: Token, depth: int) -> Node:
        if name.text not in FUNCTIONS:
            raise error(
                _(
                    "Unknown function '%(name)s' at position %(position)d. "
                    "Available functions: %(functions)s."
                ),
                name.position,
                name=name.text,
                functions=", ".join(FUNCTIONS),
            )
        self.check_depth(depth + 1, name)
        opening = self.advance()
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.expression(depth + 1))
            while self.peek().kind == ",":
                self.advance()
                args.append(self.expression(depth + 1))
        self.close(opening)
        fewest, most = FUNCTIONS[name.text]
        if most is not None and len(args) > most:
            raise error(
                _("%(name)s() at position %(position)d takes one value, not %(n)d."),
                name.position,
                name=name.text,
                n=len(args),
            )
        if len(args) < fewest:
            raise error(
                _(
                    "%(name)s() at position %(position)d needs at least %(fewest)d values, "
                    "not %(n)d."
                ),
                name.position,
                name=name.text,
                fewest=fewest,
                n=len(args),
            )
        return Call(name.text, tuple(args))

    def metric(self, token: Token) -> Node:
        name = token.text
        if name in self.metrics:
            if name not in self.used:
                self.used.append(name)
            return MetricRef(name)
        if name in FUNCTIONS:
            raise error(
                _("%(name)s at position %(position)d is a function: write %(name)s(a, b)."),
                token.position,
                name=name,
            )
        match = difflib.get_close_matches(name.lower(), list(self.metrics), n=1)
        if match:
            raise error(
                _("Unknown metric '%(name)s' at position %(position)d — did you mean '%(match)s'?"),
                token.position,
                name=name,
                match=match[0],
            )
        raise error(
            _("Unknown metric '%(name)s' at position %(position)d. Known metrics: %(known)s."),
            token.position,
            name=name,
            known=", ".join(self.metrics),
        )

    def unexpected(self, token: Token) -> FormulaError:
        if token.kind == "end":
            return error(
                _("The formula ends too early: something is missing at position %(position)d."),
                token.position,
            )
        return error(
            _("Unexpected '%(token)s' at position %(position)d."), token.position, token=token.text
        )

    def check_depth(self, depth: int, token: Token) -> None:
        if depth > MAX_DEPTH:
            raise error(
                _(
                    "The formula nests too deeply at position %(position)d (more than %(max)d "
                    "levels of brackets, functions or minus signs)."
                ),
                token.position,
                max=MAX_DEPTH,
            )


def parse(source: str, *, metrics: Collection[str] | None = None) -> Formula:
    """Parse ``source`` into a Formula over ``metrics`` (default: the canonical metrics).

    Raises FormulaError, with the 1-based position of the problem, for anything that is not a
    well-formed formula of at most MAX_LENGTH characters and MAX_DEPTH levels of nesting.
    """
    known = list(metrics) if metrics is not None else list(METRICS)
    if len(source) > MAX_LENGTH:
        raise FormulaError(
            _("The formula is %(length)d characters long; keep it under %(max)d.")
            % {"length": len(source), "max": MAX_LENGTH}
        )
    if not source.strip():
        raise FormulaError(_("The formula is empty: write one, such as engagements / reach."))
    parser = _Parser(tokens(source), known)
    root = parser.formula()
    return Formula(source=source, root=root, metrics=tuple(parser.used))
