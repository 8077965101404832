"""After `make demo-data`: the demo ends as a new user needs it, with no job run, import or report
left under way, stored values for every demo authority, and last quarter's reports made.

    DEBUG=true .venv/bin/python scripts/check_demo.py
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_system.settings")

import django  # noqa: E402

django.setup()

from accounts.models import Authority  # noqa: E402
from cases.models import ImportRun, ImportStatus  # noqa: E402
from outcomes.models import JobRun, JobStatus, MeasureValue  # noqa: E402
from reports.models import OutcomeReport, ReportStatus  # noqa: E402

problems = []
running = JobRun.objects.filter(status=JobStatus.RUNNING).count()
if running:
    problems.append(f"{running} job run(s) left running")
importing = ImportRun.objects.filter(status__in=[ImportStatus.PENDING, ImportStatus.RUNNING]).count()
if importing:
    problems.append(f"{importing} import(s) left waiting or running")
generating = OutcomeReport.objects.filter(status__in=[ReportStatus.PENDING, ReportStatus.RUNNING]).count()
if generating:
    problems.append(f"{generating} report(s) left waiting or generating")
for authority in Authority.objects.order_by("code"):
    values = MeasureValue.objects.filter(authority=authority).count()
    reports = OutcomeReport.objects.filter(authority=authority, status=ReportStatus.DONE).count()
    print(f"{authority.code} {authority.name}: {values} stored values, {reports} report(s)")
    if not values:
        problems.append(f"{authority} has no stored values")
    if not reports:
        problems.append(f"{authority} has no outcome report")
if problems:
    print("The demo is not as it should be: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print("The demo is ready: nothing left running, values stored for every authority.")
