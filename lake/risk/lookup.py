"""Categorical scores as precomputed lookup tables over encoded input states.

A categorical score depends on its inputs only through a few comparisons (β2M >= 3.5, a FISH
call present, LDH above its ULN ...). Each input is therefore *encoded* into a small integer
state: the bin of a lab value between the rule's thresholds, a marker's present / absent, and one
distinct UNKNOWN state (one per subset of unknown inputs where several inputs share an encoder).
The states of all encoders form one integer index, and the score is a gather from literal tables
indexed by it: category, points, points interval and the ``missing_inputs`` list.

The tables are built once, in Python, by enumerating every completion of the unknown states: a
state lists the concrete values it may stand for (two representatives per bin, one per known
marker, all of them for UNKNOWN), the scalar rule is evaluated on every combination, and

- the category is the rule's category when every completion agrees, else ``NOT_CLASSIFIABLE``
  (domain convention C1, exact by construction rather than by Kleene approximation);
- ``points_min`` / ``points_max`` are the extremes over the completions and ``points`` is the
  common value when they coincide (else null);
- ``missing_inputs`` lists, on a ``NOT_CLASSIFIABLE`` state, every unknown input of the score in
  the score's input order (precomputed per index).

The two representatives of a bin are its lowest and highest members (the threshold itself where
the bin includes it, else the float next to it), so a rule whose comparison disagrees with the
encoder's at a threshold gives two answers inside one known bin; :func:`build_table` then raises
instead of silently misplacing boundary values.

Per row the work is a handful of vectorised comparisons and one gather per output field, which
is what makes 10^7 rows cheap.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Literal

import polars as pl

from lake.risk.tristate import NOT_CLASSIFIABLE, Categories, Input

Op = Literal[">=", ">"]
#: The rule's answer for one completion: a category code, or (category, points).
Outcome = str | tuple[str, float]
Rule = Callable[..., Outcome]


@dataclass(frozen=True, slots=True)
class State:
    """One encoded state: the concrete values it stands for and the inputs it leaves unknown."""

    values: tuple[Hashable, ...]
    unknown: tuple[Input, ...] = ()


@dataclass(frozen=True, slots=True)
class Encoder:
    """An input (or input pair) encoded as a ``UInt8`` state index, never null.

    ``key`` names the helper column, so scores reading the same encoding share one column.
    """

    key: str
    expr: pl.Expr
    states: tuple[State, ...]


@dataclass(frozen=True, slots=True)
class Cut:
    """One threshold comparison a rule makes on a numeric input: ``value >= at`` or ``> at``."""

    at: float
    op: Op = ">="

    def holds(self, value: pl.Expr) -> pl.Expr:
        """The comparison as an expression (null stays null)."""
        return value >= self.at if self.op == ">=" else value > self.at


def _u8(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.UInt8)


def cut_encoder(inp: Input, cuts: Sequence[Cut]) -> Encoder:
    """Bin of a numeric input between ascending thresholds; state ``len(cuts) + 1`` is unknown.

    Bin ``j`` holds the values passing exactly the first ``j`` comparisons. Its representatives
    are its lowest and highest members; the outer bins reach one unit beyond the outer thresholds.
    """
    if not cuts or any(a.at > b.at for a, b in itertools.pairwise(cuts)):
        raise ValueError(f"cuts of {inp.qualified} must be non-empty and ascending: {cuts}")
    edges: list[tuple[float, float]] = []
    for j in range(len(cuts) + 1):
        if j == 0:
            low = cuts[0].at - 1.0
        else:
            prev = cuts[j - 1]
            low = prev.at if prev.op == ">=" else math.nextafter(prev.at, math.inf)
        if j == len(cuts):
            high = cuts[-1].at + 1.0
        else:
            nxt = cuts[j]
            high = math.nextafter(nxt.at, -math.inf) if nxt.op == ">=" else nxt.at
        edges.append((low, high))
    known = tuple(State(values=(low, high)) for low, high in edges)
    every = tuple(v for state in known for v in state.values)
    # Plain addition (not sum_horizontal, which skips nulls) keeps a null value null.
    level = reduce(operator.add, [_u8(cut.holds(inp.col)) for cut in cuts])
    expr = level.fill_null(len(cuts) + 1)
    spec = "_".join(f"{'ge' if c.op == '>=' else 'gt'}{c.at:g}" for c in cuts)
    return Encoder(f"__state__{inp.column}__{spec}", expr, (*known, State(every, (inp,))))


def marker_encoder(inp: Input) -> Encoder:
    """A tri-state marker: 0 present (True), 1 absent (False), 2 not tested or null (unknown)."""
    not_present = _u8(inp.col != "present")
    expr = (not_present * (1 + _u8(inp.col != "absent"))).fill_null(2)
    states = (State((True,)), State((False,)), State((True, False), (inp,)))
    return Encoder(f"__state__{inp.column}__marker", expr, states)


def greater_encoder(left: Input, right: Input) -> Encoder:
    """``left > right`` for two numeric inputs (e.g. LDH above the lab's ULN).

    States: 0 false, 1 true, 2 left unknown, 3 right unknown, 4 both unknown.
    """
    unknown_code = 1 + _u8(left.col.is_null()) + 2 * _u8(right.col.is_null())
    expr = _u8(left.col > right.col).fill_null(unknown_code)
    both = (True, False)
    states = (
        State((False,)),
        State((True,)),
        State(both, (left,)),
        State(both, (right,)),
        State(both, (left, right)),
    )
    return Encoder(f"__state__{left.column}__gt__{right.column}", expr, states)


@dataclass(frozen=True, slots=True)
class StateTable:
    """The literal tables of one score, indexed by the combined state of its encoders."""

    encoders: tuple[Encoder, ...]
    strides: tuple[int, ...]
    category: pl.Series
    points: pl.Series | None
    points_min: pl.Series | None
    points_max: pl.Series | None
    missing: pl.Series

    def index(self, state: Callable[[Encoder], pl.Expr]) -> pl.Expr:
        """The combined ``UInt32`` index from each encoder's state expression."""
        terms = [
            state(enc).cast(pl.UInt32) * stride
            for enc, stride in zip(self.encoders, self.strides, strict=True)
        ]
        return pl.sum_horizontal(terms).cast(pl.UInt32)

    def fields(self, index: pl.Expr) -> list[pl.Expr]:
        """The result struct's fields gathered at ``index``, in the struct's field order."""
        fields = [pl.lit(self.category).gather(index).alias("category")]
        for name in ("points", "points_min", "points_max"):
            series: pl.Series | None = getattr(self, name)
            if series is not None:
                fields.append(pl.lit(series).gather(index).alias(name))
        fields.append(pl.lit(self.missing).gather(index).alias("missing_inputs"))
        return fields


def build_table(
    encoders: Sequence[Encoder],
    rule: Rule,
    *,
    categories: Categories,
    inputs: Sequence[Input],
    with_points: bool = False,
) -> StateTable:
    """Enumerate every combined state and every completion of its unknown inputs.

    ``rule`` takes one concrete value per encoder (in order) and returns the category, or
    ``(category, points)`` when ``with_points``. Raises ``ValueError`` when a fully known state
    gets two answers (the rule compares a value at a threshold the encoder does not cut at).
    """
    strides = tuple(math.prod(len(e.states) for e in encoders[:i]) for i in range(len(encoders)))
    codes, points, lows, highs, missing = [], [], [], [], []
    # itertools.product varies the last encoder fastest; reversing gives stride order.
    for combo in itertools.product(*(e.states for e in reversed(encoders))):
        states = tuple(reversed(combo))
        outcomes = {rule(*values) for values in itertools.product(*(s.values for s in states))}
        pairs = {o if isinstance(o, tuple) else (o, math.nan) for o in outcomes}
        known = not any(s.unknown for s in states)
        if known and len(pairs) > 1:
            raise ValueError(f"rule is not constant within one known state: {sorted(pairs)}")
        cats = {c for c, _ in pairs}
        values = sorted(p for _, p in pairs)
        code = cats.pop() if len(cats) == 1 else NOT_CLASSIFIABLE
        codes.append(code)
        lows.append(values[0])
        highs.append(values[-1])
        points.append(values[0] if values[0] == values[-1] else None)
        unknown = {inp for s in states for inp in s.unknown}
        blocked = code == NOT_CLASSIFIABLE
        missing.append([i.qualified for i in inputs if blocked and i in unknown])

    def numbers(values: list[float | None]) -> pl.Series | None:
        return pl.Series(values, dtype=pl.Float64) if with_points else None

    return StateTable(
        encoders=tuple(encoders),
        strides=strides,
        category=pl.Series(codes, dtype=categories.dtype),
        points=numbers(points),
        points_min=numbers(list(lows)),
        points_max=numbers(list(highs)),
        missing=pl.Series(missing, dtype=pl.List(pl.String)),
    )
