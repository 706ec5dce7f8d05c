"""The safe expression language of KPI formulas.

A formula is arithmetic over canonical metric names (``connectors.metrics.METRICS``): numbers,
``+ - * /``, unary minus, brackets and the functions ``min(a, b, …)``, ``max(a, b, …)``,
``abs(x)`` and ``coalesce(a, b, …)`` (the first argument that is available). A hand-written
tokenizer and recursive-descent parser turn the text into a small tree; nothing is ever handed to
Python's ``eval``, ``exec`` or ``compile``, and anything outside this grammar raises
``FormulaError`` naming the 1-based position and saying what to write instead.

Evaluation follows the facts' rule that a missing value means "not available", never zero:
a missing input, a division by zero or an overflow makes the result not available (None for
one set of values, NaN in a Series) and never raises or returns an infinity. The same tree
evaluates one set of values or whole DataFrame columns at once.
"""

from reporting.formula.lexer import FormulaError
from reporting.formula.parser import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, parse
from reporting.formula.tree import Formula

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "Formula", "FormulaError", "parse"]
