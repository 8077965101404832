"""The demo's knowledge library and access records, as ``manage.py seed_demo_knowledge`` makes them.

Programme resources point at well-known public pages (the Signs of Safety site and knowledge bank,
gov.uk, the evaluations); each is tagged so that every item of the demo's case audit shows some
guidance. Ashdown has two local resources (one an uploaded PDF). A few people in each authority
have access to the knowledge bank, some of them expiring within 30 days and one expired. Dates are
relative to today, so the demo always has reminders due. Running it again changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.demo import PERSONAS
from accounts.models import Authority, Role, User
from fidelity.models import ResultsNode, RubricElement
from knowledge import services
from knowledge.models import DEFAULT_COLLECTION, KnowledgeAccess, Resource, ResourceKind

RUBRIC_KEY = "sofs-case-practice"
SOFS = "https://www.signsofsafety.net/"
BANK = "https://knowledgebank.signsofsafety.net/"
K = ResourceKind


@dataclass(frozen=True)
class DemoResource:
    title: str
    kind: str
    summary: str
    url: str = ""
    elements: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    authority_code: str | None = None
    file_html: str = ""  # a local resource uploaded as a PDF made from this HTML


PROGRAMME = [
    DemoResource(
        "Signs of Safety: an introduction to the practice framework",
        K.GUIDANCE,
        "The principles, disciplines and tools of Signs of Safety in one place: working relationships, "
        "a stance of critical inquiry and grounding in everyday practice. Start here if you are new.",
        SOFS,
        ("P1", "P13"),
        ("practice_fidelity", "practice_fidelity.principles"),
    ),
    DemoResource(
        "The assessment and planning map: three columns and seven categories",
        K.TOOL,
        "How to map a case with the family: harm, danger and complicating factors under “What are we "
        "worried about?”, strengths and existing safety under “What’s working well?”, and goals and "
        "next steps under “What needs to happen?”.",
        BANK,
        ("P1", "P3", "P4", "P11"),
        ("practice_fidelity.case_tools.map", "practice_fidelity"),
    ),
    DemoResource(
        "Writing harm statements that describe what happened",
        K.GUIDANCE,
        "Past harm written behaviourally (who did what, when, and the impact on the child), in plain "
        "language the family recognises. With before-and-after examples from case records.",
        BANK,
        ("P1",),
        ("practice_fidelity.case_tools.map",),
    ),
    DemoResource(
        "Danger statements and safety goals: a worked guide",
        K.GUIDANCE,
        "What will happen to the child if nothing changes, in the family’s words where possible and with "
        "disagreement recorded, each paired with a safety goal that names observable behaviour sustained "
        "over time.",
        BANK,
        ("P2", "P5"),
        ("practice_fidelity.case_tools.danger_statements", "practice_fidelity.case_tools.safety_goals"),
    ),
    DemoResource(
        "Complicating factors: keeping them apart from harm and danger",
        K.GUIDANCE,
        "Why poverty, housing or a parent’s own history belong in complicating factors, and how keeping "
        "them separate keeps the danger statement sharp and the plan realistic.",
        BANK,
        ("P3",),
        ("practice_fidelity.case_tools.map",),
    ),
    DemoResource(
        "Existing safety is not the same as strengths",
        K.TRAINING,
        "A short training module on telling protective actions demonstrated over time, when the danger "
        "was present, from the family’s wider strengths; with exercises for team meetings.",
        BANK,
        ("P4",),
        ("practice_fidelity.principles",),
    ),
    DemoResource(
        "Scaling questions: anchors, perspectives and rationale",
        K.TOOL,
        "Asking the 0–10 safety scale of the parent, the child, the network and the worker; writing the "
        "anchors for 0 and 10; recording each person’s reasons and the trend from review to review.",
        BANK,
        ("P6", "P14"),
        ("practice_fidelity.case_tools.scaling", "outcomes.children_families"),
    ),
    DemoResource(
        "Three Houses and the Wizard and Fairy tools for children",
        K.TOOL,
        "Age-appropriate ways to hear the child: worries, good things and dreams. How to prepare, how to "
        "share the houses with parents, and how the child’s views shape the plan.",
        BANK,
        ("P7",),
        ("practice_fidelity.case_tools.childs_voice", "outcomes.children_families.child_experience"),
    ),
    DemoResource(
        "Words and Pictures: explaining the worries to children",
        K.TOOL,
        "Drafting the story with parents, in their words, of why professionals are worried and what is "
        "happening now; sharing it with the child and the safety network.",
        BANK,
        ("P8",),
        ("practice_fidelity.case_tools.words_pictures",),
    ),
    DemoResource(
        "Building a safety network with the family",
        K.GUIDANCE,
        "Finding the family’s natural network, telling it the danger statements and safety goals, and "
        "keeping it active: the steps from preparation to managing the plan over time.",
        BANK,
        ("P9", "P10"),
        ("practice_fidelity.case_tools.network",),
    ),
    DemoResource(
        "Safety planning: a journey, not a product",
        K.VIDEO,
        "A recorded practice workshop on family-owned safety plans: detailed rules written with the "
        "network, bottom lines made explicit, the child involved, monitoring agreed.",
        BANK,
        ("P10", "P11"),
        ("practice_fidelity.case_tools.safety_plan", "practice_fidelity.processes.family_owned_plans"),
    ),
    DemoResource(
        "Participatory child protection conferences",
        K.GUIDANCE,
        "Running conferences so that the family and the child take part: the map on the wall, danger "
        "statements scaled by everyone, decisions explained plainly, authority used transparently.",
        BANK,
        ("P12",),
        ("practice_fidelity.processes.participatory_meetings", "practice_fidelity.processes"),
    ),
    DemoResource(
        "Working Together to Safeguard Children 2023",
        K.GUIDANCE,
        "The statutory guidance on inter-agency working to safeguard and promote the welfare of children "
        "in England (Department for Education, December 2023), including the expectations on assessment, "
        "section 47 enquiries and child protection conferences.",
        "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2",
        ("P11", "P12"),
        ("practice_fidelity.processes", "outcomes.children_families"),
    ),
    DemoResource(
        "Children’s social care national framework",
        K.GUIDANCE,
        "The Department for Education’s statutory guidance on the purpose, principles and outcomes of "
        "children’s social care, to read alongside Working Together.",
        "https://www.gov.uk/government/publications/childrens-social-care-national-framework",
        ("P14",),
        ("outcomes.children_families", "outcomes"),
    ),
    DemoResource(
        "Group supervision and case mapping in teams",
        K.TRAINING,
        "The group supervision process step by step: the presenting worker, the map, the questions, the "
        "scaling and the next steps; how it builds a stance of critical inquiry.",
        BANK,
        ("P13",),
        ("practice_fidelity.principles", "implementation_fidelity.learning"),
    ),
    DemoResource(
        "Appreciative inquiry: the EARS conversation",
        K.TRAINING,
        "Elicit, Amplify, Reflect, Start over: a solution-focused conversation about work done well. Use "
        "it with the audit’s “what are you proudest of?” question.",
        BANK,
        ("P13",),
        ("implementation_fidelity.learning",),
    ),
    DemoResource(
        "Evaluation of MTM’s Signs of Safety pilots (EIP2)",
        K.RESEARCH,
        "The Department for Education’s evaluation of the second Innovation Programme (Baginsky and "
        "colleagues, October 2020): deep dives, staff survey, assessment examination and outcomes. Read for what "
        "changed, and the warning against adding recording burden.",
        BANK
        + "resources/signs-of-safety-research/research-articles/evaluation-of-mtms-signs-of-safety-pilots",
        ("P14",),
        ("outcomes", "implementation_fidelity"),
    ),
    DemoResource(
        "The EIP evaluations: statement by Munro, Turnell and Murphy",
        K.RESEARCH,
        "MTM’s response to the evaluations of the Innovation Programme: why results depended on what each "
        "authority did, above all its leadership and how far it aligned its systems with the practice.",
        SOFS + "eip-signs-of-safety-research-statement-by-munro-turnell-and-murphy/",
        ("P14",),
        ("outcomes.children_families", "practice_fidelity"),
    ),
    DemoResource(
        "Munro review of child protection: a child-centred system",
        K.RESEARCH,
        "Professor Eileen Munro’s final report (2011) on moving from compliance to learning: the case for "
        "professional judgement, feedback and systems that build practice.",
        "https://www.gov.uk/government/publications/munro-review-of-child-protection-final-report-a-child-centred-system",
        ("P13",),
        ("practice_fidelity.principles", "implementation_fidelity.alignment"),
    ),
    DemoResource(
        "Collaborative case audit: a guide for auditors and practitioners",
        K.GUIDANCE,
        "How to hold the audit conversation: the practitioner rates first, both views are kept, evidence "
        "is found together, and the three columns lead to one to three learning actions.",
        BANK,
        ("P11", "P13"),
        ("practice_fidelity", "implementation_fidelity.learning", "implementation_fidelity.measures"),
    ),
    DemoResource(
        "The family’s voice: asking for feedback after an audit",
        K.TOOL,
        "Short questions for parents and children, by phone or on a visit, and how to record consent or "
        "why it was not asked.",
        BANK,
        ("P12", "P7"),
        ("outcomes.children_families.family_experience", "outcomes.children_families"),
    ),
]

LOCAL = [
    DemoResource(
        "Ashdown practice standard: danger statements and safety goals",
        K.GUIDANCE,
        "Ashdown’s one-page standard for danger statements and safety goals, agreed by the practice "
        "leads in 2025: what every child protection plan in Ashdown includes.",
        elements=("P2", "P5"),
        nodes=("practice_fidelity.case_tools.danger_statements",),
        authority_code="991",
        file_html=(
            "<h1>Ashdown practice standard</h1><h2>Danger statements and safety goals</h2>"
            "<p>Every child protection plan has one danger statement for each worry, written with the "
            "family, and a safety goal for each, naming the behaviour and how long it is sustained.</p>"
            "<p>Scale each danger statement with the parents, the child and the network at every review.</p>"
        ),
    ),
    DemoResource(
        "Ashdown group supervision timetable and booking",
        K.TRAINING,
        "When and where the monthly group supervision sessions run in Ashdown, and how a team books a "
        "slot to map a case together.",
        url="https://intranet.ashdown.example/childrens-services/group-supervision",
        elements=("P13",),
        nodes=("implementation_fidelity.learning",),
        authority_code="991",
    ),
]

# (username, days from today to the expiry; negative: expired) for each authority's demo people.
ACCESS = {
    "991": [("alice", 21), ("bob", 200), ("quinn", 320), ("leah", 6)],
    "992": [("charlie", 28), ("dana", 150), ("quentin", 300), ("leon", -12)],
    "993": [("cara", 90), ("queenie", 25), ("lorna", 240)],
    "994": [("dev", 12), ("quade", 180)],
    "995": [("eve", 45), ("quincy", 300)],
}


def _pdf(html: str) -> bytes:
    from reports.services import pdf_from_html

    return pdf_from_html(f"<html><body style='font-family: sans-serif'>{html}</body></html>").content


def _tags(resource: Resource, spec: DemoResource) -> None:
    resource.rubric_elements.set(RubricElement.objects.filter(rubric__key=RUBRIC_KEY, key__in=spec.elements))
    resource.nodes.set(ResultsNode.objects.filter(key__in=spec.nodes))


@transaction.atomic
def seed_resources(*, editor: User | None = None) -> int:
    """The programme library and Ashdown's local resources; returns how many were created."""
    created = 0
    authorities = {a.code: a for a in Authority.objects.filter(code__in={"991"})}
    for spec in [*PROGRAMME, *LOCAL]:
        authority = authorities.get(spec.authority_code) if spec.authority_code else None
        if spec.authority_code and authority is None:
            continue
        if Resource.objects.filter(title=spec.title, authority=authority).exists():
            continue
        resource = Resource(
            title=spec.title, summary=spec.summary, kind=spec.kind, url=spec.url, authority=authority
        )
        if spec.file_html:
            slug = "".join(c if c.isalnum() else "-" for c in spec.title.lower()).strip("-")[:60]
            resource.file.save(f"{slug}.pdf", ContentFile(_pdf(spec.file_html)), save=False)
        resource.full_clean()
        resource._history_user = editor  # type: ignore[attr-defined]
        resource.save()
        _tags(resource, spec)
        created += 1
    return created


def seed_access(*, today: date | None = None, seed: int = 2026) -> int:
    """Access records for a few people in each demo authority, granted by its QA lead."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    personas = {p.username: p for p in PERSONAS}
    users = {u.username: u for u in User.objects.filter(username__in=personas)}
    created = 0
    for code, people in ACCESS.items():
        authority = Authority.objects.filter(code=code).first()
        lead = next(
            (users.get(p.username) for p in PERSONAS if p.authority_code == code and p.role == Role.QA_LEAD),
            None,
        )
        if authority is None or lead is None:
            continue
        for username, days in people:
            user = users.get(username)
            if user is None:
                continue
            if KnowledgeAccess.objects.filter(
                authority=authority, user=user, what=DEFAULT_COLLECTION
            ).exists():
                continue
            expires_on = today + timedelta(days=days)
            granted_on = expires_on - timedelta(days=365 + rng.randint(0, 30))
            services.access_grant(
                authority=authority,
                user=user,
                expires_on=expires_on,
                granted_on=granted_on,
                acting_user=lead,
            )
            created += 1
    return created
