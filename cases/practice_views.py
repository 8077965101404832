"""Pages of a case's Signs of Safety practice record: the record, and quick forms to add to it.

Every page finds the child through ``access.get_for_user_or_404``: a child of another authority
gives the same 404 as a child that does not exist, for reading and for writing alike.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import access
from cases import practice
from cases.models import Child, DangerStatement, NetworkMember, SafetyPlan
from cases.practice_forms import (
    ADD_FORMS,
    DangerStatementChangeForm,
    NetworkMemberLeftForm,
    QuickForm,
    SafetyPlanReviewForm,
)

ADDED = {
    "map": "Map recorded.",
    "danger_statement": "Danger statement recorded.",
    "scaling": "Scaling recorded.",
    "network_member": "Network member added.",
    "safety_plan": "Safety plan recorded.",
    "voice_tool": "Child's-voice tool recorded.",
    "conference": "Conference recorded.",
}


def _child(request, child_pk: int) -> Child:
    return access.get_for_user_or_404(
        Child.objects.select_related("team", "authority"), request.user, pk=child_pk
    )


def _add(kind: str, child: Child, data: dict[str, Any], acting_user) -> None:
    """Call the service that adds a record of ``kind`` with a valid form's data."""
    services: dict[str, Callable[..., Any]] = {
        "map": practice.safety_map_add,
        "danger_statement": practice.danger_statement_add,
        "scaling": practice.scaling_add,
        "network_member": practice.network_member_add,
        "safety_plan": practice.safety_plan_add,
        "voice_tool": practice.voice_record_add,
        "conference": practice.conference_add,
    }
    fields = {name: value for name, value in data.items() if name != "others"}
    services[kind](child=child, acting_user=acting_user, **fields)


def _render(request, child: Child, bound: dict[str, QuickForm] | None = None, status: int = 200):
    forms = {kind: form_class(child=child) for kind, form_class in ADD_FORMS.items()}
    forms |= bound or {}
    context = {
        "child": child,
        "record": practice.practice_record(child=child),
        "forms": forms,
        "open_form": next(iter(bound), "") if bound else "",
    }
    return render(request, "cases/practice/record.html", context, status=status)


def _apply_errors(form: QuickForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def practice_record(request, child_pk: int):
    return _render(request, _child(request, child_pk))


@login_required
@require_POST
def practice_add(request, child_pk: int, kind: str):
    child = _child(request, child_pk)
    form_class = ADD_FORMS.get(kind)
    if form_class is None:
        raise Http404("Not found.")
    form = form_class(request.POST, child=child)
    if form.is_valid():
        try:
            _add(kind, child, form.cleaned_data, request.user)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, ADDED[kind])
            return redirect(f"{reverse('practice:record', args=[child.pk])}#{kind}")
    return _render(request, child, {kind: form}, status=400)


@login_required
@require_POST
def practice_change(request, child_pk: int, kind: str, pk: int):
    """Close a danger statement (or give it its goal), record that a network member left, or that
    the safety plan was reviewed."""
    child = _child(request, child_pk)
    models: dict[str, Any] = {
        "danger_statement": (DangerStatement, DangerStatementChangeForm),
        "network_member": (NetworkMember, NetworkMemberLeftForm),
        "safety_plan": (SafetyPlan, SafetyPlanReviewForm),
    }
    if kind not in models:
        raise Http404("Not found.")
    model, form_class = models[kind]
    row = access.get_for_user_or_404(model, request.user, pk=pk, child=child)
    form = form_class(request.POST, child=child)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "danger_statement":
                practice.danger_statement_update(danger_statement=row, acting_user=request.user, **data)
            elif kind == "network_member":
                practice.network_member_update(member=row, acting_user=request.user, **data)
            else:
                practice.safety_plan_update(plan=row, acting_user=request.user, **data)
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        else:
            messages.success(request, "Saved.")
    else:
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(f"{reverse('practice:record', args=[child.pk])}#{kind}")
