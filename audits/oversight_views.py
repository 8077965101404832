"""The QA lead's dashboard: audit pipeline, moderation, learning actions, imports and job runs.

For the active authority's QA leads (``access.may_view_oversight``); anyone else gets 403, as on
the moderation agreement page. The reads are in ``audits.oversight``.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts import access
from audits import oversight


def _authority_id(request) -> int:
    membership = request.membership
    if membership is None or not access.may_view_oversight(request.user, membership.authority_id):
        raise PermissionDenied("The QA overview is for the authority's QA leads.")
    return membership.authority_id


@login_required
def overview(request):
    authority_id = _authority_id(request)
    return render(
        request,
        "audits/oversight/overview.html",
        {
            "authority": request.membership.authority,
            "overview": oversight.overview(authority_id=authority_id),
        },
    )


@login_required
def jobs(request):
    """The last job runs alone: the dashboard polls it while a run is going."""
    runs = oversight.recent_jobs(authority_id=_authority_id(request))
    return render(
        request, "audits/oversight/_jobs.html", {"jobs": runs, "running": oversight.jobs_running(runs)}
    )
