"""Two imports of one authority at once (two ImportRuns for the same CIN census, or for files that
overlap, read in opposite orders): no duplicate rows, no error, no deadlock, and the counts and the
rows stored are those of importing the files one after the other. Imports of one authority take
turns; another authority's import goes on meanwhile."""

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from cases import services
from cases.importers import store
from cases.models import Assessment, Child, CPPlan, ImportRun, ImportStatus, Referral, Section47
from tests.concurrency.conftest import TIMEOUT, at_once, census, in_thread
from tests.factories import AuthorityFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EVENTS = (Referral, Assessment, Section47, CPPlan)
CHILD = re.compile(r"\s*<Child>.*?</Child>", re.DOTALL)


def run_for(authority, name: str, text: str) -> ImportRun:
    return services.import_run_create(
        authority=authority, file=ContentFile(text.encode(), name=name), allow_other_authority=True
    )


def execute(run: ImportRun):
    return lambda: services.import_run_execute(import_run_id=run.pk)


def stored_rows(authority) -> dict[str, list[tuple]]:
    """Everything stored for the authority, ids and timestamps left out, in a fixed order."""
    skip = {"id", "authority_id", "child_id", "team_id", "created_at", "updated_at"}

    def fields(model) -> list[str]:
        return [field.attname for field in model._meta.concrete_fields if field.attname not in skip]

    children = Child.objects.filter(authority=authority).values_list(*fields(Child))
    found = {"Child": sorted(children, key=repr)}
    for model in EVENTS:
        rows: Any = model._default_manager.filter(child__authority=authority)
        found[model.__name__] = sorted(rows.values_list("child__la_child_id", *fields(model)), key=repr)
    return found


def counts(run: ImportRun) -> tuple[str, int, int, int, int]:
    run.refresh_from_db()
    return run.status, run.stored, run.updated, run.unchanged, run.rejected


def one_after_the_other(first: tuple[str, str], second: tuple[str, str]) -> tuple[dict, tuple]:
    """What importing the two files in this order into a new authority stores and counts."""
    authority = AuthorityFactory()
    runs = [run_for(authority, name, text) for name, text in (first, second)]
    for run in runs:
        services.import_run_execute(import_run_id=run.pk)
    return stored_rows(authority), tuple(counts(run) for run in runs)


@pytest.fixture
def slow_statements(monkeypatch):
    """Each upsert statement writes a few rows and then waits a moment, so two imports running at
    once are both half-way through their rows, each holding row locks the other wants next, as a
    large file would be."""
    monkeypatch.setattr(store, "ROWS_PER_STATEMENT", 10)
    run = store._Upsert.run

    def slowly(self):
        result = run(self)
        time.sleep(0.02)
        return result

    monkeypatch.setattr(store._Upsert, "run", slowly)


def real_sample_halves(external_data: Path) -> tuple[str, str]:
    """The shared fake CIN census cut in two overlapping files: its first two thirds, and its last
    two thirds in reverse order."""
    text = (external_data / "cin_census" / "fake_CIN_data.xml").read_text(encoding="utf-8")
    children = CHILD.findall(text)
    head, tail = text[: text.index(children[0])], text[text.index(children[-1]) + len(children[-1]) :]
    third = len(children) // 3
    return (
        head + "".join(children[: 2 * third]) + tail,
        head + "".join(reversed(children[third:])) + tail,
    )


def written_halves() -> tuple[str, str]:
    """Two files written here that overlap: children 1-200, and 101-300 in reverse order."""
    ids = [f"K{number:04d}" for number in range(1, 301)]
    return census(ids[:200], lea="991"), census(list(reversed(ids[100:])), lea="991")


def assert_as_one_after_the_other(authority, runs, files, outcomes) -> None:
    assert [outcome.error for outcome in outcomes] == [None, None]
    # The same rows, whichever went first ...
    in_order, in_order_counts = one_after_the_other(files[0], files[1])
    reversed_order, reversed_counts = one_after_the_other(files[1], files[0])
    assert in_order == reversed_order
    assert stored_rows(authority) == in_order
    # ... and the counts of one of the two orders: one import stored its file, the other stored
    # what was new to it and found the rest unchanged.
    found = tuple(counts(run) for run in runs)
    assert found in (in_order_counts, tuple(reversed(reversed_counts)))
    assert all(status == ImportStatus.DONE for status, *_rest in found)


def test_two_imports_of_the_same_file_at_once_store_it_once(postgresql, slow_statements):
    authority = AuthorityFactory(code="991")
    text = census([f"S{number:04d}" for number in range(1, 151)], lea="991")
    runs = [run_for(authority, f"cin_{side}.xml", text) for side in "ab"]

    outcomes = at_once(execute(runs[0]), execute(runs[1]))

    assert [outcome.error for outcome in outcomes] == [None, None]
    assert sorted(counts(run) for run in runs) == [
        ("done", 0, 0, 600 + 150, 0),
        ("done", 600 + 150, 0, 0, 0),
    ]
    assert Child.objects.filter(authority=authority).count() == 150
    for model in EVENTS:
        assert model._default_manager.filter(child__authority=authority).count() == 150


def test_two_overlapping_files_in_opposite_orders_at_once(postgresql, slow_statements):
    authority = AuthorityFactory(code="991")
    files = [(f"cin_{side}.xml", text) for side, text in zip("ab", written_halves(), strict=True)]
    runs = [run_for(authority, name, text) for name, text in files]

    outcomes = at_once(execute(runs[0]), execute(runs[1]))

    assert_as_one_after_the_other(authority, runs, files, outcomes)
    assert Child.objects.filter(authority=authority).count() == 300


def test_the_shared_sample_cut_in_two_overlapping_files_at_once(postgresql, slow_statements, external_data):
    authority = AuthorityFactory(code="975")
    files = [
        (f"fake_{side}.xml", text) for side, text in zip("ab", real_sample_halves(external_data), strict=True)
    ]
    runs = [run_for(authority, name, text) for name, text in files]

    outcomes = at_once(execute(runs[0]), execute(runs[1]))

    assert_as_one_after_the_other(authority, runs, files, outcomes)
    assert Child.objects.filter(authority=authority).count() == 332


def test_imports_of_one_authority_take_turns_and_another_authority_imports_meanwhile(postgresql, monkeypatch):
    ashdown, brackenford = AuthorityFactory(code="991"), AuthorityFactory(code="992")
    first = run_for(ashdown, "first.xml", census(["A0001", "A0002"], lea="991"))
    second = run_for(ashdown, "second.xml", census(["A0003"], lea="991"))
    other = run_for(brackenford, "other.xml", census(["B0001"], lea="992"))
    storing, release = threading.Event(), threading.Event()
    store_chunk = services.store_chunk

    def held(batch, authority):
        # The first import stops half-way, inside its transaction, until the test releases it.
        result = store_chunk(batch, authority)
        if batch.file == "first.xml":
            storing.set()
            assert release.wait(TIMEOUT)
        return result

    monkeypatch.setattr(services, "store_chunk", held)
    first_thread, first_outcome = in_thread(execute(first))
    try:
        assert storing.wait(TIMEOUT)
        second_thread, second_outcome = in_thread(execute(second))
        # Another authority's import is not held up by Ashdown's ...
        other_thread, other_outcome = in_thread(execute(other))
        other_thread.join(TIMEOUT)
        assert not other_thread.is_alive() and other_outcome.ok, other_outcome.error
        assert counts(other)[:2] == ("done", 5)
        # ... while Ashdown's second import waits for its first.
        second_thread.join(1)
        assert second_thread.is_alive()
        assert counts(second)[0] == ImportStatus.RUNNING
    finally:
        release.set()
    first_thread.join(TIMEOUT)
    second_thread.join(TIMEOUT)
    assert first_outcome.ok and second_outcome.ok, (first_outcome.error, second_outcome.error)
    assert [counts(first), counts(second)] == [("done", 10, 0, 0, 0), ("done", 5, 0, 0, 0)]
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.finished_at > first.finished_at
