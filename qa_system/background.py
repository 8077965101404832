"""Start a Celery task without waiting for it, so that a page can show its progress.

With a broker the task goes to a worker. In the embedded default (no broker, tasks eager) it runs
in a thread of the calling process, so the person who clicked "Generate" or "Recompute now" gets
the progress page at once instead of a request that hangs. The thread is not a daemon: a process
that started work (a management command whose import asked for a recompute, a server asked to
stop) finishes it before it exits, so no run is left half-done by the process ending.
``QA_BACKGROUND_THREADS = False`` (the test settings) runs it in the caller, so tests stay
deterministic.

A broker that cannot be reached (Redis down) never fails the person's request: ``start`` returns
False, logs it, and the work waits where it is recorded (a waiting import, a claimed job run, a
stale mark) for the jobs that pick it up once the broker is back (``outcomes.tasks`` and
``cases.tasks``).
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

_threads: list[threading.Thread] = []


def _run(task, args, kwargs) -> None:
    try:
        task.apply(args=args, kwargs=kwargs)
    except Exception:
        logger.exception("Background task %s failed", task.name)
    finally:
        close_old_connections()
        connection.close()


def start(task, *args, **kwargs) -> bool:
    """Run ``task(*args, **kwargs)`` in the background; call it after the transaction that created
    what the task reads has committed (``transaction.on_commit``). Returns False when the broker
    could not take the task (it is logged; the work is picked up once the broker is back)."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except OperationalError as error:
            logger.error("Could not queue %s: the broker is unreachable (%s)", task.name, error)
            return False
        return True
    if getattr(settings, "QA_BACKGROUND_THREADS", True):
        thread = threading.Thread(target=_run, args=(task, args, kwargs), name=f"background {task.name}")
        _threads[:] = [alive for alive in _threads if alive.is_alive()] + [thread]
        thread.start()
    else:
        task.apply(args=args, kwargs=kwargs)
    return True


def wait(timeout: float | None = None) -> None:
    """Wait for the work this process started in the background (tests and commands that want
    its outcome before going on)."""
    for thread in list(_threads):
        thread.join(timeout)
