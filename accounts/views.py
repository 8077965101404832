from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import access, selectors
from accounts.middleware import SESSION_KEY
from accounts.models import Team


def _active_authority_id(request) -> int:
    if request.membership is None:
        raise PermissionDenied("This page is for people who work in an authority.")
    return request.membership.authority_id


@login_required
def home(request):
    return render(request, "accounts/home.html")


@login_required
def teams(request):
    authority_id = _active_authority_id(request)
    return render(request, "accounts/teams.html", {"teams": selectors.team_list(authority_id=authority_id)})


@login_required
def team_detail(request, pk: int):
    team = access.get_for_user_or_404(Team.objects.select_related("authority"), request.user, pk=pk)
    return render(
        request, "accounts/team_detail.html", {"team": team, "members": selectors.team_members(team=team)}
    )


@login_required
def authority(request):
    authority_id = _active_authority_id(request)
    if not access.may_view_authority_overview(request.user, authority_id):
        raise PermissionDenied("The authority overview is for leaders and QA leads.")
    return render(
        request,
        "accounts/authority.html",
        {
            "authority": request.membership.authority,
            "teams": selectors.team_list(authority_id=authority_id),
            "members": selectors.authority_members(authority_id=authority_id),
        },
    )


@login_required
def authorities(request):
    if not access.sees_all_authorities(request.user):
        raise PermissionDenied("The list of all authorities is for analysts and platform admins.")
    return render(request, "accounts/authorities.html", {"authorities": selectors.authority_directory()})


@login_required
@require_POST
def switch_authority(request):
    try:
        wanted = int(request.POST.get("authority", ""))
    except ValueError:
        raise Http404("Not found.") from None
    if wanted not in access.authority_ids(request.user):
        raise Http404("Not found.")
    request.session[SESSION_KEY] = wanted
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


def healthz(request):
    """For load balancers and the docker health check: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
