"""Helpers of the concurrency tests: two sides run at once in threads of their own, each on its own
database connection, released together by a barrier, so that their transactions really overlap.

The tests commit (``django_db(transaction=True)``); ``serialized_rollback`` puts back, after each,
the rows the migrations load (the standard tools), which the flush would otherwise take from the
tests after them. Two writers only overlap on PostgreSQL: SQLite takes one lock for the whole
database per write transaction, so the tests of an overlap skip there (``postgresql``) and the
tests of the same request sent twice, one after the other, run on both.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from tests.cases import cin_samples as cin

# Long enough for a slow machine, short enough that a lock never released fails the test instead
# of hanging the suite.
TIMEOUT = 60


@dataclass
class Outcome:
    """What one side returned, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def at_once(*sides: Callable[[], Any]) -> list[Outcome]:
    """Run each side in its own thread, all started together by a barrier; return their outcomes
    in order. Each thread closes its connection when it ends."""
    start = threading.Barrier(len(sides))
    outcomes = [Outcome() for _ in sides]

    def run(index: int, side: Callable[[], Any]) -> None:
        try:
            start.wait(TIMEOUT)
            outcomes[index].value = side()
        except BaseException as error:  # reported to the test, which asserts on it
            outcomes[index].error = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, side)) for index, side in enumerate(sides)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"{stuck} still running after {TIMEOUT * 2}s: a lock was never released"
    return outcomes


def in_thread(side: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
    """Start ``side`` in a thread of its own (its connection closed when it ends); join the
    thread to read the outcome."""
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = side()
        except BaseException as error:
            outcome.error = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.fixture
def postgresql():
    """Skip on SQLite, where two writers never overlap."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite locks the whole database for each write transaction, so two "
            "writers never overlap and the test would show nothing"
        )


def census(ids: list[str], *, lea: str, year: int = 2024) -> str:
    """A CIN census of these children, each with a referral, an assessment, a section 47 enquiry
    and a child protection plan on dates drawn from its number (the same child gets the same
    records in every file, so that overlapping files agree)."""
    children = []
    for la_child_id in ids:
        number = int("".join(ch for ch in la_child_id if ch.isdigit()) or 0)
        referral = date(year - 1, 4, 1) + timedelta(days=number % 300)
        assessment = referral + timedelta(days=3)
        children.append(
            cin.child(
                la_child_id,
                cin.episode(
                    referral.isoformat(),
                    cin.assessment(assessment.isoformat(), (assessment + timedelta(days=20)).isoformat()),
                    cin.section47(assessment.isoformat(), (assessment + timedelta(days=12)).isoformat()),
                    cin.cp_plan((assessment + timedelta(days=12)).isoformat()),
                ),
            )
        )
    return cin.message("\n".join(children), lea=lea, year=year)
