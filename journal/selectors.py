"""Reads of the journal app: a workshop's results, and what a quarterly journal shows.

Both read in a fixed number of queries whatever the number of answers (``RESULTS_QUERIES`` and
``JOURNAL_QUERIES``). Answers are returned verbatim; templates escape them.

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


@dataclass
class JournalContent:
    journal: Journal
    introduction: list[str]
    achieved: list[AuthorityAnswers]
    found_hard: list[AuthorityAnswers]
    next_workshop: list[AuthorityAnswers]
    other_questions: list[QuestionResults]
    reflections: list[QuarterlyReflection]
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
    """What the journal shows, for its web page and its PDF (``JOURNAL_QUERIES`` queries, with the
    journal read with its workshop)."""
    left_out = set(journal.left_out.values_list("pk", flat=True))
    questions = (
        [q for q in journal.workshop.questions.all() if q.pk not in left_out] if journal.workshop else []
    )
    by_question: dict[int, list[PollAnswer]] = defaultdict(list)
    for answer in _answers([q.pk for q in questions]).filter(hidden=False):
        by_question[answer.question_id].append(answer)

    def section(key: str) -> list[AuthorityAnswers]:
        answers = [a for q in questions if q.item_key == key for a in by_question[q.pk]]
        return _grouped(answers)

    reflections = list(
        QuarterlyReflection.objects.filter(quarter=journal.quarter).select_related("authority")
    )
    return JournalContent(
        journal=journal,
        introduction=paragraphs(journal.introduction),
        achieved=section(ACHIEVEMENT_KEY),
        found_hard=section(CHALLENGE_KEY),
        next_workshop=section(NEXT_WORKSHOP_KEY),
        other_questions=[
            QuestionResults(q, _grouped(by_question[q.pk]))
            for q in questions
            if q.item_key not in SECTION_KEYS and by_question[q.pk]
        ],
        reflections=sorted(reflections, key=lambda r: r.authority.name),
        numbers=programme_numbers(journal.quarter),
    )


def journals_for(user) -> QuerySet[Journal]:
    """The journals the user may read, latest quarter first (drafts for editors)."""
    return Journal.objects.for_user(user).select_related("published_by", "workshop")


def workshops_for(user) -> QuerySet[Workshop]:
    return Workshop.objects.for_user(user).select_related("created_by")
