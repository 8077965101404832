"""Reads of the surveys app: the waves a person sees, response counts, and the action research report.

Everything here reads aggregates (``GROUP BY`` wave, authority, team, item and value), never a
response row, and no query touches ``WaveParticipation`` except to answer "has this person answered
this wave?". Small groups are suppressed here, so that no page, PDF or export can forget it:

- a group (an authority in a wave, a team, an item) with fewer than five responses shows "fewer than
  5" and no figures; a team is also hidden when the teams hidden beside it would add up to one to
  four responses, which the authority's total would otherwise give away (secondary suppression);
- open answers are shown only for an authority with at least five responses, sorted, never in the
  order they were written;
- the comparison with other authorities counts only authorities with at least five responses, needs
  five such authorities (``outcomes.presentation.BENCHMARK_MINIMUM``), and never names any;
- results are shown only once a wave has closed.

``report_content`` reads in a fixed number of queries (``REPORT_QUERIES``), however many responses.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from accounts.models import Authority, Team
from audits.models import Item
from outcomes import presentation
from reports.models import ReportBranding
from reports.selectors import Branding, branding_of
from surveys import scoring
from surveys.models import SurveyAnswer, SurveyResponse, SurveyWave, WaveParticipation

REPORT_QUERIES = 7
MINIMUM = 5  # the smallest group whose results are shown

CONFIDENCE = "confidence"
CLIMATE = "climate"
STANDOUT = "leadership-culture"
OPEN_TEXT_LABELS = {
    "what-working-well": "What is working well",
    "what-worried-about": "What are you worried about",
    "what-needs-to-happen": "What needs to happen",
}
NO_TEAM = "Team not given"


def is_shown(count: int) -> bool:
    return count >= MINIMUM


def count_text(count: int) -> str:
    return f"{count:,}" if is_shown(count) or count == 0 else presentation.SUPPRESSED


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def _signed(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return "–"
    if percent:
        points = round(value * 100)
        if points == 0:
            return "no change"
        return f"{points:+d} point" if abs(points) == 1 else f"{points:+d} points"
    rounded = round(value, 1)
    return "no change" if rounded == 0 else f"{rounded:+.1f}"


# --- the home page ----------------------------------------------------------------------------


@dataclass
class WaveRow:
    wave: SurveyWave
    answered: bool
    counts: list[tuple[str, str]] = field(default_factory=list)  # (authority name, count text)


def waves_for(user) -> list[WaveRow]:
    """Every wave, newest first, with whether ``user`` has answered it (two queries)."""
    waves = list(SurveyWave.objects.select_related("tool_version__tool", "baseline"))
    answered = set(WaveParticipation.objects.filter(user_id=user.pk).values_list("wave_id", flat=True))
    return [WaveRow(wave=wave, answered=wave.pk in answered) for wave in waves]


def add_counts(rows: list[WaveRow]) -> None:
    """Responses per authority for each wave (for the programme team), small ones suppressed."""
    counts = (
        SurveyResponse.objects.filter(wave_id__in=[row.wave.pk for row in rows])
        .values("wave_id", "authority_id")
        .annotate(n=Count("id"))
    )
    by_wave: dict[int, dict[int, int]] = defaultdict(dict)
    for count in counts:
        by_wave[count["wave_id"]][count["authority_id"]] = count["n"]
    authorities = list(Authority.objects.order_by("name").values_list("id", "name"))
    for row in rows:
        row.counts = [(name, count_text(by_wave[row.wave.pk].get(pk, 0))) for pk, name in authorities]


# --- the action research report ------------------------------------------------------------------


@dataclass
class Distribution:
    """One item's answers in one wave, for the report's authority."""

    label: str  # "Baseline" or "Now"
    answers: int
    shares: list[float]  # per band; empty when suppressed or not asked
    mean: float | None
    positive_share: float | None
    asked: bool = True

    @property
    def shown(self) -> bool:
        return self.asked and is_shown(self.answers) and bool(self.shares)

    @property
    def answers_text(self) -> str:
        return count_text(self.answers) if self.asked else "not asked"

    @property
    def share_texts(self) -> list[str]:
        return [_percent(share) for share in self.shares]


@dataclass
class Comparison:
    """The item's mean among the authorities with enough responses, de-identified."""

    authorities: int  # authorities with at least five responses and a mean
    benchmark: presentation.Benchmark | None
    own: float | None
    scale_max: int

    def _mean(self, value) -> str:
        return "–" if value is None else f"{float(value):.1f}"

    @property
    def median_text(self) -> str:
        return self._mean(self.benchmark.median) if self.benchmark else "–"

    @property
    def band_text(self) -> str:
        if not self.benchmark:
            return "–"
        return f"{self._mean(self.benchmark.lower_quartile)}–{self._mean(self.benchmark.upper_quartile)}"

    @property
    def position(self) -> str:
        if not self.benchmark or self.own is None:
            return ""
        return presentation.band_position(self.benchmark, _decimal(self.own), direction="up")


@dataclass
class ItemResult:
    key: str
    text: str
    type: str
    is_core: bool
    band_labels: list[str]
    scale_max: int
    now: Distribution
    baseline: Distribution | None  # None: the report has no baseline wave
    comparison: Comparison | None = None
    chart: str = ""

    @property
    def mean_text(self) -> str:
        return self._mean(self.now)

    @property
    def baseline_mean_text(self) -> str:
        return self._mean(self.baseline) if self.baseline else "–"

    def _mean(self, distribution: Distribution) -> str:
        if not distribution.asked:
            return "not asked"
        if not distribution.shown or distribution.mean is None:
            return presentation.SUPPRESSED if distribution.answers else "–"
        return f"{distribution.mean:.1f}"

    @property
    def positive_text(self) -> str:
        return _percent(self.now.positive_share) if self.now.shown else "–"

    @property
    def baseline_positive_text(self) -> str:
        if self.baseline is None or not self.baseline.shown:
            return "–"
        return _percent(self.baseline.positive_share)

    @property
    def has_change(self) -> bool:
        return self.baseline is not None and self.baseline.shown and self.now.shown

    @property
    def mean_change(self) -> float | None:
        if (
            not self.has_change
            or self.now.mean is None
            or self.baseline is None
            or self.baseline.mean is None
        ):
            return None
        return self.now.mean - self.baseline.mean

    @property
    def positive_change(self) -> float | None:
        if not self.has_change or self.baseline is None:
            return None
        if self.now.positive_share is None or self.baseline.positive_share is None:
            return None
        return self.now.positive_share - self.baseline.positive_share

    @property
    def mean_change_text(self) -> str:
        return _signed(self.mean_change)

    @property
    def positive_change_text(self) -> str:
        return _signed(self.positive_change, percent=True)

    @property
    def scale_text(self) -> str:
        return "0–10" if self.type == scoring.SCALE else "1–5"

    @property
    def positive_label(self) -> str:
        return "scoring 7 or more" if self.type == scoring.SCALE else "agreeing"


@dataclass
class SectionResult:
    key: str
    title: str
    description: str
    items: list[ItemResult]
    chart: str = ""

    @property
    def has_baseline(self) -> bool:
        return any(item.baseline is not None for item in self.items)


@dataclass
class TeamRow:
    name: str
    responses: int
    shown: bool
    scores: list[str]  # per section of ``SurveyReport.team_sections``

    @property
    def responses_text(self) -> str:
        return count_text(self.responses) if self.shown else presentation.SUPPRESSED


@dataclass
class OpenColumn:
    key: str
    label: str
    answers: list[str]


@dataclass
class SurveyReport:
    authority_name: str
    authority_code: str
    wave_name: str
    wave_dates: str
    baseline_name: str
    baseline_dates: str
    generated_on: date
    branding: Branding
    version_label: str
    responses_now: int
    responses_baseline: int | None  # None: no baseline wave
    closed: bool
    sections: list[SectionResult]  # scored sections, in the survey's order
    columns: list[OpenColumn]
    teams: list[TeamRow]
    team_sections: list[str]
    comparisons: list[ItemResult]
    comparison_authorities: int

    @property
    def shown(self) -> bool:
        return self.closed and is_shown(self.responses_now)

    @property
    def responses_now_text(self) -> str:
        return count_text(self.responses_now)

    @property
    def responses_baseline_text(self) -> str:
        return "–" if self.responses_baseline is None else count_text(self.responses_baseline)

    @property
    def has_baseline(self) -> bool:
        return self.responses_baseline is not None

    def section(self, key: str) -> SectionResult | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def confidence(self) -> SectionResult | None:
        return self.section(CONFIDENCE)

    @property
    def climate(self) -> SectionResult | None:
        return self.section(CLIMATE)

    @property
    def standout(self) -> SectionResult | None:
        return self.section(STANDOUT)

    @property
    def other_sections(self) -> list[SectionResult]:
        return [s for s in self.sections if s.key not in (CONFIDENCE, CLIMATE, STANDOUT)]

    @property
    def items(self) -> list[ItemResult]:
        return [item for section in self.sections for item in section.items]

    @property
    def improved(self) -> list[ItemResult]:
        """Up to three items whose share positive rose most."""
        changed = [i for i in self.items if i.positive_change is not None and i.positive_change > 0]
        return sorted(changed, key=lambda i: -(i.positive_change or 0))[:3]

    @property
    def weakest(self) -> list[ItemResult]:
        """The three items with the smallest share positive now."""
        shown = [i for i in self.items if i.now.shown and i.now.positive_share is not None]
        return sorted(shown, key=lambda i: i.now.positive_share or 0)[:3]

    @property
    def headline(self) -> list[tuple[str, str, str, str]]:
        """Per section: (title, share positive at baseline, now, change)."""
        rows = []
        for section in self.sections:
            now = _pooled_positive([i.now for i in section.items])
            base = _pooled_positive([i.baseline for i in section.items if i.baseline is not None])
            change = None if now is None or base is None else now - base
            rows.append((section.title, _percent(base), _percent(now), _signed(change, percent=True)))
        return rows


def _pooled_positive(distributions: list[Distribution]) -> float | None:
    shown = [d for d in distributions if d.shown and d.positive_share is not None]
    if not shown:
        return None
    return sum((d.positive_share or 0) * d.answers for d in shown) / sum(d.answers for d in shown)


REPORT_TITLES = {
    CONFIDENCE: "Confidence with the Signs of Safety tools",
    CLIMATE: "Working here",
    STANDOUT: "Standout challenges: leadership and culture",
}


def _spec(item: Item) -> scoring.ItemSpec:
    return scoring.ItemSpec(key=item.key, type=item.type, options=tuple(o["value"] for o in item.options))


def _dates(wave: SurveyWave) -> str:
    return f"{wave.opens_on:%-d %B %Y} to {wave.closes_on:%-d %B %Y}"


def _distribution(label: str, spec: scoring.ItemSpec, counts: dict, bands: int, *, asked: bool = True):
    summary = scoring.summarise(spec, counts, bands=bands)
    shown = asked and is_shown(summary.answers)
    return Distribution(
        label=label,
        answers=summary.answers,
        shares=summary.shares() if shown else [],
        mean=summary.mean if shown else None,
        positive_share=summary.positive_share if shown else None,
        asked=asked,
    )


def _team_groups(counts: dict[int | None, int]) -> set[int | None]:
    """The team groups to show: at least five responses each, and the hidden ones together never
    one to four responses (the authority's total minus the shown teams would reveal them)."""
    shown = {team for team, n in counts.items() if is_shown(n)}
    while True:
        hidden = sum(n for team, n in counts.items() if team not in shown)
        if hidden == 0 or hidden >= MINIMUM or not shown:
            return shown
        shown.discard(min(shown, key=lambda team: (counts[team], str(team))))


def report_content(*, authority: Authority, wave: SurveyWave, today: date | None = None) -> SurveyReport:
    """The action research report of ``authority`` for ``wave`` (compared with its baseline when it
    is a follow-up). ``wave`` comes with its ``baseline`` and ``tool_version__tool`` loaded."""
    today = today or timezone.localdate()
    baseline = wave.baseline
    wave_ids = [wave.pk] + ([baseline.pk] if baseline else [])
    closed = wave.has_closed(today)

    # 1. The items of both versions.
    version_ids = {wave.tool_version_id, baseline.tool_version_id if baseline else wave.tool_version_id}
    all_items = list(
        Item.objects.filter(version_id__in=version_ids)
        .select_related("section")
        .order_by("section__order", "order")
    )
    items = [i for i in all_items if i.version_id == wave.tool_version_id]
    baseline_keys = {
        i.key for i in all_items if baseline is not None and i.version_id == baseline.tool_version_id
    }
    scored = [i for i in items if i.type in scoring.SCORED_TYPES]
    texts = [i for i in items if i.type == scoring.TEXT]

    # 2. Responses per wave, authority and team: who may be shown, and the comparison's authorities.
    counts: dict[int, dict[int, dict[int | None, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in (
        SurveyResponse.objects.filter(wave_id__in=wave_ids)
        .values("wave_id", "authority_id", "team_id")
        .annotate(n=Count("id"))
    ):
        counts[row["wave_id"]][row["authority_id"]][row["team_id"]] = row["n"]
    own_now = counts[wave.pk][authority.pk]
    responses_now = sum(own_now.values())
    responses_baseline = sum(counts[baseline.pk][authority.pk].values()) if baseline else None

    # 3. The authority's answers, by wave, team, item and value.
    answers: dict[int, dict[int | None, dict[str, dict[object, int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    for row in (
        SurveyAnswer.objects.filter(
            response__authority_id=authority.pk,
            response__wave_id__in=wave_ids,
            item_key__in=[i.key for i in scored],
        )
        .values("response__wave_id", "response__team_id", "item_key", "value")
        .annotate(n=Count("id"))
    ):
        by_value = answers[row["response__wave_id"]][row["response__team_id"]][row["item_key"]]
        by_value[_hashable(row["value"])] = by_value.get(_hashable(row["value"]), 0) + row["n"]

    def pooled(wave_id: int, key: str, teams: set | None = None) -> dict[object, int]:
        total: dict[object, int] = defaultdict(int)
        for team, by_item in answers[wave_id].items():
            if teams is None or team in teams:
                for value, n in by_item.get(key, {}).items():
                    total[value] += n
        return total

    # 4. Every authority's answers to the comparable items in this wave (by id: no names read).
    comparable = [i for i in scored if i.is_core]
    means: dict[str, list[float]] = defaultdict(list)
    qualifying = {pk for pk, teams in counts[wave.pk].items() if is_shown(sum(teams.values()))}
    per_authority: dict[tuple[int, str], dict[object, int]] = defaultdict(dict)
    if closed:
        for row in (
            SurveyAnswer.objects.filter(
                response__wave_id=wave.pk,
                response__authority_id__in=qualifying,
                item_key__in=[i.key for i in comparable],
            )
            .values("response__authority_id", "item_key", "value")
            .annotate(n=Count("id"))
        ):
            per_authority[(row["response__authority_id"], row["item_key"])][_hashable(row["value"])] = row[
                "n"
            ]
    specs = {i.key: _spec(i) for i in scored}
    for (_authority_id, key), by_value in per_authority.items():
        summary = scoring.summarise(specs[key], by_value, bands=len(specs[key].band_labels()))
        if summary.mean is not None and is_shown(summary.answers):
            means[key].append(summary.mean)

    # 5. Team names. 6. Branding.
    team_names = dict(Team.objects.filter(authority_id=authority.pk).values_list("id", "name"))
    branding = branding_of(ReportBranding.objects.filter(authority_id=authority.pk).first())

    # 7. Open answers, only for a group of five or more, sorted (never in the order written).
    columns = []
    if closed and is_shown(responses_now) and texts:
        written: dict[str, list[str]] = defaultdict(list)
        for key, value in SurveyAnswer.objects.filter(
            response__authority_id=authority.pk,
            response__wave_id=wave.pk,
            item_key__in=[i.key for i in texts],
        ).values_list("item_key", "value"):
            if isinstance(value, str) and value.strip():
                written[key].append(" ".join(value.split()))
        columns = [
            OpenColumn(key=i.key, label=OPEN_TEXT_LABELS.get(i.key, i.text), answers=sorted(written[i.key]))
            for i in texts
        ]

    show = closed and is_shown(responses_now)
    sections: dict[str, SectionResult] = {}
    for item in scored:
        spec = specs[item.key]
        labels = spec.band_labels([o["label"] for o in item.options])
        bands = len(labels)
        now = _distribution("Now", spec, pooled(wave.pk, item.key) if show else {}, bands)
        base = None
        if baseline is not None:
            asked = item.key in baseline_keys
            base = _distribution(
                "Baseline", spec, pooled(baseline.pk, item.key) if show and asked else {}, bands, asked=asked
            )
        comparison = None
        if item.is_core:
            values = means.get(item.key, [])
            comparison = Comparison(
                authorities=len(values),
                benchmark=presentation.benchmark(
                    [_decimal(v) for v in values],
                    _decimal(now.mean) if now.mean is not None else None,
                    direction="up",
                ),
                own=now.mean,
                scale_max=spec.scale_max,
            )
        result = ItemResult(
            key=item.key,
            text=item.text,
            type=item.type,
            is_core=item.is_core,
            band_labels=labels,
            scale_max=spec.scale_max,
            now=now,
            baseline=base,
            comparison=comparison,
        )
        section = sections.get(item.section.key)
        if section is None:
            section = sections[item.section.key] = SectionResult(
                key=item.section.key,
                title=REPORT_TITLES.get(item.section.key, item.section.title),
                description=item.section.description,
                items=[],
            )
        section.items.append(result)

    # Teams: responses and each section's share positive, with secondary suppression.
    shown_teams = _team_groups(own_now) if show else set()
    section_list = list(sections.values())
    team_rows = []
    for team in sorted(
        own_now if show else {}, key=lambda t: (t is None, team_names.get(t, NO_TEAM) if t else NO_TEAM)
    ):
        visible = team in shown_teams
        scores = []
        for section in section_list:
            if not visible:
                scores.append("–")
                continue
            positive = total = 0
            for result in section.items:
                summary = scoring.summarise(
                    specs[result.key], pooled(wave.pk, result.key, {team}), bands=len(result.band_labels)
                )
                total += summary.answers
                positive += round((summary.positive_share or 0) * summary.answers)
            scores.append(_percent(positive / total) if total else "–")
        team_rows.append(
            TeamRow(
                name=team_names.get(team, NO_TEAM) if team is not None else NO_TEAM,
                responses=own_now[team],
                shown=visible,
                scores=scores,
            )
        )

    comparisons = [r for s in section_list for r in s.items if r.comparison is not None]
    version = wave.tool_version
    return SurveyReport(
        authority_name=authority.name,
        authority_code=authority.code,
        wave_name=wave.name,
        wave_dates=_dates(wave),
        baseline_name=baseline.name if baseline else "",
        baseline_dates=_dates(baseline) if baseline else "",
        generated_on=today,
        branding=branding,
        version_label=f"{version.tool.name}, version {version.number}",
        responses_now=responses_now,
        responses_baseline=responses_baseline,
        closed=closed,
        sections=section_list,
        columns=columns,
        teams=team_rows,
        team_sections=[s.title for s in section_list],
        comparisons=comparisons,
        comparison_authorities=len(qualifying),
    )


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
