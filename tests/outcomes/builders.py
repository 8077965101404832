"""Case rows for the measure tests, built with the ORM directly. Dates are ISO strings for brevity."""

from datetime import date
from itertools import count

from accounts.models import Authority, Team
from cases.models import Assessment, CareEpisode, Child, CPPlan, Referral, Section47

_ids = count(1)


def d(text: str) -> date:
    return date.fromisoformat(text)


def maybe(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def child(authority: Authority, *, team: Team | None = None, la_child_id: str | None = None) -> Child:
    return Child.objects.create(
        authority=authority, team=team, la_child_id=la_child_id or f"C{next(_ids):05d}"
    )


def referral(kid: Child, on: str) -> Referral:
    return Referral.objects.create(child=kid, referral_date=d(on))


def assessment(kid: Child, start: str, authorised: str | None) -> Assessment:
    return Assessment.objects.create(child=kid, start_date=d(start), authorisation_date=maybe(authorised))


def section47(kid: Child, start: str, icpc: str | None) -> Section47:
    return Section47.objects.create(child=kid, start_date=d(start), icpc_date=maybe(icpc))


def cp_plan(kid: Child, start: str, end: str | None = None, *, previous: int | None = None) -> CPPlan:
    return CPPlan.objects.create(child=kid, start_date=d(start), end_date=maybe(end), previous_plans=previous)


def episode(
    kid: Child, start: str, end: str | None = None, *, rne: str = "S", place: str = "U4"
) -> CareEpisode:
    return CareEpisode.objects.create(
        child=kid, start_date=d(start), end_date=maybe(end), reason_new_episode=rne, placement=place
    )


def stored(authority: Authority, measure: str, period_type: str, start: str, *, team: Team | None = None):
    """(numerator, denominator, value as a string or None) of one stored MeasureValue."""
    from outcomes.models import MeasureValue

    row = MeasureValue.objects.get(
        authority=authority, team=team, measure=measure, period_type=period_type, period_start=d(start)
    )
    return row.numerator, row.denominator, None if row.value is None else f"{row.value:.4f}"
