"""The registry of measures: one definition per stable key (keys appear in exports and URLs).

Each ``Measure`` carries its key, name, kind ("count" or "rate"), its numerator and denominator
in plain English, the direction of improvement ("up", "down" or None when neither is better),
the key of the results-logic node it informs, and ``compute``.

``compute(*, period_type, authority_ids, by_team, since=None)`` returns ``{(authority_id, team_id,
period_start): (numerator, denominator)}`` for the periods with records (``team_id`` None for the
whole authority), in a number of queries that does not depend on the number of children. With
``since`` (a date) it returns only the periods from the one containing ``since`` on. A measure may
give ``compute_every(*, authority_ids, since=None)`` instead, answering every period type and both
groupings at once (``counts_every``, what the jobs call): the case measures do, in one query each.

Every measure looks only backwards in time: a change dated ``d`` (a record added, or changed, ``d``
being the earliest of its dates before and after the change) can only change the values of periods
that end on or after ``d``. The incremental job (``outcomes.services.measures_refresh``) relies on
it to recompute only those periods; each measure module's docstring says why it holds for its
measures, and ``tests/outcomes/test_incremental.py`` checks it. A new measure must keep it.

Which rows are stored (``outcomes.services.measures_compute``):

- for each authority, every period of each type (month, financial quarter, financial year) from
  the one containing the earliest to the one containing the latest date of any of its case
  records (referral date, assessment authorisation, ICPC date, CP plan start and end, care
  episode start and end), for every measure; periods without records get 0;
- for each team that has children, the same over that team's children only, from the period of
  the earliest date of their records to the authority's last period, but only the values where
  something was counted (a count above 0, or a rate with a denominator above 0): most teams count
  nothing in most periods for most measures, and a missing team row reads as 0 of 0;
- a count stores its count as the numerator and the value, with no denominator;
- a rate whose denominator is 0 is stored with numerator 0, denominator 0 and value NULL (it has
  no value, it is not 0%); otherwise value = numerator / denominator rounded half-up to 4 places.

Later features add measures (audit fidelity, moderation, surveys, coverage) with the same shape.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from outcomes import case_measures
from outcomes.case_measures import Counts, Every
from outcomes.periods import PeriodType

Kind = Literal["count", "rate"]
Direction = Literal["up", "down"] | None
# How a value reads: a number of things, a share shown as a percentage, or a mean level on the
# rubric's 1–4 scale (stored as a rate: sum of levels / number of levels).
Unit = Literal["count", "share", "mean"]


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    kind: Kind
    numerator: str
    denominator: str  # empty for counts
    direction: Direction
    node: str  # key of the results-logic node this measure informs
    # Given, or made from compute_every when the measure is created (never None after that).
    compute: Callable[..., Counts] = None  # type: ignore[assignment]
    unit: Unit | None = None  # None: "count" for counts, "share" for rates
    # Every period type and both groupings at once (``Every``): the jobs call it when given.
    compute_every: Callable[..., Every] | None = None

    def __post_init__(self) -> None:
        if self.compute is None:
            if self.compute_every is None:
                raise ValueError(f"Measure {self.key!r} needs compute or compute_every")
            object.__setattr__(self, "compute", case_measures.one_period_type(self.compute_every))

    def counts_every(self, *, authority_ids: list[int] | None, since: date | None = None) -> Every:
        """Every period type, for the authorities and their teams: ``compute_every`` when the
        measure has it, else ``compute`` per period type and grouping."""
        if self.compute_every is not None:
            return self.compute_every(authority_ids=authority_ids, since=since)
        return {
            period_type: self.compute(
                period_type=period_type, authority_ids=authority_ids, by_team=False, since=since
            )
            | self.compute(period_type=period_type, authority_ids=authority_ids, by_team=True, since=since)
            for period_type in PeriodType
        }

    @property
    def is_rate(self) -> bool:
        return self.kind == "rate"

    @property
    def reads_as(self) -> Unit:
        if self.unit is not None:
            return self.unit
        return "share" if self.is_rate else "count"


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> Measure:
    if measure.key in MEASURES:
        raise ValueError(f"A measure with key {measure.key!r} is already registered")
    if measure.kind not in ("count", "rate"):
        raise ValueError(f"Measure {measure.key!r}: kind must be 'count' or 'rate'")
    if measure.unit is not None and (measure.unit == "count") == measure.is_rate:
        raise ValueError(f"Measure {measure.key!r}: a {measure.kind} cannot read as a {measure.unit}")
    MEASURES[measure.key] = measure
    return measure


def get(key: str) -> Measure:
    return MEASURES[key]


register(
    Measure(
        key="referrals",
        name="Referrals",
        kind="count",
        numerator="Referrals (CINreferralDate) in the period",
        denominator="",
        direction=None,
        node="outcomes.children_families.referrals",
        compute_every=case_measures.referrals_every,
    )
)
register(
    Measure(
        key="rereferrals_12m",
        name="Re-referrals within 12 months",
        kind="rate",
        numerator=(
            "Referrals in the period for which the same child has an earlier referral dated on or after "
            "the referral date minus one year"
        ),
        denominator="Referrals in the period",
        direction="down",
        node="outcomes.children_families.rereferral",
        compute_every=case_measures.rereferrals_12m_every,
    )
)
register(
    Measure(
        key="cp_plan_starts",
        name="Child protection plans started",
        kind="count",
        numerator="Child protection plans with CPPstartDate in the period",
        denominator="",
        direction=None,
        node="outcomes.children_families.cp_plans",
        compute_every=case_measures.cp_plan_starts_every,
    )
)
register(
    Measure(
        key="repeat_cp_plans",
        name="Repeat child protection plans",
        kind="rate",
        numerator=(
            "Plans starting in the period where the same child has a plan with an earlier start date, "
            "or the plan's NumberOfPreviousCPP is 1 or more"
        ),
        denominator="Plans starting in the period",
        direction="down",
        node="outcomes.children_families.repeat_cp_plans",
        compute_every=case_measures.repeat_cp_plans_every,
    )
)
register(
    Measure(
        key="cp_plans_ended_2y",
        name="Child protection plans ended after two years or more",
        kind="rate",
        numerator="Plans with CPPendDate in the period that lasted two years or more (end >= start + 2 years)",
        denominator="Plans with CPPendDate in the period",
        direction="down",
        node="outcomes.children_families.cp_plan_duration",
        compute_every=case_measures.cp_plans_ended_2y_every,
    )
)
register(
    Measure(
        key="assessments_45wd",
        name="Assessments authorised within 45 working days",
        kind="rate",
        numerator=(
            "Assessments authorised in the period within 45 working days of their start "
            "(England and Wales bank holidays excluded)"
        ),
        denominator="Assessments with AssessmentAuthorisationDate in the period",
        direction="up",
        node="outcomes.practice.assessment_timeliness",
        compute_every=case_measures.assessments_45wd_every,
    )
)
register(
    Measure(
        key="icpc_15wd",
        name="Initial child protection conferences within 15 working days",
        kind="rate",
        numerator=(
            "Section 47 enquiries whose initial child protection conference is in the period and within "
            "15 working days of the enquiry's start"
        ),
        denominator="Section 47 enquiries whose initial child protection conference is in the period",
        direction="up",
        node="outcomes.practice.icpc_timeliness",
        compute_every=case_measures.icpc_15wd_every,
    )
)
register(
    Measure(
        key="cla_starts",
        name="Children starting to be looked after",
        kind="count",
        numerator="Looked-after episodes with RNE = S and DECOM in the period",
        denominator="",
        direction=None,
        node="outcomes.children_families.care_entry",
        compute_every=case_measures.cla_starts_every,
    )
)
register(
    Measure(
        key="kinship_share",
        name="Looked-after children placed with relatives or friends",
        kind="rate",
        numerator=(
            "Children looked after at the end of the period whose placement on that date is with a relative "
            "or friend (U1, U2 or U3)"
        ),
        denominator=(
            "Children looked after at the end of the period (an episode with DECOM on or before it and DEC "
            "empty or after it)"
        ),
        direction="up",
        node="outcomes.children_families.kinship_care",
        compute_every=case_measures.kinship_share_every,
    )
)


# Measures defined in their own modules register themselves when imported here.
from outcomes import audit_measures, coverage_measures  # noqa: E402, F401
