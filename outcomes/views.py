"""The outcome dashboard, a measure's page and drill-down, and the analysts' comparison (thin views over outcomes.dashboard)."""

from django.http import Http404


def dashboard(request, **kwargs):
    raise Http404("Not built yet.")


def compare(request, **kwargs):
    raise Http404("Not built yet.")


def measure(request, **kwargs):
    raise Http404("Not built yet.")


def measure_audits(request, **kwargs):
    raise Http404("Not built yet.")
