"""The demo's workshops, reflections and journal (made up), written through the services as the
people would: pam (programme team) runs the workshops and publishes the journal; the leaders and
QA leads of the five demo authorities answer the polls and write their reflections.

- last quarter: a workshop held and closed, with answers from every authority (one hidden by pam,
  with her reason), every authority's reflection, and the published journal;
- this quarter: a workshop open now with a couple of answers, so that a demo user can answer at
  its short link and watch the results.

Idempotent: what exists already (found by title, quarter and person) is left as it is.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from accounts.models import Authority, User
from journal import services
from journal.models import Journal, PollAnswer, Workshop, WorkshopStatus
from reports import quarters

SEED = 2026

# (authority code, username, achievement, challenge, next workshop)
LAST_QUARTER_ANSWERS = [
    (
        "991",
        "leah",
        "Every child protection conference in the north team now opens with the family's own words "
        "about what is working well. Parents told us it felt like their meeting, not ours.",
        "Agency staff turnover in the Front Door: three new managers in twelve weeks, and each one "
        "had to learn the mapping format from scratch.",
        "How other authorities keep safety plans alive after the case closes.",
    ),
    (
        "991",
        "quinn",
        "Our first month with every sampled audit done as a conversation with the practitioner, "
        "not a desk review.",
        "Getting the child's voice into audits of very young children (under 2s).",
        "",
    ),
    (
        "992",
        "leon",
        "We cut the wait for an initial child protection conference by four working days, by "
        "booking the room when the strategy discussion is held.",
        "Danger statements are still written in professional language that parents say they do "
        "not recognise.",
        "Writing danger statements & safety goals with parents: a practical session, please!",
    ),
    (
        "993",
        "lorna",
        "Foster carers joined our safety network training for the first time; 31 came.",
        "Court timescales keep pulling practitioners back into reports instead of time with families.",
        "Hearing from a family who has been through a participatory conference.",
    ),
    (
        "993",
        "queenie",
        "Moderation agreement rose across the service after we paired new auditors with experienced ones.",
        "The Smith family's case in the Children in Care team showed how hard it is to keep the "
        "network going over a placement move.",
        "",
    ),
    (
        "994",
        "quade",
        "The Front Door now records the family's view at every contact.\nIt took a new field in the "
        "case system and a lot of reminding.",
        "Supervision time: managers tell us the QA conversations compete with everything else.",
        "Using the implementation self-scale with the leadership team.",
    ),
    (
        "995",
        "quincy",
        "Learning actions from audits are now reviewed at every team meeting, and most are done on time.",
        "Recruiting experienced social workers to the south team.",
        "What “good” looks like for a safety plan written with a teenager.",
    ),
]
# The answer pam hides, and why (it names a family).
HIDDEN = ("993", "queenie", "challenge")
HIDDEN_REASON = "It names a family. Answers are shared with every authority, so families are never named."

THIS_QUARTER_ANSWERS = [
    (
        "992",
        "quentin",
        "Family network meetings are now offered at every child in need review.",
        "Keeping audit conversations going during the winter pressures.",
        "",
    ),
    (
        "995",
        "quincy",
        "Our first participatory conference chaired by a practitioner who trained this year.",
        "Too many cases stepped down without a safety plan the family owns.",
        "Step-down and safety plans.",
    ),
]

REFLECTIONS = {
    "991": (
        "leah",
        "Families' own words now open every conference in the north team, and the audits show the "
        "change: more safety goals are written so that parents can say them back.",
        "Keeping practice steady through a quarter of agency managers at the Front Door.",
    ),
    "992": (
        "quentin",
        "Initial conferences are four working days sooner, and families arrive knowing who will be there.",
        "Danger statements in plain language: we have started a monthly practice clinic.",
    ),
    "993": (
        "lorna",
        "Foster carers are part of our safety networks, not only invited to them.",
        "Court work squeezing time with families; we are piloting protected family days.",
    ),
    "994": (
        "quade",
        "The family's view is recorded at the first contact, every time.",
        "Protecting supervision time for reflective conversations about audits.",
    ),
    "995": (
        "quincy",
        "Learning actions are owned by teams and reviewed in every team meeting.",
        "Recruitment in the south team, and holding onto the people we train.",
    ),
}

INTRODUCTION = (
    "Welcome to this quarter's journal. It brings together what you told each other at the "
    "workshop, in your own words, and the reflections each authority wrote afterwards.\n\n"
    "Two threads run through it: families' own words moving to the front of conferences and "
    "plans, and the pressure of turnover and court work on the time practitioners have with "
    "families. The next workshop will pick up both, starting with danger statements written "
    "with parents.\n\n"
    "The figures at the back are across all the programme's authorities; no authority is named."
)


@dataclass(frozen=True)
class Seeded:
    closed: Workshop
    open: Workshop
    journal: Journal


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _workshop(*, title: str, held_on: date, quarter: date, pam: User, rng: random.Random) -> Workshop:
    existing = Workshop.objects.filter(title=title, quarter=quarter).first()
    if existing is not None:
        return existing
    return services.workshop_create(title=title, held_on=held_on, quarter=quarter, acting_user=pam, rng=rng)


def _answer_all(workshop: Workshop, rows) -> None:
    keys = {q.item_key: q.pk for q in workshop.questions.all()}
    authorities = {a.code: a for a in Authority.objects.all()}
    for code, username, achievement, challenge, next_workshop in rows:
        user = _user(username)
        if PollAnswer.objects.filter(question__workshop=workshop, answered_by=user).exists():
            continue
        texts = {
            keys["achievement"]: achievement,
            keys["challenge"]: challenge,
            keys["next-workshop"]: next_workshop,
        }
        services.answers_save(workshop=workshop, authority=authorities[code], texts=texts, acting_user=user)


def _ensure_open(workshop: Workshop, pam: User) -> None:
    if workshop.status != WorkshopStatus.OPEN:
        services.workshop_set_status(workshop=workshop, to_status=WorkshopStatus.OPEN, acting_user=pam)
        workshop.refresh_from_db()


@transaction.atomic
def seed_workshops(*, today: date) -> Seeded:
    rng = random.Random(SEED)
    pam = _user("pam")
    current = quarters.quarter_containing(today)
    last = quarters.shift(current, -1)

    closed = _workshop(
        title=f"Practice leaders' workshop, {quarters.quarter_label(last)}",
        held_on=quarters.quarter_end(last) - timedelta(days=9),
        quarter=last,
        pam=pam,
        rng=rng,
    )
    if closed.status != WorkshopStatus.CLOSED:
        _ensure_open(closed, pam)
        _answer_all(closed, LAST_QUARTER_ANSWERS)
        code, username, key = HIDDEN
        hidden = PollAnswer.objects.get(
            question__workshop=closed,
            question__item_key=key,
            authority__code=code,
            answered_by__username=username,
        )
        if not hidden.hidden:
            services.answer_hide(answer=hidden, reason=HIDDEN_REASON, acting_user=pam)
        services.workshop_set_status(workshop=closed, to_status=WorkshopStatus.CLOSED, acting_user=pam)
        closed.refresh_from_db()

    for code, (username, achievement, challenge) in REFLECTIONS.items():
        services.reflection_save(
            authority=Authority.objects.get(code=code),
            quarter=last,
            achievement=achievement,
            challenge=challenge,
            acting_user=_user(username),
        )

    journal = Journal.objects.filter(quarter=last).first()
    if journal is None:
        journal = services.journal_compile(quarter=last, acting_user=pam)
        services.journal_update(
            journal=journal,
            title=f"Quarterly journal {quarters.quarter_label(last)}",
            introduction=INTRODUCTION,
            workshop=closed,
            acting_user=pam,
        )
    if not journal.is_published:
        journal = services.journal_publish(journal=journal, acting_user=pam)

    live = _workshop(
        title=f"Practice leaders' workshop, {quarters.quarter_label(current)}",
        held_on=today,
        quarter=current,
        pam=pam,
        rng=rng,
    )
    _ensure_open(live, pam)
    _answer_all(live, THIS_QUARTER_ANSWERS)
    return Seeded(closed=closed, open=live, journal=journal)
