"""The report archive: list, one report with its progress, download, HTML version and "Generate now"."""

from django.http import Http404


def report_list(request, **kwargs):
    raise Http404("Not built yet.")


def report_detail(request, **kwargs):
    raise Http404("Not built yet.")


def report_progress(request, **kwargs):
    raise Http404("Not built yet.")


def report_download(request, **kwargs):
    raise Http404("Not built yet.")


def report_html(request, **kwargs):
    raise Http404("Not built yet.")


def report_generate(request, **kwargs):
    raise Http404("Not built yet.")
