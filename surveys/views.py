"""Staff survey pages: the waves, answering one, and an authority's action research report.

Access goes through ``accounts.access``: anyone working in an authority answers (once per wave, for
the authority they are working in); the authority's leaders and QA leads, and analysts, read its
results; the programme team sees the waves and how many have answered in each authority. An
authority the user may not see answers 404, exactly like one that does not exist.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.models import Authority, Membership
from qa_system import spreadsheets
from surveys import selectors, services
from surveys.forms import AnswerForm
from surveys.models import SurveyWave, WaveParticipation


def _wave(request, pk: int) -> SurveyWave:
    return access.get_for_user_or_404(
        SurveyWave.objects.select_related("tool_version__tool", "baseline"), request.user, pk=pk
    )


def _results_authorities(request) -> list[Authority]:
    """The authorities whose results the user may read: analysts every one; leaders and QA leads
    the one they are working in."""
    if access.is_analyst(request.user):
        return list(Authority.objects.order_by("name"))
    membership = request.membership
    if membership is not None and access.may_view_survey_results(request.user, membership.authority_id):
        return [membership.authority]
    return []


@login_required
def home(request):
    user = request.user
    if not access.takes_part_in_programme(user):
        raise PermissionDenied("The staff survey is for the staff of the programme's authorities.")
    membership = request.membership
    today = timezone.localdate()
    rows = selectors.waves_for(user)
    manages = access.may_manage_survey_waves(user)
    if manages:
        selectors.add_counts(rows)
    context = {
        "today": today,
        "rows": rows,
        "open_rows": [row for row in rows if row.wave.is_open(today)],
        "closed_rows": [row for row in rows if row.wave.has_closed(today)],
        "may_answer": membership is not None and access.may_answer_survey(user, membership.authority_id),
        "authority": membership.authority if membership is not None else None,
        "results_authorities": _results_authorities(request),
        "manages": manages,
    }
    return render(request, "surveys/home.html", context)


@login_required
def answer(request, pk: int):
    wave = _wave(request, pk)
    membership = request.membership
    if membership is None or not access.may_answer_survey(request.user, membership.authority_id):
        raise PermissionDenied("The staff survey is answered by the staff of an authority.")
    authority = membership.authority
    answered = WaveParticipation.objects.filter(wave=wave, user=request.user).exists()
    if answered or not wave.is_open():
        return render(request, "surveys/answer.html", {"wave": wave, "answered": answered, "form": None})
    items = services.wave_items(wave)
    teams = [
        m.team
        for m in Membership.objects.filter(user=request.user, authority=authority, team__isnull=False)
        .select_related("team")
        .order_by("team__name")
        if m.team is not None
    ]
    form = AnswerForm(request.POST or None, items=items, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer_submit(
                wave=wave,
                acting_user=request.user,
                authority=authority,
                team=form.cleaned_data["team"],
                answers=form.answers(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Thank you: your answers are in. They are kept without your name.")
            return redirect("surveys:home")
    status = 400 if request.method == "POST" else 200
    context = {"wave": wave, "answered": False, "form": form, "authority": authority}
    return render(request, "surveys/answer.html", context, status=status)


def _report_target(request, pk: int, code: str) -> tuple[SurveyWave, Authority]:
    wave = _wave(request, pk)
    authority = access.get_for_user_or_404(Authority, request.user, code=code)
    if not access.may_view_survey_results(request.user, authority):
        raise Http404("Not found.")
    return wave, authority


@login_required
def report(request, pk: int, code: str):
    wave, authority = _report_target(request, pk, code)
    content = services.report_content(authority=authority, wave=wave)
    back_url = reverse("surveys:home")
    return HttpResponse(services.report_html(content, back_url=back_url, csp_nonce=request.csp_nonce))


@login_required
def report_pdf(request, pk: int, code: str):
    wave, authority = _report_target(request, pk, code)
    content = services.report_content(authority=authority, wave=wave)
    response = HttpResponse(services.report_pdf(content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{services.file_name(content, "pdf")}"'
    return response


@login_required
def export(request, pk: int, code: str):
    wave, authority = _report_target(request, pk, code)
    content = selectors.report_content(authority=authority, wave=wave)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{services.file_name(content, "csv")}"'
    # Wave names, section titles and item texts are typed by people: none may run as a formula.
    csv.writer(response).writerows(spreadsheets.safe_row(row) for row in services.export_rows(content))
    return response
