"""Leases on long-running work: who holds a run, and whether they still do.

A job run, an import or a report generation that is under way is held by one process: the row
records its ``owner`` (host, process id and the process's start time) and a ``heartbeat_at`` that
the holder renews from a thread of its own while it works (``renewing``). Another process that
finds the row under way asks ``is_abandoned``: the holder is gone when it ran on this host and its
process no longer exists (a worker killed, a command that exited, a web server restarted), or when
it ran on another host and its heartbeat is older than the lease (``QA_LEASE_SECONDS``). A row whose
holder is gone is recorded as interrupted by its app, and the work it held is free to be done again.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def _start_time(pid: int) -> str | None:
    """The start time of a process (clock ticks since boot, Linux ``/proc``); None when it does not
    exist or the system has no ``/proc``. With the pid it names a process uniquely: a pid reused by
    a later process has another start time."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The command name (field 2) may hold spaces and brackets: count from the last ")".
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 else None


@cache
def _host() -> str:
    return socket.gethostname()


def owner() -> str:
    """This process, as a row's ``owner``: ``host:pid:start``."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_start_time(pid) or ''}"


def lease() -> timedelta:
    return timedelta(seconds=settings.QA_LEASE_SECONDS)


def _process_gone(pid: int, start: str) -> bool:
    if start:
        return _start_time(pid) != start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def is_abandoned(
    *, owner: str, heartbeat_at: datetime | None, started_at: datetime | None, now: datetime
) -> bool:
    """Whether the work a row holds has lost its holder (see the module's docstring). A holder on
    this host is asked directly, so a run of a live process is never taken from it however long it
    takes (its task time limit ends it first); a holder elsewhere is gone once its heartbeat is older
    than the lease. A row without an owner is claimed but not yet taken up: it waits as long as a
    task may run (``CELERY_TASK_TIME_LIMIT``)."""
    last = heartbeat_at or started_at
    if not owner:
        # Claimed and waiting for a process to take it up (queued for a worker): as long as a task
        # may run, since a worker busy with a long job takes it later.
        return last is None or last < now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host == _host() and pid_text.isdigit():
        return _process_gone(int(pid_text), start)
    return last is None or last < now - lease()


def abandoned(rows: Iterable, *, now: datetime | None = None) -> list[int]:
    """The pks of the rows (objects or dicts with ``pk``, ``owner``, ``heartbeat_at`` and
    ``started_at``) whose holder is gone."""
    now = now or timezone.now()
    found = []
    for row in rows:
        values = row if isinstance(row, dict) else vars(row) | {"pk": row.pk}
        if is_abandoned(
            owner=values.get("owner") or "",
            heartbeat_at=values.get("heartbeat_at"),
            started_at=values.get("started_at"),
            now=now,
        ):
            found.append(values["pk"])
    return found


@contextmanager
def renewing(renew: Callable[[datetime], object]) -> Iterator[None]:
    """Within the block, call ``renew(now)`` every quarter of the lease from a thread with its own
    database connection (for example ``lambda now: JobRun.objects.filter(pk__in=pks).update(
    heartbeat_at=now)``). A renewal that fails (the database busy or away) is logged and tried again
    at the next beat. Leave the block only after the holder's transactions have committed."""
    if not getattr(settings, "QA_HEARTBEAT_THREADS", True):
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.QA_LEASE_SECONDS / 4):
                try:
                    renew(timezone.now())
                except DatabaseError as error:
                    logger.warning("Could not renew a lease (%s); trying again at the next beat", error)
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
