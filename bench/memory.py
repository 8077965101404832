"""Peak memory of importing one CIN census file, in a process of its own.

``python -m bench.memory FILE`` imports FILE through the importer service into a scratch authority
(code 700) inside a transaction it then rolls back, and prints one line of JSON: the process's
resident set before the import (Django loaded), its peak, the time, and the file's children. The
bench runs it for two file sizes: a streaming importer keeps the peak flat as the file grows.
"""

import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

PROBE_CODE = "700"


class _RolledBack(Exception):
    pass


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one, so
    # that the peak measured is the import's and not Django's start-up.
    Path("/proc/self/clear_refs").write_text("5")


def main(path: Path) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import transaction

    from accounts.models import Authority
    from bench.estate import cin_children
    from cases.services import import_files

    gc.collect()
    _reset_peak()
    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    runs = []
    try:
        with transaction.atomic():
            authority = Authority.objects.create(code=PROBE_CODE, name="Memory probe")
            runs = import_files(authority=authority, paths=[path])
            raise _RolledBack
    except _RolledBack:
        pass
    return {
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "children": cin_children(path),
        "records_stored": sum(run.stored for run in runs),
        "seconds": round(time.perf_counter() - started, 2),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(_status_mb("VmHWM"), 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
