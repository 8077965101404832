"""The moderation pages: the moderator's queue, the blind re-rating of an audit, the comparison
and completion (with an overturned grade and its reason), and the agreement page for QA leads.

A moderation is looked up through ``audits.moderation.moderations_for``: the moderator's own and,
for QA leads, their authority's; anything else is the same 404 as a missing row. The agreed levels
never reach the page before the moderator's ratings are recorded.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import access
from audits import moderation as services
from audits.models import AuditAnswer, Moderation
from audits.resolution import ResolvedItem


class BlindRatingForm(forms.Form):
    """One required choice per rubric item, its level descriptors as the choices."""

    def __init__(self, *args, items: list[ResolvedItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            levels = item.levels or tuple((value, str(value), "") for value in range(1, services.LEVELS + 1))
            self.fields[item.key] = forms.TypedChoiceField(
                label=item.text,
                choices=[
                    (value, f"{value} {label}" + (f": {descriptor}" if descriptor else ""))
                    for value, label, descriptor in levels
                ],
                coerce=int,
                widget=forms.RadioSelect,
                help_text=item.guidance,
            )

    def rows(self):
        return [(item, self[item.key]) for item in self.items]


class CompleteForm(forms.Form):
    overturned_level = forms.TypedChoiceField(
        label="Overall grade",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Leave as it is to confirm the grade; choose another level to overturn it.",
    )
    overturn_reason = forms.CharField(
        label="Why the grade is overturned",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when you overturn the grade: the auditor and practitioner read it.",
    )

    def __init__(self, *args, levels: list[tuple[int, str]], current: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        field = self.fields["overturned_level"]
        field.choices = [("", "Keep the agreed grade")] + [  # type: ignore[attr-defined]
            (value, f"{value} {label}") for value, label in levels if value != current
        ]

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("overturned_level") is not None and not cleaned.get("overturn_reason", "").strip():
            self.add_error("overturn_reason", "Say why the grade is overturned.")
        return cleaned


def _moderation_or_404(request, pk: int) -> Moderation:
    try:
        return services.moderations_for(user=request.user).select_related("audit__tool_version").get(pk=pk)
    except Moderation.DoesNotExist:
        raise Http404("Not found.") from None


def _levels(items: list[ResolvedItem]) -> list[tuple[int, str]]:
    labels: dict[int, str] = {}
    for item in items:
        for value, label, _descriptor in item.levels:
            labels.setdefault(value, label)
    if not labels:
        labels = {value: "" for value in range(1, services.LEVELS + 1)}
    return sorted(labels.items())


def _comparison(moderation: Moderation, items: list[ResolvedItem]) -> list[dict]:
    """Per rubric item: the agreed level and the moderator's, side by side (after rating only)."""
    agreed = dict(
        AuditAnswer.objects.filter(
            audit=moderation.audit, item_key__in=[item.key for item in items]
        ).values_list("item_key", "agreed_level")
    )
    rows = []
    for item in items:
        theirs, mine = agreed.get(item.key), moderation.ratings.get(item.key)
        labels = {value: label for value, label, _descriptor in item.levels}
        rows.append(
            {
                "item": item,
                "agreed": theirs,
                "agreed_label": labels.get(theirs, "") if theirs is not None else "",
                "rated": mine,
                "rated_label": labels.get(mine, "") if mine is not None else "",
                "difference": None if theirs is None or mine is None else mine - theirs,
            }
        )
    return rows


def _render_detail(request, moderation: Moderation, *, rating_form=None, complete_form=None, status=200):
    items = services.rubric_items(moderation.audit)
    is_moderator = request.user.pk == moderation.moderator_id
    rated = bool(moderation.ratings)
    levels = _levels(items)
    context = {
        "moderation": moderation,
        "audit": moderation.audit,
        "is_moderator": is_moderator,
        "rated": rated,
        "reason": services.REASONS.get(moderation.reason_selected, ""),
        "levels": dict(levels),
    }
    if not rated:
        # Blind: nothing of the audit's levels goes into the context before the ratings exist.
        if is_moderator and moderation.completed_at is None:
            context["rating_form"] = rating_form or BlindRatingForm(items=items)
    else:
        context["comparison"] = _comparison(moderation, items)
        context["overall_level"] = moderation.audit.overall_level
        if is_moderator and moderation.completed_at is None:
            context["complete_form"] = complete_form or CompleteForm(
                levels=levels, current=moderation.audit.overall_level
            )
    return render(request, "audits/moderation/detail.html", context, status=status)


@login_required
def queue(request):
    moderations = services.moderation_queue(user=request.user)
    mine = [m for m in moderations if m.moderator_id == request.user.pk]
    others = [m for m in moderations if m.moderator_id != request.user.pk]
    membership = request.membership
    may_see_agreement = membership is not None and access.may_view_authority_overview(
        request.user, membership.authority_id
    )
    return render(
        request,
        "audits/moderation/queue.html",
        {"mine": mine, "others": others, "may_see_agreement": may_see_agreement},
    )


@login_required
def detail(request, pk: int):
    return _render_detail(request, _moderation_or_404(request, pk))


@login_required
@require_POST
def rate(request, pk: int):
    moderation = _moderation_or_404(request, pk)
    if request.user.pk != moderation.moderator_id:
        raise PermissionDenied("Only the moderator of this audit re-rates it.")
    form = BlindRatingForm(request.POST, items=services.rubric_items(moderation.audit))
    if not form.is_valid():
        return _render_detail(request, moderation, rating_form=form, status=400)
    try:
        services.moderation_rate(moderation=moderation, ratings=form.cleaned_data, acting_user=request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect("moderation:detail", pk=moderation.pk)
    messages.success(
        request, "Your ratings are recorded. Compare them with the agreed levels, then complete."
    )
    return redirect("moderation:detail", pk=moderation.pk)


@login_required
@require_POST
def complete(request, pk: int):
    moderation = _moderation_or_404(request, pk)
    if request.user.pk != moderation.moderator_id:
        raise PermissionDenied("Only the moderator of this audit completes the moderation.")
    items = services.rubric_items(moderation.audit)
    form = CompleteForm(request.POST, levels=_levels(items), current=moderation.audit.overall_level)
    if not form.is_valid():
        return _render_detail(request, moderation, complete_form=form, status=400)
    try:
        services.moderation_complete(
            moderation=moderation,
            acting_user=request.user,
            overturned_level=form.cleaned_data["overturned_level"],
            overturn_reason=form.cleaned_data["overturn_reason"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return _render_detail(request, moderation, complete_form=form, status=400)
        for problem in error.messages:
            messages.error(request, problem)
        return redirect("moderation:detail", pk=moderation.pk)
    messages.success(request, "The moderation is complete and the audit is signed off.")
    return redirect("moderation:queue")


@login_required
def agreement_page(request):
    membership = request.membership
    if membership is None or not access.may_view_authority_overview(request.user, membership.authority_id):
        raise PermissionDenied("Moderation agreement is for the authority's QA leads and leaders.")
    authority_id = membership.authority_id
    return render(
        request,
        "audits/moderation/agreement.html",
        {
            "authority": membership.authority,
            "overall": services.agreement_overall(authority_id=authority_id),
            "by_item": services.agreement_by_item(authority_id=authority_id),
            "by_auditor": services.agreement_by_auditor(authority_id=authority_id),
        },
    )
