"""Aggregation job runs for QA leads and leaders: the list, one run's progress, and "Recompute now"."""

from django.http import Http404


def job_list(request, **kwargs):
    raise Http404("Not built yet.")


def job_detail(request, **kwargs):
    raise Http404("Not built yet.")


def job_progress(request, **kwargs):
    raise Http404("Not built yet.")


def job_run(request, **kwargs):
    raise Http404("Not built yet.")
