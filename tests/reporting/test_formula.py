from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.formula import MAX_DEPTH, MAX_LENGTH, FormulaError, parse


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are compared in English; a test elsewhere may leave French active.
    with translation.override("en"):
        yield


FORMULA_PACKAGE = Path(__file__).resolve().parents[2] / "reporting" / "formula"


def value(source: str, **values: float | None) -> float | None:
    return parse(source).evaluate(values)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("1 + 6 / 3", 3.0),
        ("8 - 4 / 2 * 3", 2.0),
        ("2 * 3 - 4 / 2", 4.0),
        ("(1 + 2) * 3", 9.0),
        ("10 / 4 / 5", 0.5),
        ("2 - 3 - 4", -5.0),
        ("-2 * 3", -6.0),
        ("- -2", 2.0),
        ("-(1 - 4)", 3.0),
        (".5 + 1.", 1.5),
        ("min(3, 1, 2)", 1.0),
        ("max(3, 1, 2)", 3.0),
        ("abs(-4.5)", 4.5),
        ("coalesce(1, 2)", 1.0),
        ("  1\t+\n1 ", 2.0),
    ],
)
def test_arithmetic_follows_the_usual_precedence(source: str, expected: float) -> None:
    assert value(source) == expected


def test_metrics_are_read_by_name_and_listed_once_in_order_of_use() -> None:
    formula = parse("(likes + comments) / reach + likes")

    assert formula.metrics == ("likes", "comments", "reach")
    assert formula.evaluate({"likes": 30, "comments": 10, "reach": 800}) == pytest.approx(30.05)


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("engagements / reach", {"engagements": 30.0, "reach": 0.0}),
        ("engagements / reach", {"engagements": 0.0, "reach": 0.0}),
        ("engagements / reach", {"engagements": 30.0}),
        ("engagements / reach", {"engagements": 30.0, "reach": None}),
        ("engagements / reach", {"engagements": 30.0, "reach": math.nan}),
        ("engagements / reach", {"engagements": math.inf, "reach": 3.0}),
        ("min(likes, shares)", {"likes": 3.0}),
        ("abs(likes)", {}),
        ("likes * 99999999999999999999 * 99999999999999999999", {"likes": 1e300}),
    ],
)
def test_missing_inputs_division_by_zero_and_overflow_are_not_available(
    source: str, values: dict[str, float | None]
) -> None:
    assert parse(source).evaluate(values) is None


def test_coalesce_uses_the_next_value_when_the_first_is_not_available() -> None:
    formula = parse("coalesce(engagements, likes + comments, 0)")

    assert formula.evaluate({"engagements": 12, "likes": 1, "comments": 1}) == 12
    assert formula.evaluate({"likes": 4, "comments": 1}) == 5
    assert formula.evaluate({"likes": 4}) == 0
    assert parse("coalesce(likes / reach, 7)").evaluate({"likes": 1, "reach": 0}) == 7


def test_availability_needs_every_operand_but_only_one_coalesce_argument() -> None:
    ratio = parse("engagements / reach")
    fallback = parse("coalesce(engagements, likes + comments)")

    assert ratio.available({"engagements": 1, "reach": 0})  # inputs exist; the value does not
    assert not ratio.available({"engagements": 1})
    assert fallback.available({"likes": 1, "comments": 2})
    assert not fallback.available({"likes": 1})


def test_a_frame_evaluates_row_by_row_like_scalars() -> None:
    frame = pd.DataFrame(
        {"engagements": [30.0, 5.0, None, 8.0], "reach": [600.0, 0.0, 10.0, None]},
        index=[10, 11, 12, 13],
    )
    formula = parse("engagements / reach")

    values = formula.evaluate_frame(frame)
    available = formula.available_frame(frame)

    assert values.index.tolist() == [10, 11, 12, 13]
    assert values.dtype == "float64"
    assert values.iloc[0] == 0.05
    assert values.iloc[1:].isna().all()
    assert available.tolist() == [True, True, False, False]
    assert parse("likes + 1").evaluate_frame(frame).isna().all()  # no likes column at all
    assert parse("likes").evaluate_frame(frame.iloc[0:0]).empty


@pytest.mark.parametrize(
    ("source", "position", "message"),
    [
        ("folowers", 1, "Unknown metric 'folowers' at position 1 — did you mean 'followers'?"),
        ("likes + Reach", 9, "did you mean 'reach'?"),
        ("likes + zzz", 9, "Unknown metric 'zzz' at position 9. Known metrics: followers,"),
        ("(likes + reach))", 16, "Unexpected ')' at position 16."),
        ("(likes + reach", 1, "Missing ')' to close the '(' at position 1."),
        ("likes +", 8, "ends too early"),
        ("likes reach", 7, "Unexpected 'reach' at position 7."),
        ("likes,", 6, "Unexpected ',' at position 6."),
        ("likes.__class__", 6, "attribute access is not allowed"),
        ("likes ** 2", 7, "powers are not supported"),
        ("likes + 'text'", 9, "Text in quotes"),
        ('"likes"', 1, "Text in quotes"),
        ("__import__('os')", 1, "'__import__' at position 1 is not allowed"),
        ("__class__", 1, "'__class__' at position 1 is not allowed"),
        ("lambda: 1", 1, "'lambda' at position 1 is not allowed"),
        ("open(likes)", 1, "Unknown function 'open' at position 1. Available functions:"),
        ("likes[0]", 6, "Unexpected '[' at position 6."),
        ("likes % 2", 7, "Unexpected '%' at position 7."),
        ("likes == 2", 7, "Unexpected '='"),
        ("1e3", 2, "Unexpected 'e' after the number at position 2."),
        ("1.2.3", 4, "Unexpected '.' after the number"),
        ("min(likes)", 1, "min() at position 1 needs at least 2 values, not 1."),
        ("abs(likes, reach)", 1, "abs() at position 1 takes one value, not 2."),
        ("min", 1, "min at position 1 is a function: write min(a, b)."),
        ("max(likes, )", 12, "Unexpected ')' at position 12."),
        ("+likes", 1, "Unexpected '+' at position 1."),
        ("likes + é", 9, "Unexpected 'é' at position 9."),
        ("9" * 400, 1, "is too large"),
    ],
)
def test_anything_else_is_a_clear_error_with_its_position(
    source: str, position: int, message: str
) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(source)

    assert message in caught.value.message
    assert caught.value.position == position


def test_the_first_problem_in_reading_order_is_reported() -> None:
    with pytest.raises(FormulaError) as caught:
        parse("folowers + 'x'")

    assert caught.value.position == 1


@pytest.mark.parametrize("source", ["", "   ", "\n"])
def test_an_empty_formula_says_what_to_write(source: str) -> None:
    with pytest.raises(FormulaError, match="empty"):
        parse(source)


def test_length_is_limited() -> None:
    longest = "1" + " + 1" * ((MAX_LENGTH - 1) // 4)
    assert len(longest) <= MAX_LENGTH
    parse(longest)

    with pytest.raises(FormulaError, match="keep it under"):
        parse(longest + " " * (MAX_LENGTH - len(longest) + 1))


@pytest.mark.parametrize(
    "nest",
    [
        lambda n: "(" * n + "likes" + ")" * n,
        lambda n: "-" * n + "likes",
        lambda n: "abs(" * n + "likes" + ")" * n,
    ],
)
def test_nesting_is_limited(nest: Callable[[int], str]) -> None:
    assert parse(nest(MAX_DEPTH)).evaluate({"likes": 2.0}) is not None

    with pytest.raises(FormulaError, match="nests too deeply"):
        parse(nest(MAX_DEPTH + 1))


def test_the_metric_vocabulary_can_be_narrowed() -> None:
    assert parse("a + bb", metrics=["a", "bb"]).metrics == ("a", "bb")
    with pytest.raises(FormulaError, match=r"Known metrics: a, bb\."):
        parse("likes", metrics=["a", "bb"])


def test_the_parser_never_hands_text_to_python() -> None:
    forbidden = {"eval", "exec", "compile", "literal_eval", "__import__", "getattr"}
    for path in FORMULA_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                called = node.func
                name = (
                    called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
                )
                assert name not in forbidden, f"{path.name}:{node.lineno} calls {name}"


# Fuzzing ---------------------------------------------------------------------------------------

METRIC_NAMES = ["likes", "comments", "reach", "impressions"]
ALPHABET = "likescomentrahp_0123456789.+-*/(),  'é[]%*_xyz"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=30))
def test_random_text_parses_or_raises_formula_error_only(source: str) -> None:
    try:
        formula = parse(source)
    except FormulaError as exc:
        assert exc.message
        assert exc.position is None or 1 <= exc.position <= len(source) + 1
        return
    result = formula.evaluate(dict.fromkeys(METRIC_NAMES, 3.0))
    assert result is None or math.isfinite(result)


@dataclass(frozen=True)
class Expr:
    text: str
    compute: Callable[[dict[str, float]], float]  # the reference: plain Python floats
    depth: int = 0


def _clean(x: float) -> float:
    return math.nan if math.isinf(x) else x


def _div(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b) or b == 0:
        return math.nan
    return _clean(a / b)


def _nan_min(*xs: float) -> float:
    return math.nan if any(math.isnan(x) for x in xs) else min(xs)


def _nan_max(*xs: float) -> float:
    return math.nan if any(math.isnan(x) for x in xs) else max(xs)


def _first_known(*xs: float) -> float:
    return next((x for x in xs if not math.isnan(x)), math.nan)


numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False).map(str),
)


def _number_leaf(text: str) -> Expr:
    number = float(text)
    return Expr(text, lambda values: number)


def _metric_leaf(name: str) -> Expr:
    return Expr(name, lambda values: values[name])


leaves = st.one_of(numbers.map(_number_leaf), st.sampled_from(METRIC_NAMES).map(_metric_leaf))


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def binary(op: str, f: Callable[[float, float], float]) -> st.SearchStrategy[Expr]:
        return st.tuples(children, children).map(
            lambda p: Expr(
                f"({p[0].text} {op} {p[1].text})",
                lambda v: f(p[0].compute(v), p[1].compute(v)),
                max(p[0].depth, p[1].depth) + 1,
            )
        )

    def call(name: str, f: Callable[..., float]) -> st.SearchStrategy[Expr]:
        return st.lists(children, min_size=2, max_size=3).map(
            lambda args: Expr(
                f"{name}({', '.join(a.text for a in args)})",
                lambda v: f(*(a.compute(v) for a in args)),
                max(a.depth for a in args) + 1,
            )
        )

    return st.one_of(
        binary("+", lambda a, b: _clean(a + b)),
        binary("-", lambda a, b: _clean(a - b)),
        binary("*", lambda a, b: _clean(a * b)),
        binary("/", _div),
        children.map(lambda c: Expr(f"-{c.text}", lambda v: -c.compute(v), c.depth + 1)),
        children.map(lambda c: Expr(f"abs({c.text})", lambda v: abs(c.compute(v)), c.depth + 1)),
        call("min", _nan_min),
        call("max", _nan_max),
        call("coalesce", _first_known),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12).filter(
    lambda e: len(e.text) <= MAX_LENGTH and e.depth <= MAX_DEPTH
)
metric_values = st.fixed_dictionaries(
    {
        m: st.one_of(
            st.none(),
            st.just(0.0),
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        )
        for m in METRIC_NAMES
    }
)


def _same(actual: float | None, expected: float) -> bool:
    if math.isnan(expected):
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, metric_values)
def test_well_formed_expressions_equal_a_reference_computation(
    expr: Expr, values: dict[str, float | None]
) -> None:
    formula = parse(expr.text)
    plain = {m: math.nan if v is None else v for m, v in values.items()}

    expected = expr.compute(plain)

    assert _same(formula.evaluate(values), expected), (expr.text, values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, st.lists(metric_values, min_size=1, max_size=6))
def test_vectorised_evaluation_equals_row_by_row_evaluation(
    expr: Expr, rows: list[dict[str, float | None]]
) -> None:
    formula = parse(expr.text)
    frame = pd.DataFrame.from_records(rows, columns=METRIC_NAMES).astype("float64")

    vector = formula.evaluate_frame(frame)
    available = formula.available_frame(frame)

    for i, row in enumerate(rows):
        scalar = formula.evaluate(row)
        assert (scalar is None and np.isnan(vector.iloc[i])) or scalar == vector.iloc[i]
        assert available.iloc[i] == formula.available(row)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8),
    st.lists(st.sampled_from("+-*/"), min_size=7, max_size=7),
)
def test_chains_without_brackets_follow_precedence_and_go_left_to_right(
    operands: list[int], operators: list[str]
) -> None:
    ops = operators[: len(operands) - 1]
    text = " ".join(f"{n} {op}" for n, op in zip(operands, ops, strict=False)) + f" {operands[-1]}"
    # Reference: first * and / from left to right, then + and - from left to right.
    terms: list[float] = [float(operands[0])]
    signs: list[str] = []
    for op, n in zip(ops, operands[1:], strict=True):
        if op == "*":
            terms[-1] *= n
        elif op == "/":
            terms[-1] = _div(terms[-1], float(n))
        else:
            signs.append(op)
            terms.append(float(n))
    expected = terms[0]
    for sign, term in zip(signs, terms[1:], strict=True):
        expected = expected + term if sign == "+" else expected - term

    assert _same(parse(text).evaluate({}), expected), text


_OPENERS = ["(", "-", "abs(", "min(1, ", "coalesce(", "+", "- -("]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_OPENERS), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=3000),
    st.booleans(),
)
def test_deep_or_very_long_input_is_a_formula_error_never_a_recursion_error(
    openers: list[str], repeat: int, close: bool
) -> None:
    # Nesting well past MAX_DEPTH and text well past MAX_LENGTH, mixed: the parser must stop with
    # its own message before Python's recursion limit (about 1000 frames) is reached.
    opening = "".join(openers) * repeat
    closing = "".join(")" * o.count("(") for o in reversed(openers)) * repeat if close else ""
    source = opening + "likes" + closing
    try:
        parse(source)
    except FormulaError as exc:
        assert exc.message
        assert exc.position is None or 1 <= exc.position <= len(source) + 1
