"""Tools of the attack suite (``test_attacks.py``): a bounded GraphQL caller, documents of
aliased cohorts, the stated noise of a combination of released counts, and the report.

The noise of a protected release is discrete Laplace with the scale b its provenance states:
P(X = k) = (1 − q) / (1 + q) · q^|k| with q = e^{−1/b} (lake/privacy/mechanism.py). An attack
combines released counts (a difference of two answers, the three sizes of a tracker); when it
adds or subtracts m cells of scale b, its error is a sum of m independent such draws, whose
P(sum = 0) and standard deviation are computed here exactly (by convolution), independently
of OpenDP and of the service.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

JSON = dict[str, Any]
#: Every attack's loops are bounded: requests per client and seconds per client.
MAX_REQUESTS = 600
MAX_SECONDS = 120.0
#: One document holds at most this many aliased cohorts (the server's alias limit is 20).
ALIASES = 18
#: Tail probability of the bound on exactly recovered targets (a false failure this rare).
TAIL = 1e-6


class Api:
    """A GraphQL caller with one API key, bounded in requests and time."""

    def __init__(self, http: httpx.Client, key: str | None) -> None:
        self.http = http
        self.headers = {} if key is None else {"x-api-key": key}
        self.requests = 0
        self.started = time.monotonic()

    def _tick(self) -> None:
        self.requests += 1
        if self.requests > MAX_REQUESTS:
            raise RuntimeError(f"attack loop ran past {MAX_REQUESTS} requests")
        if time.monotonic() - self.started > MAX_SECONDS:
            raise RuntimeError(f"attack loop ran past {MAX_SECONDS} s")

    def post(self, query: str, variables: Mapping[str, object] | None = None) -> JSON:
        """The whole JSON answer (data and errors)."""
        self._tick()
        response = self.http.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers=self.headers,
        )
        answer: JSON = response.json()
        return answer

    def data(self, query: str, variables: Mapping[str, object] | None = None) -> JSON:
        """The data of an answer that must have no errors."""
        answer = self.post(query, variables)
        assert "errors" not in answer, answer["errors"]
        data: JSON = answer["data"]
        return data

    def get(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        self._tick()
        return self.http.get(path, params=dict(params), headers=self.headers)

    def cohorts(
        self, asks: Sequence[tuple[JSON, str]], *, lake_version: int | None = None
    ) -> list[JSON | None]:
        """Each (filter, selection) asked as one aliased cohort; results in order.

        Documents hold at most :data:`ALIASES` cohorts, or 3 survival or incidence answers
        (cost 16 each of the 60 a document may cost). A governed caller is refused an empty
        cohort (EMPTY_COHORT): such cohorts are asked alone and come back as ``None``.
        """
        results: list[JSON | None] = []
        costly = any("survival" in s or "Incidence" in s for _, s in asks)
        per_doc = 3 if costly else ALIASES
        for start in range(0, len(asks), per_doc):
            chunk = asks[start : start + per_doc]
            answer = self.post(
                cohort_document(chunk, lake_version=lake_version),
                {f"f{i}": f for i, (f, _) in enumerate(chunk)},
            )
            if "errors" not in answer:
                results += [answer["data"][f"c{i}"] for i in range(len(chunk))]
                continue
            assert {e["extensions"]["code"] for e in answer["errors"]} == {"EMPTY_COHORT"}, answer
            for one in chunk:
                alone = self.post(cohort_document([one], lake_version=lake_version), {"f0": one[0]})
                empty = (
                    "errors" in alone and alone["errors"][0]["extensions"]["code"] == "EMPTY_COHORT"
                )
                results.append(None if empty else alone["data"]["c0"])
        return results

    def cohorts_of(
        self, asks: Sequence[tuple[JSON, str]], *, lake_version: int | None = None
    ) -> list[JSON]:
        """:meth:`cohorts` when no cohort may be empty (protected callers are never refused)."""
        results = self.cohorts(asks, lake_version=lake_version)
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]


def cohort_document(asks: Sequence[tuple[JSON, str]], *, lake_version: int | None = None) -> str:
    """One document asking each (filter, selection) as an aliased cohort ``c<i>``."""
    params = ", ".join(f"$f{i}: CohortFilterInput" for i in range(len(asks)))
    pin = "" if lake_version is None else f", lakeVersion: {lake_version}"
    body = " ".join(
        f"c{i}: cohort(filter: $f{i}{pin}) {{ {selection} }}"
        for i, (_, selection) in enumerate(asks)
    )
    return f"query Attack({params}) {{ {body} }}"


# -- the stated noise ---------------------------------------------------------------------------


def dlap_variance(scale: float) -> float:
    """Variance of one discrete Laplace draw of ``scale``: 2q / (1 − q)²."""
    q = math.exp(-1.0 / scale)
    return 2.0 * q / (1.0 - q) ** 2


def dlap_pmf(scale: float) -> tuple[int, npt.NDArray[np.float64]]:
    """(half-width K, P(X = k) for k = −K..K), K past which the mass is below 1e-15."""
    q = math.exp(-1.0 / scale)
    half = math.ceil(35.0 / -math.log(q))
    k = np.arange(-half, half + 1)
    return half, (1 - q) / (1 + q) * q ** np.abs(k)


@dataclass(frozen=True, slots=True)
class Term:
    """Released counts an estimate adds (``sign`` 1) or subtracts (−1): the sum of ``cells``
    noisy cells of ``scale``. A single cell of known true ``count`` is shown at least 0, so
    its error is the noise clipped at −count; sums of many cells (survival totals) are large
    and taken unclipped."""

    scale: float
    cells: int = 1
    count: int | None = None
    sign: int = 1


@cache
def _sum_pmf(scale: float, cells: int) -> tuple[int, npt.NDArray[np.float64]]:
    half, cell = dlap_pmf(scale)
    pmf, total = cell, half
    sd = math.sqrt(cells * dlap_variance(scale))
    for _ in range(cells - 1):
        pmf, total = np.convolve(pmf, cell), total + half
        keep = min(total, int(12 * sd) + 60)
        pmf, total = pmf[total - keep : total + keep + 1], keep
    return total, pmf


@cache
def _term_pmf(term: Term) -> tuple[int, npt.NDArray[np.float64]]:
    """(lowest error, P(error = lowest + i)) of one term, its sign applied."""
    half, pmf = _sum_pmf(term.scale, term.cells)
    if term.count is not None and term.cells == 1:
        cut = min(half, term.count)  # errors below −count show as −count
        pmf = np.concatenate(([pmf[: half - cut + 1].sum()], pmf[half - cut + 1 :]))
        low = -cut
    else:
        low = -half
    if term.sign < 0:
        return -(low + pmf.size - 1), pmf[::-1].copy()
    return low, pmf


@dataclass(frozen=True, slots=True)
class Combination:
    """The noise of one estimate: the errors of its terms added (signs applied)."""

    terms: tuple[Term, ...]

    @property
    def sd(self) -> float:
        """The stated noise standard deviation (before clipping at 0)."""
        return math.sqrt(sum(t.cells * dlap_variance(t.scale) for t in self.terms))

    def error_pmf(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(errors, probabilities) of the estimate, by convolution."""
        return _error_pmf(self.terms)

    def p_zero(self) -> float:
        """P(the estimate is exactly right)."""
        errors, pmf = self.error_pmf()
        return float(pmf[errors == 0].sum())


@cache
def _error_pmf(terms: tuple[Term, ...]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    low, pmf = 0, np.array([1.0])
    for term in terms:
        t_low, t_pmf = _term_pmf(term)
        low, pmf = low + t_low, np.convolve(pmf, t_pmf)
    return np.arange(low, low + pmf.size, dtype=np.float64), pmf


def difference(scale: float, plus: int | None, minus: int | None) -> Combination:
    """One released cell minus another (true counts ``plus`` and ``minus``, clipped at 0)."""
    return Combination((Term(scale, count=plus), Term(scale, count=minus, sign=-1)))


def rmse_floor(noises: Sequence[Combination], tail: float = TAIL) -> float:
    """An RMSE the estimates fall below with probability at most ``tail``.

    Chernoff's bound on the lower tail of the sum S of squared errors: for every λ > 0,
    P(S ≤ a) ≤ e^{λa} Π_t E[e^{−λ e_t²}], computed exactly from each error distribution.
    """
    squared = [(e**2, p) for e, p in (n.error_pmf() for n in noises)]
    sd = max(n.sd for n in noises)
    best = 0.0
    for lam in np.geomspace(1e-4, 1e2, 240) / sd**2:
        log_mgf = sum(math.log(max(float(p @ np.exp(-lam * e2)), 1e-300)) for e2, p in squared)
        best = max(best, (math.log(tail) - log_mgf) / lam)
    return math.sqrt(best / len(noises))


def allowed_exact(chances: Sequence[float], tail: float = TAIL) -> int:
    """The most exact recoveries the noise lets happen: the upper ``tail`` point of the
    number of successes of independent trials with these chances (Poisson binomial)."""
    dist = np.array([1.0])
    for p in chances:
        dist = np.convolve(dist, [1 - min(p, 1.0), min(p, 1.0)])
    above = dist[::-1].cumsum()[::-1]  # above[k] = P(successes >= k)
    return int(np.argmax(above <= tail) - 1) if (above <= tail).any() else len(chances)


@cache
def p_argmax(cells: int, scale: float, terms: int = 1) -> float:
    """P(the largest of ``cells`` noisy counts is the one holding the patient): the chance an
    attacker locates one patient's cell among ``cells`` whose true counts differ by her only,
    each count's noise a sum of ``terms`` draws of ``scale``. By simulation (seeded), with her
    cell first so that every tie goes her way (an upper bound), plus a 4-sigma margin."""
    rng = np.random.default_rng(20260917)
    draws = 8000
    q = math.exp(-1.0 / scale)
    noise = np.zeros((draws, cells))
    for _ in range(terms):
        noise += rng.geometric(1 - q, noise.shape) - rng.geometric(1 - q, noise.shape)
    noise[:, 0] += 1.0
    p = float((noise.argmax(axis=1) == 0).mean())
    return min(1.0, p + 4 * math.sqrt(p * (1 - p) / draws) + 1 / draws)


# -- the report ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """One attack's reconstruction: true values, the attacker's estimates and, per target,
    the stated noise of the released counts the estimate combines (``noises``); or, for an
    attack that locates a cell by its largest count, the chance to locate it (``p_located``,
    from :func:`p_argmax`)."""

    attack: str
    truths: list[int]
    estimates: list[int]
    noises: list[Combination] | None
    p_located: float = 0.0
    unit: str = "count"

    @property
    def exact(self) -> int:
        return sum(1 for t, e in zip(self.truths, self.estimates, strict=True) if t == e)

    @property
    def rmse(self) -> float:
        errors = np.subtract(self.estimates, self.truths, dtype=np.float64)
        return float(np.sqrt(np.mean(errors**2)))

    @property
    def sd(self) -> float:
        """The stated noise sd of the combination (the root mean over targets)."""
        if not self.noises:
            return 0.0
        return math.sqrt(float(np.mean([n.sd**2 for n in self.noises])))

    @property
    def chances(self) -> list[float]:
        if self.noises is None:
            return [self.p_located] * len(self.truths)
        return [n.p_zero() for n in self.noises]

    @property
    def p_exact(self) -> float:
        return float(np.mean(self.chances)) if self.truths else 0.0

    @property
    def allowed(self) -> int:
        return allowed_exact(self.chances)

    @property
    def rmse_floor(self) -> float:
        """The RMSE asserted: half the stated sd, or less when clipping at 0 or too few
        targets would make that flaky (:func:`rmse_floor`)."""
        if not self.noises:
            return 0.0
        return min(0.5 * self.sd, rmse_floor(self.noises))


@dataclass(slots=True)
class AttackReport:
    """Every attack's outcome, printed and written as a table at the end of the session."""

    path: Path
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, outcome: Outcome, *, min_targets: int) -> None:
        """Record ``outcome`` and assert it recovers no more than the noise allows."""
        self.outcomes.append(outcome)
        self.write()
        n = len(outcome.truths)
        assert n >= min_targets, f"{outcome.attack}: only {n} targets (need {min_targets})"
        assert outcome.exact <= outcome.allowed, (
            f"{outcome.attack}: {outcome.exact} of {n} recovered exactly; the stated noise "
            f"allows at most {outcome.allowed} (P(exact) = {outcome.p_exact:.3f})"
        )
        assert outcome.rmse >= outcome.rmse_floor, (
            f"{outcome.attack}: RMSE {outcome.rmse:.2f} is below {outcome.rmse_floor:.2f} "
            f"(the stated noise sd is {outcome.sd:.2f})"
        )

    def table(self) -> str:
        lines = [
            "| attack | targets | exact | allowed | P(exact) | RMSE | stated sd | RMSE floor "
            "| unit |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        lines += [
            f"| {o.attack} | {len(o.truths)} | {o.exact} | {o.allowed} | {o.p_exact:.3f} "
            f"| {o.rmse:.2f} | {o.sd:.2f} | {o.rmse_floor:.2f} | {o.unit} |"
            for o in self.outcomes
        ]
        return "\n".join([*lines, "", *self.notes])

    def write(self) -> None:
        self.path.write_text(self.table() + "\n", encoding="utf-8")
        self.path.with_suffix(".json").write_text(
            json.dumps(
                [
                    {
                        "attack": o.attack,
                        "targets": len(o.truths),
                        "exact": o.exact,
                        "allowed": o.allowed,
                        "p_exact": o.p_exact,
                        "rmse": o.rmse,
                        "sd": o.sd,
                        "rmse_floor": o.rmse_floor,
                    }
                    for o in self.outcomes
                ],
                indent=1,
            ),
            encoding="utf-8",
        )
