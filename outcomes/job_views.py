"""Aggregation job runs for QA leads and leaders: the list, one run's progress, and "Recompute now".

Every page is scoped to the active authority (``request.membership``) or, for one run, through
``JobRun.objects.for_user``: a run of another authority is a 404, like a missing one.
"""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import access
from outcomes.models import JobKind, JobRun, JobStatus, PendingRecompute
from outcomes.services import job_runs_postpone, job_runs_start
from outcomes.tasks import run_measure_jobs
from qa_system import background

LIST_SIZE = 50


def _authority_id(request, allowed, message: str) -> int:
    membership = request.membership
    if membership is None or not allowed(request.user, membership.authority_id):
        raise PermissionDenied(message)
    return membership.authority_id


def duration_text(seconds: float) -> str:
    """ "8 seconds", "3 min 5 s", "1 h 2 min"."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} second{'' if whole == 1 else 's'}"
    minutes, whole = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {whole} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _with_durations(runs: list[JobRun], now: datetime) -> list[JobRun]:
    """Each run with ``duration``: how long it took, or has taken so far."""
    for run in runs:
        run.duration = duration_text(((run.finished_at or now) - run.started_at).total_seconds())  # type: ignore[attr-defined]
    return runs


def _run(request, pk: int) -> JobRun:
    run = access.get_for_user_or_404(JobRun.objects.select_related("triggered_by"), request.user, pk=pk)
    return _with_durations([run], timezone.now())[0]


@login_required
def job_list(request):
    authority_id = _authority_id(request, access.may_watch_jobs, "Measure jobs are for QA leads and leaders.")
    runs = list(
        JobRun.objects.for_user(request.user)
        .filter(authority_id=authority_id)
        .select_related("triggered_by")[:LIST_SIZE]
    )
    pending = PendingRecompute.objects.filter(authority_id=authority_id).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return render(
        request,
        "outcomes/jobs/list.html",
        {
            "runs": _with_durations(runs, timezone.now()),
            "pending": pending,
            "may_run": access.may_run_jobs(request.user, authority_id),
        },
    )


@login_required
def job_detail(request, pk: int):
    return render(request, "outcomes/jobs/detail.html", {"run": _run(request, pk)})


@login_required
def job_progress(request, pk: int):
    """The progress bar alone, polled by the run's page while it runs."""
    return render(request, "outcomes/jobs/_progress.html", {"run": _run(request, pk)})


@login_required
@require_POST
def job_run(request):
    """ "Recompute now": claim the authority for a full recompute (the run exists before this
    returns), start it in the background, and show its progress."""
    authority_id = _authority_id(
        request, access.may_run_jobs, "Only the authority's QA leads recompute the measures."
    )
    runs = job_runs_start(kind=JobKind.FULL, authority_ids=[authority_id], triggered_by=request.user)
    if not runs:
        running = JobRun.objects.filter(authority_id=authority_id, status=JobStatus.RUNNING).first()
        messages.info(request, "The measures are being recomputed already: this is how far it has got.")
        return redirect("jobs:detail", pk=running.pk) if running else redirect("jobs:list")
    # job_runs_start has committed the claim: a worker can read it.
    if not background.start(run_measure_jobs, str(runs[0].batch)):
        job_runs_postpone(batch=runs[0].batch, acting_user=request.user)
        messages.warning(
            request,
            "The recompute could not start: the background service is not answering just now. "
            "It is kept waiting and runs on its own as soon as the service is back.",
        )
    return redirect("jobs:detail", pk=runs[0].pk)
