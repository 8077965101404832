"""Synthetic signed-off case audits at scale, for the benchmarks (everything made up).

``generate`` writes, for each authority, signed-off audits of its own children on the standard
case audit as the authority uses it (adopted whole when it has not chosen yet), each with an
answer to every item of the tool (fourteen rubric items with the practitioner's, the auditor's
and the agreed level; the three-column narratives and the overall safety scale), the workflow's
moves from planned to signed off, and one learning action. Audits are spread over the quarters
before the as-of date, with practice deepening over time, as the demo's history does
(``audits.demo.seed_history``), but written in bulk: a few statements per thousand audits rather
than a dozen per audit, so that the full benchmark estate (about 50,000 audits of 20 items) takes
seconds.

At the benchmark's full scale (153 authorities of 2,000 children) ``AUDITS_PER_CHILD`` gives about
50,000 audits; smaller estates get proportionally fewer. The same seed and as-of date give the
same audits (each authority draws from its own ``random.Random``). An authority that already has
audits is left alone, so a second run adds nothing.

The rows are written directly, not through ``audits.auditing`` (a synthetic record of past work,
like the generated returns): the stored measures do not count them until the aggregation runs;
the ``generate_audits`` command runs it unless told not to.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Authority, Membership, Role, User
from audits import services as library
from audits.models import Audit, AuditAnswer, AuditMove, AuditSource, AuditStatus, LearningAction, Tool
from audits.selectors import resolved_tool, tool_in_use
from cases.models import Child

# 50,000 audits over the full estate of 153 authorities × 2,000 children.
AUDITS_PER_CHILD = 50_000 / (153 * 2_000)
QUARTERS = 8
BATCH = 2000
NARRATIVE = {
    "what-working-well": (
        "Grandmother collects the children from school every day and the school confirms it.",
        "The danger statement and safety goals are in the family's own words.",
        "Scaling questions were asked of the parents, the child and the network.",
    ),
    "what-worried-about": (
        "The safety network is only professionals; no family member has been asked yet.",
        "Scaling has been done by the worker only, not by the parents or the child.",
        "Nobody has checked what the child thinks since the first visit.",
    ),
    "what-needs-to-happen": (
        "Rewrite the danger statement with the parents in their own words before the review.",
        "Hold a network meeting with at least two people the family chose.",
        "Bring the safety plan to supervision and check each rule has a named person.",
    ),
    "proudest": (
        "The family now runs the network meeting themselves.",
        "The child told me the plan in her own words.",
    ),
}
# The workflow's path of a signed-off audit: (from, to, who), "who" naming one of the three people.
PATH = (
    ("", AuditStatus.PLANNED, "qa_lead"),
    (AuditStatus.PLANNED, AuditStatus.SELF_ASSESSMENT, "practitioner"),
    (AuditStatus.SELF_ASSESSMENT, AuditStatus.CONVERSATION, "practitioner"),
    (AuditStatus.CONVERSATION, AuditStatus.SUBMITTED, "auditor"),
    (AuditStatus.SUBMITTED, AuditStatus.SIGNED_OFF, "qa_lead"),
)


@dataclass(frozen=True)
class Staff:
    """Who audits in one authority: practitioners and auditors by team (None: any team)."""

    practitioners: dict[int | None, list[int]]
    auditors: dict[int | None, list[int]]
    qa_lead: int

    def pick(self, people: dict[int | None, list[int]], team_id: int | None, rng: random.Random) -> int:
        return rng.choice(people.get(team_id) or people[None])


def audit_count(children: int) -> int:
    """How many audits an authority of ``children`` children gets."""
    return round(children * AUDITS_PER_CHILD)


def _staff(authority: Authority) -> Staff | None:
    """The authority's practitioners, auditors (team managers, else QA leads) and a QA lead to sign
    off; None when it lacks a practitioner or an auditor."""
    practitioners: dict[int | None, list[int]] = {None: []}
    auditors: dict[int | None, list[int]] = {None: []}
    qa_leads: list[int] = []
    memberships = Membership.objects.filter(authority=authority).order_by("user_id", "pk")
    for user_id, team_id, role in memberships.values_list("user_id", "team_id", "role"):
        if role == Role.PRACTITIONER:
            found = practitioners
        elif role == Role.TEAM_MANAGER:
            found = auditors
        elif role == Role.QA_LEAD:
            qa_leads.append(user_id)
            continue
        else:
            continue
        found[None].append(user_id)
        if team_id is not None:
            found.setdefault(team_id, []).append(user_id)
    if not auditors[None]:
        auditors[None] = qa_leads
    if not practitioners[None] or not auditors[None]:
        return None
    return Staff(practitioners, auditors, qa_leads[0] if qa_leads else auditors[None][0])


def _quarter_starts(as_of: date, count: int) -> list[date]:
    """The first days of the ``count`` quarters before the one holding ``as_of``, oldest first."""
    index = as_of.year * 4 + (as_of.month - 1) // 3
    return [date((index - n) // 4, (index - n) % 4 * 3 + 1, 1) for n in range(count, 0, -1)]


def _answer_value(item, rng: random.Random):
    if item.type == "scale":
        return rng.randint(3, 9)
    if item.type == "text":
        return rng.choice(NARRATIVE.get(item.key, NARRATIVE["what-working-well"]))
    if item.type == "yes_partly_no":
        return rng.choice(["yes", "yes", "partly", "no"])
    if item.options:
        return item.options[0][0]
    return None


@transaction.atomic
def generate_for_authority(
    *, authority: Authority, count: int, seed: int, as_of: date, quarters: int = QUARTERS
) -> int:
    """Write ``count`` signed-off audits for the authority; returns how many (0 when it already has
    audits, has no children or lacks the staff to audit)."""
    if count < 1 or Audit.objects.filter(authority=authority).exists():
        return 0
    staff = _staff(authority)
    children = list(
        Child.objects.filter(authority=authority).order_by("la_child_id").values_list("pk", "team_id")
    )
    if staff is None or not children:
        return 0
    tool_record = Tool.objects.get(key="case-audit", authority__isnull=True)
    qa_lead = User.objects.get(pk=staff.qa_lead)
    library.tool_adopt(authority=authority, tool=tool_record, acting_user=qa_lead)
    version, adaptation = tool_in_use(authority=authority, tool=tool_record)
    items = resolved_tool(version=version, adaptation=adaptation).items()
    rubric = [item for item in items if item.type == "rubric"]
    others = [item for item in items if item.type != "rubric"]
    rng = random.Random(f"synthetic-audits:{seed}:{authority.code}")
    starts = _quarter_starts(as_of, quarters)
    audits: list[Audit] = []
    plans: list[tuple[dict[str, int], dict[str, int]]] = []
    for number in range(count):
        index = number * len(starts) // count  # as many audits in each quarter
        child_id, team_id = rng.choice(children)
        signed = timezone.make_aware(
            datetime.combine(starts[index] + timedelta(days=rng.randint(3, 85)), time(15, 0))
        )
        if signed.date() > as_of:
            signed = timezone.make_aware(datetime.combine(as_of, time(9, 0)))
        base = 1.9 + 0.12 * index
        levels = {item.key: max(1, min(4, round(rng.gauss(base, 0.7)))) for item in rubric}
        people = {
            "practitioner": staff.pick(staff.practitioners, team_id, rng),
            "auditor": staff.pick(staff.auditors, team_id, rng),
            "qa_lead": staff.qa_lead,
        }
        if people["auditor"] == people["practitioner"]:
            people["auditor"] = staff.qa_lead
        audits.append(
            Audit(
                authority=authority,
                child_id=child_id,
                team_id=team_id,
                tool_version=version,
                adaptation=adaptation,
                source=AuditSource.RANDOM,
                practitioner_id=people["practitioner"],
                auditor_id=people["auditor"],
                status=AuditStatus.SIGNED_OFF,
                due_on=signed.date(),
                overall_level=max(1, min(4, round(sum(levels.values()) / len(levels) + 1e-9))),
                family_consent="given" if rng.random() < 0.6 else "not_asked",
                submitted_at=signed - timedelta(days=2),
                signed_off_at=signed,
                signed_off_by_id=staff.qa_lead,
                revision=4,
            )
        )
        plans.append((levels, people))
    created = bulk_create_with_history(
        audits, Audit, batch_size=BATCH, default_user=qa_lead, default_change_reason="Synthetic audits"
    )
    # created_at is set on insert; the audit was planned three weeks before its sign-off.
    Audit.objects.filter(authority=authority).update(created_at=F("signed_off_at") - timedelta(days=20))
    answers: list[AuditAnswer] = []
    moves: list[AuditMove] = []
    actions: list[LearningAction] = []
    for audit, (levels, people) in zip(created, plans, strict=True):
        auditor = people["auditor"]
        answers.extend(
            AuditAnswer(
                audit_id=audit.pk,
                item_key=key,
                self_level=max(1, min(4, level + rng.choice((0, 0, 1, -1)))),
                auditor_level=level,
                agreed_level=level,
                revision=2,
                updated_by_id=auditor,
            )
            for key, level in levels.items()
        )
        answers.extend(
            AuditAnswer(
                audit_id=audit.pk,
                item_key=item.key,
                value=_answer_value(item, rng),
                revision=1,
                updated_by_id=auditor,
            )
            for item in others
        )
        moves.extend(
            AuditMove(audit_id=audit.pk, from_status=old, to_status=new, moved_by_id=people[who])
            for old, new, who in PATH
        )
        if audit.team_id is not None:
            signed_on = audit.signed_off_at.date() if audit.signed_off_at else as_of
            due = signed_on + timedelta(days=30)
            done = due - timedelta(days=rng.randint(-10, 20)) if rng.random() < 0.85 else None
            actions.append(
                LearningAction(
                    audit_id=audit.pk,
                    team_id=audit.team_id,
                    description=rng.choice(NARRATIVE["what-needs-to-happen"]),
                    owner_id=people["practitioner"],
                    due_on=due,
                    completed_on=done if done is not None and done <= as_of else None,
                    created_by_id=auditor,
                )
            )
    AuditAnswer.objects.bulk_create(answers, batch_size=BATCH)
    AuditMove.objects.bulk_create(moves, batch_size=BATCH)
    LearningAction.objects.bulk_create(actions, batch_size=BATCH)
    return len(created)


def generate(
    *,
    authorities: list[Authority],
    seed: int,
    as_of: date,
    per_child: float = AUDITS_PER_CHILD,
    per_authority: int | None = None,
    quarters: int = QUARTERS,
) -> dict[str, int]:
    """Audits for each authority (``per_authority`` each, else ``per_child`` times its children);
    returns the number written per authority code."""
    written = {}
    for authority in authorities:
        count = per_authority
        if count is None:
            count = round(Child.objects.filter(authority=authority).count() * per_child)
        written[authority.code] = generate_for_authority(
            authority=authority, count=count, seed=seed, as_of=as_of, quarters=quarters
        )
    return written
