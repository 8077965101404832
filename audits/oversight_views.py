"""The QA lead's dashboard: audit pipeline, moderation, learning actions, imports and job runs."""

from django.http import Http404


def overview(request, **kwargs):
    raise Http404("Not built yet.")
