"""The one place that answers "may this user see or do this?".

Views, admin classes, exports and jobs ask here; nothing else reads roles. Object lookups go
through ``get_for_user_or_404`` so that "does not exist" and "belongs to another authority" give
the same 404, and reveal nothing.

Predicates are registered with the ``rules`` package, so ``user.has_perm("accounts.change_team",
team)`` (which the admin calls) gives the same answers as the functions below.
"""

from collections.abc import Iterable
from typing import Any

import rules
from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import PLATFORM_ROLES, Authority, CaseScope, Membership, Role

# Roles that work within one authority.
AUTHORITY_ROLES = frozenset(Role) - frozenset(PLATFORM_ROLES)
# Roles that may read the identifiable case data of their authority.
CASE_ROLES = frozenset({Role.PRACTITIONER, Role.TEAM_MANAGER, Role.QA_LEAD, Role.LEADER})
# Roles that read the whole authority's figures, not only their team's.
AUTHORITY_WIDE_ROLES = frozenset({Role.QA_LEAD, Role.LEADER})
# Roles that work on a team's cases: which cases they see is their authority's setting.
TEAM_CASE_ROLES = CASE_ROLES - AUTHORITY_WIDE_ROLES


def memberships(user) -> list[Membership]:
    """The user's memberships, read once per user object (one request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_qa_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user_id=user.id).select_related("authority", "team"))
        user._qa_memberships = cached
    return cached


def forget(user) -> None:
    """Drop the cached memberships, after they changed."""
    user.__dict__.pop("_qa_memberships", None)


def roles(user, authority: Authority | int | None) -> set[str]:
    authority_id = authority.pk if isinstance(authority, Authority) else authority
    return {m.role for m in memberships(user) if m.authority_id == authority_id}


def authority_ids(user, role_in: Iterable[str] = AUTHORITY_ROLES) -> set[int]:
    wanted = set(role_in)
    return {m.authority_id for m in memberships(user) if m.authority_id and m.role in wanted}


def authority_memberships(user) -> list[Membership]:
    """Memberships the user can switch between, in the order shown in the switcher."""
    return sorted(
        (m for m in memberships(user) if m.authority_id),
        key=lambda m: m.authority.name if m.authority else "",
    )


@rules.predicate
def is_platform_admin(user) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(m.role == Role.PLATFORM_ADMIN for m in memberships(user))


@rules.predicate
def is_analyst(user) -> bool:
    return any(m.role == Role.ANALYST for m in memberships(user))


@rules.predicate
def is_qa_lead_somewhere(user) -> bool:
    return bool(authority_ids(user, [Role.QA_LEAD]))


def sees_all_authorities(user) -> bool:
    """Analysts and platform admins see the list of every authority (never their case data)."""
    return is_platform_admin(user) or is_analyst(user)


def _authority_id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, Authority):
        return obj.pk
    return getattr(obj, "authority_id", None)


@rules.predicate
def is_qa_lead_of(user, obj) -> bool:
    """QA lead of the object's authority; with no object, QA lead of any authority."""
    if obj is None:
        return is_qa_lead_somewhere(user)
    authority_id = _authority_id_of(obj)
    return authority_id is not None and authority_id in authority_ids(user, [Role.QA_LEAD])


@rules.predicate
def is_member_of(user, obj) -> bool:
    if obj is None:
        return bool(authority_ids(user))
    authority_id = _authority_id_of(obj)
    return authority_id is not None and authority_id in authority_ids(user)


@rules.predicate
def manages_member(user, member) -> bool:
    """QA lead of an authority the other user belongs to; with no user, QA lead anywhere."""
    if member is None:
        return is_qa_lead_somewhere(user)
    if member.is_superuser:
        return False
    led = authority_ids(user, [Role.QA_LEAD])
    return Membership.objects.filter(user_id=member.pk, authority_id__in=led).exists()


def may_use_admin(user) -> bool:
    """Platform admins; QA leads (their authority's configuration); the programme team (the
    knowledge library and the programme's records)."""
    return bool(is_platform_admin(user) or is_qa_lead_somewhere(user) or is_programme_team(user))


def may_view_cases(user, authority: Authority | int | None) -> bool:
    return bool(roles(user, authority) & CASE_ROLES)


def _sees_every_case(membership: Membership) -> bool:
    if membership.role in AUTHORITY_WIDE_ROLES:
        return True
    authority = membership.authority
    return (
        membership.role in TEAM_CASE_ROLES
        and authority is not None
        and authority.practitioner_case_scope == CaseScope.AUTHORITY
    )


def every_case_authority_ids(user) -> set[int]:
    """Authorities whose every case the user reads: as a QA lead or leader, or as a practitioner or
    team manager where the authority's ``practitioner_case_scope`` is "authority"."""
    return {m.authority_id for m in memberships(user) if m.authority_id and _sees_every_case(m)}


def case_team_ids(user) -> set[int]:
    """Teams whose cases the user reads as a practitioner or team manager, in the authorities whose
    ``practitioner_case_scope`` is "team" (the default). ``Child.objects.for_user`` adds the case
    of every audit the user takes part in."""
    return {
        m.team_id
        for m in memberships(user)
        if m.authority_id and m.team_id and m.role in TEAM_CASE_ROLES and not _sees_every_case(m)
    }


def may_view_authority_overview(user, authority: Authority | int | None) -> bool:
    return bool(roles(user, authority) & AUTHORITY_WIDE_ROLES)


def may_import_returns(user, authority: Authority | int | None) -> bool:
    return Role.QA_LEAD in roles(user, authority)


def may_manage_authority(user, authority: Authority | int | None) -> bool:
    return Role.QA_LEAD in roles(user, authority) or bool(is_platform_admin(user))


def get_for_user_or_404(source: type[Model] | QuerySet, user, **lookup) -> Any:
    """Fetch one row through the model's ``for_user`` scope; 404 when missing or not the user's."""
    queryset: Any = source if isinstance(source, QuerySet) else source._default_manager.all()
    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


# --- permissions for the admin (rules) -------------------------------------------------------
# An app label as a permission decides whether the admin lists the app at all.
rules.add_perm("accounts", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("django_celery_beat", is_platform_admin)
rules.add_perm("cases", is_qa_lead_somewhere)
rules.add_perm("cases.view_importrun", is_qa_lead_of)
rules.add_perm("django_celery_results", is_platform_admin)
rules.add_perm("accounts.view_authority", is_platform_admin | is_qa_lead_of)
rules.add_perm("accounts.change_authority", is_platform_admin | is_qa_lead_of)
rules.add_perm("accounts.add_authority", is_platform_admin)
rules.add_perm("accounts.delete_authority", is_platform_admin)

for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"accounts.{action}_team", is_platform_admin | is_qa_lead_of)
    rules.add_perm(f"accounts.{action}_membership", is_platform_admin | is_qa_lead_of)

rules.add_perm("accounts.view_user", is_platform_admin | manages_member)
rules.add_perm("accounts.change_user", is_platform_admin | manages_member)
rules.add_perm("accounts.add_user", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("accounts.delete_user", is_platform_admin)

# The schedules of the background jobs are the platform's, not an authority's.
for model in ("periodictask", "crontabschedule", "intervalschedule", "solarschedule", "clockedschedule"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"django_celery_beat.{action}_{model}", is_platform_admin)
rules.add_perm("django_celery_results.view_taskresult", is_platform_admin)
rules.add_perm("django_celery_results.view_groupresult", is_platform_admin)


# --- participatory audits ----------------------------------------------------------------------
# Who may see, create, move and write which part of an audit. A signed-off audit is locked: every
# write predicate below answers False for it, whoever asks (QA leads and platform admins included).
# Platform admins and analysts hold no case role, so they see no audit.

# Statuses in which the answers are written: the self-assessment, then the conversation.
_ANSWER_STATUSES = frozenset({"self_assessment", "conversation"})
# Fields each party writes (the practitioner's ``value`` only during the self-assessment).
PRACTITIONER_FIELDS = frozenset({"self_level", "value"})
AUDITOR_FIELDS = frozenset({"auditor_level", "agreed_level", "disagreement", "evidence", "value"})


def _is_locked(audit) -> bool:
    return audit.status == "signed_off"


def _team_manager_of(user, authority_id, team_id) -> bool:
    return team_id is not None and any(
        m.role == Role.TEAM_MANAGER and m.authority_id == authority_id and m.team_id == team_id
        for m in memberships(user)
    )


def may_view_audit(user, audit) -> bool:
    """The same people as ``Audit.objects.for_user``: QA leads and leaders of the authority, the
    team manager of the audit's team, and the audit's practitioner and auditor."""
    audit_roles = roles(user, audit.authority_id)
    if not audit_roles:
        return False
    return bool(
        audit_roles & AUTHORITY_WIDE_ROLES
        or user.pk in (audit.practitioner_id, audit.auditor_id)
        or _team_manager_of(user, audit.authority_id, audit.team_id)
    )


def may_view_team_learning(user, team) -> bool:
    """A team's learning page (its overdue actions and learning points): the QA leads and leaders of
    the team's authority, and the people of the team (its manager and practitioners). Which of the
    team's case actions each of them sees follows the audits (``Audit.objects.for_user``)."""
    if roles(user, team.authority_id) & AUTHORITY_WIDE_ROLES:
        return True
    return any(
        m.authority_id == team.authority_id and m.team_id == team.pk and m.role in CASE_ROLES
        for m in memberships(user)
    )


def may_create_audit(user, authority: Authority | int | None) -> bool:
    """QA leads and team managers of the authority."""
    return bool(roles(user, authority) & {Role.QA_LEAD, Role.TEAM_MANAGER})


def _may_sign_off(user, audit) -> bool:
    # A QA lead of the authority, or the manager of the audit's team.
    return Role.QA_LEAD in roles(user, audit.authority_id) or _team_manager_of(
        user, audit.authority_id, audit.team_id
    )


def _is_moderator(user, audit) -> bool:
    from audits.models import Moderation

    return Moderation.objects.filter(audit_id=audit.pk, moderator_id=user.pk).exists()


def may_move_audit(user, audit, to_status: str) -> bool:
    """Who makes each move (illegal moves and a signed-off audit: nobody).

    - planned → self-assessment (start): the practitioner, the auditor, a QA lead;
    - self-assessment → conversation: the practitioner or the auditor;
    - conversation → submitted, and sending the conversation back: the auditor;
    - submitted → signed off, submitted → moderation, sending a submitted audit back: a QA lead
      of the authority or the manager of the audit's team (and, for an audit sampled for
      moderation, its moderator: into moderation or back);
    - in moderation → signed off or sent back: the moderator or a QA lead.
    """
    from audits.workflow import allowed_moves

    if _is_locked(audit) or to_status not in allowed_moves(audit.status):
        return False
    if not roles(user, audit.authority_id):
        return False
    is_practitioner = user.pk == audit.practitioner_id
    is_auditor = user.pk == audit.auditor_id
    is_qa_lead = Role.QA_LEAD in roles(user, audit.authority_id)
    status = audit.status
    if status == "planned":
        return is_practitioner or is_auditor or is_qa_lead
    if status == "self_assessment":
        return is_practitioner or is_auditor
    if status == "conversation":
        return is_auditor
    if status == "submitted":
        # A sampled audit waits for its moderator, who may start the moderation or send it back.
        moderator = audit.for_moderation and to_status != "signed_off" and _is_moderator(user, audit)
        return _may_sign_off(user, audit) or moderator
    if status == "moderation":
        return is_qa_lead or _is_moderator(user, audit)
    return False


def may_write_answer_field(user, audit, field: str) -> bool:
    """During the self-assessment and the conversation: the practitioner writes ``self_level``
    (and ``value`` during the self-assessment); the auditor writes ``auditor_level``,
    ``agreed_level``, ``disagreement``, ``evidence`` and ``value``. Nobody else, and nobody once
    the audit is submitted."""
    if _is_locked(audit) or audit.status not in _ANSWER_STATUSES or not roles(user, audit.authority_id):
        return False
    if user.pk == audit.auditor_id and field in AUDITOR_FIELDS:
        return True
    if user.pk == audit.practitioner_id and field in PRACTITIONER_FIELDS:
        return field != "value" or audit.status == "self_assessment"
    return False


def may_record_consent(user, audit) -> bool:
    """The practitioner or the auditor, until the audit is signed off."""
    return (
        not _is_locked(audit)
        and bool(roles(user, audit.authority_id))
        and user.pk in (audit.practitioner_id, audit.auditor_id)
    )


def may_moderate(user, audit) -> bool:
    """QA leads of the authority, and team managers of the authority's other teams; never the
    audit's own auditor or practitioner."""
    if user.pk in (audit.practitioner_id, audit.auditor_id):
        return False
    audit_roles = roles(user, audit.authority_id)
    if Role.QA_LEAD in audit_roles:
        return True
    return any(
        m.role == Role.TEAM_MANAGER
        and m.authority_id == audit.authority_id
        and m.team_id is not None
        and m.team_id != audit.team_id
        for m in memberships(user)
    )


def may_manage_sampling(user, authority: Authority | int | None) -> bool:
    """QA leads of the authority."""
    return Role.QA_LEAD in roles(user, authority)


def may_raise_escalation(user, audit) -> bool:
    """The audit's auditor and QA leads of the authority (also after sign-off: a worry about a
    child's safety is never too late)."""
    audit_roles = roles(user, audit.authority_id)
    return bool(audit_roles) and (user.pk == audit.auditor_id or Role.QA_LEAD in audit_roles)


def may_respond_escalation(user, escalation) -> bool:
    """The manager the escalation went to, and QA leads of the audit's authority."""
    authority_id = escalation.audit.authority_id
    if not roles(user, authority_id):
        return False
    return user.pk == escalation.manager_id or Role.QA_LEAD in roles(user, authority_id)


# --- outcomes: dashboards, job runs, reports, exports ----------------------------------------------
# Leaders and QA leads read their whole authority's figures; team managers their authority's and
# their own team's. Analysts compare authorities on comparable measures, de-identified by default;
# they never see one authority's case data.


def may_view_dashboard(user, authority: Authority | int | None) -> bool:
    """The outcome dashboard: leaders, QA leads and team managers of the authority."""
    return bool(roles(user, authority) & {Role.LEADER, Role.QA_LEAD, Role.TEAM_MANAGER})


def dashboard_team_ids(user, authority: Authority | int | None) -> set[int] | None:
    """The teams whose figures the user may filter the dashboard by: None means every team of the
    authority (leaders and QA leads); otherwise the teams the user manages."""
    authority_id = authority.pk if isinstance(authority, Authority) else authority
    if roles(user, authority_id) & AUTHORITY_WIDE_ROLES:
        return None
    return {
        m.team_id
        for m in memberships(user)
        if m.authority_id == authority_id and m.role == Role.TEAM_MANAGER and m.team_id is not None
    }


def may_compare_authorities(user) -> bool:
    """The analysts' view of every authority side by side (platform admins too)."""
    return bool(is_analyst(user) or is_platform_admin(user))


def may_reveal_authority_names(user) -> bool:
    """Only analysts may turn the comparison's de-identification off."""
    return bool(is_analyst(user))


def may_watch_jobs(user, authority: Authority | int | None) -> bool:
    """Job runs of the authority and their progress: its QA leads and leaders."""
    return may_view_authority_overview(user, authority)


def may_run_jobs(user, authority: Authority | int | None) -> bool:
    """ "Recompute now": the authority's QA leads."""
    return Role.QA_LEAD in roles(user, authority)


def may_view_reports(user, authority: Authority | int | None) -> bool:
    """The authority's report archive and downloads: everyone working in the authority, and analysts."""
    return bool(roles(user, authority) & AUTHORITY_ROLES) or bool(is_analyst(user))


def may_generate_report(user, authority: Authority | int | None) -> bool:
    """A report on demand: the authority's QA leads and leaders."""
    return may_view_authority_overview(user, authority)


def may_export_measures(user, authority: Authority | int | None) -> bool:
    """Exact measure values (no suppression) as CSV/XLSX: the authority's QA leads and leaders."""
    return may_view_authority_overview(user, authority)


def may_export_answers(user, authority: Authority | int | None) -> bool:
    """Every audit answer of the authority as CSV/XLSX: its QA leads."""
    return Role.QA_LEAD in roles(user, authority)


def may_view_oversight(user, authority: Authority | int | None) -> bool:
    """The QA lead's dashboard: the authority's QA leads."""
    return Role.QA_LEAD in roles(user, authority)


# --- The programme around the platform -------------------------------------------------------
# The programme team (and platform admins) run the staff survey waves, the workshops and their
# polls, the quarterly journal, the knowledge library and the feedback inbox. Everyone who works
# in an authority answers surveys and polls, reads the journal and the knowledge library, and
# gives feedback. Figures of another authority are only ever seen de-identified.


@rules.predicate
def is_programme_team(user) -> bool:
    return any(m.role == Role.PROGRAMME for m in memberships(user))


def runs_programme(user) -> bool:
    """The programme team, and platform admins."""
    return bool(is_programme_team(user) or is_platform_admin(user))


def takes_part_in_programme(user) -> bool:
    """Anyone working in an authority, and the people who run the programme or analyse it."""
    return bool(authority_ids(user)) or runs_programme(user) or bool(is_analyst(user))


def may_answer_survey(user, authority: Authority | int | None) -> bool:
    """A staff survey wave, for the authority the person works in (once per wave)."""
    return bool(roles(user, authority) & AUTHORITY_ROLES)


def may_manage_survey_waves(user) -> bool:
    """Open, schedule and close staff survey waves."""
    return runs_programme(user)


def may_view_survey_results(user, authority: Authority | int | None) -> bool:
    """An authority's survey results and its action research report (groups of five or more, the
    other authorities de-identified): its leaders and QA leads, and analysts."""
    return may_view_authority_overview(user, authority) or bool(is_analyst(user))


def may_facilitate_workshops(user) -> bool:
    """Create workshops and their polls, open and close them, hide an answer."""
    return runs_programme(user)


def may_answer_poll(user) -> bool:
    """A workshop poll, on behalf of the authority the person works in."""
    return bool(authority_ids(user))


def may_view_workshop(user) -> bool:
    """A workshop's live results (answers verbatim, grouped by authority)."""
    return takes_part_in_programme(user)


def may_write_reflection(user, authority: Authority | int | None) -> bool:
    """The authority's quarterly reflection (achievement and challenge): its leaders and QA leads."""
    return may_view_authority_overview(user, authority)


def may_edit_journal(user) -> bool:
    """Compile, edit and publish the quarterly journal; read its drafts."""
    return runs_programme(user)


def may_read_journal(user) -> bool:
    """Published journals: everyone in the programme's authorities."""
    return takes_part_in_programme(user)


def may_read_knowledge(user) -> bool:
    """The knowledge library of guidance."""
    return takes_part_in_programme(user)


def may_manage_knowledge(user) -> bool:
    """Add and edit guidance in the knowledge library."""
    return runs_programme(user)


def may_manage_knowledge_access(user, authority: Authority | int | None) -> bool:
    """Staff access records (who has access until when): the authority's QA leads."""
    return Role.QA_LEAD in roles(user, authority) or bool(is_platform_admin(user))


def may_give_feedback(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_triage_feedback(user) -> bool:
    """Read all feedback, move it through new, in progress and done, and add notes."""
    return runs_programme(user)
