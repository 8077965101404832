"""Downloads of measure values and audit answers as CSV and XLSX, scoped to the user's authority."""

from django.http import Http404


def export_index(request, **kwargs):
    raise Http404("Not built yet.")


def export_measures(request, **kwargs):
    raise Http404("Not built yet.")


def export_answers(request, **kwargs):
    raise Http404("Not built yet.")
