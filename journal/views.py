"""Workshops and their polls, quarterly reflections and the quarterly journal.

Every page asks ``accounts.access``: the programme team facilitates workshops and edits the
journal; everyone working in an authority answers polls (for an authority they work in), watches
the results and reads published journals; an authority's leaders and QA leads write its quarterly
reflection. Views check access, validate, call a service, then redirect or render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import Authority
from journal import selectors, services
from journal.forms import (
    AnswerForm,
    CompileForm,
    HideForm,
    JournalForm,
    QuestionForm,
    ReflectionForm,
    RewordForm,
    WorkshopForm,
    recent_quarters,
)
from journal.models import (
    Journal,
    PollAnswer,
    QuarterlyReflection,
    Workshop,
    WorkshopQuestion,
    WorkshopStatus,
)
from reports import quarters


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- workshops ---------------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@login_required
def workshop_list(request):
    _require(access.may_view_workshop(request.user), "Workshops are for the programme's authorities.")
    may_facilitate = access.may_facilitate_workshops(request.user)
    form = None
    if may_facilitate:
        form = WorkshopForm(request.POST or None, today=timezone.localdate())
        if request.method == "POST" and form.is_valid():
            try:
                workshop = services.workshop_create(**form.cleaned_data, acting_user=request.user)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Workshop created with the poll code {workshop.code}.")
                return redirect("journal:workshop", pk=workshop.pk)
    elif request.method == "POST":
        raise PermissionDenied("Workshops are created by the programme team.")
    context = {
        "workshops": selectors.workshops_for(request.user),
        "form": form,
        "may_facilitate": may_facilitate,
        "may_answer": access.may_answer_poll(request.user),
    }
    return render(request, "journal/workshops.html", context, status=400 if form and form.errors else 200)


def _workshop(request, pk: int) -> Workshop:
    return access.get_for_user_or_404(Workshop.objects.select_related("created_by"), request.user, pk=pk)


@login_required
def workshop_detail(request, pk: int):
    workshop = _workshop(request, pk)
    may_facilitate = access.may_facilitate_workshops(request.user)
    questions = list(workshop.questions.select_related("tool_version"))
    context = {
        "workshop": workshop,
        "questions": [(q, RewordForm(initial={"text": q.text}, prefix=f"q{q.pk}")) for q in questions],
        "question_form": QuestionForm(),
        "may_facilitate": may_facilitate,
        "moves": sorted(services.ALLOWED_MOVES[workshop.status]) if may_facilitate else [],
        "short_link": request.build_absolute_uri(reverse("journal:answer", args=[workshop.code])),
        "answer_count": PollAnswer.objects.filter(question__workshop=workshop).count(),
    }
    return render(request, "journal/workshop.html", context)


@login_required
@require_POST
def workshop_status(request, pk: int):
    _require(access.may_facilitate_workshops(request.user), "Workshops are run by the programme team.")
    workshop = _workshop(request, pk)
    to_status = request.POST.get("to", "")
    try:
        services.workshop_set_status(workshop=workshop, to_status=to_status, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"The poll is now {WorkshopStatus(to_status).label.lower()}.")
    return redirect("journal:workshop", pk=workshop.pk)


@login_required
@require_POST
def question_add(request, pk: int):
    _require(access.may_facilitate_workshops(request.user), "Questions are set by the programme team.")
    workshop = _workshop(request, pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(workshop=workshop, **form.cleaned_data, acting_user=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, "Question added.")
    else:
        messages.error(request, "Write the question before adding it.")
    return redirect("journal:workshop", pk=workshop.pk)


def _question(request, pk: int) -> WorkshopQuestion:
    _require(access.may_facilitate_workshops(request.user), "Questions are set by the programme team.")
    return access.get_for_user_or_404(
        WorkshopQuestion.objects.select_related("workshop"), request.user, pk=pk
    )


@login_required
@require_POST
def question_edit(request, pk: int):
    question = _question(request, pk)
    form = RewordForm(request.POST, prefix=f"q{question.pk}")
    try:
        if not form.is_valid():
            raise ValidationError("Write the question's new wording.")
        services.question_reword(question=question, text=form.cleaned_data["text"], acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Question reworded.")
    return redirect("journal:workshop", pk=question.workshop_id)


@login_required
@require_POST
def question_remove(request, pk: int):
    question = _question(request, pk)
    try:
        services.question_remove(question=question, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Question removed.")
    return redirect("journal:workshop", pk=question.workshop_id)


# --- answering at the short link -------------------------------------------------------------------


def _answering_authority(request) -> Authority | None:
    """The authority the person answers for: the one chosen on the page, else the active one."""
    choices = {m.authority_id: m.authority for m in access.authority_memberships(request.user)}
    chosen = request.POST.get("authority") or request.GET.get("authority")
    if chosen:
        try:
            return choices[int(chosen)]
        except (KeyError, ValueError):
            raise PermissionDenied("Polls are answered for an authority you work in.") from None
    membership = request.membership
    if membership is not None and membership.authority_id in choices:
        return membership.authority
    return next(iter(choices.values()), None)


@login_required
def answer(request, code: str):
    """The poll on a phone or a laptop: every question on one page, then "Thank you", and the
    person's own answers stay editable while the poll is open."""
    _require(access.may_view_workshop(request.user), "Polls are for the programme's authorities.")
    workshop = get_object_or_404(Workshop, code=services.normalise_code(code))
    if workshop.is_draft and not access.may_facilitate_workshops(request.user):
        return render(request, "journal/answer.html", {"workshop": workshop, "not_open": True})
    authority = _answering_authority(request) if access.may_answer_poll(request.user) else None
    questions = list(workshop.questions.all())
    own = (
        selectors.own_answers(workshop=workshop, authority_id=authority.pk, user=request.user)
        if authority
        else {}
    )
    status = 200
    if request.method == "POST":
        if authority is None:
            raise PermissionDenied("Polls are answered by people working in an authority.")
        form = AnswerForm(request.POST, questions=questions)
        if form.is_valid():
            try:
                services.answers_save(
                    workshop=workshop, authority=authority, texts=form.texts(), acting_user=request.user
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                url = reverse("journal:answer", args=[workshop.code]) + f"?authority={authority.pk}&thanks=1"
                return redirect(url)
        status = 400
    else:
        form = AnswerForm(initial={f"q{pk}": row.text for pk, row in own.items()}, questions=questions)
    context = {
        "workshop": workshop,
        "form": form,
        "authority": authority,
        "authorities": access.authority_memberships(request.user),
        "own": own,
        "thanks": request.GET.get("thanks") == "1" and bool(own),
        "hidden_own": [row for row in own.values() if row.hidden],
        "hidden_question_ids": {row.question_id for row in own.values() if row.hidden},
    }
    return render(request, "journal/answer.html", context, status=status)


# --- live results ----------------------------------------------------------------------------------------


def _results_context(request, workshop: Workshop) -> dict:
    may_facilitate = access.may_facilitate_workshops(request.user)
    return {
        "workshop": workshop,
        "results": selectors.workshop_results(workshop=workshop, with_hidden=may_facilitate),
        "may_facilitate": may_facilitate,
        "polling": workshop.is_open,
    }


@login_required
def results(request, pk: int):
    _require(access.may_view_workshop(request.user), "Workshops are for the programme's authorities.")
    workshop = _workshop(request, pk)
    return render(request, "journal/results.html", _results_context(request, workshop))


@login_required
def results_live(request, pk: int):
    """The results' partial, fetched by htmx every few seconds while the poll is open."""
    _require(access.may_view_workshop(request.user), "Workshops are for the programme's authorities.")
    workshop = _workshop(request, pk)
    if not request.htmx:
        return redirect("journal:results", pk=workshop.pk)
    return render(request, "journal/_results.html", _results_context(request, workshop))


def _answer_for_facilitator(request, pk: int) -> PollAnswer:
    _require(access.may_facilitate_workshops(request.user), "Answers are hidden by the facilitators.")
    return access.get_for_user_or_404(
        PollAnswer.objects.select_related("question__workshop", "authority", "answered_by", "hidden_by"),
        request.user,
        pk=pk,
    )


@login_required
def answer_hide(request, pk: int):
    """A page of its own: the results refresh every few seconds and would wipe a half-written reason."""
    poll_answer = _answer_for_facilitator(request, pk)
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_hide(
                answer=poll_answer, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The answer is hidden from the results and the journal. It is kept.")
            return redirect("journal:results", pk=poll_answer.question.workshop_id)
    context = {"answer": poll_answer, "form": form, "workshop": poll_answer.question.workshop}
    return render(request, "journal/hide.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def answer_show(request, pk: int):
    poll_answer = _answer_for_facilitator(request, pk)
    try:
        services.answer_show(answer=poll_answer, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "The answer is shown again.")
    return redirect("journal:results", pk=poll_answer.question.workshop_id)


# --- quarterly reflections ---------------------------------------------------------------------------


def _reflecting_authority(request) -> Authority:
    membership = request.membership
    if membership is None:
        raise PermissionDenied(
            "Reflections are written by each authority's leaders and QA leads; the programme team "
            "reads them in the journal."
        )
    return membership.authority


@login_required
def reflections(request):
    authority = _reflecting_authority(request)
    written = {
        r.quarter: r
        for r in QuarterlyReflection.objects.filter(authority=authority).select_related("written_by")
    }
    starts = sorted(set(recent_quarters(timezone.localdate(), back=3)) | set(written), reverse=True)
    context = {
        "authority": authority,
        "rows": [
            (start, quarters.quarter_code(start), quarters.quarter_label(start), written.get(start))
            for start in starts
        ],
        "may_write": access.may_write_reflection(request.user, authority),
    }
    return render(request, "journal/reflections.html", context)


@login_required
def reflection_edit(request, quarter: str):
    authority = _reflecting_authority(request)
    _require(
        access.may_write_reflection(request.user, authority),
        "The reflection is written by the authority's leaders and QA leads.",
    )
    try:
        start = quarters.parse_quarter(quarter)
    except quarters.QuarterError:
        return redirect("journal:reflections")
    existing = QuarterlyReflection.objects.filter(authority=authority, quarter=start).first()
    initial = {"achievement": existing.achievement, "challenge": existing.challenge} if existing else None
    form = ReflectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reflection_save(
                authority=authority, quarter=start, **form.cleaned_data, acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"{authority.name}'s reflection on {quarters.quarter_label(start)} is saved."
            )
            return redirect("journal:reflections")
    context = {
        "authority": authority,
        "form": form,
        "existing": existing,
        "quarter_label": quarters.quarter_label(start),
        "quarter_dates": quarters.quarter_dates(start),
    }
    return render(request, "journal/reflection_form.html", context, status=400 if form.errors else 200)


@login_required
def reflection_detail(request, pk: int):
    """One reflection with its history: who wrote and changed it, when."""
    reflection = access.get_for_user_or_404(
        QuarterlyReflection.objects.select_related("authority", "written_by"), request.user, pk=pk
    )
    changes = reflection.history.select_related("history_user").order_by("-history_date")  # type: ignore[attr-defined]
    context = {
        "reflection": reflection,
        "changes": changes,
        "may_write": request.membership is not None
        and request.membership.authority_id == reflection.authority_id
        and access.may_write_reflection(request.user, reflection.authority_id),
        "quarter_code": quarters.quarter_code(reflection.quarter),
    }
    return render(request, "journal/reflection.html", context)


# --- the journal --------------------------------------------------------------------------------------


@login_required
def journal_list(request):
    _require(access.may_read_journal(request.user), "The journal is for the programme's authorities.")
    may_edit = access.may_edit_journal(request.user)
    journals = list(selectors.journals_for(request.user))
    context = {
        "journals": journals,
        "may_edit": may_edit,
        "compile_form": CompileForm(taken={j.quarter for j in journals}) if may_edit else None,
    }
    return render(request, "journal/list.html", context)


@login_required
@require_POST
def journal_compile(request):
    _require(access.may_edit_journal(request.user), "The journal is compiled by the programme team.")
    taken = set(Journal.objects.values_list("quarter", flat=True))
    form = CompileForm(request.POST, taken=taken)
    if form.is_valid():
        try:
            journal = services.journal_compile(quarter=form.cleaned_data["quarter"], acting_user=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, "Journal compiled. Write the introduction, check it, then publish it.")
            return redirect("journal:edit", pk=journal.pk)
    else:
        messages.error(request, "Choose a quarter without a journal.")
    return redirect("journal:list")


def _journal(request, pk: int) -> Journal:
    return access.get_for_user_or_404(
        Journal.objects.select_related("workshop", "published_by"), request.user, pk=pk
    )


@login_required
def journal_detail(request, pk: int):
    journal = _journal(request, pk)
    content = selectors.journal_content(journal)
    context = {"content": content, "journal": journal, "may_edit": access.may_edit_journal(request.user)}
    return render(request, "journal/detail.html", context)


@login_required
def journal_edit(request, pk: int):
    _require(access.may_edit_journal(request.user), "The journal is edited by the programme team.")
    journal = _journal(request, pk)
    if journal.is_published:
        messages.error(request, "This journal is published: it keeps what it showed when it was published.")
        return redirect("journal:detail", pk=journal.pk)
    form = JournalForm(request.POST or None, journal=journal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.journal_update(
                journal=journal,
                title=data["title"],
                introduction=data["introduction"],
                workshop=data["workshop"],
                left_out=form.left_out(),
                acting_user=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Journal saved.")
            return redirect("journal:detail", pk=journal.pk)
    return render(
        request, "journal/edit.html", {"journal": journal, "form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def journal_publish(request, pk: int):
    _require(access.may_edit_journal(request.user), "The journal is published by the programme team.")
    journal = _journal(request, pk)
    try:
        services.journal_publish(journal=journal, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, "The journal is published: everyone in the programme's authorities can read it."
        )
    return redirect("journal:detail", pk=journal.pk)


@login_required
def journal_pdf(request, pk: int):
    journal = _journal(request, pk)
    pdf = services.journal_pdf(selectors.journal_content(journal))
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{services.pdf_file_name(journal)}"'
    return response
