"""The privacy accountant: stored releases, first-receipt charges, budgets, periods, restarts."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import numpy as np
import pytest

from lake.errors import BudgetExhaustedError
from lake.privacy.budget import PrivacySettings
from lake.privacy.ledger import PrivacyLedger, ReleaseKey


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def key(n: int, epsilon: float = 1.0) -> ReleaseKey:
    return ReleaseKey(lake_version=3, query_hash=f"q{n}", epsilon=epsilon, sensitivity=1)


def vector(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def ledger(tmp_path: Path | None = None, **settings: float) -> PrivacyLedger:
    return PrivacyLedger(
        None if tmp_path is None else tmp_path / "ledger.sqlite",
        PrivacySettings(**settings),  # type: ignore[arg-type]
        clock=Clock(),
    )


def test_a_release_is_stored_once_and_returned_to_everyone_alike() -> None:
    book = ledger(user_budget=5.0)
    first = book.receive("ana", key(1), vector(7, 3))
    again = book.receive("ana", key(1), None)
    other = book.receive("bob", key(1), vector(99, 99))  # a later draw loses to the stored one
    assert first.counts.tolist() == again.counts.tolist() == other.counts.tolist() == [7, 3]
    assert (first.charged, again.charged, other.charged) == (1.0, 0.0, 1.0)
    assert book.user_balance("ana").spent == 1.0
    assert book.deployment_balance().spent == 1.0  # one draw, whoever received it


def test_a_user_past_the_budget_is_refused_with_what_is_left_and_when() -> None:
    book = ledger(user_budget=2.5)
    book.receive("ana", key(1), vector(1))
    book.receive("ana", key(2), vector(1))
    book.require("ana", key(1))  # asking again is free
    with pytest.raises(BudgetExhaustedError, match=r"spent 2 of 2\.5.*0\.5 left.*period ends"):
        book.require("ana", key(3))
    with pytest.raises(BudgetExhaustedError):
        book.receive("ana", key(3), vector(5))
    assert book.stored(key(3)) is None  # refused: nothing stored, nothing charged
    assert book.deployment_balance().spent == 2.0
    assert book.receive("ana", key(2), None).charged == 0.0


def test_the_deployment_budget_caps_every_user_together() -> None:
    book = ledger(user_budget=10.0, deployment_budget=2.0)
    book.receive("ana", key(1), vector(1))
    book.receive("bob", key(2), vector(1))
    with pytest.raises(BudgetExhaustedError, match="deployment"):
        book.receive("carl", key(3), vector(1))
    assert book.receive("carl", key(1), None).counts.tolist() == [1]  # given answers stay


def test_budgets_reset_with_the_period_but_releases_stay() -> None:
    clock = Clock()
    book = PrivacyLedger(None, PrivacySettings(user_budget=1.0, period_days=30), clock=clock)
    book.receive("ana", key(1), vector(4))
    with pytest.raises(BudgetExhaustedError):
        book.require("ana", key(2))
    _, end = book.period()
    clock.now = end + dt.timedelta(seconds=1)
    assert book.user_balance("ana").spent == 0.0
    assert book.receive("ana", key(2), vector(5)).charged == 1.0
    assert book.receive("ana", key(1), None).counts.tolist() == [4]


def test_a_file_ledger_survives_a_restart(tmp_path: Path) -> None:
    book = ledger(tmp_path, user_budget=3.0)
    book.receive("ana", key(1), vector(11, 12))
    reopened = ledger(tmp_path, user_budget=3.0)
    assert reopened.stored(key(1)) is not None
    assert reopened.receive("ana", key(1), None).counts.tolist() == [11, 12]
    assert reopened.user_balance("ana").spent == 1.0
    assert [u for u, _ in reopened.user_balances()] == ["ana"]


def test_concurrent_first_receipts_never_overspend() -> None:
    book = ledger(user_budget=5.0)
    errors: list[Exception] = []

    def ask(n: int) -> None:
        try:
            book.receive("ana", key(n), vector(n))
        except BudgetExhaustedError as error:
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert book.user_balance("ana").spent == 5.0
    assert len(errors) == 15


def test_the_same_question_at_another_lake_version_is_a_new_charge() -> None:
    book = ledger(user_budget=5.0)
    book.receive("ana", ReleaseKey(3, "q", 1.0, 1), vector(1))
    receipt = book.receive("ana", ReleaseKey(2, "q", 1.0, 1), vector(1))
    assert receipt.charged == 1.0
    assert receipt.user.spent == 2.0
