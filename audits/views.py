"""The audit pages: the audits home, starting an audit, the audit page with its autosaving
answers, moving the audit on, and the family's consent.

Every view looks the audit up through ``Audit.objects.for_user`` (another authority's audit is the
same 404 as a missing one), asks ``accounts.access`` what the person may do, and leaves the writes
to ``audits.auditing``.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from accounts import access
from accounts.models import Role
from audits import audit_forms, auditing, selectors, workflow
from audits.followup_views import audit_followup_context
from audits.models import Audit, AuditAnswer, AuditMove, AuditStatus
from cases.models import Child
from knowledge.selectors import guidance_for_items

S = AuditStatus

# The words on each move's button.
MOVE_LABELS: dict[tuple[str, str], str] = {
    (S.PLANNED, S.SELF_ASSESSMENT): "Start the self-assessment",
    (S.SELF_ASSESSMENT, S.CONVERSATION): "Ready for the audit conversation",
    (S.CONVERSATION, S.SUBMITTED): "Submit the audit",
    (S.SUBMITTED, S.MODERATION): "Send to moderation",
    (S.SUBMITTED, S.SIGNED_OFF): "Sign off",
    (S.MODERATION, S.SIGNED_OFF): "Sign off",
    (S.CONVERSATION, S.SELF_ASSESSMENT): "Send back to the practitioner",
    (S.SUBMITTED, S.CONVERSATION): "Send back to the auditor",
    (S.MODERATION, S.CONVERSATION): "Send back to the auditor",
}
STEPS = (S.PLANNED, S.SELF_ASSESSMENT, S.CONVERSATION, S.SUBMITTED, S.SIGNED_OFF)
# Moderation sits between submitted and signed off, on the audits sampled for it.
STEPS_ORDER: dict[str, int] = {
    status: index for index, status in enumerate((*STEPS[:4], S.MODERATION, S.SIGNED_OFF))
}
# Helper V's pages for an audit, by URL name; a page not there yet is left out.
FOLLOWUP_PAGES = (
    ("feedback", "followup:feedback_record", "Family and child feedback"),
    ("escalation", "followup:escalation_raise", "Safety escalation"),
    ("actions", "followup:audit_actions", "Learning actions"),
)
CONFLICT_STATUS = 409
LOCKED_STATUS = 423
# Answer saves answered with a status fragment the page swaps in (htmx swaps these as well).
FRAGMENT_STATUSES = (400, 403, CONFLICT_STATUS, LOCKED_STATUS)


def _audit_or_404(request, pk: int) -> Audit:
    return access.get_for_user_or_404(
        Audit.objects.select_related(
            "child", "team", "authority", "practitioner", "auditor", "tool_version__tool", "signed_off_by"
        ),
        request.user,
        pk=pk,
    )


def _holder(audit: Audit) -> str:
    """Who holds the audit now, in words."""
    if audit.status in (S.PLANNED, S.SELF_ASSESSMENT):
        return str(audit.practitioner)
    if audit.status == S.CONVERSATION:
        return str(audit.auditor)
    if audit.status == S.SUBMITTED:
        return "A QA lead or the team manager, to sign off"
    if audit.status == S.MODERATION:
        return "The moderator"
    return "Nobody: signed off and locked"


def _moves(user, audit: Audit) -> list[dict]:
    """The moves this person may make now, forward moves first."""
    moves = []
    for to_status in sorted(workflow.allowed_moves(audit.status), key=STEPS_ORDER.__getitem__):
        if not access.may_move_audit(user, audit, to_status):
            continue
        moves.append(
            {
                "to_status": to_status,
                "label": MOVE_LABELS.get((audit.status, to_status), S(to_status).label),
                "send_back": workflow.is_send_back(audit.status, to_status),
            }
        )
    return sorted(moves, key=lambda move: move["send_back"])


def _steps(audit: Audit) -> list[dict]:
    """The workflow as a row of steps, with where the audit is now (moderation only when sampled)."""
    statuses: list[str] = sorted(STEPS_ORDER, key=STEPS_ORDER.__getitem__)
    if not (audit.for_moderation or audit.status == S.MODERATION):
        statuses.remove(S.MODERATION)
    here = statuses.index(audit.status)
    return [
        {"label": S(status).label, "done": index < here, "current": index == here}
        for index, status in enumerate(statuses)
    ]


def _followup_links(audit: Audit) -> list[dict]:
    links = []
    for key, url_name, label in FOLLOWUP_PAGES:
        try:
            url = reverse(url_name, kwargs={"pk": audit.pk})
        except NoReverseMatch:
            url = ""
        links.append({"key": key, "label": label, "url": url})
    return links


def _last_move():
    return AuditMove.objects.filter(audit=OuterRef("pk")).order_by("-moved_at", "-pk")


# --- the audits home ---------------------------------------------------------------------------


def _sign_off_condition(user) -> Q:
    """Submitted audits (not sampled for moderation) that this person signs off."""
    condition = Q(authority_id__in=access.authority_ids(user, [Role.QA_LEAD]))
    for membership in access.memberships(user):
        if membership.role == Role.TEAM_MANAGER and membership.team_id:
            condition |= Q(authority_id=membership.authority_id, team_id=membership.team_id)
    return Q(condition, status=S.SUBMITTED, for_moderation=False)


def home_lists(user) -> dict[str, list[Audit]]:
    """The person's open audits, in one query: those to do (they hold them now), those sent back
    to them (they hold them, and the last move was a send back), those waiting for someone else."""
    holds = (
        Q(practitioner_id=user.pk, status__in=[S.PLANNED, S.SELF_ASSESSMENT])
        | Q(auditor_id=user.pk, status=S.CONVERSATION)
        | Q(status=S.MODERATION, moderation__moderator_id=user.pk)
        | _sign_off_condition(user)
    )
    involved = Q(practitioner_id=user.pk) | Q(auditor_id=user.pk)
    last = _last_move()
    rows = (
        Audit.objects.for_user(user)
        .filter(holds | involved)
        .exclude(status=S.SIGNED_OFF)
        .select_related("child", "team", "practitioner", "auditor")
        .annotate(
            last_send_back=Subquery(last.values("is_send_back")[:1]),
            last_comment=Subquery(last.values("comment")[:1]),
            held=Case(When(holds, then=Value(True)), default=Value(False), output_field=BooleanField()),
        )
        .order_by("due_on", "created_at")
    )
    lists: dict[str, list[Audit]] = {"to_do": [], "sent_back": [], "waiting": []}
    for audit in rows:
        if not getattr(audit, "held", False):
            lists["waiting"].append(audit)
        elif getattr(audit, "last_send_back", False):
            lists["sent_back"].append(audit)
        else:
            lists["to_do"].append(audit)
    return lists


def _my_actions(user) -> list | None:
    """Helper V's learning actions of this person; None while that module is not there."""
    try:
        from audits import learning
    except ImportError:
        return None
    return list(learning.my_actions(user=user))


@login_required
def home(request):
    membership = request.membership
    if membership is None:
        raise PermissionDenied("Audits are for people who work in an authority.")
    return render(
        request,
        "audits/home.html",
        {
            **home_lists(request.user),
            "actions": _my_actions(request.user),
            "today": timezone.localdate(),
            "may_start": access.may_create_audit(request.user, membership.authority_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def start(request):
    membership = request.membership
    if membership is None or not access.may_create_audit(request.user, membership.authority_id):
        raise PermissionDenied("QA leads and team managers start audits.")
    authority = membership.authority
    query = request.GET.get("q", "").strip()
    form = audit_forms.AuditStartForm(request.POST or None, authority=authority, user=request.user)
    if request.method == "POST" and form.is_valid():
        audit = auditing.audit_create(
            child=form.cleaned_data["child"],
            practitioner=form.cleaned_data["practitioner"],
            auditor=form.cleaned_data["auditor"],
            due_on=form.cleaned_data["due_on"],
            acting_user=request.user,
        )
        messages.success(
            request,
            f"Audit of child {audit.child.la_child_id} planned: the practitioner and auditor are told by email.",
        )
        return redirect("audits:detail", pk=audit.pk)
    chosen = form["child"].value()
    matches = Child.objects.for_user(request.user).filter(authority=authority).select_related("team")
    if query:
        matches = matches.filter(la_child_id__icontains=query)
    elif chosen:
        matches = matches.filter(pk=chosen) if str(chosen).isdigit() else matches.none()
    else:
        matches = matches.none()
    return render(
        request,
        "audits/audit/start.html",
        {"form": form, "query": query, "matches": list(matches[:20]), "chosen": str(chosen or "")},
    )


# --- the audit page ----------------------------------------------------------------------------


# The page's script is code, not data: anyone may fetch it, and browsers keep it for an hour.
@cache_control(public=True, max_age=3600)
@require_http_methods(["GET"])
def script(request):
    return render(request, "audits/audit/audit.js", content_type="text/javascript; charset=utf-8")


def audit_page_context(*, user, audit: Audit) -> dict:
    """Everything the audit page shows, in a fixed number of queries whatever the number of items."""
    tool = selectors.resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    answers = {
        answer.item_key: answer
        for answer in AuditAnswer.objects.filter(audit=audit).select_related("updated_by")
    }
    sections = audit_forms.audit_sections(
        tool=tool, answers=answers, writable=audit_forms.writable_fields(user=user, audit=audit)
    )
    moves = list(audit.moves.select_related("moved_by").order_by("moved_at", "pk"))
    items = [entry for section in sections for entry in section.items]
    rubric = [entry for entry in items if entry.is_rubric]
    return {
        "audit": audit,
        "tool": tool,
        "sections": sections,
        "levels": audit_forms.level_labels(tool),
        "holder": _holder(audit),
        "moves": _moves(user, audit),
        "history": moves,
        "last_move": moves[-1] if moves else None,
        "steps": _steps(audit),
        "rubric_total": len(rubric),
        "rubric_agreed": sum(1 for entry in rubric if entry.is_answered),
        "disagreements": sum(1 for entry in rubric if entry.differs),
        "consent_form": audit_forms.ConsentForm(
            initial={
                "consent": audit.family_consent,
                "note": audit.family_consent_note,
                "consent_was": audit.family_consent,
                "note_was": audit.family_consent_note,
            }
        ),
        "may_record_consent": access.may_record_consent(user, audit),
        "followups": _followup_links(audit),
        # The knowledge resources beside the items: one query for the whole form.
        "guidance": guidance_for_items(items=tool.items(), authority_id=audit.authority_id),
        **audit_followup_context(audit=audit, user=user),
    }


@login_required
def detail(request, pk: int):
    audit = _audit_or_404(request, pk)
    return render(request, "audits/audit/detail.html", audit_page_context(user=request.user, audit=audit))


def _item_response(request, audit: Audit, tool, item, number: int) -> HttpResponse:
    """One item as stored now, laid out as on the page (a narrative column or a full-width item)."""
    stored = AuditAnswer.objects.filter(audit=audit, item_key=item.key).select_related("updated_by").first()
    writable = audit_forms.writable_fields(user=request.user, audit=audit)
    entry = audit_forms.audit_item(item, number, stored, writable)
    return render(
        request,
        entry.template,
        {
            "audit": audit,
            "entry": entry,
            "levels": audit_forms.level_labels(tool),
            "guidance": guidance_for_items(items=[item], authority_id=audit.authority_id),
        },
    )


def _status_fragment(request, audit: Audit, entry_key: str, *, status: int = 200, **context) -> HttpResponse:
    return render(
        request,
        "audits/audit/_save_status.html",
        {"audit": audit, "key": entry_key, **context},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, pk: int, item_key: str):
    """GET: the item as stored now (to reload one item). POST (autosave): one field of the item,
    with the revision the page started from; a stale revision is refused with a 409 that keeps the
    person's text."""
    audit = _audit_or_404(request, pk)
    tool = selectors.resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    found = audit_forms.find_item(tool, item_key)
    if found is None:
        raise Http404("Not found.")
    item, number = found
    if request.method == "GET":
        return _item_response(request, audit, tool, item, number)

    field = request.POST.get("field", "")
    if not access.may_write_answer_field(request.user, audit, field):
        return _status_fragment(
            request, audit, item_key, status=403, error="You cannot change this part of the audit now."
        )
    try:
        value = audit_forms.parse_answer_field(item, field, request.POST.getlist(field))
        expected = int(request.POST.get("revision", ""))
    except ValidationError as error:
        return _status_fragment(request, audit, item_key, status=400, error=" ".join(error.messages))
    except ValueError:
        return _status_fragment(request, audit, item_key, status=400, error="Reload the page and try again.")
    try:
        saved = auditing.answer_save(
            audit=audit,
            item_key=item_key,
            acting_user=request.user,
            expected_revision=expected,
            **{field: value},
        )
    except auditing.StaleEdit as stale:
        raw = request.POST.getlist(field)
        return _status_fragment(
            request,
            audit,
            item_key,
            status=CONFLICT_STATUS,
            stale=stale,
            field_label=audit_forms.FIELD_LABELS[field],
            refused_text=_refused_text(item, field, raw),
            stored_text=_in_words(item, field, stale.stored.get(field)),
            keep_vals=_keep_mine(field, raw, stale),
        )
    except auditing.AuditLocked:
        return _status_fragment(
            request,
            audit,
            item_key,
            status=LOCKED_STATUS,
            error="This audit is signed off: nothing changes now.",
        )
    except PermissionDenied:
        return _status_fragment(
            request, audit, item_key, status=403, error="You cannot change this part of the audit now."
        )
    except ValidationError as error:
        return _status_fragment(request, audit, item_key, status=400, error=" ".join(error.messages))
    if request.POST.get("then") == "item":
        # "Keep mine" after a conflict: the whole item as stored now, the person's value in it.
        response = _item_response(request, audit, tool, item, number)
        return reswap(retarget(response, f"#item-{item_key}"), "outerHTML")
    return _status_fragment(request, audit, item_key, saved=saved)


def _refused_text(item, field: str, raw: list[str]) -> str:
    """What the person entered, in words, to keep on the page when their save is refused."""
    if field in audit_forms.RATING_FIELDS:
        return _in_words(item, field, raw[-1] if raw else None)
    if item.options and field == "value":
        return _in_words(item, field, raw)
    return "\n".join(raw)


def _in_words(item, field: str, value) -> str:
    """A stored (or posted) value of one field of an item as the page shows it: a level with its
    label, the labels of the options chosen, the text itself."""
    if field in audit_forms.RATING_FIELDS:
        labels = {str(level): f"{level} · {label}" for level, label, _descriptor in item.levels}
        return labels.get("" if value is None else str(value), "no level")
    if value in (None, "", []):
        return ""
    if field == "value" and item.options:
        labels = dict(item.options)
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(str(option), option)) for option in chosen)
    return str(value)


def _keep_mine(field: str, raw: list[str], stale: auditing.StaleEdit) -> str:
    """The values the "Keep mine" button posts (``hx-vals``): the person's value again, from the
    revision stored now, so that it is saved on top of the other person's, knowingly."""
    revision = stale.current.revision if stale.current is not None else 0
    return json.dumps({"field": field, field: raw, "revision": str(revision), "then": "item"})


@login_required
@require_POST
def move(request, pk: int):
    audit = _audit_or_404(request, pk)
    form = audit_forms.MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a move and keep the comment short.")
        return redirect("audits:detail", pk=audit.pk)
    to_status = form.cleaned_data["to_status"]
    # A move to where the audit already is (the form posted twice) is answered by audit_move.
    if audit.status != to_status and not access.may_move_audit(request.user, audit, to_status):
        messages.error(
            request, "You cannot make this move: the audit is not with you, or it cannot go there now."
        )
        return redirect("audits:detail", pk=audit.pk)
    try:
        done = auditing.audit_move(
            audit=audit, to_status=to_status, acting_user=request.user, comment=form.cleaned_data["comment"]
        )
    except auditing.AlreadyMoved as already:
        messages.info(request, already.messages[0])
        return redirect("audits:detail", pk=audit.pk)
    except (ValidationError, PermissionDenied) as error:
        text = (
            " ".join(error.messages) if isinstance(error, ValidationError) else "You cannot make this move."
        )
        messages.error(request, text)
        return redirect("audits:detail", pk=audit.pk)
    messages.success(request, f"The audit is now: {S(done.to_status).label.lower()}.")
    return redirect("audits:detail", pk=audit.pk)


@login_required
@require_POST
def consent(request, pk: int):
    audit = _audit_or_404(request, pk)
    if not access.may_record_consent(request.user, audit):
        raise PermissionDenied("The practitioner and the auditor record the family's consent.")
    form = audit_forms.ConsentForm(request.POST)
    if form.is_valid():
        try:
            auditing.consent_record(
                audit=audit,
                consent=form.cleaned_data["consent"],
                note=form.cleaned_data["note"],
                acting_user=request.user,
                expected=form.expected(),
            )
        except auditing.StaleEdit as stale:
            return _consent_conflict(request, audit, stale)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The family's consent is recorded.")
    else:
        messages.error(request, "Choose whether the family gave consent.")
    return redirect(f"{reverse('audits:detail', kwargs={'pk': audit.pk})}#consent")


def _consent_conflict(request, audit: Audit, stale: auditing.StaleEdit) -> HttpResponse:
    """The audit page again, with both versions of the family's consent side by side: the one
    recorded meanwhile and the person's, not saved, which they may keep or drop."""
    audit.refresh_from_db()
    choices = dict(audit_forms.CONSENT_LABELS)
    context = audit_page_context(user=request.user, audit=audit)
    context["consent_conflict"] = {
        "stale": stale,
        "theirs": choices.get(stale.stored["family_consent"], stale.stored["family_consent"]),
        "theirs_note": stale.stored["family_consent_note"],
        "yours_consent": stale.refused["family_consent"],
        "yours": choices.get(stale.refused["family_consent"], stale.refused["family_consent"]),
        "yours_note": stale.refused["family_consent_note"],
    }
    return render(request, "audits/audit/detail.html", context, status=CONFLICT_STATUS)
