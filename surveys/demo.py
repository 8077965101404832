"""The demo's staff survey: a baseline wave about a year ago, a follow-up that closed recently and a
wave open now, with made-up answers from every demo authority (``seed_demo_surveys``).

The made-up respondents are not users, so their responses are written by
``services.survey_response_create`` alone and have no participation rows; a demo persona who answers
the open wave gets one, as anyone would. Answers are drawn from a seeded random generator: each
authority has its own level, leadership and compliance are weaker than the rest, and the follow-up
is a little better than the baseline. Running it again adds nothing.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Authority, Membership, Role, Team
from audits.models import Item, ToolVersion
from surveys import scoring, services
from surveys.models import SurveyResponse, SurveyWave, WaveKind

SEED = 2026

# Each authority's general level (about −1 to +1) and how many answer each wave.
LEVELS = {"991": 0.3, "992": -0.2, "993": 0.6, "994": -0.5, "995": 0.1}
RESPONSES = {"baseline": (18, 40), "follow_up": (14, 36), "open": (6, 12)}
# How much weaker an item is than the authority's level: the standout challenges most.
ITEM_OFFSETS = {"leadership-visible": -1.0, "culture-compliance": -1.2, "climate-working-conditions": -0.6}
FOLLOW_UP_GAIN = 0.5
# A respondent leaves a column empty this often.
SKIP_TEXT = 0.35

WORKING_WELL = [
    "Group supervision has given us a proper space to think about families together.",
    "Mapping with families in the room has changed the conversations we have.",
    "Danger statements are clearer now, and parents tell us they understand them.",
    "Our team manager makes time for reflective supervision even when it is busy.",
    "Families are bringing more people into their safety networks.",
    "Words and Pictures has helped children make sense of what is happening.",
    "We scale with parents much more than we used to and it shows in the plans.",
    "Appreciative inquiry sessions remind us what good work looks like.",
    "The practice leads are approachable and know the casework.",
    "Conferences feel more like a conversation with the family now.",
    "Colleagues share their maps, so I can learn from other people's cases.",
    "Three Houses works really well with younger children.",
    "There is more trust in the team to use our judgement.",
    "New starters get a good induction into the tools.",
    "Network meetings are happening earlier in the work.",
    "I feel supported by my team when a case is worrying me.",
    "The audit conversations are useful rather than a tick-box exercise.",
    "We are getting better at writing plainly for families.",
    "Family group conferences and safety planning fit together well.",
    "Our service manager comes to team meetings and listens.",
    "Peer mapping sessions help me when I am stuck.",
    "Parents say they feel listened to more than before.",
    "Safety goals are more specific and families can see what needs to happen.",
    "The Signs of Safety training refresher was practical and well pitched.",
    "We celebrate good work more often as a team.",
    "Children's views are showing up in the plans.",
    "Less jargon in our reports than a year ago.",
    "Partners at conferences are starting to use the same language.",
    "Having time to prepare Words and Pictures properly makes a difference.",
    "My caseload has been manageable enough to do direct work.",
]
WORRIED_ABOUT = [
    "Caseloads are still too high to do the direct work properly.",
    "Recording requirements keep growing and take time away from families.",
    "Senior leaders are rarely seen on the floor.",
    "Timescales drive decisions more than what children need.",
    "Agency turnover means families keep meeting new workers.",
    "The case recording system does not fit the way we map.",
    "We are asked to complete the same information in several places.",
    "Audits still feel like checking compliance rather than learning.",
    "Group supervision gets cancelled when the team is stretched.",
    "Some partners still expect traditional reports at conferences.",
    "Newly qualified staff do not get enough time with practice leads.",
    "I worry we say Signs of Safety but practise the old way under pressure.",
    "Performance meetings focus on targets, not on the quality of the work.",
    "There is little time to build networks before the first conference.",
    "Leaders talk about the practice but decisions are made on numbers.",
    "Stress in the team is high and not always noticed.",
    "Court work pulls us back into deficit-focused writing.",
    "Too many forms have been added since the last inspection.",
    "Vacancies in the team have been covered for months.",
    "We rarely hear what happened after a case closed.",
    "The office move has made it harder to talk cases through.",
    "Managers are too busy with sign-offs to do reflective supervision.",
    "Training is offered but there is no time to attend.",
    "Some plans are still written for professionals rather than families.",
    "I am not sure anyone reads the feedback we give.",
    "Duty weeks leave no room for planned work.",
    "Thresholds feel like they change depending on who is asking.",
    "Child protection plans last too long without clear progress.",
    "Children's voices get lost when meetings are rushed.",
    "Quality assurance feels like something done to us, not with us.",
]
NEEDS_TO_HAPPEN = [
    "Senior leaders should join group supervision once a month.",
    "Cut the recording that nobody uses.",
    "Protect time for direct work and Words and Pictures.",
    "Fewer targets, more conversations about what changed for children.",
    "Align the case recording forms with the map.",
    "Recruit permanent staff and reduce reliance on agency workers.",
    "Make group supervision non-negotiable.",
    "Give newly qualified staff a practice lead mentor.",
    "Share learning from audits with the whole team, not just managers.",
    "Train partners in the approach so conferences feel the same to families.",
    "Let us close cases when safety has been shown, without extra sign-offs.",
    "Bring back appreciative inquiry sessions across teams.",
    "Ask families how we are doing and act on it.",
    "Reduce caseloads so we can build networks properly.",
    "Leaders to spend time shadowing visits.",
    "Simplify the assessment template.",
    "Celebrate good practice publicly.",
    "Make the audit a conversation with the worker, not a checklist.",
    "More peer mapping across teams.",
    "Give teams time to reflect after difficult cases.",
    "Stop duplicating information between systems.",
    "Involve practitioners in designing the forms.",
    "Be honest about capacity when new work is added.",
    "Refresher training for managers on leading with questions.",
    "Feedback from the survey should come back to teams quickly.",
    "Set clearer expectations with partners about safety planning.",
    "Keep the practice weeks going.",
    "Use supervision to think, not just to check tasks.",
    "Make sure children see their plans in words they understand.",
    "Leaders should ask what gets in the way and remove it.",
]
TEXTS = {
    "what-working-well": WORKING_WELL,
    "what-worried-about": WORRIED_ABOUT,
    "what-needs-to-happen": NEEDS_TO_HAPPEN,
}


@dataclass(frozen=True)
class WavePlan:
    name: str
    kind: str
    opens_on: date
    closes_on: date
    gain: float
    sizes: tuple[int, int]


def wave_plans(today: date) -> list[WavePlan]:
    year_ago = today - timedelta(days=365)
    return [
        WavePlan(
            "Staff survey baseline",
            WaveKind.BASELINE,
            year_ago - timedelta(days=28),
            year_ago,
            0.0,
            RESPONSES["baseline"],
        ),
        WavePlan(
            "Staff survey follow-up",
            WaveKind.FOLLOW_UP,
            today - timedelta(days=70),
            today - timedelta(days=42),
            FOLLOW_UP_GAIN,
            RESPONSES["follow_up"],
        ),
        WavePlan(
            "Staff survey pulse (open now)",
            WaveKind.FOLLOW_UP,
            today - timedelta(days=7),
            today + timedelta(days=21),
            FOLLOW_UP_GAIN + 0.1,
            RESPONSES["open"],
        ),
    ]


def _answer(item: Item, latent: float, rng: random.Random) -> object:
    """A plausible answer from a respondent's latent level (about −2 to +2)."""
    if item.type == scoring.SCALE:
        return max(0, min(10, round(6 + 1.8 * latent + rng.gauss(0, 1.3))))
    if item.type == scoring.CHOICE:
        index = max(0, min(len(item.options) - 1, round(2.6 + 0.9 * latent + rng.gauss(0, 0.7))))
        return item.options[index]["value"]
    column = TEXTS.get(item.key)
    if column is None or rng.random() < SKIP_TEXT:
        return ""
    return rng.choice(column)


def _teams(authority: Authority) -> list[Team | None]:
    teams: list[Team | None] = list(Team.objects.filter(authority=authority).order_by("name"))
    return teams + [None]  # some prefer not to say


@transaction.atomic
def seed_surveys(*, codes: list[str], today: date | None = None) -> dict[str, int]:
    """The three waves on the latest standard staff survey and their responses; idempotent (a wave
    is found by name, and an authority that already has responses to it gets no more)."""
    today = today or timezone.localdate()
    version = (
        ToolVersion.objects.filter(tool__key="staff-survey", tool__authority__isnull=True, status="published")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise LookupError("The standard staff survey is missing: run the migrations first.")
    items = list(version.items.select_related("section").order_by("section__order", "order"))
    pam = Membership.objects.filter(role=Role.PROGRAMME).select_related("user").first()
    made = {"waves": 0, "responses": 0}
    baseline = None
    for plan_index, plan in enumerate(wave_plans(today)):
        wave = SurveyWave.objects.filter(name=plan.name).first()
        if wave is None:
            wave = SurveyWave(
                name=plan.name,
                kind=plan.kind,
                tool_version=version,
                baseline=baseline if plan.kind == WaveKind.FOLLOW_UP else None,
                opens_on=plan.opens_on,
                closes_on=plan.closes_on,
                created_by=pam.user if pam else None,
            )
            wave._history_user = pam.user if pam else None  # type: ignore[attr-defined]
            wave.full_clean()
            wave.save()
            made["waves"] += 1
        if plan.kind == WaveKind.BASELINE:
            baseline = wave
        for authority in Authority.objects.filter(code__in=codes).order_by("code"):
            if SurveyResponse.objects.filter(wave=wave, authority=authority).exists():
                continue
            rng = random.Random(f"{SEED}-{authority.code}-{plan_index}")
            teams = _teams(authority)
            level = LEVELS.get(authority.code, 0.0) + plan.gain
            for _ in range(rng.randint(*plan.sizes)):
                person = level + rng.gauss(0, 0.8)
                answers = {
                    item.key: _answer(item, person + ITEM_OFFSETS.get(item.key, 0.0), rng) for item in items
                }
                team = rng.choices(teams, weights=[3] * (len(teams) - 1) + [1])[0]
                services.survey_response_create(wave=wave, authority=authority, team=team, answers=answers)
                made["responses"] += 1
    return made
