"""The privacy accountant: every protected release drawn, and every user's spend, in SQLite.

One file holds two tables (stdlib ``sqlite3``, WAL journal, so several service processes can
share it):

``releases``
    Each noisy vector drawn, keyed by (lake version, request hash, ε, sensitivity). Asking the
    same question again returns the stored vector: answers are consistent, so repetition cannot
    average the noise away, and a restart forgets nothing (noise cannot be re-drawn alike).
``receipts``
    Which user received which release, when, and the ε charged: a user's first receipt of a
    release costs its ε, later ones nothing.

Spend is summed per budget period (:class:`lake.privacy.budget.PrivacySettings`): a user's over
their receipts, the deployment's over the releases drawn. A release that would pass either
budget is refused with :class:`lake.errors.BudgetExhaustedError` naming what is left and when
the period ends. Check and charge happen in one ``BEGIN IMMEDIATE`` transaction, so concurrent
requests cannot overspend.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lake.errors import BudgetExhaustedError, ConfigError
from lake.privacy.budget import PrivacySettings
from lake.privacy.mechanism import IntVector

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
Clock = Callable[[], dt.datetime]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    lake_version INTEGER NOT NULL, query_hash TEXT NOT NULL, epsilon REAL NOT NULL,
    sensitivity INTEGER NOT NULL, counts TEXT NOT NULL, drawn_at TEXT NOT NULL,
    PRIMARY KEY (lake_version, query_hash, epsilon, sensitivity));
CREATE TABLE IF NOT EXISTS receipts (
    user TEXT NOT NULL, lake_version INTEGER NOT NULL, query_hash TEXT NOT NULL,
    epsilon REAL NOT NULL, sensitivity INTEGER NOT NULL, charged REAL NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (user, lake_version, query_hash, epsilon, sensitivity));
CREATE INDEX IF NOT EXISTS receipts_by_user ON receipts (user, at);
CREATE INDEX IF NOT EXISTS releases_by_time ON releases (drawn_at);
"""


@dataclass(frozen=True, slots=True)
class ReleaseKey:
    """What makes two protected releases the same release."""

    lake_version: int
    query_hash: str
    epsilon: float
    sensitivity: int


@dataclass(frozen=True, slots=True)
class Balance:
    """Spend and budget of one account (a user, or the deployment) in the current period."""

    spent: float
    budget: float
    period_ends: dt.datetime

    @property
    def remaining(self) -> float:
        """Budget left in this period (never negative)."""
        return max(0.0, self.budget - self.spent)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A release as received by one user: the vector and what it cost them."""

    counts: IntVector
    charged: float
    user: Balance


class PrivacyLedger:
    """The accountant of protected releases (see the module docstring).

    ``path`` ``None`` keeps the ledger in memory (tests, benchmarks): budgets and releases then
    last as long as the process.
    """

    def __init__(
        self,
        path: Path | None,
        settings: PrivacySettings,
        *,
        clock: Clock = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                ":memory:" if path is None else str(path),
                isolation_level=None,
                check_same_thread=False,
                timeout=30.0,
            )
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise ConfigError(f"cannot open the privacy ledger {path}: {error}") from error

    # -- periods and balances

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """Start and end of the current budget period."""
        length = dt.timedelta(days=self.settings.period_days)
        start = EPOCH + ((self._clock() - EPOCH) // length) * length
        return start, start + length

    def _user_spent(self, user: str, since: dt.datetime) -> float:
        row = self._db.execute(
            "SELECT COALESCE(SUM(charged), 0) FROM receipts WHERE user = ? AND at >= ?",
            (user, since.isoformat()),
        ).fetchone()
        return float(row[0])

    def _deployment_spent(self, since: dt.datetime) -> float:
        row = self._db.execute(
            "SELECT COALESCE(SUM(epsilon), 0) FROM releases WHERE drawn_at >= ?",
            (since.isoformat(),),
        ).fetchone()
        return float(row[0])

    def user_balance(self, user: str) -> Balance:
        """``user``'s spend in the current period."""
        start, end = self.period()
        with self._lock:
            spent = self._user_spent(user, start)
        return Balance(spent=spent, budget=self.settings.user_budget, period_ends=end)

    def deployment_balance(self) -> Balance:
        """The deployment's spend (every release drawn) in the current period."""
        start, end = self.period()
        with self._lock:
            spent = self._deployment_spent(start)
        return Balance(spent=spent, budget=self.settings.deployment_budget, period_ends=end)

    def user_balances(self) -> tuple[tuple[str, Balance], ...]:
        """Every user with a receipt in the current period, and their spend (for admins)."""
        start, end = self.period()
        with self._lock:
            rows = self._db.execute(
                "SELECT user, SUM(charged) FROM receipts WHERE at >= ? GROUP BY user ORDER BY user",
                (start.isoformat(),),
            ).fetchall()
        return tuple(
            (str(u), Balance(spent=float(s), budget=self.settings.user_budget, period_ends=end))
            for u, s in rows
        )

    # -- releases

    def stored(self, key: ReleaseKey) -> IntVector | None:
        """The vector drawn for ``key``, if one was."""
        with self._lock:
            row = self._db.execute(
                "SELECT counts FROM releases WHERE lake_version = ? AND query_hash = ? "
                "AND epsilon = ? AND sensitivity = ?",
                (key.lake_version, key.query_hash, key.epsilon, key.sensitivity),
            ).fetchone()
        return None if row is None else np.asarray(json.loads(row[0]), dtype=np.int64)

    def _received(self, user: str, key: ReleaseKey) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM receipts WHERE user = ? AND lake_version = ? AND query_hash = ? "
            "AND epsilon = ? AND sensitivity = ?",
            (user, key.lake_version, key.query_hash, key.epsilon, key.sensitivity),
        ).fetchone()
        return row is not None

    def require(self, user: str, key: ReleaseKey) -> None:
        """Refuse early (before any computation) a release ``user`` could not afford."""
        start, end = self.period()
        with self._lock:
            if self._received(user, key):
                return
            spent = self._user_spent(user, start)
        self._check_user(user, spent, key.epsilon, end)

    def _check_user(self, user: str, spent: float, epsilon: float, end: dt.datetime) -> None:
        budget = self.settings.user_budget
        if spent + epsilon > budget * (1 + 1e-12):
            raise BudgetExhaustedError(
                f"this release costs ε = {epsilon:g} of privacy budget; user {user!r} has spent "
                f"{spent:.6g} of {budget:g} this period, {max(0.0, round(budget - spent, 9)):g} "
                "left, and the "
                f"period ends {end.isoformat()}. Answers already received stay free to ask "
                "again; a statistician (governed access) may ask without a budget"
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def receive(self, user: str, key: ReleaseKey, drawn: IntVector | None) -> Receipt:
        """Give ``user`` the release ``key``, storing ``drawn`` if none is stored yet.

        ``drawn`` is a freshly noised vector, or ``None`` when the caller found one stored. If
        another process stored a vector for ``key`` meanwhile, that one wins and ``drawn`` is
        discarded unreleased. Charges the deployment for a new release and ``user`` for a first
        receipt, refusing (and storing nothing) when a budget would be passed.
        """
        start, end = self.period()
        now = self._clock().isoformat()
        ident = (key.lake_version, key.query_hash, key.epsilon, key.sensitivity)
        with self._transaction() as db:
            row = db.execute(
                "SELECT counts FROM releases WHERE lake_version = ? AND query_hash = ? "
                "AND epsilon = ? AND sensitivity = ?",
                ident,
            ).fetchone()
            if row is None:
                if drawn is None:
                    raise ConfigError("a release asked as stored is not in the privacy ledger")
                spent = self._deployment_spent(start)
                if spent + key.epsilon > self.settings.deployment_budget * (1 + 1e-12):
                    raise BudgetExhaustedError(
                        f"the deployment's privacy budget for this period is spent ({spent:g} of "
                        f"{self.settings.deployment_budget:g}); new questions are refused until "
                        f"{end.isoformat()}, answers already given stay available"
                    )
                db.execute(
                    "INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?)",
                    (*ident, json.dumps([int(c) for c in drawn]), now),
                )
                counts = drawn
            else:
                counts = np.asarray(json.loads(row[0]), dtype=np.int64)
            charged = 0.0
            if not self._received(user, key):
                spent = self._user_spent(user, start)
                self._check_user(user, spent, key.epsilon, end)
                charged = key.epsilon
                db.execute(
                    "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (user, *ident, charged, now),
                )
            user_spent = self._user_spent(user, start)
        return Receipt(
            counts=counts,
            charged=charged,
            user=Balance(spent=user_spent, budget=self.settings.user_budget, period_ends=end),
        )
