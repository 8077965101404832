"""Measures computed from the participatory audits (registered in outcomes.registry).

Which rows count:

- **Signed-off audits**: audits of a case-audit tool (standard or an authority's own) with status
  "signed off" and ``signed_off_at`` set. Each belongs to ``Audit.authority``, to ``Audit.team``
  for team rows, and to the period of the *local date* (Europe/London) of ``signed_off_at``: an
  audit signed off at 23:30 on 31 March in summer time (22:30 UTC) is in March, one signed off at
  23:30 UTC that night (00:30 on 1 April in summer time) is in April.
- **Learning actions** belong to their team's authority, to their team, and to the period of their
  ``due_on``. Only decided actions count: completed, or due before today (an action due later and
  still open may yet be done on time).

Rubric items are read from the tool each audit was answered against (its version, with its
adaptation applied by ``audits.adaptation.resolve``). That is worked out once per distinct
(version, adaptation) pair, in three queries whatever the number of pairs (``tool_keys``), and
turned into ``Q`` conditions on the answers; every measure then runs one GROUP BY query with
conditional aggregates. No measure loops over audits or answers in Python.

- ``fidelity_overall``: mean agreed level of the answered core rubric items (any core rubric item
  of the tool, comparable or not: it is the authority's own depth of practice, like
  ``Audit.overall_level``).
- ``fidelity_p1`` … ``fidelity_p14``: mean agreed level of the item measuring that element of the
  standard rubric ("sofs-case-practice"), counting only items comparable across authorities:
  items of a standard tool that are unchanged or reworded as equivalent. An adaptation's
  non-equivalent reword and every item of an authority's own tool are left out.
- The means are stored as rates: numerator = sum of agreed levels, denominator = number of levels,
  value = the mean on the 1–4 scale (not a share).

``cross_authority_element_means`` gives the same per-element means per authority over all
signed-off audits, for benchmarks.

With ``since`` a measure answers only the periods from the one containing it (the incremental
job). A change dated ``d`` only changes periods ending on or after ``d``:

- the audit measures (``fidelity_*``, ``audits_established``, ``family_participation``,
  ``childs_voice_evident``, ``moderation_agreement``) count an audit, its answers, its moderation
  and its feedback in the period of its local sign-off date only, so a sign-off, a moderation
  completed or overturned with it, or feedback answered later are all dated by that sign-off date;
- ``actions_on_time`` counts an action in the period of its due date only, so completing it is
  dated by its due date. An open action becomes "decided" when its due date passes, a change
  nobody makes: the nightly full recompute counts it.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from audits import adaptation as tool_logic
from audits.models import (
    Adaptation,
    Audit,
    AuditAnswer,
    AuditStatus,
    FeedbackRequest,
    Item,
    ItemType,
    LearningAction,
    ToolKind,
)
from fidelity.scoring import ESTABLISHED
from outcomes.case_measures import Counts, Every, by_month, month_of, monthly_rows, of_grouping, roll_up
from outcomes.periods import PeriodType, period_key, period_start, period_start_of_key
from outcomes.registry import MEASURES, Measure, register

LOCAL_TIME = ZoneInfo("Europe/London")
STANDARD_RUBRIC = "sofs-case-practice"
ELEMENT_KEYS = tuple(f"P{number}" for number in range(1, 15))
CHILDS_VOICE = "P7"
FOUR_PLACES = Decimal("0.0001")

# The results-logic node each element informs (as in fidelity/migrations/0002_standard_results_logic.py).
ELEMENT_NODES = {
    "P1": "practice_fidelity.case_tools.map",
    "P2": "practice_fidelity.case_tools.danger_statements",
    "P3": "practice_fidelity.case_tools.map",
    "P4": "practice_fidelity.case_tools.map",
    "P5": "practice_fidelity.case_tools.safety_goals",
    "P6": "practice_fidelity.case_tools.scaling",
    "P7": "practice_fidelity.case_tools.childs_voice",
    "P8": "practice_fidelity.case_tools.words_pictures",
    "P9": "practice_fidelity.case_tools.network",
    "P10": "practice_fidelity.case_tools.safety_plan",
    "P11": "practice_fidelity.processes.family_owned_plans",
    "P12": "practice_fidelity.processes.participatory_meetings",
    "P13": "practice_fidelity.principles",
    "P14": "outcomes.children_families.family_experience",
}
ELEMENT_NAMES = {
    "P1": "Harm statements",
    "P2": "Danger statements",
    "P3": "Complicating factors",
    "P4": "Existing safety versus strengths",
    "P5": "Safety goals",
    "P6": "Scaling",
    "P7": "Child's voice",
    "P8": "Words and pictures",
    "P9": "Safety network",
    "P10": "Safety plan",
    "P11": "Next steps",
    "P12": "Participation and authority",
    "P13": "Inquiry and oversight",
    "P14": "Impact",
}

Pair = tuple[int, int | None]  # (tool version id, adaptation id or None)
Group = tuple[int, int | None]  # (authority id, team id or None for the whole authority)


# --- which items count ------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolKeys:
    """The item keys of one resolved tool that the measures read."""

    rubric: frozenset[str] = frozenset()  # every rubric-level item
    core_rubric: frozenset[str] = frozenset()  # core rubric-level items
    # standard-rubric element key → keys of the comparable items measuring it
    comparable_by_element: Mapping[str, frozenset[str]] = field(default_factory=dict)


def signed_off_audits(*, authority_ids: list[int] | None = None) -> QuerySet[Audit]:
    """Signed-off audits of case-audit tools, of the given authorities (all when None)."""
    audits = Audit.objects.filter(
        status=AuditStatus.SIGNED_OFF,
        signed_off_at__isnull=False,
        tool_version__tool__kind=ToolKind.CASE_AUDIT,
    )
    if authority_ids is not None:
        audits = audits.filter(authority_id__in=authority_ids)
    return audits


def _version_data(rows: list[dict]) -> dict[int, tool_logic.VersionData]:
    """Plain version data from item rows, with what ``resolve`` needs to tell which items are core,
    rubric-level, hidden and comparable (wording, options and descriptors are not needed)."""
    by_version: dict[int, list[dict]] = {}
    for row in rows:
        by_version.setdefault(row["version_id"], []).append(row)
    versions = {}
    for version_id, items in by_version.items():
        sections = {row["section__key"]: row["section__order"] for row in items}
        first = items[0]
        versions[version_id] = tool_logic.VersionData(
            tool_key="",
            tool_name="",
            kind=first["version__tool__kind"],
            version_id=version_id,
            number=first["version__number"],
            # Only standard versions have comparable items; the code itself is not needed.
            authority_code=None if first["version__tool__authority_id"] is None else "own",
            sections=tuple(
                tool_logic.SectionData(key=key, title=key, order=order)
                for key, order in sorted(sections.items(), key=lambda kv: (kv[1], kv[0]))
            ),
            items=tuple(
                tool_logic.ItemData(
                    key=row["key"],
                    section_key=row["section__key"],
                    type=row["type"],
                    text="",
                    order=row["order"],
                    is_core=row["is_core"],
                    # Only elements of the standard rubric are measured per element.
                    rubric_element_key=(
                        (row["rubric_element__key"] or "")
                        if row["rubric_element__rubric__key"] == STANDARD_RUBRIC
                        else ""
                    ),
                )
                for row in items
            ),
        )
    return versions


def _keys(resolved) -> ToolKeys:
    items = resolved.items()
    rubric = [item for item in items if item.type == ItemType.RUBRIC]
    by_element: dict[str, set[str]] = {}
    for item in rubric:
        if item.comparable and item.rubric_element_key:
            by_element.setdefault(item.rubric_element_key, set()).add(item.key)
    return ToolKeys(
        rubric=frozenset(item.key for item in rubric),
        core_rubric=frozenset(item.key for item in rubric if item.is_core),
        comparable_by_element={key: frozenset(keys) for key, keys in by_element.items()},
    )


def tool_keys(audits: QuerySet[Audit]) -> dict[Pair, ToolKeys]:
    """For each (version, adaptation) pair the ``audits`` may use, the item keys that count.

    Three queries whatever the number of audits or pairs: the adaptations the audits use (with
    their changes, prefetched) and the items of their versions and of the adaptations' base
    versions. Every version of those audits gets a pair without adaptation; every adaptation a
    pair with its base version. Comparability is decided by ``audits.adaptation.resolve``.
    """
    adaptations = list(
        Adaptation.objects.filter(pk__in=audits.filter(adaptation__isnull=False).values("adaptation_id"))
        .order_by()
        .prefetch_related("changes")
    )
    version_filter = Q(version_id__in=audits.values("tool_version_id"))
    if adaptations:
        version_filter |= Q(version_id__in=sorted({a.base_version_id for a in adaptations}))
    rows = list(
        Item.objects.filter(version_filter)
        .order_by()
        .values(
            "version_id",
            "version__number",
            "version__tool__kind",
            "version__tool__authority_id",
            "key",
            "type",
            "order",
            "is_core",
            "section__key",
            "section__order",
            "rubric_element__key",
            "rubric_element__rubric__key",
        )
    )
    versions = _version_data(rows)
    pairs: dict[Pair, ToolKeys] = {
        (version_id, None): _keys(tool_logic.resolve(version)) for version_id, version in versions.items()
    }
    for adaptation in adaptations:
        version = versions.get(adaptation.base_version_id)
        if version is None:
            continue
        adapted = tool_logic.AdaptationData(
            adaptation_id=adaptation.pk,
            number=adaptation.number,
            authority_code="",
            changes=tuple(tool_logic.change_data(change) for change in adaptation.changes.all()),
        )
        pairs[(adaptation.base_version_id, adaptation.pk)] = _keys(tool_logic.resolve(version, adapted))
    return pairs


# The pairs resolved so far in this job (``tools_resolved_once``), by the authorities asked for.
_RESOLVED: ContextVar[dict[tuple[int, ...] | None, dict[Pair, ToolKeys]] | None] = ContextVar(
    "outcomes_resolved_tools", default=None
)
# The per-element sums counted so far in this job, by (period type, authorities, grouping, since).
_ELEMENT_COUNTS: ContextVar[dict[tuple, dict[str, Every]] | None] = ContextVar(
    "outcomes_element_counts", default=None
)
# Within a job, each grouped query's answer for every period type and both groupings (``_grouped``).
_EVERY: ContextVar[dict[tuple, Every] | None] = ContextVar("outcomes_audit_every", default=None)


@contextmanager
def tools_resolved_once() -> Iterator[None]:
    """Within the block, each measure asking for the tools of the same authorities gets the pairs
    resolved by the first one (``tool_keys``: three queries), not its own: a job resolves the
    tools once, not once per measure and period type. Tools do not change under a job in a way
    that matters: an audit signed off meanwhile marks its authority for the next run.

    Likewise the fourteen ``fidelity_p*`` measures: the first one asked for authorities and
    ``since`` counts every element in one query (each answer measures at most one element), and
    the others read its answer. And every measure's query is asked once, by authority, team and
    month, for every period type and both groupings (``_grouped``): what an audit measure counts
    is counted in the period of one date, and an audit has one team."""
    token = _RESOLVED.set({})
    counts = _ELEMENT_COUNTS.set({})
    every = _EVERY.set({})
    try:
        yield
    finally:
        _EVERY.reset(every)
        _ELEMENT_COUNTS.reset(counts)
        _RESOLVED.reset(token)


def _pairs(authority_ids: list[int] | None) -> dict[Pair, ToolKeys]:
    """``tool_keys`` of the signed-off audits of the authorities, once per ``tools_resolved_once``."""
    resolved = _RESOLVED.get()
    if resolved is None:
        return tool_keys(signed_off_audits(authority_ids=authority_ids))
    key = None if authority_ids is None else tuple(sorted(authority_ids))
    if key not in resolved:
        resolved[key] = tool_keys(signed_off_audits(authority_ids=authority_ids))
    return resolved[key]


def answers_among(keys_by_pair: Mapping[Pair, frozenset[str]], *, prefix: str = "audit__") -> Q | None:
    """A condition on ``AuditAnswer`` rows: the answer's audit uses one of the pairs and its item
    key is among that pair's keys. None when no pair has keys (nothing can match)."""
    condition: Q | None = None
    for (version_id, adaptation_id), keys in sorted(
        keys_by_pair.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        if not keys:
            continue
        if adaptation_id is None:
            pair = Q(**{f"{prefix}tool_version_id": version_id, f"{prefix}adaptation__isnull": True})
        else:
            pair = Q(**{f"{prefix}adaptation_id": adaptation_id})
        pair &= Q(item_key__in=sorted(keys))
        condition = pair if condition is None else condition | pair
    return condition


# --- grouping ---------------------------------------------------------------------------------


def _local_day(field_name: str) -> TruncDate:
    """The local (Europe/London) date of a datetime column, computed by the database."""
    return TruncDate(field_name, tzinfo=LOCAL_TIME)


def _grouped(
    rows: QuerySet,
    *,
    day,
    authority_field: str,
    team_field: str,
    period_type: str,
    by_team: bool,
    numerator,
    denominator,
    since: date | None = None,
) -> Counts:
    """One GROUP BY query: per authority (and team), per period of ``day`` (a date expression);
    with ``since``, only the periods from the one containing it. Inside ``tools_resolved_once``
    (the jobs), one query for every period type and both groupings, asked once."""
    every = _EVERY.get()
    if every is not None:
        monthly = by_month(
            rows.annotate(g_day=day),
            day="g_day",
            authority_field=authority_field,
            team_field=team_field,
            numerator=numerator,
            denominator=denominator,
            since=since,
        )
        # The query's own SQL is the key: measures asking the same query share its answer.
        sql, params = monthly.query.sql_with_params()
        key = (sql, tuple(params), since)
        if key not in every:
            every[key] = roll_up(monthly_rows(monthly), since=since)
        return of_grouping(every[key][period_type], by_team=by_team)
    rows = rows.annotate(g_day=day).filter(g_day__isnull=False)
    if since is not None:
        rows = rows.filter(g_day__gte=period_start(period_type, since))
    group = {"g_authority": F(authority_field)}
    if by_team:
        rows = rows.filter(**{f"{team_field}__isnull": False})
        group["g_team"] = F(team_field)
    result = (
        rows.order_by()
        .values(**group, g_period=period_key(period_type, "g_day"))
        .annotate(g_numerator=numerator, g_denominator=denominator)
    )
    return {
        (row["g_authority"], row.get("g_team"), period_start_of_key(period_type, row["g_period"])): (
            row["g_numerator"] or 0,
            row["g_denominator"] or 0,
        )
        for row in result
    }


def _ones(condition) -> Sum:
    """How many rows meet ``condition`` (a conditional aggregate)."""
    return Sum(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _answer_rows(authority_ids: list[int] | None) -> QuerySet[AuditAnswer]:
    """Agreed answers of signed-off audits (filtered through the join, not a subquery)."""
    answers = AuditAnswer.objects.filter(
        audit__status=AuditStatus.SIGNED_OFF,
        audit__signed_off_at__isnull=False,
        audit__tool_version__tool__kind=ToolKind.CASE_AUDIT,
        agreed_level__isnull=False,
    )
    if authority_ids is not None:
        answers = answers.filter(audit__authority_id__in=authority_ids)
    return answers


def _answers_grouped(
    condition: Q | None,
    *,
    authority_ids: list[int] | None,
    period_type: str,
    by_team: bool,
    numerator,
    denominator,
    answers: QuerySet[AuditAnswer] | None = None,
    since: date | None = None,
) -> Counts:
    if condition is None:
        return {}
    answers = _answer_rows(authority_ids) if answers is None else answers
    return _grouped(
        answers.filter(condition),
        day=_local_day("audit__signed_off_at"),
        authority_field="audit__authority_id",
        team_field="audit__team_id",
        period_type=period_type,
        by_team=by_team,
        numerator=numerator,
        denominator=denominator,
        since=since,
    )


def _audits_grouped(
    audits: QuerySet[Audit],
    *,
    period_type: str,
    by_team: bool,
    numerator,
    denominator,
    since: date | None = None,
) -> Counts:
    return _grouped(
        audits,
        day=_local_day("signed_off_at"),
        authority_field="authority_id",
        team_field="team_id",
        period_type=period_type,
        by_team=by_team,
        numerator=numerator,
        denominator=denominator,
        since=since,
    )


# --- the measures -----------------------------------------------------------------------------


def fidelity_overall(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Sum and number of the agreed levels of core rubric items in signed-off audits."""
    pairs = _pairs(authority_ids)
    return _answers_grouped(
        answers_among({pair: keys.core_rubric for pair, keys in pairs.items()}),
        authority_ids=authority_ids,
        period_type=period_type,
        by_team=by_team,
        numerator=Sum("agreed_level"),
        denominator=Count("pk"),
        since=since,
    )


def element_condition(pairs: Mapping[Pair, ToolKeys], element_key: str) -> Q | None:
    """Answers to comparable items measuring ``element_key``, over the given pairs."""
    return answers_among(
        {pair: keys.comparable_by_element.get(element_key, frozenset()) for pair, keys in pairs.items()}
    )


def fidelity_element(element_key: str):
    """The compute function of ``fidelity_<element>``: sum and number of agreed levels of the
    element's comparable items in signed-off audits."""

    def compute(
        *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
    ) -> Counts:
        counted = _ELEMENT_COUNTS.get()
        if counted is not None:
            key = (None if authority_ids is None else tuple(sorted(authority_ids)), since)
            if key not in counted:
                counted[key] = _element_counts(authority_ids=authority_ids, since=since)
            return of_grouping(counted[key].get(element_key, {}).get(period_type, {}), by_team=by_team)
        pairs = _pairs(authority_ids)
        return _answers_grouped(
            element_condition(pairs, element_key),
            authority_ids=authority_ids,
            period_type=period_type,
            by_team=by_team,
            numerator=Sum("agreed_level"),
            denominator=Count("pk"),
            since=since,
        )

    compute.__name__ = f"fidelity_{element_key.lower()}"
    compute.__qualname__ = compute.__name__
    return compute


def _element_counts(*, authority_ids: list[int] | None, since: date | None) -> dict[str, Every]:
    """Per element of the standard rubric, what ``fidelity_element`` counts, for every period type
    and both groupings, in one query: each answer is put under the element its (comparable) item
    measures, then grouped by it, authority, team and month (``roll_up`` sums the rest)."""
    pairs = _pairs(authority_ids)
    whens = []
    for element_key in ELEMENT_KEYS:
        condition = element_condition(pairs, element_key)
        if condition is not None:
            whens.append(When(condition, then=Value(element_key)))
    if not whens:
        return {}
    answers = (
        _answer_rows(authority_ids)
        .annotate(g_element=Case(*whens, default=Value(""), output_field=CharField()))
        .exclude(g_element="")
        .annotate(g_day=_local_day("audit__signed_off_at"))
        .filter(g_day__isnull=False)
    )
    if since is not None:
        answers = answers.filter(g_day__gte=period_start(PeriodType.YEAR, since))
    rows = (
        answers.order_by()
        .values(
            "g_element", g_authority=F("audit__authority_id"), g_team=F("audit__team_id"), **month_of("g_day")
        )
        .annotate(g_numerator=Sum("agreed_level"), g_denominator=Count("pk"))
    )
    by_element: dict[str, list[dict]] = {}
    for row in rows:
        by_element.setdefault(row["g_element"], []).append(row)
    return {element: roll_up(monthly_rows(found), since=since) for element, found in by_element.items()}


def audits_established(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Signed-off audits with an overall level (the moderator's overturned level when set, else
    ``Audit.overall_level``), and those of them at Established (3) or above."""
    audits = (
        signed_off_audits(authority_ids=authority_ids)
        .annotate(level=Coalesce("moderation__overturned_level", "overall_level"))
        .filter(level__isnull=False)
    )
    return _audits_grouped(
        audits,
        period_type=period_type,
        by_team=by_team,
        numerator=_ones(Q(level__gte=ESTABLISHED)),
        denominator=Count("pk"),
        since=since,
    )


def family_participation(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Signed-off audits, and those with a family feedback request that was answered."""
    answered = FeedbackRequest.objects.filter(audit=OuterRef("pk"), respondent="family").filter(
        Q(answered_at__isnull=False) | Q(response__isnull=False)
    )
    return _audits_grouped(
        signed_off_audits(authority_ids=authority_ids),
        period_type=period_type,
        by_team=by_team,
        numerator=_ones(Exists(answered)),
        denominator=Count("pk"),
        since=since,
    )


def childs_voice_evident(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Signed-off audits with an agreed level for the child's-voice element (P7, comparable items
    only, as ``fidelity_p7``), and those of them at Established (3) or above."""
    pairs = _pairs(authority_ids)
    return _answers_grouped(
        element_condition(pairs, CHILDS_VOICE),
        authority_ids=authority_ids,
        period_type=period_type,
        by_team=by_team,
        # Counted per audit, should a tool ever measure the element with two items.
        numerator=Count("audit_id", distinct=True, filter=Q(agreed_level__gte=ESTABLISHED)),
        denominator=Count("audit_id", distinct=True),
        since=since,
    )


def moderation_agreement(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Moderator ratings of rubric items of signed-off moderated audits that have an agreed level,
    and those equal to it.

    ``Moderation.ratings`` is a JSON object ``{item key: level}``. The database reads the rating of
    each answer's item with one constant-key JSON lookup per rubric item key of the tools in use
    (a CASE over a handful of keys), so the query stays set-based on SQLite and PostgreSQL. The
    rating is compared as text, so a level stored as 3 or as "3" reads the same.
    """
    pairs = _pairs(authority_ids)
    keys = sorted(set().union(*(keys.rubric for keys in pairs.values()))) if pairs else []
    condition = answers_among({pair: keys.rubric for pair, keys in pairs.items()})
    if condition is None:
        return {}
    rating = Case(
        *[When(item_key=key, then=KeyTextTransform(key, "audit__moderation__ratings")) for key in keys],
        default=Value(None),
        output_field=CharField(),
    )
    answers = (
        _answer_rows(authority_ids)
        .filter(audit__moderation__isnull=False)
        .annotate(rating=rating)
        .filter(rating__isnull=False)
        .exclude(rating="")
    )
    return _answers_grouped(
        condition,
        authority_ids=authority_ids,
        period_type=period_type,
        by_team=by_team,
        numerator=_ones(Q(rating=Cast("agreed_level", CharField()))),
        denominator=Count("pk"),
        answers=answers,
        since=since,
    )


def actions_on_time(
    *, period_type: str, authority_ids: list[int] | None, by_team: bool, since: date | None = None
) -> Counts:
    """Decided learning actions due in the period (completed, or due before today), and those
    completed on or before their due date."""
    today = timezone.localtime(timezone.now(), LOCAL_TIME).date()
    actions = LearningAction.objects.filter(Q(completed_on__isnull=False) | Q(due_on__lt=today))
    if authority_ids is not None:
        actions = actions.filter(team__authority_id__in=authority_ids)
    return _grouped(
        actions,
        day=F("due_on"),
        authority_field="team__authority_id",
        team_field="team_id",
        period_type=period_type,
        by_team=by_team,
        numerator=_ones(Q(completed_on__lte=F("due_on"))),
        denominator=Count("pk"),
        since=since,
    )


# --- the periods these measures need ---------------------------------------------------------


def date_ranges(*, authority_ids: list[int] | None, by_team: bool) -> dict[Group, tuple[date, date]]:
    """Per authority (or authority and team), the earliest and latest dates that put rows of these
    measures into periods: the local sign-off dates of signed-off audits and the due dates of
    decided learning actions. Two queries."""
    ranges: dict[Group, tuple[date, date]] = {}

    def widen(key: Group, lo: date | None, hi: date | None) -> None:
        if lo is None or hi is None:
            return
        known = ranges.get(key)
        ranges[key] = (min(lo, known[0]), max(hi, known[1])) if known else (lo, hi)

    audits = signed_off_audits(authority_ids=authority_ids)
    group = {"g_authority": F("authority_id")}
    if by_team:
        audits = audits.filter(team__isnull=False)
        group["g_team"] = F("team_id")
    for row in audits.order_by().values(**group).annotate(lo=Min("signed_off_at"), hi=Max("signed_off_at")):
        # The local date is monotonic in the instant, so the extremes convert directly.
        widen(
            (row["g_authority"], row.get("g_team")),
            timezone.localtime(row["lo"], LOCAL_TIME).date(),
            timezone.localtime(row["hi"], LOCAL_TIME).date(),
        )

    today = timezone.localtime(timezone.now(), LOCAL_TIME).date()
    actions = LearningAction.objects.filter(Q(completed_on__isnull=False) | Q(due_on__lt=today))
    if authority_ids is not None:
        actions = actions.filter(team__authority_id__in=authority_ids)
    group = {"g_authority": F("team__authority_id")}
    if by_team:
        group["g_team"] = F("team_id")
    for row in actions.order_by().values(**group).annotate(lo=Min("due_on"), hi=Max("due_on")):
        widen((row["g_authority"], row.get("g_team")), row["lo"], row["hi"])
    return ranges


# --- cross-authority figures ------------------------------------------------------------------


@dataclass(frozen=True)
class ElementMean:
    """One authority's mean agreed level for one element, and how many answers it is the mean of."""

    mean: Decimal
    answered: int


def cross_authority_element_means(*, element_keys=None) -> dict[str, dict[int, ElementMean]]:
    """Per element of the standard rubric (``element_keys``, all fourteen by default, in that order),
    per authority id: the mean agreed level over the comparable items of all signed-off audits
    (rounded half-up to 4 places), and the number of answers. Authorities without answers for an
    element are absent from it; authorities are named by id only.

    Only comparable items count: an audit answered against an adapted tool contributes an item
    unchanged or reworded as equivalent, never a non-equivalent reword or a local item, and
    authorities' own tools contribute nothing. Four queries (three in ``tool_keys``).
    """
    wanted = list(ELEMENT_KEYS if element_keys is None else element_keys)
    means: dict[str, dict[int, ElementMean]] = {key: {} for key in wanted}
    pairs = tool_keys(signed_off_audits())
    whens = []
    for key in wanted:
        condition = element_condition(pairs, key)
        if condition is not None:
            whens.append(When(condition, then=Value(key)))
    if not whens:
        return means
    rows = (
        _answer_rows(None)
        .annotate(g_element=Case(*whens, default=Value(""), output_field=CharField()))
        .exclude(g_element="")
        .order_by()
        .values("g_element", g_authority=F("audit__authority_id"))
        .annotate(total=Sum("agreed_level"), answered=Count("pk"))
    )
    for row in rows:
        mean = (Decimal(row["total"]) / Decimal(row["answered"])).quantize(
            FOUR_PLACES, rounding=ROUND_HALF_UP
        )
        means[row["g_element"]][row["g_authority"]] = ElementMean(mean=mean, answered=row["answered"])
    return means


# --- registration -----------------------------------------------------------------------------

MEAN_NOTE = " (a mean on the 1–4 rubric scale, stored as numerator / denominator)"
_REGISTERED_BEFORE = set(MEASURES)

register(
    Measure(
        key="fidelity_overall",
        name="Practice fidelity (overall)",
        kind="rate",
        numerator="Sum of the agreed levels (1–4) of the core rubric items of audits signed off in the period",
        denominator="Core rubric items with an agreed level in audits signed off in the period" + MEAN_NOTE,
        direction="up",
        node="practice_fidelity",
        compute=fidelity_overall,
        unit="mean",
    )
)
for _element in ELEMENT_KEYS:
    register(
        Measure(
            key=f"fidelity_{_element.lower()}",
            name=f"Practice fidelity: {_element} {ELEMENT_NAMES[_element]}",
            kind="rate",
            numerator=(
                f"Sum of the agreed levels (1–4) of the {_element} item in audits signed off in the period, "
                "comparable items only (standard wording or an equivalent reword)"
            ),
            denominator=(
                f"Comparable {_element} items with an agreed level in audits signed off in the period"
                + MEAN_NOTE
            ),
            direction="up",
            node=ELEMENT_NODES[_element],
            compute=fidelity_element(_element),
            unit="mean",
        )
    )
register(
    Measure(
        key="audits_established",
        name="Audits rated Established or better",
        kind="rate",
        numerator=(
            "Audits signed off in the period whose overall level (the moderator's overturned level when "
            "set) is 3 Established or more"
        ),
        denominator="Audits signed off in the period with an overall level",
        direction="up",
        node="practice_fidelity",
        compute=audits_established,
    )
)
register(
    Measure(
        key="family_participation",
        name="Family participation in audits",
        kind="rate",
        numerator="Audits signed off in the period with an answered family feedback request",
        denominator="Audits signed off in the period",
        direction="up",
        node="outcomes.children_families.family_experience",
        compute=family_participation,
    )
)
register(
    Measure(
        key="childs_voice_evident",
        name="Child's voice evident",
        kind="rate",
        numerator="Audits signed off in the period whose agreed level for the child's voice (P7) is 3 or more",
        denominator=(
            "Audits signed off in the period with an agreed level for the child's voice (P7), "
            "comparable items only"
        ),
        direction="up",
        node="practice_fidelity.case_tools.childs_voice",
        compute=childs_voice_evident,
    )
)
register(
    Measure(
        key="moderation_agreement",
        name="Moderation agreement",
        kind="rate",
        numerator="Moderator ratings of rubric items equal to the audit's agreed level",
        denominator=(
            "Moderator ratings of rubric items with an agreed level, in moderated audits signed off "
            "in the period"
        ),
        direction="up",
        node="implementation_fidelity.measures",
        compute=moderation_agreement,
    )
)
register(
    Measure(
        key="actions_on_time",
        name="Learning actions completed on time",
        kind="rate",
        numerator="Learning actions due in the period completed on or before their due date",
        denominator=(
            "Learning actions due in the period that are completed or whose due date has passed "
            "(open actions not yet due are left out)"
        ),
        direction="up",
        node="implementation_fidelity.learning",
        compute=actions_on_time,
    )
)

# The measures of this module: a change to audits, moderation, feedback or learning actions makes
# only these stale (``outcomes.services.measures_stale_by``).
MEASURE_KEYS = tuple(key for key in MEASURES if key not in _REGISTERED_BEFORE)
