"""Reads of the journal app: a workshop's results, and what a quarterly journal shows.

Both read in a fixed number of queries whatever the number of answers (``RESULTS_QUERIES`` and
``JOURNAL_QUERIES``). Answers are returned verbatim; templates escape them. A published journal is
read from the snapshot stored when it was published (``snapshot_of``, ``content_from_snapshot``),
with no query: what it shows never changes afterwards; a draft is compiled from the rows.

The journal's "programme in numbers" reads stored ``MeasureValue`` rows of the quarter without
their authority: only how many authorities have a value, the median and the middle half, and only
when at least ``presentation.BENCHMARK_MINIMUM`` authorities have one (values suppressed on screen
never count), so no reader can tell which figure is whose.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from journal.models import Journal, PollAnswer, QuarterlyReflection, Workshop, WorkshopQuestion
from outcomes import presentation
from outcomes.models import MeasureValue
from outcomes.periods import PeriodType
from outcomes.registry import MEASURES
from reports import quarters

RESULTS_QUERIES = 2
JOURNAL_QUERIES = 5

ACHIEVEMENT_KEY = "achievement"
CHALLENGE_KEY = "challenge"
NEXT_WORKSHOP_KEY = "next-workshop"
SECTION_KEYS = (ACHIEVEMENT_KEY, CHALLENGE_KEY, NEXT_WORKSHOP_KEY)

# The headline rates of "The programme in numbers", in this order (those registered).
NUMBER_KEYS = (
    "rereferrals_12m",
    "assessments_45wd",
    "icpc_15wd",
    "repeat_cp_plans",
    "fidelity_overall",
    "family_participation",
    "childs_voice_evident",
)
DIRECTIONS = {"up": "Higher is better", "down": "Lower is better", None: ""}


@dataclass
class AuthorityAnswers:
    """The answers of one authority to one question, oldest first."""

    authority: str
    answers: list[PollAnswer] = field(default_factory=list)


@dataclass
class QuestionResults:
    question: WorkshopQuestion
    groups: list[AuthorityAnswers]

    @property
    def count(self) -> int:
        return sum(len(group.answers) for group in self.groups)


@dataclass
class WorkshopResults:
    questions: list[QuestionResults]
    hidden: list[PollAnswer]  # only read for facilitators

    @property
    def count(self) -> int:
        return sum(question.count for question in self.questions)

    @property
    def authorities(self) -> int:
        return len({group.authority for question in self.questions for group in question.groups})


def _grouped(answers: list[PollAnswer]) -> list[AuthorityAnswers]:
    groups: dict[str, AuthorityAnswers] = {}
    for answer in sorted(answers, key=lambda a: (a.authority.name, a.answered_at, a.pk)):
        groups.setdefault(answer.authority.name, AuthorityAnswers(answer.authority.name)).answers.append(
            answer
        )
    return list(groups.values())


def _answers(question_ids: list[int]) -> QuerySet[PollAnswer]:
    return PollAnswer.objects.filter(question_id__in=question_ids).select_related(
        "authority", "answered_by", "hidden_by"
    )


def workshop_results(*, workshop: Workshop, with_hidden: bool = False) -> WorkshopResults:
    """The visible answers to each question, grouped by authority; with ``with_hidden`` (for
    facilitators) the hidden ones as well, apart. ``RESULTS_QUERIES`` queries."""
    questions = list(workshop.questions.all())
    by_question: dict[int, list[PollAnswer]] = defaultdict(list)
    hidden = []
    answers = _answers([q.pk for q in questions])
    if not with_hidden:
        answers = answers.filter(hidden=False)
    for answer in answers:
        if answer.hidden:
            hidden.append(answer)
        else:
            by_question[answer.question_id].append(answer)
    texts = {q.pk: q for q in questions}
    for answer in hidden:
        answer.question = texts[answer.question_id]  # no query per answer in the template
    return WorkshopResults(
        questions=[QuestionResults(q, _grouped(by_question[q.pk])) for q in questions],
        hidden=sorted(hidden, key=lambda a: (a.hidden_at or a.answered_at, a.pk)),
    )


def own_answers(*, workshop: Workshop, authority_id: int, user) -> dict[int, PollAnswer]:
    """The person's answers for the authority, by question id."""
    rows = PollAnswer.objects.filter(
        question__workshop=workshop, authority_id=authority_id, answered_by_id=user.pk
    )
    return {row.question_id: row for row in rows}


# --- the journal ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberLine:
    """A measure across the programme's authorities: never one authority's figure."""

    key: str
    name: str
    authorities: int
    median: str
    middle_half: str
    direction: str


@dataclass(frozen=True)
class PrintedGroup:
    """One authority's answers to a question as the journal prints them: verbatim, oldest first."""

    authority: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class PrintedQuestion:
    """A question of the workshop outside the journal's own sections, with its answers."""

    text: str
    groups: tuple[PrintedGroup, ...]


@dataclass(frozen=True)
class PrintedReflection:
    authority: str
    achievement: str
    challenge: str


@dataclass
class JournalContent:
    """What the journal shows (its web page and its PDF): plain values, no rows, so that the same
    content is compiled from the rows for a draft and loaded from the snapshot once published."""

    journal: Journal
    introduction: list[str]
    workshop_held_on: date | None
    achieved: list[PrintedGroup]
    found_hard: list[PrintedGroup]
    next_workshop: list[PrintedGroup]
    other_questions: list[PrintedQuestion]
    reflections: list[PrintedReflection]
    numbers: list[NumberLine]
    benchmark_minimum: int = presentation.BENCHMARK_MINIMUM

    @property
    def quarter_label(self) -> str:
        return quarters.quarter_label(self.journal.quarter)

    @property
    def quarter_code(self) -> str:
        return quarters.quarter_code(self.journal.quarter)

    @property
    def quarter_dates(self) -> str:
        return quarters.quarter_dates(self.journal.quarter)


def paragraphs(text: str) -> list[str]:
    """Blank lines start paragraphs; line breaks inside a paragraph are kept."""
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def programme_numbers(quarter: date) -> list[NumberLine]:
    """The headline rates of the quarter across authorities, de-identified (one query). Only the
    values are read, never which authority they belong to."""
    keys = [key for key in NUMBER_KEYS if key in MEASURES]
    values: dict[str, list] = defaultdict(list)
    rows = MeasureValue.objects.filter(
        team__isnull=True, period_type=PeriodType.QUARTER, period_start=quarter, measure__in=keys
    ).values_list("measure", "value", "numerator")
    for key, value, numerator in rows:
        kept = presentation.benchmarkable(value, numerator=numerator, unit=MEASURES[key].reads_as)
        if kept is not None:
            values[key].append(kept)
    lines = []
    for key in keys:
        measure = MEASURES[key]
        mark = presentation.benchmark(values[key], None, direction=measure.direction)
        if mark is None:
            continue  # fewer than five authorities: nothing is shown
        lines.append(
            NumberLine(
                key=key,
                name=measure.name,
                authorities=mark.authorities,
                median=presentation.value_text(mark.median, measure.reads_as),
                middle_half=presentation.band_text(mark, measure.reads_as),
                direction=DIRECTIONS.get(measure.direction, ""),
            )
        )
    return lines


def journal_content(journal: Journal) -> JournalContent:
    """What the journal shows: a published journal what it showed when published (its snapshot,
    no query); a draft compiled now from the rows (``compile_content``)."""
    if journal.is_published:
        return content_from_snapshot(journal, journal.snapshot)
    return compile_content(journal)


def _printed(answers: list[PollAnswer]) -> list[PrintedGroup]:
    return [
        PrintedGroup(authority=group.authority, answers=tuple(answer.text for answer in group.answers))
        for group in _grouped(answers)
    ]


def compile_content(journal: Journal) -> JournalContent:
    """The journal compiled from the rows as they are now: the workshop's visible answers (but the
    questions left out), the quarter's reflections and the headline measures
    (``JOURNAL_QUERIES`` queries, with the journal read with its workshop)."""
    left_out = set(journal.left_out.values_list("pk", flat=True))
    questions = (
        [q for q in journal.workshop.questions.all() if q.pk not in left_out] if journal.workshop else []
    )
    by_question: dict[int, list[PollAnswer]] = defaultdict(list)
    for answer in _answers([q.pk for q in questions]).filter(hidden=False):
        by_question[answer.question_id].append(answer)

    def section(key: str) -> list[PrintedGroup]:
        return _printed([a for q in questions if q.item_key == key for a in by_question[q.pk]])

    reflections = QuarterlyReflection.objects.filter(quarter=journal.quarter).select_related("authority")
    return JournalContent(
        journal=journal,
        introduction=paragraphs(journal.introduction),
        workshop_held_on=journal.workshop.held_on if journal.workshop else None,
        achieved=section(ACHIEVEMENT_KEY),
        found_hard=section(CHALLENGE_KEY),
        next_workshop=section(NEXT_WORKSHOP_KEY),
        other_questions=[
            PrintedQuestion(text=q.text, groups=tuple(_printed(by_question[q.pk])))
            for q in questions
            if q.item_key not in SECTION_KEYS and by_question[q.pk]
        ],
        reflections=sorted(
            (
                PrintedReflection(
                    authority=r.authority.name, achievement=r.achievement, challenge=r.challenge
                )
                for r in reflections
            ),
            key=lambda r: r.authority,
        ),
        numbers=programme_numbers(journal.quarter),
    )


# --- the published journal's snapshot ---------------------------------------------------------------
# JSON of the content (``snapshot_of``), read back by a loader that checks every field's type
# (``content_from_snapshot``): a snapshot that is not what this code wrote is an error, never a page
# with parts missing. ``SNAPSHOT_VERSION`` changes if the shape ever does.

SNAPSHOT_VERSION = 1


class SnapshotError(ValueError):
    """The stored snapshot does not have the shape ``snapshot_of`` writes."""


def _group_json(group: PrintedGroup) -> dict:
    return {"authority": group.authority, "answers": list(group.answers)}


def snapshot_of(content: JournalContent) -> dict:
    """The content as JSON-ready values, to store on publication."""
    return {
        "version": SNAPSHOT_VERSION,
        "introduction": list(content.introduction),
        "workshop_held_on": content.workshop_held_on.isoformat() if content.workshop_held_on else None,
        "achieved": [_group_json(g) for g in content.achieved],
        "found_hard": [_group_json(g) for g in content.found_hard],
        "next_workshop": [_group_json(g) for g in content.next_workshop],
        "other_questions": [
            {"text": q.text, "groups": [_group_json(g) for g in q.groups]} for q in content.other_questions
        ],
        "reflections": [
            {"authority": r.authority, "achievement": r.achievement, "challenge": r.challenge}
            for r in content.reflections
        ],
        "numbers": [
            {
                "key": line.key,
                "name": line.name,
                "authorities": line.authorities,
                "median": line.median,
                "middle_half": line.middle_half,
                "direction": line.direction,
            }
            for line in content.numbers
        ],
        "benchmark_minimum": content.benchmark_minimum,
    }


def _field(data: object, key: str, kind: type | tuple[type, ...]):
    if not isinstance(data, dict) or key not in data:
        raise SnapshotError(f"The journal's snapshot has no {key!r}.")
    value = data[key]
    # bool is an int in Python, never a count here.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise SnapshotError(f"The journal's snapshot has a {type(value).__name__} for {key!r}.")
    return value


def _texts(data: object, key: str) -> list[str]:
    values = _field(data, key, list)
    if not all(isinstance(value, str) for value in values):
        raise SnapshotError(f"The journal's snapshot has something other than text in {key!r}.")
    return values


def _groups(data: object, key: str) -> list[PrintedGroup]:
    return [
        PrintedGroup(authority=_field(raw, "authority", str), answers=tuple(_texts(raw, "answers")))
        for raw in _field(data, key, list)
    ]


def content_from_snapshot(journal: Journal, data: object) -> JournalContent:
    """The content a published journal showed, read back from ``snapshot_of``'s JSON."""
    if _field(data, "version", int) != SNAPSHOT_VERSION:
        raise SnapshotError(f"The journal's snapshot is of another version than {SNAPSHOT_VERSION}.")
    held_on = _field(data, "workshop_held_on", (str, type(None)))
    return JournalContent(
        journal=journal,
        introduction=_texts(data, "introduction"),
        workshop_held_on=date.fromisoformat(held_on) if held_on else None,
        achieved=_groups(data, "achieved"),
        found_hard=_groups(data, "found_hard"),
        next_workshop=_groups(data, "next_workshop"),
        other_questions=[
            PrintedQuestion(text=_field(raw, "text", str), groups=tuple(_groups(raw, "groups")))
            for raw in _field(data, "other_questions", list)
        ],
        reflections=[
            PrintedReflection(
                authority=_field(raw, "authority", str),
                achievement=_field(raw, "achievement", str),
                challenge=_field(raw, "challenge", str),
            )
            for raw in _field(data, "reflections", list)
        ],
        numbers=[
            NumberLine(
                key=_field(raw, "key", str),
                name=_field(raw, "name", str),
                authorities=_field(raw, "authorities", int),
                median=_field(raw, "median", str),
                middle_half=_field(raw, "middle_half", str),
                direction=_field(raw, "direction", str),
            )
            for raw in _field(data, "numbers", list)
        ],
        benchmark_minimum=_field(data, "benchmark_minimum", int),
    )


def journals_for(user) -> QuerySet[Journal]:
    """The journals the user may read, latest quarter first (drafts for editors)."""
    return Journal.objects.for_user(user).select_related("published_by", "workshop")


def workshops_for(user) -> QuerySet[Workshop]:
    return Workshop.objects.for_user(user).select_related("created_by")
