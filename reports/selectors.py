"""What a quarterly outcome report shows, read as plain dataclasses.

Figures are the stored ``MeasureValue`` rows of financial quarters (``team`` empty: the whole
authority); nothing is computed live. Sections follow the results logic: outcomes for children and
families, timeliness, practice fidelity, learning, family and child voice. Benchmarks read the other
authorities' stored values by id only, so no other authority's name is ever read for a report; they
follow the dashboard's rules (``outcomes.presentation.benchmark``): values too small to show are left
out, and there is no median, band or rank unless five authorities have a value.

``report_content`` reads everything in a fixed number of queries (``REPORT_QUERIES``) whatever
the number of authorities, audits or actions. Small numbers are suppressed here, through
``outcomes.presentation``, so that no template can forget it.
"""

import base64
import mimetypes
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case as SqlCase
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from accounts.models import Authority
from audits.audit_forms import NARRATIVE_KEYS
from audits.models import Answer, Audit, AuditAnswer, FeedbackRequest, Item, ItemType, LearningAction
from fidelity.models import ResultsNode
from outcomes import presentation
from outcomes.audit_measures import ELEMENT_KEYS, ELEMENT_NAMES, signed_off_audits
from outcomes.charts import TrendPoint
from outcomes.models import MeasureTarget, MeasureValue
from outcomes.periods import PeriodType, period_starting
from outcomes.registry import MEASURES, Measure
from reports import quarters, themes
from reports.models import OutcomeReport, ReportBranding

LOCAL_TIME = ZoneInfo("Europe/London")
TREND_QUARTERS = 8
REPORT_QUERIES = 10
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# The measures of the first page's summary, in this order (those registered).
HEADLINE_KEYS = (
    "referrals",
    "rereferrals_12m",
    "repeat_cp_plans",
    "cp_plans_ended_2y",
    "kinship_share",
    "assessments_45wd",
    "icpc_15wd",
    "fidelity_overall",
    "childs_voice_evident",
    "family_participation",
    "actions_on_time",
)
# Practice fidelity measures drawn as trends; the section lists the others in a table.
FIDELITY_CHARTED = ("fidelity_overall", "audits_established", "childs_voice_evident")
ELEMENT_MEASURES = {f"fidelity_{key.lower()}": key for key in ELEMENT_KEYS}
VOICE_NODES = ("outcomes.children_families.family_experience", "outcomes.children_families.child_experience")
NARRATIVE_LABELS = ("What is working well", "What we are worried about", "What needs to happen")
FEEDBACK_TOOLS = {"family-feedback": "family", "child-feedback": "child"}
PLAN_SCORE_KEY = "your-plan"

CIN = "Children in need census"
SSDA903 = "SSDA903 return (children looked after)"
SOURCES = {
    "referrals": CIN,
    "rereferrals_12m": CIN,
    "cp_plan_starts": CIN,
    "repeat_cp_plans": CIN,
    "cp_plans_ended_2y": CIN,
    "assessments_45wd": CIN,
    "icpc_15wd": CIN,
    "cla_starts": SSDA903,
    "kinship_share": SSDA903,
    "family_participation": "Signed-off case audits and the family feedback attached to them",
    "moderation_agreement": "Blind re-ratings of signed-off case audits by moderators",
    "actions_on_time": "Learning actions agreed in audits and team learning points",
}
SOURCE_BY_MODULE = {
    "outcomes.audit_measures": "Signed-off case audits (the agreed ratings)",
    "outcomes.coverage_measures": "Signs of Safety practice records of open cases",
}
DIRECTIONS = {
    "up": "Higher is better",
    "down": "Lower is better",
    None: "Neither higher nor lower is better",
}
READS_AS = {
    "count": "A number",
    "share": "A percentage",
    "mean": "A mean level on the 1–4 rubric scale",
}


# --- the dataclasses ------------------------------------------------------------------------------


@dataclass
class MeasureLine:
    """One measure in the report quarter, with its trend, target and benchmark, ready to print."""

    key: str
    name: str
    unit: str
    direction: str | None
    node: str
    numerator: int | None  # None: no stored value for the quarter
    denominator: int | None
    value: Decimal | None
    shown: str
    numerator_text: str
    denominator_text: str
    previous: str
    year_ago: str
    target: Decimal | None
    target_text: str
    rag: str
    benchmark: presentation.Benchmark | None
    trend: tuple[TrendPoint, ...]
    chart: str = ""  # the trend as inline SVG, drawn by the report service

    @property
    def is_rate(self) -> bool:
        return self.unit != "count"

    @property
    def is_suppressed(self) -> bool:
        return self.shown == presentation.SUPPRESSED

    @property
    def rag_label(self) -> str:
        return presentation.RAG_LABELS.get(self.rag, "")

    @property
    def direction_text(self) -> str:
        return DIRECTIONS.get(self.direction, DIRECTIONS[None])

    @property
    def median_text(self) -> str:
        return presentation.value_text(self.benchmark.median, self.unit) if self.benchmark else ""

    @property
    def quartiles_text(self) -> str:
        if self.benchmark is None:
            return ""
        low = presentation.value_text(self.benchmark.lower_quartile, self.unit)
        high = presentation.value_text(self.benchmark.upper_quartile, self.unit)
        return f"{low} to {high}"

    @property
    def rank_text(self) -> str:
        """ "2nd of 5"; empty when the value itself is not shown (a rank would hint at it)."""
        if self.benchmark is None or self.benchmark.rank is None or self.is_suppressed:
            return ""
        return f"{ordinal(self.benchmark.rank)} of {self.benchmark.authorities}"

    @property
    def position(self) -> str:
        if self.benchmark is None or self.is_suppressed:
            return ""
        return self.benchmark.position


@dataclass(frozen=True)
class ElementRow:
    key: str  # "P6"
    name: str  # "Scaling"
    line: MeasureLine


@dataclass(frozen=True)
class ThemeRow:
    key: str
    name: str
    counts: tuple[int, int, int]  # notes mentioning the element, per column


@dataclass(frozen=True)
class Themes:
    audits: int  # audits signed off in the quarter
    notes: tuple[int, int, int]  # notes written, per column
    rows: list[ThemeRow]
    unmatched: tuple[int, int, int]
    excerpts: tuple[list[str], list[str], list[str]]
    labels: tuple[str, str, str] = NARRATIVE_LABELS

    @property
    def columns(self) -> list[tuple[str, int, list[str]]]:
        return [
            (label, notes, quotes)
            for label, notes, quotes in zip(self.labels, self.notes, self.excerpts, strict=True)
        ]


@dataclass(frozen=True)
class LearningRow:
    team: str
    agreed: int
    due: int
    on_time: int
    late: int
    overdue: int


LEARNING_COLUMNS = ("agreed", "due", "on_time", "late", "overdue")


@dataclass(frozen=True)
class Learning:
    line: MeasureLine | None  # "Learning actions completed on time"
    rows: list[LearningRow]
    total: LearningRow

    @property
    def totals(self) -> dict[str, str]:
        """Each column's total as printed (see ``total_text``)."""
        return {
            column: total_text([getattr(row, column) for row in self.rows]) for column in LEARNING_COLUMNS
        }


def total_text(values: list[int]) -> str:
    """A column total as printed. When exactly one of the values is hidden (1 to 4), the total and
    the other values would give it away, so the total is hidden as well."""
    hidden = sum(1 for value in values if presentation.is_suppressed(value))
    total = sum(values)
    if hidden == 1 and not presentation.is_suppressed(total):
        return "not shown"
    return presentation.count_text(total)


@dataclass(frozen=True)
class VoiceQuestion:
    respondent: str  # "family" or "child"
    text: str
    yes: int
    partly: int
    no: int

    @property
    def answered(self) -> int:
        return self.yes + self.partly + self.no


@dataclass(frozen=True)
class Voice:
    lines: list[MeasureLine]  # measures of family and child experience
    audits: int
    consent: dict[str, int]  # given / declined / not_asked, over the audits signed off
    family_answered: int
    child_answered: int
    questions: list[VoiceQuestion]
    plan_score: Decimal | None  # mean "how much is this your plan" (0–10), None when suppressed
    plan_answers: int


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    numerator: str
    denominator: str
    direction: str
    node: str
    source: str
    reads_as: str


@dataclass(frozen=True)
class Branding:
    primary: str
    accent: str
    introduction: list[str]  # paragraphs
    logo: str  # a data: URI, or "" when there is no logo


@dataclass
class ReportContent:
    authority_name: str
    authority_code: str
    quarter_start: date
    generated_on: date
    branding: Branding
    headline: list[MeasureLine]
    outcomes: list[MeasureLine]
    timeliness: list[MeasureLine]
    fidelity: list[MeasureLine]
    fidelity_table: list[MeasureLine]
    elements: list[ElementRow]
    themes: Themes
    learning: Learning
    voice: Voice
    benchmarks: list[MeasureLine]
    definitions: list[Definition]
    has_data: bool
    element_chart: str = ""

    @property
    def quarter_label(self) -> str:
        return quarters.quarter_label(self.quarter_start)

    @property
    def quarter_code(self) -> str:
        return quarters.quarter_code(self.quarter_start)

    @property
    def quarter_dates(self) -> str:
        return quarters.quarter_dates(self.quarter_start)

    @property
    def has_element_medians(self) -> bool:
        """Whether any element has a median of the authorities this quarter."""
        return any(row.line.benchmark is not None for row in self.elements)

    @property
    def charted_lines(self) -> list[MeasureLine]:
        """Every line drawn as a trend, once each."""
        seen: dict[str, MeasureLine] = {}
        for line in [
            *self.outcomes,
            *self.timeliness,
            *self.fidelity,
            *self.voice.lines,
            *([self.learning.line] if self.learning.line else []),
        ]:
            seen.setdefault(line.key, line)
        return list(seen.values())


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


# --- which quarters and authorities have values --------------------------------------------------


def _quarter_values() -> QuerySet[MeasureValue]:
    return MeasureValue.objects.filter(team__isnull=True, period_type=PeriodType.QUARTER)


def quarters_with_data(*, authority: Authority, complete_before: date | None = None) -> list[date]:
    """First days of the quarters with stored values for ``authority``, latest first; only those
    ended before ``complete_before`` when given. One query."""
    starts = (
        _quarter_values()
        .filter(authority=authority)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .distinct()
    )
    return [
        start for start in starts if complete_before is None or quarters.quarter_end(start) < complete_before
    ]


def has_data(*, authority: Authority, quarter_start: date) -> bool:
    return _quarter_values().filter(authority=authority, period_start=quarter_start).exists()


def authorities_with_data(*, quarter_start: date) -> QuerySet[Authority]:
    """Authorities with stored values for the quarter (the scheduled job's list)."""
    ids = _quarter_values().filter(period_start=quarter_start).values("authority_id")
    return Authority.objects.filter(pk__in=ids).order_by("code")


# --- measure lines -------------------------------------------------------------------------------


def _shown(row: MeasureValue | None, unit: str) -> str:
    if row is None:
        return "no value"
    return presentation.shown_value(value=row.value, numerator=row.numerator, unit=unit)


def _benchmark(values: list[Decimal], own: Decimal | None, measure: Measure) -> presentation.Benchmark | None:
    if measure.reads_as == "count":
        return None  # counts depend on an authority's size: never compared
    return presentation.benchmark(values, own, direction=measure.direction)


def _line(
    measure: Measure,
    *,
    authority_id: int,
    trend_starts: list[date],
    rows: dict[tuple[int, str, date], MeasureValue],
    others: dict[tuple[str, date], list[Decimal]],
    target: MeasureTarget | None,
) -> MeasureLine:
    unit = measure.reads_as
    current_start = trend_starts[-1]
    own = rows.get((authority_id, measure.key, current_start))
    points = []
    for start in trend_starts:
        row = rows.get((authority_id, measure.key, start))
        suppressed = row is None or (unit != "mean" and presentation.is_suppressed(row.numerator))
        value = None if suppressed or row is None or row.value is None else float(row.value)
        mark = _benchmark(others.get((measure.key, start), []), None, measure)
        band = (float(mark.lower_quartile), float(mark.upper_quartile)) if mark else None
        label = period_starting(PeriodType.QUARTER, start).label  # "Q1 2024-25", as the charts want
        points.append(TrendPoint(label=label, value=value, band=band))
    own_value = own.value if own is not None else None
    rag = presentation.rag_status(
        own_value,
        target=target.target if target else None,
        tolerance=target.tolerance if target else Decimal(0),
        direction=measure.direction,
    )
    shown = _shown(own, unit)
    if shown == presentation.SUPPRESSED:
        rag = presentation.Rag.NONE  # a status beside a hidden value would hint at it
    previous = rows.get((authority_id, measure.key, quarters.shift(current_start, -1)))
    year_ago = rows.get((authority_id, measure.key, quarters.shift(current_start, -4)))
    return MeasureLine(
        key=measure.key,
        name=measure.name,
        unit=unit,
        direction=measure.direction,
        node=measure.node,
        numerator=own.numerator if own else None,
        denominator=own.denominator if own else None,
        value=own_value,
        shown=shown,
        numerator_text=presentation.count_text(own.numerator) if own else "–",
        denominator_text=presentation.count_text(own.denominator) if own else "–",
        previous=_shown(previous, unit),
        year_ago=_shown(year_ago, unit),
        target=target.target if target else None,
        target_text=presentation.value_text(target.target, unit) if target else "",
        rag=rag,
        benchmark=_benchmark(others.get((measure.key, current_start), []), own_value, measure),
        trend=tuple(points),
    )


def _section(measure: Measure) -> str:
    """Where a measure sits in the report, by its node in the results logic."""
    node = measure.node
    if measure.key in ELEMENT_MEASURES:
        return "elements"
    if node in VOICE_NODES:
        return "voice"
    if node.startswith("implementation_fidelity.learning"):
        return "learning"
    if node.startswith("outcomes.practice"):
        return "timeliness"
    if node.startswith(("practice_fidelity", "implementation_fidelity")):
        return "fidelity" if measure.key in FIDELITY_CHARTED else "fidelity_table"
    return "outcomes"


# --- audits: themes, learning, voice --------------------------------------------------------------


def _local_range(start: date) -> tuple[datetime, datetime]:
    """The quarter as aware datetimes [first moment, first moment of the next quarter)."""
    begin = timezone.make_aware(datetime.combine(start, time.min), LOCAL_TIME)
    end = timezone.make_aware(datetime.combine(quarters.shift(start, 1), time.min), LOCAL_TIME)
    return begin, end


def _quarter_audits(authority: Authority, start: date) -> QuerySet[Audit]:
    begin, end = _local_range(start)
    return signed_off_audits(authority_ids=[authority.pk]).filter(
        signed_off_at__gte=begin, signed_off_at__lt=end
    )


def _themes(authority: Authority, start: date, audits_count: int) -> Themes:
    """Counts per element and column of the notes of audits signed off in the quarter. One query."""
    notes = AuditAnswer.objects.filter(
        audit__in=_quarter_audits(authority, start), item_key__in=NARRATIVE_KEYS
    ).values_list("item_key", "value")
    texts: dict[str, list[str]] = {key: [] for key in NARRATIVE_KEYS}
    for key, value in notes:
        if isinstance(value, str) and value.strip():
            texts[key].append(value)
    counts: dict[str, list[int]] = {key: [0, 0, 0] for key in ELEMENT_KEYS}
    unmatched = [0, 0, 0]
    for column, key in enumerate(NARRATIVE_KEYS):
        for text in texts[key]:
            found = themes.elements_mentioned(text)
            if not found:
                unmatched[column] += 1
            for element in found:
                counts[element][column] += 1
    rows = [
        ThemeRow(key=key, name=ELEMENT_NAMES[key], counts=(c[0], c[1], c[2]))
        for key, c in counts.items()
        if any(c)
    ]
    rows.sort(key=lambda row: (-sum(row.counts), ELEMENT_KEYS.index(row.key)))
    quotes = [themes.excerpts(texts[key]) for key in NARRATIVE_KEYS]
    return Themes(
        audits=audits_count,
        notes=(len(texts[NARRATIVE_KEYS[0]]), len(texts[NARRATIVE_KEYS[1]]), len(texts[NARRATIVE_KEYS[2]])),
        rows=rows,
        unmatched=(unmatched[0], unmatched[1], unmatched[2]),
        excerpts=(quotes[0], quotes[1], quotes[2]),
    )


def _ones(condition: Q) -> Sum:
    return Sum(SqlCase(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _learning(authority: Authority, start: date, line: MeasureLine | None) -> Learning:
    """Learning actions by team: agreed (from audits signed off in the quarter, and team learning
    points added in it), due in the quarter, completed on time or late, and overdue at the end of
    the quarter (due by then and not completed by then). One query."""
    begin, end = _local_range(start)
    last = quarters.quarter_end(start)
    agreed = Q(audit__signed_off_at__gte=begin, audit__signed_off_at__lt=end) | Q(
        audit__isnull=True, created_at__gte=begin, created_at__lt=end
    )
    due = Q(due_on__gte=start, due_on__lte=last)
    grouped = (
        LearningAction.objects.filter(team__authority_id=authority.pk)
        .order_by()
        .values("team__name")
        .annotate(
            agreed=_ones(agreed),
            due=_ones(due),
            on_time=_ones(due & Q(completed_on__lte=F("due_on"))),
            late=_ones(due & Q(completed_on__gt=F("due_on"))),
            overdue=_ones(Q(due_on__lte=last) & (Q(completed_on__isnull=True) | Q(completed_on__gt=last))),
        )
    )
    rows = [
        LearningRow(
            team=row["team__name"],
            agreed=row["agreed"] or 0,
            due=row["due"] or 0,
            on_time=row["on_time"] or 0,
            late=row["late"] or 0,
            overdue=row["overdue"] or 0,
        )
        for row in grouped
    ]
    rows = sorted((r for r in rows if r.agreed or r.due or r.overdue), key=lambda r: r.team)
    total = LearningRow(
        team="All teams",
        agreed=sum(r.agreed for r in rows),
        due=sum(r.due for r in rows),
        on_time=sum(r.on_time for r in rows),
        late=sum(r.late for r in rows),
        overdue=sum(r.overdue for r in rows),
    )
    return Learning(line=line, rows=rows, total=total)


def _voice(authority: Authority, start: date, lines: list[MeasureLine], consent: dict[str, int]) -> Voice:
    """Feedback answered in the quarter by families and children. Three queries: answered requests
    by respondent, the standard feedback tools' closed questions, and their answers, grouped."""
    begin, end = _local_range(start)
    requests = FeedbackRequest.objects.filter(
        audit__authority_id=authority.pk,
        answered_at__gte=begin,
        answered_at__lt=end,
        response__isnull=False,
    )
    answered = dict(
        requests.order_by().values("respondent").annotate(n=Count("pk")).values_list("respondent", "n")
    )
    items = (
        Item.objects.filter(
            version__tool__key__in=list(FEEDBACK_TOOLS),
            version__tool__authority__isnull=True,
            type__in=[ItemType.YES_PARTLY_NO, ItemType.SCALE],
        )
        .order_by("version__number", "order")
        .values_list("version__tool__key", "key", "type", "text")
    )
    texts: dict[tuple[str, str], str] = {}
    order: list[tuple[str, str]] = []
    for tool_key, key, _type, text in items:
        respondent = FEEDBACK_TOOLS[tool_key]
        if (respondent, key) not in texts:
            order.append((respondent, key))
        texts[(respondent, key)] = text  # the latest version's wording
    tallies: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    scores: list[tuple[int, int]] = []
    rows = (
        Answer.objects.filter(
            response__feedback_request__in=requests, item_key__in=sorted({k for _, k in order})
        )
        .order_by()
        .values("response__feedback_request__respondent", "item_key", "value")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        respondent, key, value = row["response__feedback_request__respondent"], row["item_key"], row["value"]
        if key == PLAN_SCORE_KEY and respondent == "family" and isinstance(value, int | float):
            scores.append((int(value), row["n"]))
        elif isinstance(value, str):
            tallies[(respondent, key)][value] = tallies[(respondent, key)].get(value, 0) + row["n"]
    questions = [
        VoiceQuestion(
            respondent=respondent,
            text=texts[(respondent, key)],
            yes=tallies[(respondent, key)].get("yes", 0),
            partly=tallies[(respondent, key)].get("partly", 0),
            no=tallies[(respondent, key)].get("no", 0),
        )
        for respondent, key in order
        if key != PLAN_SCORE_KEY and (respondent, key) in tallies
    ]
    plan_answers = sum(n for _, n in scores)
    plan_score = None
    if plan_answers >= presentation.suppress_below():
        plan_score = (Decimal(sum(v * n for v, n in scores)) / plan_answers).quantize(Decimal("0.1"))
    return Voice(
        lines=lines,
        audits=sum(consent.values()),
        consent=consent,
        family_answered=answered.get("family", 0),
        child_answered=answered.get("child", 0),
        questions=questions,
        plan_score=plan_score,
        plan_answers=plan_answers,
    )


# --- branding and definitions ---------------------------------------------------------------------


def _default(field_name: str) -> str:
    return str(getattr(ReportBranding(), field_name))  # the model's default, no query


def branding_of(row: ReportBranding | None) -> Branding:
    """The authority's colours, introduction and logo; the defaults when it has set none. A colour
    that is not #RRGGBB is replaced by the default, as it is printed into the style sheet."""
    primary = row.primary_colour if row and _COLOUR.match(row.primary_colour) else _default("primary_colour")
    accent = row.accent_colour if row and _COLOUR.match(row.accent_colour) else _default("accent_colour")
    introduction = row.introduction if row else ""
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", introduction) if part.strip()]
    return Branding(primary=primary, accent=accent, introduction=paragraphs, logo=_logo_uri(row))


def _logo_uri(row: ReportBranding | None) -> str:
    """The logo inlined as a data: URI, so that the PDF and the HTML page need no file access."""
    if row is None or not row.logo:
        return ""
    kind = mimetypes.guess_type(row.logo.name)[0]
    if kind not in ("image/png", "image/jpeg", "image/gif", "image/svg+xml"):
        return ""
    try:
        with row.logo.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _definition(measure: Measure, nodes: dict[str, str]) -> Definition:
    source = SOURCES.get(measure.key) or SOURCE_BY_MODULE.get(
        getattr(measure.compute, "__module__", ""), "Stored records of the platform"
    )
    return Definition(
        key=measure.key,
        name=measure.name,
        numerator=measure.numerator,
        denominator=measure.denominator,
        direction=DIRECTIONS.get(measure.direction, DIRECTIONS[None]),
        node=nodes.get(measure.node, measure.node),
        source=source,
        reads_as=READS_AS[measure.reads_as],
    )


def definitions(nodes: dict[str, str]) -> list[Definition]:
    """Every measure in registry order; the fourteen per-element fidelity measures share one
    definition (they differ only in the element), listed where the first of them is."""
    found = []
    for measure in MEASURES.values():
        element = ELEMENT_MEASURES.get(measure.key)
        if element is None:
            found.append(_definition(measure, nodes))
        elif element == ELEMENT_KEYS[0]:
            generic = _definition(measure, nodes)
            found.append(
                Definition(
                    key="fidelity_elements",
                    name=f"Practice fidelity by element ({ELEMENT_KEYS[0]} to {ELEMENT_KEYS[-1]})",
                    numerator=_generic(generic.numerator, element),
                    denominator=_generic(generic.denominator, element),
                    direction=generic.direction,
                    node="The node of each element (for example Scaling for P6)",
                    source=generic.source,
                    reads_as=generic.reads_as,
                )
            )
    return found


def _generic(text: str, element: str) -> str:
    """A per-element definition written for any element: "the P1 item" → "the element's item"."""
    return text.replace(f"the {element} item", "the element's item").replace(
        f"Comparable {element} items", "Comparable items of the element"
    )


# --- the report -----------------------------------------------------------------------------------


def report_content(*, authority: Authority, quarter_start: date, today: date | None = None) -> ReportContent:
    """Everything the report on ``authority`` for the quarter starting ``quarter_start`` shows.

    ``REPORT_QUERIES`` queries: the stored values of every authority over the trend's quarters,
    the authority's targets, the results-logic nodes, its branding, its audits signed off in the
    quarter (by consent), their narrative notes, its learning actions by team, and three for the
    family and child voice.
    """
    if not quarters.is_quarter_start(quarter_start):
        raise ValueError(f"{quarter_start.isoformat()} is not the first day of a financial quarter")
    trend_starts = [quarters.shift(quarter_start, offset) for offset in range(1 - TREND_QUARTERS, 1)]
    stored = list(_quarter_values().filter(period_start__in=trend_starts, measure__in=list(MEASURES)))
    rows = {(row.authority_id, row.measure, row.period_start): row for row in stored}
    others: dict[tuple[str, date], list[Decimal]] = defaultdict(list)
    for row in stored:
        measure = MEASURES[row.measure]
        # As on the dashboard: a value suppressed on screen never counts towards a benchmark.
        value = presentation.benchmarkable(row.value, numerator=row.numerator, unit=measure.reads_as)
        if value is not None:
            others[(row.measure, row.period_start)].append(value)
    targets = {t.measure: t for t in MeasureTarget.objects.filter(authority=authority)}
    nodes = dict(ResultsNode.objects.values_list("key", "name"))
    branding = branding_of(ReportBranding.objects.filter(authority=authority).first())

    lines = {
        key: _line(
            measure,
            authority_id=authority.pk,
            trend_starts=trend_starts,
            rows=rows,
            others=others,
            target=targets.get(key),
        )
        for key, measure in MEASURES.items()
    }
    sections: dict[str, list[MeasureLine]] = defaultdict(list)
    for key, measure in MEASURES.items():
        sections[_section(measure)].append(lines[key])

    consent = dict(
        _quarter_audits(authority, quarter_start)
        .order_by()
        .values("family_consent")
        .annotate(n=Count("pk"))
        .values_list("family_consent", "n")
    )
    audits_count = sum(consent.values())
    learning_lines = sections.get("learning", [])
    elements = [
        ElementRow(key=element, name=ELEMENT_NAMES[element], line=lines[key])
        for key, element in ELEMENT_MEASURES.items()
        if key in lines
    ]
    return ReportContent(
        authority_name=authority.name,
        authority_code=authority.code,
        quarter_start=quarter_start,
        generated_on=today or timezone.localdate(),
        branding=branding,
        headline=[lines[key] for key in HEADLINE_KEYS if key in lines],
        outcomes=sections.get("outcomes", []),
        timeliness=sections.get("timeliness", []),
        fidelity=sections.get("fidelity", []),
        fidelity_table=sections.get("fidelity_table", []),
        elements=elements,
        themes=_themes(authority, quarter_start, audits_count),
        learning=_learning(authority, quarter_start, learning_lines[0] if learning_lines else None),
        voice=_voice(authority, quarter_start, sections.get("voice", []), consent),
        benchmarks=[
            line for key, line in lines.items() if line.benchmark is not None and key not in ELEMENT_MEASURES
        ],
        definitions=definitions(nodes),
        has_data=any(
            row.authority_id == authority.pk and row.period_start == quarter_start for row in stored
        ),
    )


# --- the archive ---------------------------------------------------------------------------------


def report_archive(*, user, authority: Authority) -> QuerySet[OutcomeReport]:
    """The authority's reports the user may see, latest quarter first (one query)."""
    return OutcomeReport.objects.for_user(user).filter(authority=authority).select_related("requested_by")
