"""The import service, the command and the upload pages, end to end on small CIN files."""

import io
import time
from datetime import date
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_results.models import TaskResult

from cases import services
from cases.importers import cin_census
from cases.importers.base import Batch
from cases.importers.store import store_batch
from cases.models import Child, ImportRun, ImportStatus, Referral
from cases.tasks import run_import
from outcomes.models import MeasureValue, PendingRecompute
from tests.cases import cin_samples as cin

pytestmark = pytest.mark.django_db

GOOD = cin.message(
    cin.child("K1", cin.episode("2024-05-02", cin.cp_plan("2024-06-01")))
    + cin.child("K2", cin.episode("2024-07-09"), cin.episode("2024-13-01")),
    lea="991",
    year=2025,
)


def write(tmp_path: Path, text: str | bytes, name: str = "cin_2025.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_import_stores_good_records_and_lists_bad_ones(personas, tmp_path):
    [run] = services.import_files(
        authority=personas.authority_a, paths=[write(tmp_path, GOOD)], acting_user=personas.quinn
    )
    assert run.status == ImportStatus.DONE
    assert run.file_format == "cin_census"
    assert (run.stored, run.updated, run.rejected) == (5, 0, 1)  # 2 children, 2 referrals, 1 CP plan
    assert run.problems[0]["child"] == "K2" and run.problems[0]["field"] == "CINreferralDate"
    assert run.imported_by == personas.quinn and run.finished_at is not None
    assert not run.upload  # the raw file, with its UPNs, is not kept
    assert Referral.objects.filter(child__authority=personas.authority_a).count() == 2


def test_reimport_changes_nothing(personas, tmp_path):
    path = write(tmp_path, GOOD)
    services.import_files(authority=personas.authority_a, paths=[path])
    [again] = services.import_files(authority=personas.authority_a, paths=[path])
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 5)
    assert Child.objects.count() == 2


def test_wrong_authority_is_rejected_whole_unless_confirmed(personas, tmp_path):
    path = write(tmp_path, GOOD)
    [run] = services.import_files(authority=personas.authority_b, paths=[path])
    assert run.status == ImportStatus.REJECTED
    assert "This CIN census is for LA 991, not Brackenford (992)" in run.error
    assert not Child.objects.exists()
    [run] = services.import_files(authority=personas.authority_b, paths=[path], allow_other_authority=True)
    assert (
        run.status == ImportStatus.DONE and Child.objects.filter(authority=personas.authority_b).count() == 2
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty."),
        (b"hello, this is not a return\n", "not a CIN census XML, an SSDA903"),
        (b"<Message><Header><CollectionDetails><Collection>CIN</Collection>", "not well-formed"),
    ],
)
def test_unreadable_files_are_rejected_whole(personas, tmp_path, content, message):
    [run] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, content)])
    assert run.status == ImportStatus.REJECTED
    assert message in run.error
    assert not Child.objects.exists()


def test_files_over_the_size_limit_are_rejected_before_parsing(personas, tmp_path, settings):
    settings.QA_IMPORT_MAX_BYTES = 100
    [run] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, GOOD)])
    assert run.status == ImportStatus.REJECTED
    assert "the limit is 100 bytes" in run.error


def test_a_claimed_run_is_not_imported_twice(personas):
    run = services.import_run_create(
        authority=personas.authority_a, file=ContentFile(GOOD.encode(), name="a.xml")
    )
    services.import_run_execute(import_run_id=run.pk)
    again = services.import_run_execute(import_run_id=run.pk)
    assert again.stored == 5 and Child.objects.count() == 2


def test_import_returns_command(personas, tmp_path, capsys):
    good = write(tmp_path, GOOD)
    call_command("import_returns", "--authority", "991", "--user", "quinn", str(good))
    out = capsys.readouterr().out
    assert "cin_2025.xml: CIN census XML: 5 stored, 0 updated, 0 unchanged, 1 rejected" in out
    assert "rejected: child K2 (Child 2, CINdetails 2): CINreferralDate:" in out
    bad = write(tmp_path, b"nonsense", "bad.csv")
    with pytest.raises(SystemExit) as exit_code:
        call_command("import_returns", "--authority", "991", str(bad))
    assert exit_code.value.code == 1
    assert "bad.csv: rejected:" in capsys.readouterr().out


def _upload(client, *files, **extra):
    payload = [io.BytesIO(content) for _, content in files]
    for handle, (name, _) in zip(payload, files, strict=True):
        handle.name = name
    return client.post(reverse("cases:imports"), {"returns": payload, **extra})


def test_qa_lead_uploads_several_files_and_follows_progress(
    personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.quinn)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, ("cin_2025.xml", GOOD.encode()), ("junk.txt", b"junk"))
    assert response.status_code == 302
    progress = client.get(response["Location"])
    runs = progress.context["runs"]
    assert [run.status for run in runs] == [ImportStatus.DONE, ImportStatus.REJECTED]
    assert progress.context["finished"] is True
    # Once the last file is in, the authority's measures are recomputed (once).
    assert MeasureValue.objects.filter(authority=personas.authority_a, measure="referrals").exists()
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in partial.content  # polling stops once every file is done
    report = client.get(reverse("cases:import", args=[runs[0].pk]))
    assert b"CINreferralDate" in report.content and b"rejected" in report.content


def test_progress_polls_while_running(personas, login):
    run = ImportRun.objects.create(
        authority=personas.authority_a, filename="x.xml", status=ImportStatus.RUNNING
    )
    partial = login(personas.quinn).get(
        reverse("cases:import_progress") + f"?runs={run.pk}", HTTP_HX_REQUEST="true"
    )
    assert b'hx-trigger="every 1s"' in partial.content


def test_leaders_read_imports_but_do_not_upload(personas, login):
    client = login(personas.leah)
    page = client.get(reverse("cases:imports"))
    assert page.status_code == 200 and page.context["may_upload"] is False
    assert _upload(client, ("cin.xml", GOOD.encode())).status_code == 403
    assert not ImportRun.objects.exists()


def test_practitioners_have_no_imports_page(personas, login):
    assert login(personas.alice).get(reverse("cases:imports")).status_code == 403


def test_charlie_cannot_follow_authority_a_imports(personas, login):
    run = ImportRun.objects.create(authority=personas.authority_a, filename="a.xml", status=ImportStatus.DONE)
    client = login(personas.quentin)
    response = client.get(reverse("cases:import_progress") + f"?runs={run.pk}")
    assert response.status_code == 302  # nothing of theirs to show
    assert "a.xml" not in client.get(reverse("cases:imports")).content.decode()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_an_upload(personas):
    run = services.import_run_create(
        authority=personas.authority_a, file=ContentFile(GOOD.encode(), name="w.xml")
    )
    run_import.delay(run.pk)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (ImportStatus.DONE, ImportStatus.REJECTED):
            break
        time.sleep(0.2)
    assert run.status == ImportStatus.DONE, run.error
    assert run.stored == 5
    # The import marks the authority's measures stale and the worker then recomputes them; wait for
    # it to finish before the test database is flushed under it.
    while time.monotonic() < deadline:
        if TaskResult.objects.filter(task_name="outcomes.tasks.refresh_measures", status="SUCCESS").exists():
            break
        time.sleep(0.2)
    assert MeasureValue.objects.filter(authority=personas.authority_a, measure="referrals").exists()


def test_every_sample_return_imports_through_the_upload_page(
    personas, login, external_data, django_capture_on_commit_callbacks
):
    """The returns written by others, uploaded together as a QA lead would: every file is read,
    with its good records stored and its bad ones reported."""
    files = sorted(
        path
        for folder in ("cin_census", "ssda903", "annex_a")
        for path in (external_data / folder).iterdir()
        if path.suffix in {".xml", ".csv", ".xlsx"}
    )
    client = login(personas.quinn)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(
            client, *((path.name, path.read_bytes()) for path in files), allow_other_authority="on"
        )
    runs = client.get(response["Location"]).context["runs"]
    assert {run.filename for run in runs} == {path.name for path in files}
    assert all(run.status == ImportStatus.DONE for run in runs), [(r.filename, r.error) for r in runs]
    by_name = {run.filename: run for run in runs}
    assert by_name["fake_CIN_data.xml"].rejected == 0
    assert by_name["CIN_Census_2024.xml"].rejected == 1
    assert by_name["Annex_A.xlsx"].rejected == 2
    assert by_name["episodes.csv"].file_format == "ssda903_episodes"
    assert by_name["header.csv"].file_format == "ssda903_header"
    assert Child.objects.filter(authority=personas.authority_a).count() > 2_000


# --- Streaming: a file is stored a few thousand children at a time, in one transaction ------------


FIVE = cin.message(
    "".join(
        cin.child(f"S{n}", cin.episode(f"2024-0{n}-10", cin.cp_plan(f"2024-0{n}-20"))) for n in range(1, 6)
    ),
    lea="991",
    year=2025,
)


@pytest.fixture
def small_chunks(monkeypatch):
    """Two children per chunk, so that a five-child file is stored in three."""
    monkeypatch.setattr(cin_census, "CHILDREN_PER_CHUNK", 2)
    stored_chunks = []
    store_chunk = services.store_chunk

    def counting(batch, authority):
        stored_chunks.append(len(batch.children))
        return store_chunk(batch, authority)

    monkeypatch.setattr(services, "store_chunk", counting)
    return stored_chunks


def test_a_file_is_stored_chunk_by_chunk_with_one_report(personas, tmp_path, small_chunks):
    [run] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, FIVE)])
    assert small_chunks == [2, 2, 1]
    assert run.status == ImportStatus.DONE
    assert (run.stored, run.updated, run.unchanged, run.rejected) == (15, 0, 0, 0)
    assert Child.objects.filter(authority=personas.authority_a).count() == 5
    [again] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, FIVE)])
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 15)


def test_problems_of_every_chunk_are_reported_where_they_are(personas, tmp_path, small_chunks):
    text = cin.message(
        cin.child("P1", cin.episode("2024-04-01"))
        + cin.child("P2", cin.episode("2024-04-02"))
        + cin.child("P3", cin.episode("2024-02-30")),
        lea="991",
    )
    [run] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, text)])
    assert small_chunks == [2, 1]
    assert (run.stored, run.rejected) == (5, 1)  # three children, two referrals
    assert (run.problems[0]["child"], run.problems[0]["where"]) == ("P3", "Child 3, CINdetails 1")


def test_a_child_repeated_in_a_later_chunk_takes_its_later_values(personas, tmp_path, small_chunks):
    text = cin.message(
        cin.child("R1", cin.episode("2024-04-01", closure="2024-05-01"))
        + cin.child("R2")
        + cin.child("R1", cin.episode("2024-04-01", closure="2024-06-30")),
        lea="991",
    )
    services.import_files(authority=personas.authority_a, paths=[write(tmp_path, text)])
    assert Referral.objects.get(child__la_child_id="R1").closure_date == date(2024, 6, 30)


def test_a_file_rejected_part_way_stores_nothing_and_loses_nothing(personas, tmp_path, small_chunks):
    """Two chunks are stored before the file turns out to be cut short: the run is rejected and
    the records the authority had before are as they were."""
    services.import_files(authority=personas.authority_a, paths=[write(tmp_path, GOOD)])
    before = sorted(Referral.objects.values_list("child__la_child_id", "referral_date", "closure_date"))
    cut = FIVE.replace("S1", "K1").rsplit("</Children>", 1)[0]
    [run] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, cut, "cut.xml")])
    assert small_chunks[-2:] == [2, 2]
    assert run.status == ImportStatus.REJECTED and "not well-formed" in run.error
    assert (run.stored, run.updated, run.unchanged, run.problems) == (0, 0, 0, [])
    assert not Child.objects.filter(la_child_id__startswith="S").exists()
    assert (
        sorted(Referral.objects.values_list("child__la_child_id", "referral_date", "closure_date")) == before
    )
    assert not run.upload


def test_the_number_of_queries_does_not_grow_with_the_file(personas, tmp_path):
    """What a file costs apart from its children: recording, claiming and finishing the run, and one
    statement per table of records."""
    many = cin.message(
        "".join(cin.child(f"M{n}", cin.episode("2024-05-02", cin.cp_plan("2024-06-01"))) for n in range(40)),
        lea="991",
    )
    counts = []
    for name, text in (("few.xml", GOOD), ("many.xml", many)):
        with CaptureQueriesContext(connection) as queries:
            [run] = services.import_files(authority=personas.authority_a, paths=[write(tmp_path, text, name)])
        assert run.status == ImportStatus.DONE
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 16


# --- What an import marks stale ---------------------------------------------------------------------


def test_an_upload_marks_the_measures_stale_from_the_earliest_date_it_changed(personas, tmp_path):
    a = personas.authority_a
    [first] = services.import_files(authority=a, paths=[write(tmp_path, GOOD)])
    assert (first.changes_measures, first.changed_from) == (True, date(2024, 5, 2))
    later = cin.message(
        cin.child("K1", cin.episode("2024-05-02", cin.cp_plan("2024-06-01")))
        + cin.child("K2", cin.episode("2024-07-09"), cin.episode("2025-01-10")),
        lea="991",
        year=2025,
    )
    run = services.import_run_create(authority=a, file=ContentFile(later.encode(), name="later.xml"))
    run = services.import_run_execute(import_run_id=run.pk, recompute=True)
    assert (run.stored, run.updated, run.unchanged) == (1, 0, 5)
    assert run.changed_from == date(2025, 1, 10)
    mark = PendingRecompute.objects.get()
    assert (mark.authority_id, mark.since) == (a.pk, date(2025, 1, 10))
    assert "later.xml" in mark.reason


def test_an_upload_that_changes_nothing_marks_nothing(personas, tmp_path):
    services.import_files(authority=personas.authority_a, paths=[write(tmp_path, GOOD)])
    run = services.import_run_create(
        authority=personas.authority_a, file=ContentFile(GOOD.encode(), name="again.xml")
    )
    run = services.import_run_execute(import_run_id=run.pk, recompute=True)
    assert (run.stored, run.updated, run.changes_measures) == (0, 0, False)
    assert not PendingRecompute.objects.exists()


def test_files_uploaded_together_mark_once_from_the_earliest_of_their_dates(personas):
    a = personas.authority_a
    runs = [
        services.import_run_create(
            authority=a,
            file=ContentFile(
                cin.message(cin.child(f"U{n}", cin.episode(day)), lea="991").encode(), name=f"{n}.xml"
            ),
        )
        for n, day in enumerate(["2024-09-01", "2023-11-15"])
    ]
    for run in runs:
        services.import_run_execute(import_run_id=run.pk, recompute=True)
    assert list(PendingRecompute.objects.values_list("since", flat=True)) == [date(2023, 11, 15)]


def test_moving_a_child_between_teams_marks_from_the_start(personas):
    a = personas.authority_a

    def allocate(team_name: str):
        batch = Batch(file="annex_a.xlsx", file_format="annex_a")
        batch.add_child("T1", team_name=team_name)
        batch.add_event("referrals", "T1", referral_date=date(2024, 4, 2))
        return store_batch(batch, a)

    first = allocate(personas.team_a.name)
    assert (first.stored, first.moved_teams, first.earliest) == (2, False, date(2024, 4, 2))
    assert allocate(personas.team_a.name.upper()).changes_measures is False
    moved = allocate(personas.team_a2.name)
    assert (moved.updated, moved.unchanged, moved.moved_teams, moved.earliest) == (1, 1, True, None)
