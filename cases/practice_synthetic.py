"""Made-up Signs of Safety practice records for the demo, written as a case-recording system's export.

The demo's case records come from made-up statutory returns; this module invents the practice
record that would sit beside them (maps, danger statements and safety goals with their scaling,
child's-voice tools, safety networks, safety plans, conferences) and writes it in the import layout
of ``cases.practice_import``, so that it reaches the platform as an authority's export would: read
by ``import_practice`` as a user.

It only ever follows the case records: a record is made for a child while the child's case is open
(a referral, a child protection plan or a looked-after episode, as ``outcomes.coverage_measures``
counts open cases), conferences are the initial conferences of the section 47 enquiries and the
reviews of the child protection plans, and nothing is dated after the as-of date (a case still open
then is followed up to it; case records starting after it are not known).

How much practice there is follows an implementation trajectory per authority: a level (about the
share of open cases with a current map) drawn for 1 January 2023 and a yearly gain, so coverage is
lower in the early years and improves a little each quarter, differently in each authority, with
an offset per team. Danger statements and safety plans come mostly on child protection cases,
child's-voice tools only for children aged 3 to 15, conferences are participatory in a share that
grows over time.

The same case records, seed, authority code and as-of date give the same rows in the same order:
the authority's profile comes from a ``random.Random`` seeded from the seed and the code, each
team's offset from one seeded from those and the team's name, and each tool of each child's
record from one seeded from those, the child ID and what it is for. So a child's record does not
change when other children are added, and what is dated on or before a day does not change when
the as-of date moves later (a later export only adds records, and the end and review dates that
had not happened yet). Nothing depends on the clock or on set ordering. No names are written:
people are roles ("Mum", "maternal grandmother").
"""

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random

from accounts.models import Authority
from cases.models import CareEpisode, Child, CPPlan, Referral, Section47

# The columns of the export (the import layout of ``cases.practice_import``), in order.
COLUMNS = (
    "child_id",
    "record_type",
    "date",
    "end_date",
    "danger_statement_ref",
    "statement",
    "safety_goal",
    "respondent",
    "value",
    "rationale",
    "relationship",
    "role",
    "reviewed_on",
    "family_owned",
    "with_family",
    "tool",
    "format",
    "kind",
    "participants",
)
# Rows of one child on one date in the order a worker records them (a statement before its scaling).
TYPE_ORDER = {
    name: index
    for index, name in enumerate(
        (
            "conference",
            "map",
            "danger_statement",
            "scaling",
            "network_member",
            "safety_plan",
            "voice_tool",
        )
    )
}

REFERENCE_DAY = date(2023, 1, 1)  # the day each authority's level is drawn for
LEVEL_FLOOR, LEVEL_CEILING = 0.08, 0.85
VOICE_AGES = (3, 15)  # child's-voice tools are for children of these ages (inclusive)
# Relative likelihood of each tool by the kind of case on the day: (child protection, looked
# after, child in need).
KIND_WEIGHTS = {
    "map": {"cp": 1.05, "care": 0.9, "cin": 0.95},
    "network": {"cp": 1.1, "care": 0.6, "cin": 0.75},
    "plan": {"cp": 1.0, "care": 0.3, "cin": 0.45},
    "danger": {"cp": 1.0, "care": 0.45, "cin": 0.5},
}


# --- What is read -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A referral or looked-after episode as known on the as-of date (no end: open then)."""

    start: date
    end: date | None


@dataclass(frozen=True)
class Plan(Span):
    """A child protection plan with its category of abuse and the review conferences held."""

    category: str
    reviews: tuple[date, ...]


@dataclass
class CaseHistory:
    """What the case records say about one child, as known on the as-of date."""

    la_child_id: str
    birth_month: date | None = None
    team: str = ""  # the allocated team's name, "" when none
    referrals: list[Span] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # the primary need code of each referral
    plans: list[Plan] = field(default_factory=list)
    care: list[Span] = field(default_factory=list)
    icpcs: list[date] = field(default_factory=list)


def _known(day: date | None, as_of: date) -> date | None:
    """An end date as known on the as-of date: one after it has not happened yet."""
    return day if day is not None and day <= as_of else None


def _review_dates(values: object, as_of: date) -> tuple[date, ...]:
    days = []
    for value in values if isinstance(values, list) else []:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            continue
        if day <= as_of:
            days.append(day)
    return tuple(sorted(set(days)))


def case_histories(*, authority: Authority, as_of: date) -> list[CaseHistory]:
    """The case history of every child of ``authority`` (in LA child ID order) as known on
    ``as_of``, in five queries whatever the number of children."""
    histories: dict[int, CaseHistory] = {}
    for pk, la_child_id, birth_month, team in (
        Child.objects.filter(authority=authority)
        .order_by("la_child_id", "pk")
        .values_list("pk", "la_child_id", "birth_month", "team__name")
    ):
        histories[pk] = CaseHistory(la_child_id, birth_month, team or "")
    mine = {"child__authority": authority}
    for child_id, start, end, need in (
        Referral.objects.filter(**mine, referral_date__lte=as_of)
        .order_by("child_id", "referral_date")
        .values_list("child_id", "referral_date", "closure_date", "primary_need")
    ):
        histories[child_id].referrals.append(Span(start, _known(end, as_of)))
        histories[child_id].needs.append(need)
    for child_id, start, end, initial, latest, reviews in (
        CPPlan.objects.filter(**mine, start_date__lte=as_of)
        .order_by("child_id", "start_date")
        .values_list(
            "child_id", "start_date", "end_date", "initial_category", "latest_category", "review_dates"
        )
    ):
        histories[child_id].plans.append(
            Plan(start, _known(end, as_of), latest or initial, _review_dates(reviews, as_of))
        )
    for child_id, start, end in (
        CareEpisode.objects.filter(**mine, start_date__lte=as_of)
        .order_by("child_id", "start_date")
        .values_list("child_id", "start_date", "end_date")
    ):
        histories[child_id].care.append(Span(start, _known(end, as_of)))
    for child_id, held in (
        Section47.objects.filter(**mine, icpc_date__lte=as_of)
        .order_by("child_id", "icpc_date")
        .values_list("child_id", "icpc_date")
    ):
        if held is not None:
            histories[child_id].icpcs.append(held)
    return list(histories.values())


# --- What is written --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of the export; empty strings are empty cells."""

    child_id: str
    record_type: str
    day: date  # the "date" column
    end_date: date | None = None
    danger_statement_ref: str = ""
    statement: str = ""
    safety_goal: str = ""
    respondent: str = ""
    value: int | None = None
    rationale: str = ""
    relationship: str = ""
    role: str = ""
    reviewed_on: date | None = None
    family_owned: bool | None = None
    with_family: bool | None = None
    tool: str = ""
    format: str = ""
    kind: str = ""
    participants: tuple[str, ...] = ()

    def cells(self) -> list[str]:
        def cell(value: object) -> str:
            if value is None:
                return ""
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, tuple):
                return ";".join(value)
            return str(value)

        return [cell(getattr(self, "day" if name == "date" else name)) for name in COLUMNS]


def to_csv(rows: Sequence[Row]) -> str:
    """The export: a header line, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row.cells() for row in rows)
    return out.getvalue()


# --- The authority's practice ----------------------------------------------------------------------


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _years(day: date) -> float:
    return (day - REFERENCE_DAY).days / 365.25


@dataclass(frozen=True)
class Profile:
    """How far one authority's practice has come: levels on the reference day, yearly gains and the
    weight of each tool relative to mapping."""

    level: float  # about the share of open cases with a current map on the reference day
    gain: float  # added to the level each year
    danger: float
    voice: float
    network: float
    plan: float
    participatory: float  # share of conferences held as participatory on the reference day
    participatory_gain: float
    team_spread: float  # teams differ from the authority by up to this much

    @classmethod
    def draw(cls, rng: Random) -> "Profile":
        return cls(
            level=rng.uniform(0.5, 0.68),
            gain=rng.uniform(0.03, 0.08),
            danger=rng.uniform(0.9, 1.1),
            voice=rng.uniform(0.55, 0.85),
            network=rng.uniform(0.6, 0.95),
            plan=rng.uniform(0.55, 0.85),
            participatory=rng.uniform(0.2, 0.55),
            participatory_gain=rng.uniform(0.04, 0.1),
            team_spread=rng.uniform(0.04, 0.1),
        )

    def weight(self, tool: str) -> float:
        """How much the authority uses ``tool`` relative to mapping."""
        return {"map": 1.0, "danger": self.danger, "network": self.network, "plan": self.plan}[tool]

    def level_on(self, day: date, offset: float = 0.0) -> float:
        return _clamp(self.level + self.gain * _years(day) + offset, LEVEL_FLOOR, LEVEL_CEILING)

    def participatory_on(self, day: date, offset: float = 0.0) -> float:
        return _clamp(self.participatory + self.participatory_gain * _years(day) + offset, 0.05, 0.92)


def _key(seed: int, code: str, *parts: str) -> str:
    return ":".join(("practice", str(seed), code, *parts))


def _rng(seed: int, code: str, *parts: str) -> Random:
    # A string seed is hashed with SHA-512 by random.seed: the same in every process and platform.
    return Random(_key(seed, code, *parts))


# --- Text --------------------------------------------------------------------------------------------

# (danger statement, safety goal) by theme: the CP category of abuse, or the theme of a need code.
STATEMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "NEG": (
        (
            "Social workers and the school are worried that when Mum is low and stays in bed, the child "
            "will go without food, clean clothes and someone watching over them, and could fall ill or get "
            "hurt at home.",
            "Everyone will know the child is cared for when Mum, Nan and the network show for six months "
            "that there is always food in the house, the child gets to school every day and an adult "
            "checks on them every evening.",
        ),
        (
            "The health visitor and social worker are worried that the baby could become seriously ill "
            "because feeds, medical appointments and nappy changes are missed when the house is chaotic.",
            "The baby's feeds and appointments will be kept for the next six months, with Dad and the "
            "maternal aunt keeping the feeding chart that the health visitor sees every week.",
        ),
        (
            "Everyone is worried that the children will be left on their own in the evenings and at "
            "night, and could be hurt, frightened or go out looking for Mum.",
            "The children will always have a safe adult with them, day and night, and the network will "
            "check this with a phone call every evening for the next six months.",
        ),
    ),
    "PHY": (
        (
            "Children's services are worried that Dad could hit the child again when he loses his temper, "
            "leaving bruises or worse injuries, like the marks the school saw in March.",
            "Dad, Mum and the network will show for six months that when Dad gets angry he walks away, "
            "calls his brother, and no one lays a hand on the child.",
        ),
        (
            "The school and social worker are worried that the child could be hurt again if Mum's partner "
            "uses physical punishment when the child does not do as they are told.",
            "Mum and her partner will use the calm-down plan agreed with the network, and the child will "
            "tell the teacher and Nan each week that no one has hurt them.",
        ),
        (
            "Everyone is worried that the baby could be shaken or dropped when Mum and Dad are exhausted "
            "and the baby will not stop crying.",
            "Mum and Dad will follow the crying plan for the next six months, and a network member will "
            "step in every night when either of them needs a break.",
        ),
    ),
    "SAB": (
        (
            "Children's services and the police are worried that the child could be sexually harmed again "
            "if they are left alone with the adult the child spoke about.",
            "Mum and the network will make sure the child is never alone with that adult, and the child "
            "will know who to tell, checked by the safety plan every month.",
        ),
        (
            "Everyone is worried that the child could be harmed again by older young people the child "
            "meets online and in the park.",
            "Mum, the school and the network will know where the child is and who they talk to online, and "
            "the child will keep to the going-out rules for six months.",
        ),
    ),
    "EMO": (
        (
            "Children's services are worried that Dad could hit Mum again when he has been drinking, and "
            "the children could be hurt or terrified by the fighting.",
            "Mum, Dad and the network will show for six months that there is no violence in the home, that "
            "Dad does not come to the house after drinking and the children feel safe.",
        ),
        (
            "Everyone is worried that the child will keep hearing shouting and threats at home and will "
            "become more withdrawn and frightened, as the school has seen this term.",
            "The adults will sort out arguments away from the child, and the child will say on the "
            "Three Houses and to their teacher that home feels calm.",
        ),
        (
            "The school and social worker are worried that Mum's partner will keep putting the child "
            "down and shouting at them, and the child will go on believing they are worthless.",
            "Mum and her partner will show the network over six months that the child is spoken to "
            "kindly, and the child will say they feel listened to.",
        ),
    ),
    "USE": (
        (
            "Everyone is worried that when Mum uses drugs the children will be left without anyone "
            "sober to care for them and could be hurt or come across needles.",
            "There will always be a sober adult caring for the children, with drugs kept out of the home, "
            "and Nan and the network will check this daily for six months.",
        ),
        (
            "Children's services are worried that when Dad drinks he will drive with the children in the "
            "car or not wake up when they need him.",
            "Dad will not drink when he has the children, and the network will do the school run and "
            "stay over whenever he has been drinking.",
        ),
    ),
    "MH": (
        (
            "The social worker and the GP are worried that when Mum's mental health gets worse she will "
            "not be able to look after the child, who could be left alone or frightened.",
            "Mum and the network will follow the wellbeing plan, and when Mum is unwell Nan will look after "
            "the child, for the next six months.",
        ),
        (
            "Everyone is worried that the child is looking after Dad when he is unwell and will fall "
            "behind at school and carry worries no child should carry.",
            "Dad's support and the network will make sure an adult looks after Dad's health, and the "
            "child will be at school and seeing friends every week.",
        ),
    ),
    "EXP": (
        (
            "Everyone is worried that the young person will be drawn further into selling drugs for older "
            "men and could be badly hurt, arrested or go missing.",
            "The young person, Mum and the network will know where they are every evening, they will go "
            "to college, and will not go missing for six months.",
        ),
        (
            "Children's services and the police are worried that the young person could be exploited by "
            "the adults they meet when they go missing overnight.",
            "The young person will come home each night or call a safe adult, and the network will know "
            "what to do when they do not.",
        ),
    ),
}
# The theme of a CIN episode with no child protection plan, by its primary need code.
NEED_THEMES = {
    "N1": ("NEG", "PHY", "EMO"),
    "N3": ("MH", "USE"),
    "N4": ("EMO", "MH"),
    "N5": ("EMO", "USE"),
    "N6": ("EXP",),
    "N8": ("NEG",),
}
DEFAULT_THEMES = ("NEG", "EMO", "USE", "MH")
NETWORK = (
    ("maternal grandmother", "has the children to stay whenever Mum is unwell"),
    ("paternal grandmother", "checks in by phone every evening"),
    ("maternal grandfather", "does the school run on weekdays"),
    ("maternal aunt", "visits twice a week and checks the house and the food"),
    ("paternal uncle", "is the person Dad calls when he is angry"),
    ("older sibling", "safe adult the child can call at any time"),
    ("family friend", "comes to every network meeting and reads the plan with the family"),
    ("neighbour", "the child can go to next door if there is trouble at home"),
    ("godparent", "takes the child out every weekend and talks with them about the plan"),
    ("teacher", "checks with the child every Monday how the weekend went"),
    ("youth worker", "meets the young person weekly and knows the going-out rules"),
    ("mum's partner's sister", "stays over when Mum's partner is away"),
)
RATIONALES = (
    "The network has kept to the plan every week.",
    "Still worried about the evenings.",
    "The school says things are better this term.",
    "No new incidents since the last review.",
    "The plan is new and not yet tested.",
    "Dad has walked away from arguments as agreed.",
)


# --- One child's record ----------------------------------------------------------------------------


@dataclass
class _Spell:
    """An open case: overlapping or touching referrals, plans and episodes merged (no end: open)."""

    start: date
    end: date | None


def _spells(history: CaseHistory) -> list[_Spell]:
    spans = sorted((span.start, span.end) for span in (*history.referrals, *history.plans, *history.care))
    spells: list[_Spell] = []
    for start, end in spans:
        last = spells[-1] if spells else None
        if last is not None and (last.end is None or start <= last.end + timedelta(days=1)):
            if last.end is not None:
                last.end = None if end is None else max(last.end, end)
            continue
        spells.append(_Spell(start, end))
    return spells


def _open_on(spans: Sequence[Span], day: date) -> bool:
    return any(span.start <= day and (span.end is None or day < span.end) for span in spans)


def _age(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _suits(statement: str, age: int | None) -> bool:
    """Whether a statement about "the baby" or "the young person" fits a child of ``age``."""
    if age is None:
        return True
    if "the baby" in statement:
        return age < 2
    if "young person" in statement:
        return age >= 12
    return True


def _days(rng: Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _cycle(
    rng: Random, start: date, last: date, first: tuple[int, int], gap: tuple[int, int]
) -> Iterator[date]:
    """Days from ``start`` + ``first`` days, then every ``gap`` days, up to ``last``."""
    day = start + _days(rng, *first)
    while day <= last:
        yield day
        day += _days(rng, *gap)


class _ChildRecord:
    """Builds one child's rows, spell by spell.

    Each tool of each spell (and each danger statement, each conference) draws from its own
    ``Random``, seeded from the child's key and what it is for, and draws in date order: so a record
    dated on or before a day is the same whatever the as-of date after it, and a later export only
    adds records and fills in end and review dates that had not happened yet."""

    def __init__(self, history: CaseHistory, *, profile: Profile, offset: float, key: str, as_of: date):
        self.history = history
        self.profile = profile
        self.offset = offset
        self.key = key
        self.as_of = as_of
        self.rows: list[Row] = []
        self.refs = 0
        self.statements: set[tuple[date, str]] = set()  # a statement's identity in the import
        self.networks: list[tuple[date, date]] = []  # the day each spell's network formed, its last day
        rng = self.stream("child")
        # How the child's situation scales: a start and a slope per 90 days, per respondent a bias.
        self.safety = rng.uniform(1.0, 4.5)
        self.progress = rng.uniform(0.0, 0.9)
        self.bias = {
            "worker": 0.0,
            "parent": rng.uniform(0.5, 2.5),
            "network": rng.uniform(-0.5, 1.5),
            "child": rng.uniform(-2.0, 2.0),
        }
        # Some workers and families take to the approach more than others.
        self.factor = rng.uniform(0.85, 1.12)

    def stream(self, *parts: object) -> Random:
        return Random(":".join((self.key, *(str(part) for part in parts))))

    # What holds on a day.

    def kind(self, day: date) -> str:
        if _open_on(self.history.plans, day):
            return "cp"
        if _open_on(self.history.care, day):
            return "care"
        return "cin"

    def age(self, day: date) -> int | None:
        return _age(self.history.birth_month, day)

    def chance(self, tool: str, day: date) -> float:
        """The chance that a worker uses ``tool`` when the case calls for it on ``day``."""
        weight = KIND_WEIGHTS[tool][self.kind(day)] * self.profile.weight(tool)
        return _clamp(self.profile.level_on(day, self.offset) * self.factor * weight)

    def add(self, **values) -> None:
        self.rows.append(Row(child_id=self.history.la_child_id, **values))

    def scale(self, rng: Random, day: date, respondent: str, *, ref: str = "", since: date) -> None:
        score = self.safety + self.progress * (day - since).days / 90 + self.bias[respondent]
        value = round(_clamp(score + rng.uniform(-1.0, 1.0), 0, 10))
        rationale = rng.choice(RATIONALES) if rng.random() < 0.2 else ""
        self.add(
            record_type="scaling",
            day=day,
            danger_statement_ref=ref,
            respondent=respondent,
            value=value,
            rationale=rationale,
        )

    def child_can_scale(self, day: date) -> bool:
        age = self.age(day)
        return age is not None and age >= 7

    # The tools, spell by spell.

    def build(self) -> list[Row]:
        for spell in _spells(self.history):
            last = spell.end or self.as_of
            maps = self.maps(spell, last)
            network_from = self.network(spell, last)
            if network_from is not None:
                self.networks.append((network_from, last))
            self.danger_statements(spell, last, maps, network_from)
            self.voice_tools(spell, last)
            self.safety_plans(spell, last)
        self.conferences()
        return self.rows

    def maps(self, spell: _Spell, last: date) -> list[date]:
        """A map early in the case, then at each review if the worker maps again: the chance each
        time is set so that about the level's share of open cases has a map within 6 months."""
        rng = self.stream("map", spell.start)
        days = []
        for attempt, day in enumerate(_cycle(rng, spell.start, last, (3, 30), (60, 120))):
            chance = self.chance("map", day)
            # About two reviews fall in any 6 months: two tries at this chance give the level.
            chance = _clamp(1.1 * chance) if attempt == 0 else 1 - math.sqrt(1 - chance)
            if rng.random() >= chance:
                continue
            days.append(day)
            with_family = rng.random() < _clamp(0.45 + 0.5 * self.profile.level_on(day, self.offset))
            self.add(record_type="map", day=day, with_family=with_family)
            self.scale(rng, day, "worker", since=spell.start)
            if rng.random() < 0.8:
                self.scale(rng, day, "parent", since=spell.start)
            if self.child_can_scale(day) and rng.random() < 0.3:
                self.scale(rng, day, "child", since=spell.start)
        return days

    def themes(self, spell: _Spell, day: date) -> tuple[str, ...]:
        """What the danger statements written on ``day`` are about: the plan's category of abuse,
        else the theme of the referral's primary need."""
        plans = [plan for plan in self.history.plans if spell.start <= plan.start <= day]
        if plans and plans[-1].category in STATEMENTS:
            return (plans[-1].category,)
        if plans and plans[-1].category == "MUL":
            return ("NEG", "EMO", "PHY")
        needs = [
            need
            for referral, need in zip(self.history.referrals, self.history.needs, strict=True)
            if spell.start <= referral.start <= day
        ]
        themes = NEED_THEMES.get(needs[-1] if needs else "", DEFAULT_THEMES)
        age = self.age(day)
        if age is not None and age < 12:
            themes = tuple(theme for theme in themes if theme != "EXP") or DEFAULT_THEMES
        return themes

    def danger_statements(
        self, spell: _Spell, last: date, maps: list[date], network_from: date | None
    ) -> None:
        """One to three danger statements, most with a safety goal: after the assessment when the
        case is not (yet) on a child protection plan, closed when a plan starts or the case ends;
        and at the start of each child protection plan, closed when it (or the case) ends. Each is
        scaled when written, at each plan review and at each later map."""
        plans = [plan for plan in self.history.plans if spell.start <= plan.start <= last]
        anchors: list[tuple[date, date | None, tuple[date, ...]]] = []
        assessed = spell.start + _days(self.stream("assessed", spell.start), 21, 75)
        if self.kind(assessed) != "cp":
            later = [plan.start for plan in plans if plan.start > assessed]
            anchors.append((assessed, later[0] if later else spell.end, ()))
        for plan in plans:
            ends = plan.end if self.stream("danger", plan.start).random() < 0.75 else spell.end
            anchors.append((plan.start, ends, plan.reviews))
        for start, ends, reviews in anchors:
            rng = self.stream("danger", start, "statements")
            written = start + _days(rng, 0, 14)
            if rng.random() >= _clamp(self.chance("danger", start) + 0.15):
                # Not written at the start: sometimes at the first review instead.
                written = start + _days(rng, 80, 110)
                if rng.random() >= 0.4 * self.chance("danger", start):
                    continue
            if written > last or (ends is not None and ends < written):
                continue
            themes = self.themes(spell, written)
            age = self.age(written)
            pool = [pair for theme in themes for pair in STATEMENTS[theme] if _suits(pair[0], age)]
            pool = pool or [pair for theme in themes for pair in STATEMENTS[theme]]
            count = min(len(pool), rng.choices((1, 2, 3), weights=(45, 40, 15))[0])
            goal_chance = 0.8 + 0.15 * self.profile.level_on(written, self.offset)
            for index, (statement, goal) in enumerate(rng.sample(pool, count)):
                has_goal = rng.random() < goal_chance
                if (written, statement) in self.statements:
                    continue
                self.statements.add((written, statement))
                self.refs += 1
                ref = f"DS{self.refs}"
                self.add(
                    record_type="danger_statement",
                    day=written,
                    end_date=ends,
                    danger_statement_ref=ref,
                    statement=statement,
                    safety_goal=goal if has_goal else "",
                )
                self.scale_statement(
                    start, index, ref, written, ends or last, [*reviews, *maps], network_from
                )

    def scale_statement(
        self,
        start: date,
        index: int,
        ref: str,
        written: date,
        until: date,
        reviews: list[date],
        network_from: date | None,
    ) -> None:
        rng = self.stream("danger", start, "scaling", index)
        for day in sorted({written, *(day for day in reviews if written < day <= until)}):
            self.scale(rng, day, "worker", ref=ref, since=written)
            if rng.random() < 0.85:
                self.scale(rng, day, "parent", ref=ref, since=written)
            if network_from is not None and network_from <= day and rng.random() < 0.5:
                self.scale(rng, day, "network", ref=ref, since=written)
            if self.child_can_scale(day) and rng.random() < 0.3:
                self.scale(rng, day, "child", ref=ref, since=written)

    def network(self, spell: _Spell, last: date) -> date | None:
        """A safety network found in the first months of the case (or, failing that, a few months
        later): one to five people, who mostly step back when the case closes; sometimes a network
        meeting soon after. The day the first joined, or None."""
        rng = self.stream("network", spell.start)
        first = None
        for attempt, day in enumerate(_cycle(rng, spell.start, last, (14, 100), (80, 150))):
            chance = self.chance("network", day) * (1.0 if attempt == 0 else 0.5)
            if rng.random() < chance:
                first = day
                break
            if attempt >= 2:
                break
        if first is None:
            return None
        count = rng.choices((1, 2, 3, 4, 5), weights=(20, 30, 25, 15, 10))[0]
        for index, (relationship, role) in enumerate(rng.sample(NETWORK, count)):
            # Every draw is made whatever the dates, so that the as-of date does not change later ones.
            joined = first if index == 0 else first + _days(rng, 0, 60)
            left: date | None = joined + _days(rng, 60, 300)
            leaves_early, leaves_at_close, has_role = (
                rng.random() < 0.15,
                rng.random() < 0.7,
                rng.random() < 0.85,
            )
            if joined > last:
                continue
            if not leaves_early:
                left = None
            if spell.end is not None and (left is None or left > spell.end) and leaves_at_close:
                left = spell.end
            if left is not None and (left > last or left < joined):
                left = None
            self.add(
                record_type="network_member",
                day=joined,
                end_date=left,
                relationship=relationship,
                role=role if has_role else "",
            )
        return first

    def voice_tools(self, spell: _Spell, last: date) -> None:
        """Child's-voice tools for children aged 3 to 15, at about every review, the tool suiting the
        child's age."""
        rng = self.stream("voice", spell.start)
        for day in _cycle(rng, spell.start, last, (14, 60), (80, 150)):
            age = self.age(day)
            if age is None:
                age = 8
            if not VOICE_AGES[0] <= age <= VOICE_AGES[1]:
                continue
            level = self.profile.level_on(day, self.offset) * self.factor * self.profile.voice
            if rng.random() >= 1 - math.sqrt(1 - _clamp(level, 0, 0.95)):
                continue
            tools: tuple[str, ...]
            if age <= 6:
                tools = ("wizard_fairy", "three_houses", "words_pictures")
            elif age <= 11:
                tools = ("three_houses", "safety_house", "words_pictures", "three_houses")
            else:
                tools = ("three_houses", "words_pictures")
            self.add(record_type="voice_tool", day=day, tool=rng.choice(tools))

    def safety_plans(self, spell: _Spell, last: date) -> None:
        """Safety plans some months into the case, mostly on child protection plans, written again
        every four to seven months while the case stays open (each version a plan of its own), most
        reviewed once in between."""
        rng = self.stream("plan", spell.start)
        had_plan = False
        for day in _cycle(rng, spell.start, last, (45, 120), (120, 210)):
            chance = 0.85 if had_plan and self.kind(day) == "cp" else self.chance("plan", day)
            agreed = rng.random() < chance
            review_day = day + _days(rng, 45, 110)
            is_reviewed, owned = rng.random() < 0.6, rng.random()
            had_plan = agreed
            if not agreed:
                continue
            reviewed = review_day if is_reviewed and review_day <= last else None
            family_owned = owned < _clamp(0.5 + 0.45 * self.profile.level_on(day, self.offset))
            self.add(record_type="safety_plan", day=day, reviewed_on=reviewed, family_owned=family_owned)

    def conferences(self) -> None:
        """The initial conferences and plan reviews of the case records, each participatory with the
        authority's (and team's) share on the day; and a network meeting after some networks form."""
        held: dict[date, str] = {}
        for day in self.history.icpcs:
            held.setdefault(day, "initial")
        for plan in self.history.plans:
            for day in plan.reviews:
                held.setdefault(day, "review")
        for first, last in self.networks:
            rng = self.stream("network meeting", first)
            day = first + _days(rng, 7, 40)
            if rng.random() < 0.15 and day <= last:
                held.setdefault(day, "network")
        for day, kind in sorted(held.items()):
            if day <= self.as_of:
                self.conference(day, kind)

    def conference(self, held: date, kind: str) -> None:
        rng = self.stream("conference", held)
        participatory = kind == "network" or rng.random() < self.profile.participatory_on(held, self.offset)
        age = self.age(held)
        network = any(
            row.record_type == "network_member"
            and row.day <= held
            and (row.end_date is None or row.end_date > held)
            for row in self.rows
        )
        parent, child, with_network = rng.random() < 0.92, rng.random() < 0.5, rng.random() < 0.85
        others = [(role, rng.random()) for role in ("school", "health", "police")]
        people = ["parent"] if parent else []
        if participatory:
            if age is not None and age >= 8 and child:
                people.append("child")
            if kind == "network" or (network and with_network):
                people.append("network")
            people += [role for role, draw in others[:2] if draw < 0.6]
        else:
            people += [role for role, draw in others if draw < 0.55]
        self.add(
            record_type="conference",
            day=held,
            format="participatory" if participatory else "traditional",
            kind=kind,
            participants=tuple(people),
        )


def child_rows(history: CaseHistory, *, profile: Profile, offset: float, key: str, as_of: date) -> list[Row]:
    """One child's practice record, in date order; ``key`` seeds its draws."""
    record = _ChildRecord(history, profile=profile, offset=offset, key=key, as_of=as_of)
    rows = record.build()
    return sorted(rows, key=lambda row: (row.day, TYPE_ORDER[row.record_type]))


def generate(histories: Sequence[CaseHistory], *, code: str, seed: int, as_of: date) -> list[Row]:
    """The practice record export of the authority ``code`` for these case histories: every child's
    rows in turn, in the order given. Pure: the same arguments give the same rows."""
    profile = Profile.draw(_rng(seed, code))
    offsets: dict[str, float] = defaultdict(float)
    for team in sorted({history.team for history in histories if history.team}):
        offsets[team] = _rng(seed, code, "team", team).uniform(-1.0, 1.0) * profile.team_spread
    rows: list[Row] = []
    for history in histories:
        key = _key(seed, code, "child", history.la_child_id)
        rows += child_rows(history, profile=profile, offset=offsets[history.team], key=key, as_of=as_of)
    return rows
