"""Reads of stored measure values: the rows of the CSV export (``shared/spec/measures.md``)."""

from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from outcomes.models import MeasureValue
from outcomes.periods import PeriodType
from outcomes.registry import MEASURES

EXPORT_HEADER = [
    "authority",
    "team",
    "measure",
    "period_type",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
]


def _rank(field: str, keys: Iterable[str]) -> Case:
    """Sort ``field`` in the order of ``keys``; anything else after them."""
    whens = [When(**{field: key}, then=Value(index)) for index, key in enumerate(keys)]
    return Case(*whens, default=Value(len(whens)), output_field=IntegerField())


def measure_values(
    *,
    authority_codes: Iterable[str] | None = None,
    period_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[MeasureValue]:
    """Stored values, filtered; ``date_from``/``date_to`` keep the periods whose first day is within
    them (inclusive). Ordered by authority code, team (the whole authority first, then teams by
    name), measure (registry order), period type (month, quarter, year) and period start."""
    values = MeasureValue.objects.select_related("authority", "team")
    if authority_codes is not None:
        values = values.filter(authority__code__in=list(authority_codes))
    if period_type:
        values = values.filter(period_type=period_type)
    if date_from:
        values = values.filter(period_start__gte=date_from)
    if date_to:
        values = values.filter(period_start__lte=date_to)
    return values.order_by(
        "authority__code",
        F("team__name").asc(nulls_first=True),
        _rank("measure", MEASURES),
        "measure",
        _rank("period_type", PeriodType.values),
        "period_start",
    )


def export_fields(value: MeasureValue) -> list[str]:
    """One CSV row: a count gives no denominator and the count as its value; a rate gives
    numerator / denominator to 4 decimal places, or no value when the denominator is 0."""
    measure = MEASURES.get(value.measure)
    is_rate = measure.is_rate if measure is not None else value.denominator is not None
    if is_rate:
        denominator = str(value.denominator or 0)
        shown = "" if value.value is None or not value.denominator else f"{value.value:.4f}"
    else:
        denominator, shown = "", str(value.numerator)
    return [
        value.authority.code,
        value.team.name if value.team is not None else "",
        value.measure,
        value.period_type,
        value.period_start.isoformat(),
        value.period_end.isoformat(),
        str(value.numerator),
        denominator,
        shown,
    ]


def measure_rows(
    *,
    authority_codes: Iterable[str] | None = None,
    period_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Iterator[list[str]]:
    """The export's rows (without the header), as strings, in ``measure_values`` order."""
    values = measure_values(
        authority_codes=authority_codes, period_type=period_type, date_from=date_from, date_to=date_to
    )
    for value in values.iterator(chunk_size=2000):
        yield export_fields(value)
