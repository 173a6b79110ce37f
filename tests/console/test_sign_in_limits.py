"""Sign-in attempts sent in parallel: the throttle cannot be raced, and password hashing
runs under a cap, on both databases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from doorpost.service import owners as owners_module
from doorpost.service.owners import THROTTLE_MAX_FAILURES, LoginRefused, Owners
from doorpost.store.database import Database
from tests.conftest import Tenant
from tests.console.test_console_http import PASSWORD, owner_for


def _attempt(db: Database, email: str, password: str) -> str:
    try:
        Owners(db).login(email, password)
        return "signed in"
    except LoginRefused as exc:
        return "throttled" if "Too many" in str(exc) else "wrong"


def test_parallel_guesses_cannot_pass_the_limit(db: Database, tenant: Tenant) -> None:
    email = owner_for(db, tenant)
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: _attempt(db, email, "wrong password!"), range(30)))
    assert answers.count("wrong") == THROTTLE_MAX_FAILURES  # evaluated: exactly the limit
    assert answers.count("throttled") == 30 - THROTTLE_MAX_FAILURES
    assert _attempt(db, email, PASSWORD) == "throttled"  # even the right one, now


def test_the_right_password_among_parallel_guesses_is_throttled_too(db: Database,
                                                                     tenant: Tenant) -> None:
    email = owner_for(db, tenant)
    guesses = ["wrong password!"] * 23 + [PASSWORD]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda p: _attempt(db, email, p), guesses))
    assert answers.count("signed in") + answers.count("wrong") <= THROTTLE_MAX_FAILURES


def test_hashing_runs_under_a_cap(db: Database, tenant: Tenant,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    running, peak, lock = 0, 0, threading.Lock()
    real = owners_module._hasher

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                return bool(real.verify(stored, password))
            finally:
                with lock:
                    running -= 1

        def hash(self, password: str) -> str:
            return real.hash(password)
    monkeypatch.setattr(owners_module, "_hasher", Counting())
    emails = [f"nobody{i}@example.com" for i in range(16)]  # unknown: the dummy hash
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda e: _attempt(db, e, "whatever password"), emails))
    assert 1 <= peak <= owners_module.HASHING_AT_ONCE
