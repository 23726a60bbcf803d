"""Categorical scores as precomputed lookup tables over encoded input states.

A categorical score depends on its inputs only through a few comparisons (β2M >= 3.5, a FISH
call present, LDH above its ULN ...). Each input is therefore *encoded* into a small integer
state: the bin of a lab value between the rule's thresholds, a marker's present / absent, a
Kleene condition over several inputs (e.g. "any adverse karyotype lesion"), and one distinct
UNKNOWN state (one per subset of unknown inputs where several inputs share an encoder). The
states of all encoders form one integer index, and the score is a gather from literal tables
indexed by it: category, points, points interval and the inputs a ``NOT_CLASSIFIABLE`` names.

The tables are built once, with numpy, from the rule evaluated on the grid of *known* states (a
known state lists the concrete values it stands for: two representatives per bin, one per known
marker; the rule must agree on them). An unknown state covers the known states whose values it
may stand for, and every combined state is reduced over its covered sub-grid:

- the category is the rule's category when every completion agrees, else ``NOT_CLASSIFIABLE``
  (domain convention C1, exact by construction rather than by Kleene approximation);
- ``points_min`` / ``points_max`` are the extremes over the completions and ``points`` is the
  common value when they coincide (else null);
- an encoder in an unknown state is *blocking* when some completion of the other encoders leaves
  the category depending on its value; ``missing_inputs`` names the unknown inputs of the
  blocking encoders, in the score's input order. An input is thus named only if it could change
  the result given the known ones, and a ``NOT_CLASSIFIABLE`` row always names one (if every
  encoder were non-blocking the category would be constant over the completions). An encoder of
  several inputs names those of them that are unknown on the row: its condition is monotone in
  each input, so each of them decides it when the others are set accordingly.
- a rule may answer :class:`Undetermined` for a known state it has no category for (e.g. a
  genotype cell without a group): the state is ``NOT_CLASSIFIABLE`` and names the pseudo-input
  that is missing (the table's group), like an unknown input whose every value is possible.

The two representatives of a bin are its lowest and highest members (the threshold itself where
the bin includes it, else the float next to it), so a rule whose comparison disagrees with the
encoder's at a threshold gives two answers inside one known bin; :func:`build_table` then raises
instead of silently misplacing boundary values.

Per row the work is a handful of vectorised comparisons, one gather per output field and a bit
mask of the unknown inputs, which is what makes 10^7 rows cheap.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

import numpy as np
import polars as pl

from lake.risk.tristate import (
    NOT_APPLICABLE,
    NOT_CLASSIFIABLE,
    Categories,
    Input,
    named_inputs,
    unknown_mask,
)

Op = Literal[">=", ">"]


@dataclass(frozen=True, slots=True)
class Undetermined:
    """A rule's answer for a known state without a category: ``missing`` blocks it.

    ``key`` distinguishes undetermined states from each other (two of them may get different
    categories once filled in), so moving between them is a change of the result.
    """

    missing: Input
    key: Hashable


#: The rule's answer for one completion: a category code (or ``NOT_APPLICABLE``), an
#: :class:`Undetermined`, or (category, points).
Outcome = str | Undetermined | tuple[str, float]
Rule = Callable[..., Outcome]
_MAX_OUTCOMES = 63  # outcome sets are int64 bit masks


@dataclass(frozen=True, slots=True)
class State:
    """One encoded state: the concrete values it stands for and the inputs it leaves unknown."""

    values: tuple[Hashable, ...]
    unknown: tuple[Input, ...] = ()


@dataclass(frozen=True, slots=True)
class Encoder:
    """An input (or input group) encoded as a ``UInt8`` state index, never null.

    ``key`` names the helper column, so scores reading the same encoding share one column.
    """

    key: str
    expr: pl.Expr
    states: tuple[State, ...]
    #: Whether a state's ``unknown`` inputs are exactly those unknown on the row (else a subset
    #: of them is, e.g. some of the lesions of "any adverse lesion").
    exact_unknown: bool = True


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
    """A tri-state marker: 0 present (True), 1 absent (False), 2 not tested or null (unknown).

    A ``when`` chain of the two string tests (a null or any other code falls through to 2), which
    is cheaper on ``String`` columns than arithmetic on the casted tests.
    """
    expr = (
        pl.when(inp.col == "present")
        .then(pl.lit(0, dtype=pl.UInt8))
        .when(inp.col == "absent")
        .then(pl.lit(1, dtype=pl.UInt8))
        .otherwise(pl.lit(2, dtype=pl.UInt8))
    )
    states = (State((True,)), State((False,)), State((True, False), (inp,)))
    return Encoder(f"__state__{inp.column}__marker", expr, states)


def condition_encoder(key: str, condition: pl.Expr, inputs: Sequence[Input]) -> Encoder:
    """A Kleene condition over ``inputs``: 0 true, 1 false, 2 unknown (null).

    The condition must read each input once and be monotone in it (an ``and`` / ``or`` of
    comparisons and markers, e.g. "any adverse karyotype lesion"), so that its null is exactly
    "some completion makes it true and some false" and each of its unknown inputs can decide it.
    """
    expr = _u8(condition.not_()).fill_null(2)
    states = (State((True,)), State((False,)), State((True, False), tuple(inputs)))
    return Encoder(f"__state__{key}", expr, states, exact_unknown=len(inputs) == 1)


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
    """The literal tables of one score, indexed by the combined state of its encoders.

    ``names`` are the score's inputs followed by the pseudo-inputs of :class:`Undetermined`
    answers; ``named`` holds, per state, the bit mask (bit ``i`` = ``names[i]``) of the inputs
    the state names when they are unknown on the row. When every encoder's states say exactly
    which inputs are unknown, the name lists are gathered per state directly.
    """

    encoders: tuple[Encoder, ...]
    strides: tuple[int, ...]
    category: pl.Series
    points: pl.Series | None
    points_min: pl.Series | None
    points_max: pl.Series | None
    inputs: tuple[Input, ...]
    names: tuple[str, ...]
    named: pl.Series

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
        if all(e.exact_unknown for e in self.encoders):  # the state knows what is unknown
            lists = [[n for b, n in enumerate(self.names) if m >> b & 1] for m in self.named]
            missing = pl.lit(pl.Series(lists, dtype=pl.List(pl.String))).gather(index)
        else:
            pseudo = sum(1 << i for i in range(len(self.inputs), len(self.names)))
            unknown = unknown_mask(self.inputs) | pl.lit(pseudo, dtype=pl.UInt64)
            missing = named_inputs(self.names, pl.lit(self.named).gather(index) & unknown)
        fields.append(missing.alias("missing_inputs"))
        return fields


def build_table(
    encoders: Sequence[Encoder],
    rule: Rule,
    *,
    categories: Categories,
    inputs: Sequence[Input],
    with_points: bool = False,
) -> StateTable:
    """Evaluate ``rule`` on the known grid and reduce every combined state over its completions.

    ``rule`` takes one concrete value per encoder (in order) and returns the category, or
    ``(category, points)`` when ``with_points``. Raises ``ValueError`` when a fully known state
    gets two answers (the rule compares a value at a threshold the encoder does not cut at).
    """
    known = [[i for i, s in enumerate(e.states) if not s.unknown] for e in encoders]
    covers = [_covers(e, k) for e, k in zip(encoders, known, strict=True)]
    outcomes, points = _known_grid(encoders, known, rule)
    labels = list(dict.fromkeys(outcomes.ravel().tolist()))
    if len(labels) > _MAX_OUTCOMES:
        raise ValueError(f"a lookup table takes at most {_MAX_OUTCOMES} outcomes: {labels}")
    bit = {label: i for i, label in enumerate(labels)}
    grid = np.vectorize(lambda o: 1 << bit[o], otypes=[np.int64])(outcomes)

    reach = _extend(grid, covers, np.bitwise_or)
    low = _extend(points, covers, np.minimum)
    high = _extend(points, covers, np.maximum)
    names = [i.qualified for i in inputs]
    pseudo = list(dict.fromkeys(o.missing.qualified for o in labels if isinstance(o, Undetermined)))
    names += [n for n in pseudo if n not in names]
    named = np.zeros(reach.shape, dtype=np.uint64)
    for j, encoder in enumerate(encoders):
        blocking = _blocking(grid, covers, j)
        for s, state in enumerate(encoder.states):
            bits = sum(1 << names.index(i.qualified) for i in state.unknown)
            where = [slice(None)] * len(encoders)
            where[j] = slice(s, s + 1)
            named[tuple(where)] |= np.where(blocking[tuple(where)], bits, 0).astype(np.uint64)
    for label, b in bit.items():
        if isinstance(label, Undetermined):
            pseudo_bit = np.uint64(1 << names.index(label.missing.qualified))
            named |= np.where(reach >> b & 1 == 1, pseudo_bit, np.uint64(0))

    single = (reach & (reach - 1)) == 0
    first = np.log2(reach).astype(np.int64)  # the bit of the only outcome where single
    codes = [
        str(labels[f]) if s and isinstance(labels[f], str) else NOT_CLASSIFIABLE
        for s, f in zip(_flat(single), _flat(first), strict=True)
    ]
    category = pl.Series(codes, dtype=categories.dtype)
    if NOT_APPLICABLE in codes and with_points:
        raise ValueError("a points table cannot answer NOT_APPLICABLE")
    low_f, high_f = _flat(low), _flat(high)

    def numbers(values: list[float | None]) -> pl.Series | None:
        return pl.Series(values, dtype=pl.Float64) if with_points else None

    return StateTable(
        encoders=tuple(encoders),
        strides=tuple(math.prod(len(e.states) for e in encoders[:i]) for i in range(len(encoders))),
        category=category,
        points=numbers([lo if lo == hi else None for lo, hi in zip(low_f, high_f, strict=True)]),
        points_min=numbers(low_f),
        points_max=numbers(high_f),
        inputs=tuple(inputs),
        names=tuple(names),
        named=pl.Series(_flat(named), dtype=pl.UInt64),
    )


def _covers(encoder: Encoder, known: list[int]) -> list[list[int]]:
    """For every state, the positions (in ``known``) of the known states it may stand for."""
    covers = []
    for state in encoder.states:
        if not state.unknown:
            covers.append([known.index(encoder.states.index(state))])
            continue
        inside = [
            p for p, k in enumerate(known) if set(encoder.states[k].values) <= set(state.values)
        ]
        spanned = {v for p in inside for v in encoder.states[known[p]].values}
        if not inside or spanned != set(state.values):
            raise ValueError(f"unknown state {state} of {encoder.key} is not a union of known ones")
        covers.append(inside)
    return covers


def _known_grid(
    encoders: Sequence[Encoder], known: list[list[int]], rule: Rule
) -> tuple[np.ndarray, np.ndarray]:
    """The rule's outcome (object array) and points (NaN without points) on the known grid."""
    shape = tuple(len(k) for k in known)
    outcomes = np.empty(shape, dtype=object)
    points = np.full(shape, math.nan)
    for cell in itertools.product(*(range(n) for n in shape)):
        states = [
            e.states[known[j][c]] for j, (e, c) in enumerate(zip(encoders, cell, strict=True))
        ]
        answers = {rule(*values) for values in itertools.product(*(s.values for s in states))}
        if len(answers) > 1:
            raise ValueError(
                f"rule is not constant within one known state: {sorted(map(str, answers))}"
            )
        answer = answers.pop()
        if isinstance(answer, tuple):
            outcomes[cell], points[cell] = answer
        else:
            outcomes[cell] = answer
    return outcomes, points


def _extend(
    grid: np.ndarray, covers: list[list[list[int]]], combine: np.ufunc, axes: Sequence[int] = ()
) -> np.ndarray:
    """Reduce ``grid`` over each state's covered known states along every axis (but ``axes``)."""
    out = grid
    for j, cover in enumerate(covers):
        if j not in axes:
            out = np.stack([combine.reduce(np.take(out, c, axis=j), axis=j) for c in cover], axis=j)
    return out


def _blocking(grid: np.ndarray, covers: list[list[list[int]]], j: int) -> np.ndarray:
    """Where encoder ``j`` blocks: some completion of the others leaves the outcome varying.

    On the known grid of the other encoders, an unknown state of ``j`` varies when its covered
    outcomes are more than one; that is then extended (any completion) over the other encoders.
    """
    per_state = []
    for cover in covers[j]:
        seen = np.bitwise_or.reduce(np.take(grid, cover, axis=j), axis=j, keepdims=True)
        per_state.append((seen & (seen - 1)) != 0)
    varies = np.concatenate(per_state, axis=j)
    return _extend(varies, covers, np.logical_or, axes=(j,))


def _flat(array: np.ndarray) -> list[Any]:
    """The array in :attr:`StateTable.strides` order (the first encoder varies fastest)."""
    return array.ravel(order="F").tolist()
