"""Writes for case data: importing statutory returns.

An import is two steps so that the web upload can hand the work to a Celery worker:
``import_run_create`` records the file (who, what, when) and ``import_run_execute`` detects the
format, parses, checks, and stores the records in one transaction, a few thousand children at a
time so that memory stays flat however large the file. A file that cannot be read at
all is rejected whole and nothing from it is stored; records that cannot be used are listed in the
run's problems while the rest is stored. The uploaded file is deleted once the run has finished:
it holds identifiers (UPNs, dates of birth) the platform does not keep.
"""

import hashlib
import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Authority
from cases.importers.base import Batch, FileRejected
from cases.importers.registry import IMPORTERS
from cases.importers.store import StoreResult, store_chunk
from cases.models import ImportRun, ImportStatus
from qa_system import leases

logger = logging.getLogger(__name__)

HEAD_BYTES = 64 * 1024


def _now():
    return timezone.now()


def _digest(handle) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        sha.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return sha.hexdigest(), size


@transaction.atomic
def import_run_create(
    *, authority: Authority, file: UploadedFile | File, acting_user=None, allow_other_authority: bool = False
) -> ImportRun:
    """Keep the file until it is imported, and record who brought it."""
    name = Path(file.name or "upload").name
    sha256, size = _digest(file)
    run = ImportRun(
        authority=authority,
        imported_by=acting_user,
        filename=name[:255],
        sha256=sha256,
        size=size,
        allow_other_authority=allow_other_authority,
    )
    run.upload.save(name, file, save=False)
    run.save()
    return run


def detect_format(head: bytes, filename: str) -> tuple[str, object]:
    for importer in IMPORTERS:
        found = importer.detect(head, filename)
        if found:
            return found, importer
    raise FileRejected(
        "The file is not a CIN census XML, an SSDA903 header or episodes CSV, or an Ofsted Annex A workbook."
    )


def _batches(importer: Any, path: Path, file_format: str, filename: str) -> Iterator[Batch]:
    """The file's records a few thousand children at a time where the importer reads it so (a CIN
    census can be large), else as one batch."""
    chunked = getattr(importer, "parse_chunks", None)
    if chunked is not None:
        return chunked(path, file_format, filename)
    return iter([importer.parse(path, file_format, filename)])


def _finish(run: ImportRun, **fields: Any) -> ImportRun:
    """Record the outcome in one UPDATE, and delete the uploaded file."""
    for name, value in fields.items():
        setattr(run, name, value)
    run.finished_at = _now()
    run.progress = 100
    if run.upload:
        run.upload.delete(save=False)
    run.save(update_fields=[*fields, "finished_at", "progress", "upload", "file_format"])
    return run


def _rejected(run: ImportRun, error: str) -> ImportRun:
    return _finish(
        run,
        status=ImportStatus.REJECTED,
        error=error,
        stored=0,
        updated=0,
        unchanged=0,
        rejected=0,
        problems=[],
        changes_measures=False,
        changed_from=None,
    )


def import_run_execute(*, import_run_id: int, recompute: bool = False) -> ImportRun:
    """Import one recorded file. Safe to call twice: only a waiting run is claimed.

    The records are stored as they are read, a few thousand children at a time, in one transaction
    with the run's report: a file rejected part way through stores nothing. With ``recompute``, the
    authority's measures are marked stale once the upload's last file is in.
    """
    mine = leases.owner()
    claimed = ImportRun.objects.filter(pk=import_run_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=_now(), progress=5, owner=mine, heartbeat_at=_now()
    )
    run = ImportRun.objects.select_related("authority").get(pk=import_run_id)
    if not claimed:
        return run
    with leases.renewing(
        lambda now: ImportRun.objects.filter(
            pk=import_run_id, status=ImportStatus.RUNNING, owner=mine
        ).update(heartbeat_at=now)
    ):
        run = _import(run)
    if recompute:
        _recompute_when_last(run)
    return run


def _import(run: ImportRun) -> ImportRun:
    try:
        if run.size == 0:
            raise FileRejected("The file is empty.")
        if run.size > settings.QA_IMPORT_MAX_BYTES:
            raise FileRejected(
                f"The file is {run.size:,} bytes; the limit is {settings.QA_IMPORT_MAX_BYTES:,} bytes."
            )
        path = Path(run.upload.path)
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        file_format, importer = detect_format(head, run.filename)
        run.file_format = file_format
        with transaction.atomic():
            _take_turn(run.authority_id)
            result = StoreResult()
            problems: list[dict[str, str]] = []
            for batch in _batches(importer, path, file_format, run.filename):
                _check_authority(run, batch.authority_code)
                result.add(store_chunk(batch, run.authority))
                problems.extend(problem.as_dict() for problem in batch.problems)
            run = _finish(
                run,
                status=ImportStatus.DONE,
                stored=result.stored,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=len(problems),
                problems=problems,
                changes_measures=result.changes_measures,
                changed_from=None if result.moved_teams else result.earliest,
            )
    except FileRejected as rejection:
        run = _rejected(run, str(rejection))
    except Exception as error:
        logger.exception("Import %s failed", run.pk)
        if not connection.is_usable():
            # The database connection was lost (its transaction, and everything of the file it held,
            # rolled back): record the failure on a new one.
            connection.close()
        _rejected(
            run, f"The import failed unexpectedly ({type(error).__name__}); nothing of the file was stored."
        )
        raise
    return run


# The namespace of the imports' advisory locks (the first of the two keys; the authority is the
# second), so that no other advisory lock shares their keys.
IMPORT_LOCKS = 7201


def _take_turn(authority_id: int) -> None:
    """Wait, inside the import's transaction, until no other import of the authority is storing;
    the lock goes when the transaction ends. Two imports of one authority at once would write the
    same children in different orders and deadlock (or one would wait on the other's rows half-way
    through): they take turns, while other authorities import in parallel. An advisory lock rather
    than the authority's row, which the measures' jobs and an edit of the authority lock too: they
    do not wait for it. SQLite writes one transaction at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [IMPORT_LOCKS, authority_id]
            )


def import_runs_resume(*, waiting_for: timedelta = timedelta(minutes=1)) -> list[int]:
    """The imports to queue again; returns their ids. An import whose process ended half-way (a
    worker killed; nothing of it was stored, its file is still kept) goes back to waiting, and an
    import that has waited longer than ``waiting_for`` (its upload could not reach the broker) is
    queued again. Queuing one twice is harmless: only a waiting import is claimed."""
    now = _now()
    under_way = ImportRun.objects.filter(status=ImportStatus.RUNNING)
    gone = leases.abandoned(under_way.values("pk", "owner", "heartbeat_at", "started_at"), now=now)
    if gone:
        logger.warning("Imports %s were interrupted (their process ended): queued again", gone)
        under_way.filter(pk__in=gone).update(
            status=ImportStatus.PENDING, progress=0, owner="", heartbeat_at=None
        )
    waiting = ImportRun.objects.filter(status=ImportStatus.PENDING).filter(
        Q(pk__in=gone) | Q(created_at__lt=now - waiting_for)
    )
    return list(waiting.order_by("pk").values_list("pk", flat=True))


def _recompute_when_last(run: ImportRun) -> None:
    """Mark the authority's measures stale once the last file of an upload has been imported (files
    uploaded together are imported one after another; recomputing after each would repeat work),
    from the earliest date any of the upload's files stored or changed: the periods before it keep
    their values. From the start when a file moved a child between teams (or did not record the
    date). Nothing when the files stored or changed nothing a measure counts."""
    waiting = ImportRun.objects.filter(
        authority_id=run.authority_id, status__in=[ImportStatus.PENDING, ImportStatus.RUNNING]
    ).exclude(pk=run.pk)
    if waiting.exists():
        return
    changed_from = list(
        ImportRun.objects.filter(
            authority_id=run.authority_id,
            status=ImportStatus.DONE,
            finished_at__gte=run.created_at,
            changes_measures=True,
        )
        .exclude(stored=0, updated=0)
        .values_list("changed_from", flat=True)
    )
    if not changed_from:
        return
    from outcomes.services import mark_stale

    since = None if None in changed_from else min(day for day in changed_from if day is not None)
    mark_stale(authority_id=run.authority_id, since=since, reason=f"Import of {run.filename}")


def _check_authority(run: ImportRun, code: str | None) -> None:
    if code is None or run.allow_other_authority:
        return
    if code.strip() != run.authority.code:
        raise FileRejected(
            f"This CIN census is for LA {code.strip()}, not {run.authority.name} ({run.authority.code}). "
            "Import it into the right authority, or confirm that it belongs here."
        )


def import_files(
    *, authority: Authority, paths: Iterable[Path], acting_user=None, allow_other_authority: bool = False
) -> list[ImportRun]:
    """Import files from disk in this process (the command line and the demo)."""
    runs = []
    for path in paths:
        with Path(path).open("rb") as handle:
            run = import_run_create(
                authority=authority,
                file=File(handle, name=Path(path).name),
                acting_user=acting_user,
                allow_other_authority=allow_other_authority,
            )
        runs.append(import_run_execute(import_run_id=run.pk))
    return runs
