"""Feedback pages: the form reachable from every page, one's own feedback, and the programme
team's inbox where feedback is triaged (new, in progress, done) with notes.

Authors see their own feedback and its status; the programme team (and platform admins) see all
of it and its notes. Anyone else's feedback gives the same 404 as feedback that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import access
from feedback import selectors, services
from feedback.forms import FeedbackForm, NoteForm, StatusForm
from feedback.models import Feedback, FeedbackStatus, Topic


def _safe_page(request, page: str) -> str:
    """The page the author came from: a path on this site, or nothing."""
    if (
        page
        and page.startswith("/")
        and url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()})
    ):
        return page
    return ""


@login_required
def give(request):
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            membership = request.membership
            try:
                services.feedback_give(
                    author=request.user,
                    text=form.cleaned_data["text"],
                    topic=form.cleaned_data["topic"],
                    page=_safe_page(request, form.cleaned_data["page"]),
                    authority=membership.authority if membership else None,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Thank you: the programme team will read your feedback.")
                return redirect("feedback:mine")
        return render(request, "feedback/new.html", {"form": form}, status=400)
    topic = request.GET.get("topic", "")
    page = _safe_page(request, request.GET.get("from", ""))
    form = FeedbackForm(initial={"topic": topic if topic in Topic.values else Topic.ANYTHING, "page": page})
    return render(request, "feedback/new.html", {"form": form, "page": page})


@login_required
def mine(request):
    return render(request, "feedback/mine.html", {"rows": selectors.own_feedback(user=request.user)})


@login_required
def inbox(request):
    if not access.may_triage_feedback(request.user):
        raise PermissionDenied("The feedback inbox is for the programme team.")
    box = selectors.inbox(
        user=request.user, status=request.GET.get("status", ""), topic=request.GET.get("topic", "")
    )
    context = {"box": box, "statuses": FeedbackStatus.choices, "topics": Topic.choices}
    return render(request, "feedback/inbox.html", context)


def _feedback(request, pk: int) -> Feedback:
    return get_object_or_404(
        Feedback.objects.for_user(request.user).select_related("author", "authority"), pk=pk
    )


@login_required
def detail(request, pk: int):
    feedback = _feedback(request, pk)
    triage = access.may_triage_feedback(request.user)
    context = {
        "feedback": feedback,
        "triage": triage,
        "notes": list(feedback.notes.select_related("written_by")) if triage else [],
        "changes": list(feedback.history.select_related("history_user").order_by("history_date"))
        if triage
        else [],
        "status_form": StatusForm(initial={"status": feedback.status}),
        "note_form": NoteForm(),
    }
    return render(request, "feedback/detail.html", context)


@login_required
@require_POST
def set_status(request, pk: int):
    feedback = _feedback(request, pk)
    if not access.may_triage_feedback(request.user):
        raise PermissionDenied("Only the programme team triages feedback.")
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose new, in progress or done.")
        return redirect("feedback:detail", pk=feedback.pk)
    services.feedback_set_status(
        feedback=feedback, status=form.cleaned_data["status"], acting_user=request.user
    )
    if request.htmx:
        return render(
            request,
            "feedback/_status.html",
            {"feedback": feedback, "status_form": StatusForm(initial={"status": feedback.status})},
        )
    messages.success(request, f"Marked {feedback.get_status_display().lower()}.")
    return redirect("feedback:detail", pk=feedback.pk)


@login_required
@require_POST
def add_note(request, pk: int):
    feedback = _feedback(request, pk)
    if not access.may_triage_feedback(request.user):
        raise PermissionDenied("Only the programme team adds notes to feedback.")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_note_add(
                feedback=feedback, text=form.cleaned_data["text"], acting_user=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Note added.")
    else:
        messages.error(request, "Write the note first.")
    return redirect("feedback:detail", pk=feedback.pk)
