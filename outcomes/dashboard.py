"""Selectors of the outcome dashboard, a measure's page, its drill-down and the analysts' comparison.

Pages only read the values the aggregation job stored (``MeasureValue``); nothing here computes a
measure. Each page reads in a fixed number of queries whatever the number of cases, audits or
stored values: the stored rows it needs in one query, all authorities' authority-level values (for
the benchmark) in one, the targets in one, the results-logic tree in one. The rest is pure
functions over those rows (``reading``, ``sections``), which turn them into what a reader sees:
small numbers suppressed, red/amber/green against the authority's target, and a benchmark that
never names another authority.
"""

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Authority, Team
from audits.models import Audit, AuditAnswer, FeedbackRequest, LearningAction
from fidelity.models import ResultsNode, RubricLevel
from outcomes import audit_measures, presentation
from outcomes.audit_measures import ELEMENT_KEYS, ELEMENT_NAMES, LOCAL_TIME
from outcomes.charts import Bar, TrendPoint, element_chart, trend_chart
from outcomes.models import JobRun, JobStatus, MeasureTarget, MeasureValue
from outcomes.periods import Period, PeriodType, period_starting, periods_between
from outcomes.presentation import Benchmark, Rag
from outcomes.registry import MEASURES, Measure

QUARTER = PeriodType.QUARTER
# Quarters in a trend on the dashboard, and on a measure's own page.
DASHBOARD_QUARTERS = 8
MEASURE_PAGE_QUARTERS = 12

CASE_MEASURES = (
    "referrals",
    "rereferrals_12m",
    "cp_plan_starts",
    "repeat_cp_plans",
    "cp_plans_ended_2y",
    "assessments_45wd",
    "icpc_15wd",
    "cla_starts",
    "kinship_share",
)
ELEMENT_MEASURES = tuple(f"fidelity_{key.lower()}" for key in ELEMENT_KEYS)
# Measures computed from audits and learning actions: their pages link to the audits behind them.
AUDIT_MEASURES = (
    "fidelity_overall",
    *ELEMENT_MEASURES,
    "audits_established",
    "family_participation",
    "childs_voice_evident",
    "moderation_agreement",
    "actions_on_time",
)
# Measures defined the same way everywhere. Not ``fidelity_overall``: it mixes in items an
# authority added or reworded with another meaning.
COMPARABLE_MEASURES = (
    *CASE_MEASURES,
    *ELEMENT_MEASURES,
    "audits_established",
    "family_participation",
    "childs_voice_evident",
    "moderation_agreement",
    "actions_on_time",
)

NO_DATA = "–"


def today() -> date:
    """Today in England (a seam for tests)."""
    return timezone.localdate(timezone=LOCAL_TIME)


def is_benchmarked(measure: Measure) -> bool:
    """Rates and means are benchmarked; counts are not: they follow the size of the authority."""
    return measure.is_rate


# --- periods ----------------------------------------------------------------------------------


def quarters_back(period: Period, count: int) -> list[Period]:
    """The ``count`` quarters ending with ``period``, oldest first."""
    index = period.start.year * 12 + period.start.month - 1 - 3 * (count - 1)
    first = date(index // 12, index % 12 + 1, 1)
    return periods_between(QUARTER, first, period.start)


def pick_quarter(available: Sequence[Period], wanted: date | None, on: date) -> Period | None:
    """The quarter asked for when it has values; else the latest that has values and has ended
    (``on`` is today); else the latest with values; None when there are none."""
    for period in available:
        if period.start == wanted:
            return period
    ended = [period for period in available if period.end < on]
    if ended:
        return ended[-1]
    return available[-1] if available else None


def parse_start(text: str | None) -> date | None:
    """A period's first day from a query string ("2025-04-01"); None when it is not a date."""
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def quarters_with_values(*, authority_id: int | None) -> list[Period]:
    """Quarters with stored authority-level values (of any authority when ``authority_id`` is
    None), oldest first. One query."""
    rows = MeasureValue.objects.filter(period_type=QUARTER, team__isnull=True)
    if authority_id is not None:
        rows = rows.filter(authority_id=authority_id)
    starts = rows.order_by("period_start").values_list("period_start", flat=True).distinct()
    return [period_starting(QUARTER, start) for start in starts]


def local_bounds(period: Period) -> tuple[datetime, datetime]:
    """The instants at which ``period`` starts and after which it ends, in England's time: an
    audit belongs to the period of the local date of its sign-off (as in the audit measures)."""
    start = datetime.combine(period.start, time.min, tzinfo=LOCAL_TIME)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=LOCAL_TIME)
    return start, end


# --- one measure in one quarter, as a reader sees it ---------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One stored value: counts have no denominator; rates and means have one."""

    numerator: int
    denominator: int | None
    value: Decimal | None


@dataclass(frozen=True)
class Target:
    target: Decimal
    tolerance: Decimal
    note: str = ""


@dataclass(frozen=True)
class Reading:
    """One measure in one quarter, as shown: every text already suppressed where it must be."""

    period: Period
    has_row: bool
    empty: bool  # a rate with nothing to count (denominator 0): no value, which is not 0%
    value_text: str
    numerator_text: str
    denominator_text: str
    suppressed: bool
    chart_value: float | None  # None when there is no value, or it is suppressed
    rag: str
    benchmark: Benchmark | None
    position: str  # against the middle half of authorities: "better than most" …
    unit: str = "count"

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def rag_label(self) -> str:
        return presentation.RAG_LABELS[self.rag]

    @property
    def median_text(self) -> str:
        return "" if self.benchmark is None else presentation.value_text(self.benchmark.median, self.unit)

    @property
    def band_text(self) -> str:
        return presentation.band_text(self.benchmark, self.unit)

    @property
    def rank_text(self) -> str:
        return presentation.rank_text(self.benchmark)

    @property
    def band(self) -> tuple[float, float] | None:
        if self.benchmark is None:
            return None
        return float(self.benchmark.lower_quartile), float(self.benchmark.upper_quartile)


def shown(measure: Measure, stored: Stored | None) -> tuple[Decimal | None, str, str, str]:
    """(the value when it may be shown, its text, the numerator's text, the denominator's text).
    A count, or a share whose numerator is 1–4, is suppressed; a mean on the 1–4 scale is not (its
    numerator is a sum of levels, not a number of children), but its number of ratings is."""
    if stored is None:
        return None, NO_DATA, NO_DATA, NO_DATA
    if measure.is_rate and not stored.denominator:
        return None, NO_DATA, "0", "0"
    unit = measure.reads_as
    suppressed = unit != "mean" and presentation.is_suppressed(stored.numerator)
    return (
        None if suppressed else stored.value,
        presentation.shown_value(value=stored.value, numerator=stored.numerator, unit=unit),
        presentation.count_text(stored.numerator),
        presentation.count_text(stored.denominator) if measure.is_rate else "",
    )


def reading(
    measure: Measure,
    period: Period,
    stored: Stored | None,
    *,
    peers: Sequence[Decimal] = (),
    target: Target | None = None,
    ranked: bool = True,
) -> Reading:
    """What a reader sees of ``measure`` in ``period``. ``peers`` are the authority-level values of
    every authority with one (for the benchmark); ``ranked`` places this value among them (not for a
    team: a team is not an authority). A count or numerator from 1 to 4 is suppressed, and then
    nothing derived from the value is shown either: no status, no rank, no point on the chart."""
    unit = measure.reads_as
    value, value_text, numerator_text, denominator_text = shown(measure, stored)
    suppressed = stored is not None and value_text == presentation.SUPPRESSED
    result = None
    if is_benchmarked(measure) and peers:
        result = presentation.benchmark(list(peers), value if ranked else None, direction=measure.direction)
    return Reading(
        period=period,
        has_row=stored is not None,
        empty=stored is not None and measure.is_rate and not stored.denominator,
        value_text=value_text,
        numerator_text=numerator_text,
        denominator_text=denominator_text,
        suppressed=suppressed,
        chart_value=None if value is None else float(value),
        rag=presentation.rag_status(
            value,
            target=target.target if target else None,
            tolerance=target.tolerance if target else Decimal(0),
            direction=measure.direction,
        ),
        benchmark=result,
        position=presentation.band_position(result, value, direction=measure.direction),
        unit=unit,
    )


def direction_text(measure: Measure) -> str:
    if measure.direction == "up":
        return "Higher is better"
    if measure.direction == "down":
        return "Lower is better"
    return "For context: neither higher nor lower is better"


@dataclass(frozen=True)
class MeasureCard:
    """A measure over a run of quarters, the last one being the quarter shown."""

    measure: Measure
    readings: tuple[Reading, ...]
    target: Target | None
    for_team: bool

    @property
    def key(self) -> str:
        return self.measure.key

    @property
    def name(self) -> str:
        return self.measure.name

    @property
    def unit(self) -> str:
        return self.measure.reads_as

    @property
    def current(self) -> Reading:
        return self.readings[-1]

    @property
    def is_audit_measure(self) -> bool:
        return self.measure.key in AUDIT_MEASURES

    @property
    def benchmarked(self) -> bool:
        return is_benchmarked(self.measure)

    @property
    def direction_text(self) -> str:
        return direction_text(self.measure)

    @property
    def has_quarters_without_benchmark(self) -> bool:
        """Whether a quarter of the trend has no benchmark (fewer than five authorities with a value)."""
        return self.benchmarked and any(r.benchmark is None for r in self.readings)

    @property
    def target_text(self) -> str:
        return "" if self.target is None else presentation.value_text(self.target.target, self.unit)

    @property
    def tolerance_text(self) -> str:
        """How far from the target is still amber: "2.0 percentage points", "0.3", "5"."""
        if self.target is None or not self.target.tolerance:
            return ""
        tolerance = self.target.tolerance
        if self.unit == "share":
            return f"{tolerance * 100:.1f} percentage points"
        if self.unit == "mean":
            return f"{tolerance:.1f}"
        return f"{int(tolerance):,}"

    @property
    def points(self) -> list[TrendPoint]:
        return [TrendPoint(r.label, r.chart_value, r.band) for r in self.readings]

    def chart(self, *, width: float = 4.2, height: float = 1.9) -> str:
        return trend_chart(
            self.points,
            unit=self.unit,
            title=f"{self.name}: {self.readings[0].label} to {self.current.label}",
            target=float(self.target.target) if self.target is not None else None,
            width=width,
            height=height,
        )

    @property
    def small_chart(self) -> str:
        return self.chart()

    @property
    def large_chart(self) -> str:
        return self.chart(width=8.5, height=3.0)


def measure_card(
    measure: Measure,
    periods: Sequence[Period],
    own: Mapping[tuple[str, date], Stored],
    peers: Mapping[tuple[str, date], Sequence[Decimal]],
    target: Target | None,
    *,
    for_team: bool,
) -> MeasureCard:
    return MeasureCard(
        measure=measure,
        readings=tuple(
            reading(
                measure,
                period,
                own.get((measure.key, period.start)),
                peers=peers.get((measure.key, period.start), ()),
                target=target,
                ranked=not for_team,
            )
            for period in periods
        ),
        target=target,
        for_team=for_team,
    )


# --- reads ---------------------------------------------------------------------------------------


def own_values(
    *,
    authority_id: int,
    team_id: int | None,
    periods: Sequence[Period],
    measures: Iterable[str] | None = None,
) -> dict[tuple[str, date], Stored]:
    """The authority's (or one team's) quarterly values in ``periods``. One query.

    A team stores a value only where something was counted: where its authority has a value and
    the team none, the team's is 0 (of 0)."""
    rows = MeasureValue.objects.filter(
        authority_id=authority_id, period_type=QUARTER, period_start__in=[p.start for p in periods]
    )
    rows = (
        rows.filter(Q(team_id=team_id) | Q(team__isnull=True))
        if team_id is not None
        else rows.filter(team__isnull=True)
    )
    if measures is not None:
        rows = rows.filter(measure__in=list(measures))
    found = rows.order_by().values_list(
        "team_id", "measure", "period_start", "numerator", "denominator", "value"
    )
    if team_id is None:
        return {
            (measure, start): Stored(numerator, denominator, value)
            for _team, measure, start, numerator, denominator, value in found
        }
    own: dict[tuple[str, date], Stored] = {}
    authority: set[tuple[str, date]] = set()
    for team, measure, start, numerator, denominator, value in found:
        if team is None:
            authority.add((measure, start))
        else:
            own[(measure, start)] = Stored(numerator, denominator, value)
    for measure, start in authority - own.keys():
        if measure in MEASURES:
            own[(measure, start)] = nothing_counted(MEASURES[measure])
    return own


def nothing_counted(measure: Measure) -> Stored:
    """A team's value where it stores none: 0, or 0 of 0 (no value) for a rate."""
    return Stored(0, 0, None) if measure.is_rate else Stored(0, None, Decimal(0))


def shareable(measure: Measure, stored: Stored) -> Decimal | None:
    """The value when it may count towards a benchmark (``presentation.benchmarkable``)."""
    return presentation.benchmarkable(stored.value, numerator=stored.numerator, unit=measure.reads_as)


def peer_values(
    *, periods: Sequence[Period], measures: Iterable[str] | None = None
) -> dict[tuple[str, date], list[Decimal]]:
    """Every authority's authority-level value per (measure, quarter), for the benchmark: values
    only, never whose; values too small to show are left out (``shareable``). One query for the
    version of the stored values, and on the first request for these quarters since the job last
    wrote values one more for every benchmarked measure's values, kept in the cache (they are the
    same for every authority's readers, and with 153 authorities reading them is most of a page)."""
    starts = [p.start for p in periods]
    key = f"outcomes:peers:{values_version()}:{','.join(start.isoformat() for start in starts)}"
    peers = cache.get(key)
    if peers is None:
        peers = _peer_values(starts)
        cache.set(key, peers, PEERS_CACHE_SECONDS)
    if measures is None:
        return peers
    wanted = set(measures)
    return {found: values for found, values in peers.items() if found[0] in wanted}


# The cached benchmark values are keyed by the values' version, so this only bounds how long an
# unused entry stays.
PEERS_CACHE_SECONDS = 24 * 60 * 60


def values_version() -> str:
    """Changes whenever the aggregation job writes values: the latest finish of a succeeded run (a
    run's values commit with its status). One query, on an index."""
    latest = JobRun.objects.filter(status=JobStatus.SUCCEEDED).aggregate(latest=Max("finished_at"))["latest"]
    return latest.isoformat() if latest else "none"


def _peer_values(starts: list[date]) -> dict[tuple[str, date], list[Decimal]]:
    keys = [key for key, measure in MEASURES.items() if is_benchmarked(measure)]
    rows = MeasureValue.objects.filter(
        period_type=QUARTER,
        team__isnull=True,
        value__isnull=False,
        measure__in=keys,
        period_start__in=starts,
    )
    peers: dict[tuple[str, date], list[Decimal]] = defaultdict(list)
    for key, start, numerator, value in rows.order_by().values_list(
        "measure", "period_start", "numerator", "value"
    ):
        shown_value = shareable(MEASURES[key], Stored(numerator, None, value))
        if shown_value is not None:
            peers[(key, start)].append(shown_value)
    return dict(peers)


def targets(*, authority_id: int) -> dict[str, Target]:
    """The authority's targets by measure key. One query."""
    return {
        measure: Target(target, tolerance, note)
        for measure, target, tolerance, note in MeasureTarget.objects.filter(
            authority_id=authority_id
        ).values_list("measure", "target", "tolerance", "note")
    }


@dataclass(frozen=True)
class Node:
    key: str
    name: str
    description: str
    parent_key: str | None
    order: int


def results_tree() -> list[Node]:
    """Every results-logic node, parents before children in the tree's order. One query."""
    rows = list(
        ResultsNode.objects.order_by("order", "key").values(
            "key", "name", "description", "order", "parent__key"
        )
    )
    nodes = [Node(r["key"], r["name"], r["description"], r["parent__key"], r["order"]) for r in rows]
    children: dict[str | None, list[Node]] = defaultdict(list)
    for node in nodes:
        children[node.parent_key].append(node)
    ordered: list[Node] = []

    def walk(parent: str | None) -> None:
        for node in children.get(parent, []):
            ordered.append(node)
            walk(node.key)

    walk(None)
    return ordered


def node_path(nodes: Sequence[Node], key: str) -> list[Node]:
    """The node with ``key`` and its ancestors, root first (empty when it is not in the tree)."""
    by_key = {node.key: node for node in nodes}
    path: list[Node] = []
    node = by_key.get(key)
    while node is not None:
        path.insert(0, node)
        node = by_key.get(node.parent_key) if node.parent_key else None
    return path


def visible_teams(*, authority_id: int, team_ids: set[int] | None) -> list[Team]:
    """Teams of the authority the user may filter by (``team_ids`` None: all of them). One query."""
    teams = Team.objects.filter(authority_id=authority_id).order_by("name")
    if team_ids is not None:
        teams = teams.filter(pk__in=sorted(team_ids))
    return list(teams)


# --- the dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElementRow:
    element: str  # "P6"
    name: str
    card: MeasureCard

    @property
    def key(self) -> str:
        return self.card.key


@dataclass(frozen=True)
class ElementPanel:
    """The fourteen practice elements together: one bar chart and a compact table."""

    rows: tuple[ElementRow, ...]
    period: Period
    for_team: bool

    @property
    def chart(self) -> str:
        bars = [
            Bar(
                label=f"{row.element} {row.name}",
                value=row.card.current.chart_value,
                benchmark=float(row.card.current.benchmark.median) if row.card.current.benchmark else None,
            )
            for row in self.rows
        ]
        return element_chart(bars, title=f"Practice fidelity by element, {self.period.label}")

    @property
    def has_values(self) -> bool:
        return any(row.card.current.chart_value is not None for row in self.rows)

    @property
    def has_medians(self) -> bool:
        """Whether any element has a median this quarter (``presentation.BENCHMARK_MINIMUM``)."""
        return any(row.card.current.benchmark is not None for row in self.rows)


@dataclass(frozen=True)
class Placed:
    """A card and the node it is attached to (named above the card when it says something more)."""

    card: MeasureCard
    node: Node
    branch: Node  # the node of the group the card is in

    @property
    def label(self) -> str:
        """The card's own node, when it says more than the group's heading and the measure's name."""
        if self.node.key == self.branch.key or self.node.name.casefold() == self.card.name.casefold():
            return ""
        return self.node.name


@dataclass
class Group:
    """The measures under one branch of a root of the results logic (a root's own measures form a
    group of their own, first)."""

    node: Node
    cards: list[Placed]
    elements: ElementPanel | None = None

    @property
    def has_labels(self) -> bool:
        return any(placed.label for placed in self.cards)

    @property
    def width(self) -> int:
        """How many card columns the group takes in a row of three: small groups sit side by side."""
        return 3 if self.elements is not None else min(3, max(1, len(self.cards)))

    @property
    def all_cards(self) -> list[MeasureCard]:
        cards = [placed.card for placed in self.cards]
        if self.elements is not None:
            cards += [row.card for row in self.elements.rows]
        return cards


@dataclass
class Section:
    """One root of the results logic (outcomes, practice fidelity, implementation fidelity)."""

    node: Node
    groups: list[Group] = field(default_factory=list)


def sections(
    nodes: Sequence[Node], cards: Mapping[str, MeasureCard], elements: ElementPanel | None
) -> list[Section]:
    """The results-logic tree with the cards attached to their nodes: one section per root, one
    group per branch under it (the root's own measures first), in the tree's order, skipping
    branches with no measure. The element measures are left out of the tree and shown together as
    ``elements``, with the overall fidelity measure. Measures whose node is not in the tree come
    last, under "Other measures"."""
    by_node: dict[str, list[MeasureCard]] = defaultdict(list)
    for key, card in cards.items():
        if key not in ELEMENT_MEASURES:
            by_node[card.measure.node].append(card)
    elements_node = MEASURES["fidelity_overall"].node if "fidelity_overall" in MEASURES else None
    by_key = {node.key: node for node in nodes}
    result: dict[str, Section] = {}
    groups: dict[str, Group] = {}
    for node in nodes:
        path = node_path(nodes, node.key)
        root, branch = path[0], path[min(1, len(path) - 1)]
        section = result.setdefault(root.key, Section(node=root))
        placed = [Placed(card, node, branch) for card in by_node.get(node.key, [])]
        panel = elements if node.key == elements_node else None
        if not placed and panel is None:
            continue
        group = groups.get(branch.key)
        if group is None:
            group = groups[branch.key] = Group(node=branch, cards=[])
            section.groups.append(group)
        group.cards.extend(placed)
        group.elements = group.elements or panel
    ordered = [section for section in result.values() if section.groups]
    for section in ordered:
        # A root's own measures before its branches.
        section.groups.sort(key=lambda group: group.node.key != section.node.key)
    other = Node("other", "Other measures", "", None, 999)
    stray = [Placed(card, other, other) for key in by_node if key not in by_key for card in by_node[key]]
    if stray:
        ordered.append(Section(node=other, groups=[Group(node=other, cards=stray)]))
    return ordered


@dataclass
class Dashboard:
    authority: Authority
    team: Team | None
    period: Period | None
    quarters: list[Period]
    teams: list[Team]
    sections: list[Section]
    targets_set: int

    @property
    def status_counts(self) -> dict[str, int]:
        """How many measures with a target are on, close to or off target this quarter."""
        counts = {Rag.GREEN: 0, Rag.AMBER: 0, Rag.RED: 0}
        for section in self.sections:
            for group in section.groups:
                for card in group.all_cards:
                    if card.current.rag in counts:
                        counts[card.current.rag] += 1
        return counts

    @property
    def period_in_progress(self) -> bool:
        return self.period is not None and self.period.end >= today()


def dashboard(
    *, authority: Authority, team: Team | None, quarter: date | None, teams: list[Team]
) -> Dashboard:
    """The dashboard of ``authority`` (or one of its teams) for a quarter with values (default: the
    latest that has ended). Five queries: the quarters, this authority's (or team's) values, every
    authority's values for the benchmark, the targets and the results-logic tree."""
    available = quarters_with_values(authority_id=authority.pk)
    period = pick_quarter(available, quarter, today())
    if period is None:
        return Dashboard(authority, team, None, available, teams, [], 0)
    periods = quarters_back(period, DASHBOARD_QUARTERS)
    own = own_values(authority_id=authority.pk, team_id=team.pk if team else None, periods=periods)
    peers = peer_values(periods=periods)
    goals = targets(authority_id=authority.pk)
    cards = {
        key: measure_card(measure, periods, own, peers, goals.get(key), for_team=team is not None)
        for key, measure in MEASURES.items()
    }
    panel = ElementPanel(
        rows=tuple(
            ElementRow(element, ELEMENT_NAMES[element], cards[f"fidelity_{element.lower()}"])
            for element in ELEMENT_KEYS
            if f"fidelity_{element.lower()}" in cards
        ),
        period=period,
        for_team=team is not None,
    )
    return Dashboard(
        authority=authority,
        team=team,
        period=period,
        quarters=available,
        teams=teams,
        sections=sections(results_tree(), cards, panel),
        targets_set=len(goals),
    )


# --- a measure's page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamReading:
    team: Team
    reading: Reading


@dataclass
class MeasurePage:
    measure: Measure
    authority: Authority
    team: Team | None
    period: Period | None
    quarters: list[Period]
    teams: list[Team]
    card: MeasureCard | None
    path: list[Node]
    by_team: list[TeamReading]

    @property
    def is_audit_measure(self) -> bool:
        return self.measure.key in AUDIT_MEASURES

    @property
    def direction_text(self) -> str:
        return direction_text(self.measure)

    @property
    def rows_newest_first(self) -> list[Reading]:
        return list(reversed(self.card.readings)) if self.card else []


def measure_page(
    *, measure: Measure, authority: Authority, team: Team | None, quarter: date | None, teams: list[Team]
) -> MeasurePage:
    """One measure of ``authority`` (or one of its teams) over the ``MEASURE_PAGE_QUARTERS`` quarters
    up to the chosen one, with the benchmark per quarter and, for the chosen quarter, the teams in
    ``teams``. Six queries: quarters, values, benchmark values, target, tree, team values."""
    available = quarters_with_values(authority_id=authority.pk)
    period = pick_quarter(available, quarter, today())
    path = node_path(results_tree(), measure.node)
    if period is None:
        return MeasurePage(measure, authority, team, None, available, teams, None, path, [])
    periods = quarters_back(period, MEASURE_PAGE_QUARTERS)
    own = own_values(
        authority_id=authority.pk, team_id=team.pk if team else None, periods=periods, measures=[measure.key]
    )
    peers = peer_values(periods=periods, measures=[measure.key])
    goal = (
        MeasureTarget.objects.filter(authority_id=authority.pk, measure=measure.key)
        .values_list("target", "tolerance", "note")
        .first()
    )
    target = Target(*goal) if goal else None
    card = measure_card(measure, periods, own, peers, target, for_team=team is not None)
    team_rows = {
        team_id: Stored(numerator, denominator, value)
        for team_id, numerator, denominator, value in MeasureValue.objects.filter(
            authority_id=authority.pk,
            team_id__in=[t.pk for t in teams],
            measure=measure.key,
            period_type=QUARTER,
            period_start=period.start,
        ).values_list("team_id", "numerator", "denominator", "value")
    }
    # Teams that counted something for the measure in the quarter (a team stores only that).
    by_team = [
        TeamReading(t, reading(measure, period, team_rows[t.pk], target=target, ranked=False))
        for t in teams
        if t.pk in team_rows
    ]
    return MeasurePage(measure, authority, team, period, available, teams, card, path, by_team)


# --- the drill-down: the audits (or learning actions) behind an audit measure ----------------------


@dataclass(frozen=True)
class DrillRow:
    audit_id: int | None
    title: str
    day: date | None
    team: str
    level: str
    detail: str


@dataclass
class DrillDown:
    measure: Measure
    authority: Authority
    team: Team | None
    period: Period | None
    quarters: list[Period]
    teams: list[Team]
    rows: list[DrillRow]
    date_heading: str
    detail_heading: str
    counted: str  # the stored figure's own base, e.g. "17 audits" (suppressed)

    @property
    def is_actions(self) -> bool:
        return self.measure.key == "actions_on_time"


def _levels() -> dict[int, str]:
    """Labels of the standard rubric's levels: 3 → "3 Established". One query."""
    return {
        value: f"{value} {label}"
        for value, label in RubricLevel.objects.filter(
            rubric__key=audit_measures.STANDARD_RUBRIC
        ).values_list("value", "label")
    }


def _answer_condition(key: str, audits: QuerySet[Audit]) -> Q | None:
    """The answers a fidelity measure reads, for these audits' tools (three queries)."""
    pairs = audit_measures.tool_keys(audits)
    if key == "fidelity_overall":
        return audit_measures.answers_among({pair: keys.core_rubric for pair, keys in pairs.items()})
    element = (
        audit_measures.CHILDS_VOICE
        if key == "childs_voice_evident"
        else key.removeprefix("fidelity_").upper()
    )
    return audit_measures.element_condition(pairs, element)


def _local_date(moment: datetime | None) -> date | None:
    return None if moment is None else timezone.localtime(moment, LOCAL_TIME).date()


def _audit_rows(key: str, audits: QuerySet[Audit], visible: QuerySet[Audit]) -> tuple[list[DrillRow], str]:
    """The visible audits behind ``key`` among ``audits`` (signed off in the quarter, in scope), with
    the column that says what the measure read of each. A fixed number of queries."""
    detail_heading = ""
    rows = visible.filter(pk__in=audits.values("pk"))
    detail: str | None = None
    if key in ("fidelity_overall", "childs_voice_evident") or key in ELEMENT_MEASURES:
        condition = _answer_condition(key, audits)
        if condition is None:
            return [], ""
        answers = AuditAnswer.objects.filter(condition, audit=OuterRef("pk"), agreed_level__isnull=False)
        mean = answers.order_by().values("audit").annotate(mean=Avg("agreed_level")).values("mean")
        rows = rows.filter(Exists(answers)).annotate(read=Subquery(mean))
        detail = "mean"
        detail_heading = "Agreed level of the items counted"
    elif key == "audits_established":
        rows = rows.annotate(read=Coalesce("moderation__overturned_level", "overall_level")).filter(
            read__isnull=False
        )
        detail = "level"
        detail_heading = "Level counted (after moderation)"
    elif key == "family_participation":
        answered = FeedbackRequest.objects.filter(audit=OuterRef("pk"), respondent="family").filter(
            Q(answered_at__isnull=False) | Q(response__isnull=False)
        )
        rows = rows.annotate(read=Exists(answered))
        detail = "yes/no"
        detail_heading = "Family feedback answered"
    elif key == "moderation_agreement":
        rows = rows.filter(moderation__isnull=False).annotate(read=F("moderation__overturned_level"))
        detail = "overturned"
        detail_heading = "Moderator's overturned level"
    levels = _levels()
    result = []
    for audit in rows.select_related("team").order_by("signed_off_at", "pk"):
        read = getattr(audit, "read", None)
        if detail == "mean":
            shown = "" if read is None else f"{Decimal(read):.1f} of 4"
        elif detail == "level":
            shown = levels.get(read, "") if read is not None else ""
        elif detail == "yes/no":
            shown = "Yes" if read else "No"
        elif detail == "overturned":
            shown = levels.get(read, "") if read is not None else "Not overturned"
        else:
            shown = ""
        result.append(
            DrillRow(
                audit_id=audit.pk,
                title=f"Audit {audit.pk}",
                day=_local_date(audit.signed_off_at),
                team=audit.team.name if audit.team else "",
                level=levels.get(audit.overall_level, "") if audit.overall_level else "",
                detail=shown,
            )
        )
    return result, detail_heading


def _action_rows(
    *, user, authority_id: int, team: Team | None, team_ids: set[int] | None, period: Period
) -> list[DrillRow]:
    """Decided learning actions due in the quarter that the user may see: those of audits the user
    may open, and team learning points of the teams the user may see. One query."""
    on = today()
    actions = LearningAction.objects.for_user(user).filter(
        Q(completed_on__isnull=False) | Q(due_on__lt=on),
        team__authority_id=authority_id,
        due_on__gte=period.start,
        due_on__lte=period.end,
    )
    if team is not None:
        actions = actions.filter(team=team)
    team_points = Q(audit__isnull=True)
    if team_ids is not None:
        team_points &= Q(team_id__in=sorted(team_ids))
    actions = actions.filter(Q(audit__in=Audit.objects.for_user(user).values("pk")) | team_points)
    rows = []
    for action in actions.select_related("team").order_by("due_on", "pk"):
        on_time = action.completed_on is not None and action.completed_on <= action.due_on
        if action.completed_on is None:
            status = "Not completed"
        else:
            status = f"Completed {action.completed_on:%d %b %Y}" + (" (on time)" if on_time else " (late)")
        rows.append(
            DrillRow(
                audit_id=action.audit_id,
                title=action.description[:80] + ("…" if len(action.description) > 80 else ""),
                day=action.due_on,
                team=action.team.name,
                level=action.get_kind_display(),
                detail=status,
            )
        )
    return rows


def drill_down(
    *,
    user,
    measure: Measure,
    authority: Authority,
    team: Team | None,
    quarter: date | None,
    teams: list[Team],
    team_ids: set[int] | None,
) -> DrillDown:
    """The audits behind an audit measure in a quarter (and team), only those ``user`` may open
    (``Audit.objects.for_user``), picked as the measure picks them: signed-off case audits by the
    local date of their sign-off; for ``actions_on_time`` the decided learning actions due in the
    quarter. A fixed number of queries whatever the number of audits."""
    available = quarters_with_values(authority_id=authority.pk)
    period = pick_quarter(available, quarter, today())
    dates = "Due" if measure.key == "actions_on_time" else "Signed off"
    page = DrillDown(measure, authority, team, period, available, teams, [], dates, "", NO_DATA)
    if period is None:
        return page
    stored = own_values(
        authority_id=authority.pk, team_id=team.pk if team else None, periods=[period], measures=[measure.key]
    ).get((measure.key, period.start))
    if measure.key == "actions_on_time":
        noun = "learning actions"
    else:
        noun = "ratings" if measure.reads_as == "mean" else "audits"
    page.counted = f"{presentation.count_text(stored.denominator)} {noun}" if stored else NO_DATA
    if measure.key == "actions_on_time":
        page.rows = _action_rows(
            user=user, authority_id=authority.pk, team=team, team_ids=team_ids, period=period
        )
        page.detail_heading = "Done"
        return page
    start, end = local_bounds(period)
    audits = audit_measures.signed_off_audits(authority_ids=[authority.pk]).filter(
        signed_off_at__gte=start, signed_off_at__lt=end
    )
    if team is not None:
        audits = audits.filter(team=team)
    page.rows, page.detail_heading = _audit_rows(measure.key, audits, Audit.objects.for_user(user))
    return page


# --- the analysts' comparison ------------------------------------------------------------------------


def _salted(authority_id: int) -> str:
    """A stable order of authorities that tells nothing of their names, codes or ids."""
    key = f"{settings.SECRET_KEY}:outcomes.compare".encode()
    return hmac.new(key, str(authority_id).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Column:
    authority_id: int
    label: str  # "Authority C", or the name when revealed


@dataclass(frozen=True)
class CompareCell:
    value_text: str
    base_text: str  # "n = 17" (suppressed); empty for counts


@dataclass(frozen=True)
class CompareRow:
    measure: Measure
    cells: tuple[CompareCell, ...]
    median_text: str


@dataclass(frozen=True)
class CompareGroup:
    title: str
    rows: tuple[CompareRow, ...]


@dataclass
class Comparison:
    period: Period | None
    quarters: list[Period]
    columns: list[Column]
    groups: list[CompareGroup]
    revealed: bool


COMPARE_GROUPS = (
    ("Case activity (statutory returns)", CASE_MEASURES),
    ("Practice fidelity by element (comparable rubric items, 1–4)", ELEMENT_MEASURES),
    (
        "Audits and learning",
        (
            "audits_established",
            "family_participation",
            "childs_voice_evident",
            "moderation_agreement",
            "actions_on_time",
        ),
    ),
)


def _cell(measure: Measure, stored: Stored | None) -> CompareCell:
    """A value as the comparison shows it, with its base: "n = 17", or "56 ratings" for a mean."""
    _, value_text, _, denominator_text = shown(measure, stored)
    if stored is None or not measure.is_rate:
        return CompareCell(value_text, "")
    if measure.reads_as == "mean":
        return CompareCell(value_text, f"{denominator_text} ratings")
    return CompareCell(value_text, f"n = {denominator_text}")


def comparison(*, quarter: date | None, reveal: bool) -> Comparison:
    """Every authority with values side by side on the comparable measures for one quarter,
    labelled "Authority A", "Authority B" … in a salted order (stable, and unrelated to names or
    codes), or by name when ``reveal``. Suppression applies as everywhere, and so does the benchmark
    minimum: a row's median needs ``presentation.BENCHMARK_MINIMUM`` authorities with a value large
    enough to show, as on the leaders' pages. Two queries (three when revealing names)."""
    available = quarters_with_values(authority_id=None)
    period = pick_quarter(available, quarter, today())
    if period is None:
        return Comparison(None, available, [], [], reveal)
    values: dict[int, dict[str, Stored]] = defaultdict(dict)
    for authority_id, key, numerator, denominator, value in (
        MeasureValue.objects.filter(
            period_type=QUARTER, team__isnull=True, period_start=period.start, measure__in=COMPARABLE_MEASURES
        )
        .order_by()
        .values_list("authority_id", "measure", "numerator", "denominator", "value")
    ):
        values[authority_id][key] = Stored(numerator, denominator, value)
    order = sorted(values, key=_salted)
    names = dict(Authority.objects.filter(pk__in=order).values_list("pk", "name")) if reveal else {}
    columns = [
        Column(authority_id, names.get(authority_id) or f"Authority {presentation.authority_letter(index)}")
        for index, authority_id in enumerate(order)
    ]
    groups = []
    for title, keys in COMPARE_GROUPS:
        rows = []
        for key in keys:
            measure = MEASURES.get(key)
            if measure is None:
                continue
            stored = [values[authority_id].get(key) for authority_id in order]
            peers = [value for s in stored if s is not None and (value := shareable(measure, s)) is not None]
            median = (
                presentation.benchmark(peers, None, direction=measure.direction)
                if is_benchmarked(measure)
                else None
            )
            rows.append(
                CompareRow(
                    measure=measure,
                    cells=tuple(_cell(measure, s) for s in stored),
                    median_text=presentation.value_text(median.median, measure.reads_as) if median else "",
                )
            )
        groups.append(CompareGroup(title, tuple(rows)))
    return Comparison(period, available, columns, groups, reveal)
