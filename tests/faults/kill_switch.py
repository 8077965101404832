"""Loaded by the fault tests' Celery worker (``--include tests.faults.kill_switch``): with
``QA_KILL_AT`` set, the worker kills itself with SIGKILL, as an operator's ``kill -9`` or the
kernel's out-of-memory killer would, at one point of the full aggregation:

- ``claimed``: the runs are claimed and taken, nothing is counted yet;
- ``counted``: every measure is counted, nothing is written;
- ``second_write``: inside the second authority's write (the first one committed).

Nothing here is imported by the product or the normal suite.
"""

import os
import signal

from outcomes import services

POINT = os.environ.get("QA_KILL_AT", "")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if POINT == "claimed":
    _execute_runs = services._execute_runs

    def _killed_before(runs, measures):
        _die()
        return _execute_runs(runs, measures)

    services._execute_runs = _killed_before

elif POINT == "counted":
    _counts = services._counts

    def _killed_after(plans):
        _counts(plans)
        _die()

    services._counts = _killed_after

elif POINT == "second_write":
    _succeed = services._succeed
    calls = []

    def _killed_in_second(run, **kwargs):
        calls.append(run.pk)
        if len(calls) == 2:
            _die()
        return _succeed(run, **kwargs)

    services._succeed = _killed_in_second
