"""The demo's audits, as ``make demo`` creates them (everything made up).

Two parts:
- history: signed-off audits over the last eight quarters for each demo authority, written
  directly as rows (a synthetic record of past work, like the generated returns), so that the
  audit measures have trends;
- the walkthrough, done through the services exactly as people would: in Ashdown, alice
  (practitioner) and bob (team manager, auditor) have an audit in conversation, with alice's
  self-ratings in, a family's feedback attached and learning actions set; another audit graded
  "not evident" waits for quinn's blind moderation; a sampling plan is ready to draw.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Authority, Membership, Role, User
from audits import services as library
from audits.models import (
    Answer,
    Audit,
    AuditAnswer,
    AuditMove,
    AuditSource,
    AuditStatus,
    FeedbackChannel,
    FeedbackRequest,
    LearningAction,
    Moderation,
    Response,
    SamplingPlan,
    Tool,
)
from audits.selectors import resolved_tool, tool_in_use
from audits.voice import feedback_tool_in_use
from cases.models import Child

NARRATIVE = {
    "what-working-well": [
        "Grandmother collects the children from school every day and the school confirms it.",
        "Mum and dad wrote the safety rules with the network and keep to them.",
        "The danger statement and safety goals are in the family's own words and they can say them back.",
        "Scaling questions were asked of the parents, the child and the network, and the answers recorded.",
        "The worker used three houses with both children and their words are in the plan.",
        "The child's words and pictures story is on the fridge and she reads it with her aunt.",
    ],
    "what-worried-about": [
        "If dad drinks again and shouts at mum, the children may be hurt or very frightened.",
        "The danger statement still uses professional words the family did not recognise.",
        "Scaling has been done by the worker only, not by the parents or the child.",
        "The safety network is only professionals; no family member or friend has been asked yet.",
        "The plan was written for the family, not with them, and the child has not seen it.",
        "Nobody has checked what the child thinks since the first visit.",
    ],
    "what-needs-to-happen": [
        "Rewrite the danger statement with mum and dad in their own words before the review.",
        "Ask the child, the parents and two network members to scale safety at the next visit.",
        "Agree with the network who checks in at weekends and how they will tell the worker.",
        "Hold a network meeting with at least two people the family chose before the next review.",
        "Share the words and pictures explanation with the child and the people who look after her.",
        "Bring the safety plan to supervision and check each rule has a named person.",
    ],
    "proudest": [
        "The family now runs the network meeting themselves.",
        "Getting dad to the table after months of him refusing to meet us.",
        "The child told me the plan in her own words.",
    ],
}


def _quarter_ends(today: date, count: int) -> list[date]:
    ends, year, month = [], today.year, ((today.month - 1) // 3) * 3 + 1
    for _ in range(count):
        month -= 3
        if month < 1:
            month += 12
            year -= 1
        start = date(year, month, 1)
        ends.append(start)
    return sorted(ends)


def _people(authority: Authority) -> dict[str, User]:
    found: dict[str, User] = {}
    for membership in Membership.objects.filter(authority=authority).select_related("user"):
        found.setdefault(membership.role, membership.user)
    return found


def _case_audit() -> Tool:
    return Tool.objects.get(key="case-audit", authority__isnull=True)


@transaction.atomic
def seed_history(*, authority: Authority, seed: int, per_quarter: int = 15) -> int:
    """Signed-off audits of past quarters, with rising practice (idempotent: only when none exist)."""
    if Audit.objects.filter(authority=authority).exists():
        return 0
    people = _people(authority)
    practitioner = people.get(Role.PRACTITIONER)
    auditor = people.get(Role.TEAM_MANAGER) or people.get(Role.QA_LEAD)
    if practitioner is None or auditor is None:
        return 0
    qa_lead = people.get(Role.QA_LEAD) or auditor
    library.tool_adopt(authority=authority, tool=_case_audit(), acting_user=qa_lead)
    version, adaptation = tool_in_use(authority=authority, tool=_case_audit())
    tool = resolved_tool(version=version, adaptation=adaptation)
    rubric = [item for item in tool.items() if item.type == "rubric"]
    rng = random.Random(f"{seed}-{authority.code}")
    children = list(Child.objects.filter(authority=authority, team__isnull=False).order_by("la_child_id"))
    if not children:
        return 0
    # The family and child feedback tools, adopted as the audit's voice section would.
    feedback_tools = {
        respondent: feedback_tool_in_use(authority=authority, respondent=respondent, acting_user=qa_lead)
        for respondent in ("family", "child")
    }
    offset = {"991": 0.4, "992": 0.0, "993": -0.3, "994": 0.2, "995": -0.1}.get(authority.code, 0.0)
    created = 0
    quarters = _quarter_ends(timezone.localdate(), 8)
    for index, quarter_start in enumerate(quarters):
        base = 1.9 + offset + index * 0.12
        for _ in range(per_quarter):
            child = rng.choice(children)
            signed = timezone.make_aware(
                datetime.combine(quarter_start + timedelta(days=rng.randint(5, 85)), time(15, 0))
            )
            levels = {item.key: max(1, min(4, round(rng.gauss(base, 0.7)))) for item in rubric}
            overall = max(1, min(4, round(sum(levels.values()) / len(levels) + 1e-9)))
            audit = Audit.objects.create(
                authority=authority,
                child=child,
                team_id=child.team_id,
                tool_version=version,
                adaptation=adaptation,
                source=AuditSource.RANDOM,
                practitioner=practitioner,
                auditor=auditor,
                status=AuditStatus.SIGNED_OFF,
                due_on=signed.date(),
                overall_level=overall,
                family_consent="given" if rng.random() < 0.6 else "not_asked",
                submitted_at=signed - timedelta(days=2),
                signed_off_at=signed,
                signed_off_by=qa_lead,
            )
            Audit.objects.filter(pk=audit.pk).update(created_at=signed - timedelta(days=20))
            answers = [
                AuditAnswer(
                    audit=audit,
                    item_key=key,
                    self_level=max(1, min(4, level + rng.choice([0, 0, 1, -1]))),
                    auditor_level=level,
                    agreed_level=level,
                    revision=2,
                    updated_by=auditor,
                )
                for key, level in levels.items()
            ]
            answers += [
                AuditAnswer(
                    audit=audit, item_key=key, value=rng.choice(texts), revision=1, updated_by=auditor
                )
                for key, texts in NARRATIVE.items()
            ]
            AuditAnswer.objects.bulk_create(answers)
            path = [
                ("", AuditStatus.PLANNED, qa_lead),
                (AuditStatus.PLANNED, AuditStatus.SELF_ASSESSMENT, practitioner),
                (AuditStatus.SELF_ASSESSMENT, AuditStatus.CONVERSATION, practitioner),
                (AuditStatus.CONVERSATION, AuditStatus.SUBMITTED, auditor),
                (AuditStatus.SUBMITTED, AuditStatus.SIGNED_OFF, qa_lead),
            ]
            AuditMove.objects.bulk_create(
                AuditMove(audit=audit, from_status=a, to_status=b, moved_by=who) for a, b, who in path
            )
            _voice_and_moderation(
                audit, levels=levels, base=base, rng=rng, tools=feedback_tools, staff=auditor, qa_lead=qa_lead
            )
            if child.team_id:
                due = signed.date() + timedelta(days=30)
                done = due - timedelta(days=rng.randint(-10, 20)) if rng.random() < 0.85 else None
                LearningAction.objects.create(
                    audit=audit,
                    team_id=child.team_id,
                    description=rng.choice(NARRATIVE["what-needs-to-happen"]),
                    owner=practitioner,
                    due_on=due,
                    completed_on=done if done and done <= timezone.localdate() else None,
                    created_by=auditor,
                )
            created += 1
    return created


def _feedback_answers(respondent: str, base: float, rng: random.Random) -> dict[str, object]:
    """Answers that get kinder as practice deepens (``base`` is the quarter's mean level)."""

    def yes_partly_no() -> str:
        roll = rng.gauss(base, 0.8)
        return "yes" if roll >= 2.6 else "partly" if roll >= 1.8 else "no"

    if respondent == "family":
        return {
            "explained-worries": yes_partly_no(),
            "listened-to": yes_partly_no(),
            "know-what-needs-to-happen": yes_partly_no(),
            "network-involved": yes_partly_no(),
            "your-plan": max(0, min(10, round(rng.gauss(base * 2.2, 1.5)))),
        }
    return {
        "explained-worries": yes_partly_no(),
        "words-pictures-helped": yes_partly_no(),
        "agree-what-needs-to-happen": yes_partly_no(),
        "plan-tells-everyone": yes_partly_no(),
    }


def _voice_and_moderation(
    audit: Audit, *, levels: dict[str, int], base: float, rng: random.Random, tools, staff, qa_lead
) -> None:
    """Family and child feedback taken on a visit or by phone for some audits, and a blind
    moderation (mostly agreeing) for about one in five."""
    signed = audit.signed_off_at
    assert signed is not None  # the history's audits are all signed off
    for respondent, chance in (("family", 0.7), ("child", 0.35)):
        if respondent == "family" and audit.family_consent != "given":
            continue
        if rng.random() >= chance:
            continue
        version, adaptation = tools[respondent]
        response = Response.objects.create(
            authority=audit.authority, tool_version=version, adaptation=adaptation
        )
        Answer.objects.bulk_create(
            Answer(response=response, item_key=key, value=value)
            for key, value in _feedback_answers(respondent, base, rng).items()
        )
        FeedbackRequest.objects.create(
            audit=audit,
            respondent=respondent,
            channel=rng.choice([FeedbackChannel.PHONE, FeedbackChannel.VISIT]),
            response=response,
            created_by=staff,
            answered_at=signed - timedelta(days=rng.randint(3, 10)),
        )
    if rng.random() < 0.2:
        ratings = {key: max(1, min(4, level + rng.choice([0, 0, 0, 1, -1]))) for key, level in levels.items()}
        Moderation.objects.create(
            audit=audit,
            moderator=qa_lead,
            reason_selected="sample",
            ratings=ratings,
            completed_at=signed - timedelta(days=1),
        )


def ensure_sampling_plan(*, authority: Authority) -> SamplingPlan:
    plan, _ = SamplingPlan.objects.get_or_create(
        authority=authority,
        name="Monthly case audit",
        defaults={"tool": _case_audit(), "cin_per_team": 1, "cp_per_team": 1, "cla_per_team": 1},
    )
    return plan


def seed(*, seed: int = 2026) -> dict[str, int]:
    counts = {}
    for authority in Authority.objects.filter(code__in=["991", "992", "993", "994", "995"]).order_by("code"):
        counts[authority.code] = seed_history(authority=authority, seed=seed)
        ensure_sampling_plan(authority=authority)
    return counts


def _answer_for(item, rng: random.Random):
    if item.type == "scale":
        return rng.randint(5, 8)
    if item.type == "yes_partly_no":
        return rng.choice(["yes", "yes", "partly"])
    if item.type in ("single_choice",) and item.options:
        return item.options[0][0]
    if item.type == "multiple_choice" and item.options:
        return [item.options[0][0]]
    if item.type == "text":
        return rng.choice(
            [
                "The worker listened and wrote down what we said in our words.",
                "Nana and our neighbour are part of the plan now and we meet every month.",
                "We want the children home from school without any shouting in the house.",
            ]
        )
    return None


def seed_walkthrough(*, seed: int = 2026) -> str:
    """The live audits of the demo, made through the services as the people would make them."""
    from audits import auditing, learning, voice

    authority = Authority.objects.filter(code="991").first()
    if authority is None:
        return "No Ashdown: run seed_demo first."
    alice = User.objects.get(username="alice")
    bob = User.objects.get(username="bob")
    quinn = User.objects.get(username="quinn")
    live = Audit.objects.filter(authority=authority, practitioner=alice).exclude(
        status=AuditStatus.SIGNED_OFF
    )
    if live.exists():
        return "The walkthrough audits are already there."
    rng = random.Random(seed)
    audited = Audit.objects.filter(authority=authority).values("child_id")
    children = list(
        Child.objects.filter(authority=authority, team__memberships__user=bob)
        .exclude(pk__in=audited)
        .filter(cp_plans__end_date__isnull=True)
        .distinct()
        .order_by("la_child_id")[:2]
    )
    if len(children) < 2:
        return "Not enough open child protection cases in bob's team for the walkthrough."
    today = timezone.localdate()
    team = children[0].team
    assert team is not None  # the children were chosen through bob's team

    # 1. alice and bob, mid-conversation, with the family's voice and learning actions.
    audit = auditing.audit_create(
        child=children[0],
        practitioner=alice,
        auditor=bob,
        acting_user=quinn,
        due_on=today + timedelta(days=14),
    )
    tool = resolved_tool(version=audit.tool_version, adaptation=audit.adaptation)
    auditing.audit_move(audit=audit, to_status=AuditStatus.SELF_ASSESSMENT, acting_user=alice)
    for item in tool.items():
        if item.type == "rubric":
            auditing.answer_save(
                audit=audit,
                item_key=item.key,
                acting_user=alice,
                expected_revision=0,
                self_level=rng.choice([2, 3, 3]),
            )
    auditing.answer_save(
        audit=audit,
        item_key="proudest",
        acting_user=alice,
        expected_revision=0,
        value=NARRATIVE["proudest"][0],
    )
    auditing.audit_move(audit=audit, to_status=AuditStatus.CONVERSATION, acting_user=alice)
    auditing.consent_record(audit=audit, consent="given", note="", acting_user=bob)
    request = voice.feedback_request_create(
        audit=audit, respondent="family", channel="phone", acting_user=bob
    )
    family_tool = voice.feedback_tool(authority=authority, respondent="family", acting_user=bob)
    answers = {item.key: _answer_for(item, rng) for item in family_tool.items()}
    voice.feedback_answer(
        request=request, answers={k: v for k, v in answers.items() if v is not None}, acting_user=bob
    )
    learning.action_add(
        audit=audit,
        team=team,
        description="Rewrite the danger statement with mum and dad in their own words before the review conference.",
        owner=alice,
        due_on=today + timedelta(days=21),
        acting_user=bob,
    )

    # 2. An audit graded "not evident": submitted by bob, waiting for quinn's blind moderation.
    second = auditing.audit_create(child=children[1], practitioner=alice, auditor=bob, acting_user=quinn)
    auditing.audit_move(audit=second, to_status=AuditStatus.SELF_ASSESSMENT, acting_user=alice)
    rubric = [item for item in tool.items() if item.type == "rubric"]
    for item in rubric:
        auditing.answer_save(
            audit=second, item_key=item.key, acting_user=alice, expected_revision=0, self_level=2
        )
    auditing.audit_move(audit=second, to_status=AuditStatus.CONVERSATION, acting_user=alice)
    for item in rubric:
        auditing.answer_save(
            audit=second,
            item_key=item.key,
            acting_user=bob,
            expected_revision=1,
            auditor_level=1,
            agreed_level=1,
            disagreement="Alice saw emerging practice; we agreed the record does not show it yet.",
        )
    auditing.audit_move(audit=second, to_status=AuditStatus.SUBMITTED, acting_user=bob)
    return (
        f"Walkthrough: audit {audit.pk} (alice and bob, in conversation) and audit {second.pk} "
        f"(graded not evident, waiting for moderation)."
    )
