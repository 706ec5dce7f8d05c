"""The parsed formula: a small tree that evaluates on numpy arrays, hence on scalars and columns.

Every node evaluates to a float64 array with NaN for "not available" and answers which rows
have the inputs it needs (``present``). Arithmetic never raises: a division by zero and an
overflow give NaN, never an infinity.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce

import numpy as np
import numpy.typing as npt
import pandas as pd

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


class Node(ABC):
    """A node of a parsed formula."""

    @abstractmethod
    def evaluate(self, env: Mapping[str, Array], size: int) -> Array:
        """The node's values for ``size`` rows; NaN where not available."""

    @abstractmethod
    def present(self, env: Mapping[str, Mask], size: int) -> Mask:
        """Where every input the node needs is available."""


@dataclass(frozen=True)
class Number(Node):
    value: float

    def evaluate(self, env: Mapping[str, Array], size: int) -> Array:
        return np.full(size, self.value, dtype=np.float64)

    def present(self, env: Mapping[str, Mask], size: int) -> Mask:
        return np.ones(size, dtype=np.bool_)


@dataclass(frozen=True)
class MetricRef(Node):
    name: str

    def evaluate(self, env: Mapping[str, Array], size: int) -> Array:
        return env[self.name]

    def present(self, env: Mapping[str, Mask], size: int) -> Mask:
        return env[self.name]


@dataclass(frozen=True)
class Negate(Node):
    operand: Node

    def evaluate(self, env: Mapping[str, Array], size: int) -> Array:
        return -self.operand.evaluate(env, size)

    def present(self, env: Mapping[str, Mask], size: int) -> Mask:
        return self.operand.present(env, size)


def _divide(left: Array, right: Array) -> Array:
    out = np.full(left.shape, np.nan, dtype=np.float64)
    np.divide(left, right, out=out, where=right != 0)
    return out


_BINARY: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": _divide,
}


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, env: Mapping[str, Array], size: int) -> Array:
        left, right = self.left.evaluate(env, size), self.right.evaluate(env, size)
        with np.errstate(all="ignore"):
            result = _BINARY[self.op](left, right)
        # Overflow yields ±inf; "not available" is the honest answer, not an infinite KPI.
        return np.where(np.isinf(result), np.nan, result)

    def present(self, env: Mapping[str, Mask], size: int) -> Mask:
        return self.left.present(env, size) & self.right.present(env, size)


def _coalesce(first: Array, second: Array) -> Array:
    return np.where(np.isnan(first), second, first)


# min and max propagate NaN: the smaller of a number and an unknown is unknown.
_REDUCERS: dict[str, Callable[[Array, Array], Array]] = {
    "min": np.minimum,
    "max": np.maximum,
    "coalesce": _coalesce,
}


@dataclass(frozen=True)
class Call(Node):
    function: str  # "min", "max", "abs" or "coalesce"
    args: tuple[Node, ...]

    def evaluate(self, env: Mapping[str, Array], size: int) -> Array:
        values = [arg.evaluate(env, size) for arg in self.args]
        if self.function == "abs":
            return np.abs(values[0])
        return reduce(_REDUCERS[self.function], values)

    def present(self, env: Mapping[str, Mask], size: int) -> Mask:
        masks = [arg.present(env, size) for arg in self.args]
        if self.function == "coalesce":
            return reduce(np.logical_or, masks)
        return reduce(np.logical_and, masks)


def _scalars(values: Mapping[str, object], names: tuple[str, ...]) -> dict[str, Array]:
    env: dict[str, Array] = {}
    for name in names:
        raw = values.get(name)
        number = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        usable = number is not None and math.isfinite(number)
        env[name] = np.array([number if usable else np.nan], dtype=np.float64)
    return env


def _columns(frame: pd.DataFrame, names: tuple[str, ...]) -> dict[str, Array]:
    env: dict[str, Array] = {}
    for name in names:
        if name in frame.columns:
            column = pd.to_numeric(frame[name], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            env[name] = np.where(np.isinf(column), np.nan, column)
        else:
            env[name] = np.full(len(frame), np.nan, dtype=np.float64)
    return env


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree and the metrics it reads (in order of first use)."""

    source: str
    root: Node
    metrics: tuple[str, ...]

    def evaluate(self, values: Mapping[str, object]) -> float | None:
        """The formula on one set of metric values; None when not available.

        A metric absent from ``values``, or given as None, NaN or an infinity, is not available.
        """
        result = float(self.root.evaluate(_scalars(values, self.metrics), 1)[0])
        return None if math.isnan(result) else result

    def evaluate_frame(self, frame: pd.DataFrame) -> pd.Series:
        """The formula on each row, reading one column per metric (a missing column is NaN).

        Returns a float64 Series on ``frame``'s index, NaN where not available.
        """
        result = self.root.evaluate(_columns(frame, self.metrics), len(frame))
        return pd.Series(result, index=frame.index, dtype="float64")

    def available(self, values: Mapping[str, object]) -> bool:
        """Whether ``values`` hold every input the formula needs.

        ``coalesce`` needs one of its arguments, everything else all of its operands. A
        division by zero does not make the inputs unavailable.
        """
        env = {k: ~np.isnan(v) for k, v in _scalars(values, self.metrics).items()}
        return bool(self.root.present(env, 1)[0])

    def available_frame(self, frame: pd.DataFrame) -> pd.Series:
        """Row by row, whether the inputs the formula needs are there (see ``available``)."""
        env = {k: ~np.isnan(v) for k, v in _columns(frame, self.metrics).items()}
        return pd.Series(self.root.present(env, len(frame)), index=frame.index, dtype="bool")
