"""Pages for what follows from an audit: the family's and the child's feedback, safety escalations
and learning actions.

Every page starts from a lookup through the model's ``for_user`` scope, so a row of another
authority is the same 404 as a missing one. The family's link page (``public_feedback``) needs no
sign-in: the token is its only key, and an unknown, used or expired token gets the same kind of
friendly page, which says nothing about any family.
"""

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import Role, Team, User
from audits import escalations, learning, voice
from audits.models import (
    Audit,
    EscalationStatus,
    FeedbackChannel,
    FeedbackRequest,
    ItemType,
    LearningAction,
    SafetyEscalation,
)
from audits.resolution import ResolvedItem, ResolvedTool

AUDIT_RELATED = ("child", "team", "authority", "practitioner", "auditor")


def audit_url(audit: Audit) -> str:
    """The audit's own page, or the case page while the audit pages are not installed."""
    try:
        return reverse("audits:detail", args=[audit.pk])
    except NoReverseMatch:
        return reverse("cases:detail", args=[audit.child_id])


def _audit_or_404(request, pk: int) -> Audit:
    return access.get_for_user_or_404(Audit.objects.select_related(*AUDIT_RELATED), request.user, pk=pk)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where it names one, else on the form."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def audit_followup_context(*, audit: Audit, user) -> dict:
    """What the audit page needs to include ``audits/followup/_audit_feedback.html``,
    ``_audit_actions.html`` and ``_audit_escalations.html``."""
    return {
        "audit_feedback": voice.feedback_for_audit(audit=audit),
        "may_record_feedback": voice.may_record_feedback(user, audit) and not audit.is_locked,
        "audit_actions": list(audit.actions.select_related("owner").order_by("due_on", "pk")),
        "may_add_actions": audit.team is not None
        and not audit.is_locked
        and learning.may_add_action(user, team=audit.team, audit=audit),
        "audit_escalations": list(audit.escalations.select_related("manager", "raised_by")),
        "may_raise_escalation": access.may_raise_escalation(user, audit),
        "followup_back_url": audit_url(audit),
    }


# --- the feedback tool as a form --------------------------------------------------------------------


def _field_for(item: ResolvedItem) -> forms.Field:
    label = item.text
    help_text = item.local_guidance or ""
    required = item.required
    field: forms.Field
    if item.type in (ItemType.YES_PARTLY_NO, ItemType.SINGLE_CHOICE):
        field = forms.ChoiceField(choices=list(item.options), widget=forms.RadioSelect, required=required)
    elif item.type == ItemType.MULTIPLE_CHOICE:
        field = forms.MultipleChoiceField(
            choices=list(item.options), widget=forms.CheckboxSelectMultiple, required=required
        )
    elif item.type == ItemType.SCALE:
        field = forms.ChoiceField(
            choices=[(str(n), str(n)) for n in range(11)], widget=forms.RadioSelect, required=required
        )
    elif item.type == ItemType.RUBRIC:
        field = forms.ChoiceField(
            choices=[(str(level), name) for level, name, _d in item.levels],
            widget=forms.RadioSelect,
            required=required,
        )
    elif item.type == ItemType.NUMBER:
        field = forms.DecimalField(required=required)
    elif item.type == ItemType.DATE:
        field = forms.DateField(required=required, widget=forms.DateInput(attrs={"type": "date"}))
    else:
        field = forms.CharField(
            required=required,
            max_length=voice.TEXT_LIMIT,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    field.label = label
    field.help_text = help_text
    annotated: Any = field
    annotated.item = item  # the template reads the item's type, options and anchors
    return field


class AnswersForm(forms.Form):
    """The questions of a resolved feedback tool, one field per item, named by the item key."""

    def __init__(self, *args, tool: ResolvedTool, **kwargs):
        super().__init__(*args, **kwargs)
        self.tool = tool
        for item in tool.items():
            self.fields[item.key] = _field_for(item)

    def sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(title, description, bound fields) per section of the tool, in order."""
        return [
            (section.title, section.description, [self[item.key] for item in section.items])
            for section in self.tool.sections
            if section.items
        ]

    def answers(self) -> dict:
        """The cleaned values in the shape ``voice.feedback_answer`` takes."""
        return {
            key: (value.isoformat() if isinstance(value, date) else value)
            for key, value in self.cleaned_data.items()
        }


class FeedbackChoiceForm(forms.Form):
    respondent = forms.ChoiceField(choices=[("family", "The family"), ("child", "The child")])
    channel = forms.ChoiceField(
        choices=[(FeedbackChannel.PHONE, "By phone"), (FeedbackChannel.VISIT, "On a visit")],
        widget=forms.RadioSelect,
    )


# --- feedback pages (staff) ----------------------------------------------------------------------


def _require_feedback_rights(request, audit: Audit) -> None:
    if not voice.may_record_feedback(request.user, audit):
        raise PermissionDenied(
            "Only the people holding this audit, its team manager and QA leads record feedback."
        )


@login_required
def feedback_record(request, pk: int):
    """Feedback taken by phone or on a visit: the staff member fills the tool with the family's words."""
    audit = _audit_or_404(request, pk)
    _require_feedback_rights(request, audit)
    source = request.POST if request.method == "POST" else request.GET
    respondent = source.get("respondent") if source.get("respondent") in voice.RESPONDENTS else "family"
    choice = FeedbackChoiceForm(
        {"respondent": respondent, "channel": source.get("channel") or FeedbackChannel.PHONE}
    )
    needs_consent = respondent == "family" and audit.family_consent != "given"
    tool = voice.feedback_tool(authority=audit.authority, respondent=respondent, acting_user=request.user)
    form = AnswersForm(request.POST if request.method == "POST" else None, tool=tool)
    if request.method == "POST" and not needs_consent and choice.is_valid() and form.is_valid():
        try:
            feedback = voice.feedback_record(
                audit=audit,
                respondent=respondent,
                channel=choice.cleaned_data["channel"],
                answers=form.answers(),
                acting_user=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{feedback.get_respondent_display()} feedback recorded.")
            return redirect(audit_url(audit))
    return render(
        request,
        "audits/followup/feedback_record.html",
        {
            "audit": audit,
            "form": form,
            "choice": choice,
            "respondent": respondent,
            "needs_consent": needs_consent,
            "back_url": audit_url(audit),
            "audit_feedback": voice.feedback_for_audit(audit=audit),
            "may_record_feedback": False,  # this page is the recording: no buttons in the partial
        },
    )


@login_required
@require_POST
def feedback_link_create(request, pk: int):
    """Create a link for the family or the child; shown once created, for the worker to pass on."""
    audit = _audit_or_404(request, pk)
    _require_feedback_rights(request, audit)
    try:
        feedback = voice.feedback_request_create(
            audit=audit,
            respondent=request.POST.get("respondent", ""),
            channel=FeedbackChannel.LINK,
            acting_user=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(audit_url(audit))
    return redirect("followup:feedback_detail", pk=audit.pk, request_pk=feedback.pk)


@login_required
def feedback_detail(request, pk: int, request_pk: int):
    """One feedback request: its answers, or the link to pass on while it is open."""
    audit = _audit_or_404(request, pk)
    feedback = FeedbackRequest.objects.filter(audit=audit, pk=request_pk).select_related("created_by").first()
    if feedback is None:
        raise Http404("Not found.")
    summary = next(s for s in voice.feedback_for_audit(audit=audit) if s.request.pk == feedback.pk)
    link = ""
    if feedback.token and summary.status == "open" and voice.may_record_feedback(request.user, audit):
        link = request.build_absolute_uri(reverse("followup:public_feedback", args=[feedback.token]))
    return render(
        request,
        "audits/followup/feedback_detail.html",
        {
            "audit": audit,
            "feedback": feedback,
            "summary": summary,
            "link": link,
            "back_url": audit_url(audit),
        },
    )


# --- the family's link (no sign-in) ---------------------------------------------------------------


def _unavailable(request, reason: str, status: int) -> HttpResponse:
    return render(request, "audits/followup/public_unavailable.html", {"reason": reason}, status=status)


def public_feedback(request, token: str):
    """The page a family or a child opens from the link: the feedback questions, plainly."""
    feedback = voice.request_for_token(token)
    if feedback is None:
        return _unavailable(request, "unknown", 404)
    status = voice.link_status(feedback)
    if status != "open":
        return _unavailable(request, status, 410)
    tool = voice.feedback_tool(authority=feedback.audit.authority, respondent=feedback.respondent)
    form = AnswersForm(request.POST if request.method == "POST" else None, tool=tool)
    if request.method == "POST" and form.is_valid():
        try:
            voice.feedback_answer(request=feedback, answers=form.answers())
        except voice.LinkUnavailable:
            return _unavailable(request, "answered", 410)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("followup:public_thanks")
    return render(
        request,
        "audits/followup/public_feedback.html",
        {"form": form, "respondent": feedback.respondent, "authority_name": feedback.audit.authority.name},
    )


def public_thanks(request):
    return render(request, "audits/followup/public_thanks.html")


# --- safety escalations ---------------------------------------------------------------------------


class ConcernForm(forms.Form):
    concern = forms.CharField(
        label="What makes you think the child may be unsafe?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
    )


class RespondForm(forms.Form):
    response = forms.CharField(
        label="What has been done to keep the child safe?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Why can this be closed?", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )


@login_required
def escalation_raise(request, pk: int):
    audit = _audit_or_404(request, pk)
    if not access.may_raise_escalation(request.user, audit):
        raise PermissionDenied("Only the audit's auditor or a QA lead raises a safety escalation.")
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            escalation = escalations.escalation_raise(
                audit=audit, concern=form.cleaned_data["concern"], acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            deadline = timezone.localtime(escalation.respond_by)
            messages.success(
                request,
                f"{escalation.manager} has been alerted and must respond by "
                f"{deadline:%A} {deadline.day} {deadline:%B, %H:%M}.",
            )
            return redirect("followup:escalation", pk=escalation.pk)
    return render(
        request,
        "audits/followup/escalation_raise.html",
        {
            "audit": audit,
            "form": form,
            "back_url": audit_url(audit),
            "earlier": audit.escalations.select_related("manager"),
        },
    )


@login_required
def escalation_list(request):
    """Open escalations for the managers who answer them, the people who raised them and QA leads."""
    return render(
        request,
        "audits/followup/escalation_list.html",
        {"escalations": escalations.open_escalations_for(user=request.user)},
    )


def _escalation_or_404(request, pk: int) -> SafetyEscalation:
    return access.get_for_user_or_404(
        SafetyEscalation.objects.select_related(
            "audit__child", "audit__team", "audit__authority", "manager", "raised_by", "closed_by"
        ),
        request.user,
        pk=pk,
    )


def _escalation_page(request, escalation: SafetyEscalation, *, respond_form=None, close_form=None):
    may_respond = access.may_respond_escalation(request.user, escalation)
    is_open = escalation.status != EscalationStatus.CLOSED
    return render(
        request,
        "audits/followup/escalation_detail.html",
        {
            "escalation": escalation,
            "audit": escalation.audit,
            "back_url": audit_url(escalation.audit),
            "may_respond": may_respond and is_open,
            "respond_form": respond_form or RespondForm(initial={"response": escalation.response}),
            "close_form": close_form or CloseForm(),
            "close_note": escalations.close_note(escalation),
        },
    )


@login_required
def escalation_detail(request, pk: int):
    return _escalation_page(request, _escalation_or_404(request, pk))


@login_required
@require_POST
def escalation_respond(request, pk: int):
    escalation = _escalation_or_404(request, pk)
    if not access.may_respond_escalation(request.user, escalation):
        raise PermissionDenied("Only the escalation's manager or a QA lead responds to it.")
    form = RespondForm(request.POST)
    if form.is_valid():
        try:
            escalations.escalation_respond(
                escalation=escalation, response=form.cleaned_data["response"], acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Response recorded; the person who raised the concern has been told.")
            return redirect("followup:escalation", pk=escalation.pk)
    return _escalation_page(request, escalation, respond_form=form)


@login_required
@require_POST
def escalation_close(request, pk: int):
    escalation = _escalation_or_404(request, pk)
    if not access.may_respond_escalation(request.user, escalation):
        raise PermissionDenied("Only the escalation's manager or a QA lead closes it.")
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            escalations.escalation_close(
                escalation=escalation, note=form.cleaned_data["note"], acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Escalation closed.")
            return redirect("followup:escalation", pk=escalation.pk)
    return _escalation_page(request, escalation, close_form=form)


# --- learning actions -----------------------------------------------------------------------------


class ActionRowForm(forms.Form):
    """One action; a row left blank is skipped."""

    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Action", max_length=2000
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due by")

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = learning.owner_choices(team=team)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("description") or "").strip() and not data.get("due_on")

    def clean(self):
        data = super().clean()
        if not self.is_blank():
            for field, message in (
                ("description", "Say what will be done."),
                ("owner", "Choose who owns it."),
                ("due_on", "Choose a due date."),
            ):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, message)
        return data


def _action_rows(request, team: Team, count: int, prefix: str = "row") -> list[ActionRowForm]:
    data = request.POST if request.method == "POST" else None
    return [ActionRowForm(data, team=team, prefix=f"{prefix}{n}") for n in range(count)]


@login_required
def audit_actions(request, pk: int):
    """The audit's 1–3 case actions: the ones agreed so far, and blank rows up to three."""
    audit = _audit_or_404(request, pk)
    if audit.team is None:
        raise PermissionDenied("This audit has no team, so its actions have no team to belong to.")
    may_add = learning.may_add_action(request.user, team=audit.team, audit=audit) and not audit.is_locked
    existing = list(audit.actions.select_related("owner").order_by("due_on", "pk"))
    free = max(0, learning.MAX_CASE_ACTIONS - sum(1 for a in existing if a.kind == "case"))
    rows = _action_rows(request, audit.team, free if may_add else 0)
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied(
                "Only the people holding the audit, the team's manager and QA leads add actions."
            )
        if all(row.is_valid() for row in rows):
            filled = [row for row in rows if not row.is_blank()]
            try:
                with transaction.atomic():
                    for row in filled:
                        try:
                            learning.action_add(
                                audit=audit,
                                team=audit.team,
                                description=row.cleaned_data["description"],
                                owner=row.cleaned_data["owner"],
                                due_on=row.cleaned_data["due_on"],
                                acting_user=request.user,
                            )
                        except ValidationError as error:
                            _add_errors(row, error)
                            raise
            except ValidationError:
                pass  # the refused row shows why
            else:
                if filled:
                    messages.success(request, f"{len(filled)} action{'s' if len(filled) != 1 else ''} added.")
                return redirect(audit_url(audit))
    return render(
        request,
        "audits/followup/audit_actions.html",
        {
            "audit": audit,
            "existing": existing,
            "rows": rows,
            "may_add": may_add,
            "max_actions": learning.MAX_CASE_ACTIONS,
            "today": timezone.localdate(),
            "back_url": audit_url(audit),
        },
    )


@login_required
@require_POST
def action_done(request, pk: int):
    action = access.get_for_user_or_404(
        LearningAction.objects.select_related("team", "audit"), request.user, pk=pk
    )
    try:
        learning.action_complete(action=action, acting_user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Marked done.")
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("followup:actions")


def _teams_in_view(request) -> list[Team]:
    """The teams whose overdue lists the user's home shows: every team for QA leads and leaders,
    a team manager's own team."""
    membership = request.membership
    if membership is None:
        return []
    if membership.role in access.AUTHORITY_WIDE_ROLES:
        return list(Team.objects.filter(authority_id=membership.authority_id))
    if membership.role == Role.TEAM_MANAGER and membership.team_id:
        return [membership.team]
    return []


@login_required
def action_list(request):
    """My open actions; for managers and QA leads, the overdue actions per team."""
    membership = request.membership
    overdue = []
    teams = _teams_in_view(request)
    if membership is not None and teams:
        team_ids = {team.pk for team in teams}
        overdue = [
            row
            for row in learning.overdue_by_team(authority_id=membership.authority_id)
            if row.team.pk in team_ids
        ]
    return render(
        request,
        "audits/followup/action_list.html",
        {
            "mine": learning.my_actions(user=request.user),
            "overdue": overdue,
            "teams": teams,
            "today": timezone.localdate(),
        },
    )


class TeamPointForm(forms.Form):
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Learning point", max_length=2000
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Due by")

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = learning.owner_choices(team=team)


@login_required
def team_actions(request, pk: int):
    """A team's overdue actions and open learning points; the team's manager and QA leads add points.

    Only the people who may see the team (``access.may_view_team_learning``) open it; anyone else
    gets the 404 of a team that does not exist. Of the overdue case actions, each sees those of the
    audits they may open, as in the audit lists."""
    team = access.get_for_user_or_404(Team.objects.select_related("authority"), request.user, pk=pk)
    if not access.may_view_team_learning(request.user, team):
        raise Http404("Not found.")
    may_add = learning.may_add_action(request.user, team=team)
    form = TeamPointForm(request.POST or None, team=team)
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied("Only the team's manager and QA leads add team learning points.")
        if form.is_valid():
            try:
                learning.action_add(team=team, kind="team", acting_user=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Learning point added.")
                return redirect("followup:team_actions", pk=team.pk)
    open_points = (
        LearningAction.objects.filter(team=team, kind="team", completed_on__isnull=True)
        .select_related("owner")
        .order_by("due_on", "pk")
    )
    return render(
        request,
        "audits/followup/team_actions.html",
        {
            "team": team,
            "overdue": learning.team_overdue_for(user=request.user, team=team),
            "points": open_points,
            "form": form,
            "may_add": may_add,
            "today": timezone.localdate(),
        },
    )
