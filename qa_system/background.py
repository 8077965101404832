"""Start a Celery task without waiting for it, so that a page can show its progress.

With a broker the task goes to a worker. In the embedded default (no broker, tasks eager) it runs
in a daemon thread of the web process, so the person who clicked "Generate" or "Recompute now"
gets the progress page at once instead of a request that hangs; ``QA_BACKGROUND_THREADS = False``
(the test settings) runs it in the caller, so tests stay deterministic.
"""

import threading

from django.conf import settings
from django.db import close_old_connections, connection


def _run(task, args, kwargs) -> None:
    try:
        task.apply(args=args, kwargs=kwargs)
    finally:
        close_old_connections()
        connection.close()


def start(task, *args, **kwargs) -> None:
    """Run ``task(*args, **kwargs)`` in the background; call it after the transaction that created
    what the task reads has committed (``transaction.on_commit``)."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply_async(args=args, kwargs=kwargs)
    elif getattr(settings, "QA_BACKGROUND_THREADS", True):
        threading.Thread(target=_run, args=(task, args, kwargs), daemon=True).start()
    else:
        task.apply(args=args, kwargs=kwargs)
