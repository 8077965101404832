"""The outcome dashboard, a measure's page and drill-down, and the analysts' comparison (thin views
over ``outcomes.dashboard``). Filters swap the page's content with htmx; a plain request (or a
history restore) gets the whole page."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from accounts import access
from accounts.models import Authority, Team
from outcomes import dashboard as selectors
from outcomes.forms import QuarterTeamForm
from outcomes.periods import Period
from outcomes.registry import MEASURES, Measure


def _scope(request) -> tuple[Authority, set[int] | None, list[Team]]:
    """The active authority, the teams the user may filter by (None: all) and those teams."""
    membership = request.membership
    if membership is None or not access.may_view_dashboard(request.user, membership.authority_id):
        raise PermissionDenied("The outcome dashboard is for leaders, QA leads and team managers.")
    team_ids = access.dashboard_team_ids(request.user, membership.authority_id)
    teams = selectors.visible_teams(authority_id=membership.authority_id, team_ids=team_ids)
    return membership.authority, team_ids, teams


def _team(request, teams: list[Team]) -> Team | None:
    """The team asked for; another authority's team, or one the user may not see, is a 404."""
    wanted = request.GET.get("team") or ""
    if not wanted:
        return None
    for team in teams:
        if str(team.pk) == wanted:
            return team
    raise Http404("Not found.")


def _measure(key: str) -> Measure:
    measure = MEASURES.get(key)
    if measure is None:
        raise Http404("Not found.")
    return measure


def _partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _filters(period: Period | None, team: Team | None) -> str:
    """The query string that keeps the quarter and team on links between the pages."""
    query = {}
    if period is not None:
        query["quarter"] = period.start.isoformat()
    if team is not None:
        query["team"] = str(team.pk)
    return urlencode(query)


def _form(page, team: Team | None) -> QuarterTeamForm:
    return QuarterTeamForm(
        quarters=page.quarters,
        quarter=page.period,
        teams=page.teams,
        team=team,
        today=selectors.today(),
    )


@login_required
@vary_on_headers("HX-Request")
def dashboard(request):
    authority, _, teams = _scope(request)
    team = _team(request, teams)
    page = selectors.dashboard(
        authority=authority, team=team, quarter=selectors.parse_start(request.GET.get("quarter")), teams=teams
    )
    context = {"page": page, "form": _form(page, team), "query": _filters(page.period, team)}
    template = (
        "outcomes/dashboard/_content.html" if _partial(request) else "outcomes/dashboard/dashboard.html"
    )
    return render(request, template, context)


@login_required
@vary_on_headers("HX-Request")
def measure(request, key: str):
    authority, _, teams = _scope(request)
    chosen = _measure(key)
    team = _team(request, teams)
    page = selectors.measure_page(
        measure=chosen,
        authority=authority,
        team=team,
        quarter=selectors.parse_start(request.GET.get("quarter")),
        teams=teams,
    )
    context = {"page": page, "form": _form(page, team), "query": _filters(page.period, team)}
    template = "outcomes/dashboard/_measure.html" if _partial(request) else "outcomes/dashboard/measure.html"
    return render(request, template, context)


@login_required
@vary_on_headers("HX-Request")
def measure_audits(request, key: str):
    authority, team_ids, teams = _scope(request)
    chosen = _measure(key)
    if key not in selectors.AUDIT_MEASURES:
        raise Http404("Not found.")
    team = _team(request, teams)
    page = selectors.drill_down(
        user=request.user,
        measure=chosen,
        authority=authority,
        team=team,
        quarter=selectors.parse_start(request.GET.get("quarter")),
        teams=teams,
        team_ids=team_ids,
    )
    context = {"page": page, "form": _form(page, team), "query": _filters(page.period, team)}
    template = "outcomes/dashboard/_audits.html" if _partial(request) else "outcomes/dashboard/audits.html"
    return render(request, template, context)


@login_required
@vary_on_headers("HX-Request")
def compare(request):
    if not access.may_compare_authorities(request.user):
        raise PermissionDenied("The comparison of authorities is for analysts.")
    may_reveal = access.may_reveal_authority_names(request.user)
    reveal = may_reveal and request.GET.get("names") == "1"
    page = selectors.comparison(quarter=selectors.parse_start(request.GET.get("quarter")), reveal=reveal)
    form = QuarterTeamForm(
        quarters=page.quarters, quarter=page.period, teams=None, team=None, today=selectors.today()
    )
    context = {"page": page, "form": form, "may_reveal": may_reveal}
    template = "outcomes/compare/_content.html" if _partial(request) else "outcomes/compare/compare.html"
    return render(request, template, context)
