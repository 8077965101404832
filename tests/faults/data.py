"""Made-up returns for three authorities, imported as a QA lead would, for the fault tests."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command

from cases.services import import_files
from outcomes.models import MeasureValue
from tests.factories import AuthorityFactory

CODES = ("991", "992", "993")
VALUE_FIELDS = (
    "authority__code",
    "team__name",
    "measure",
    "period_type",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
)


def generate(out: Path, *, children: int = 120) -> Path:
    call_command(
        "generate_returns",
        authorities=len(CODES),
        codes=",".join(CODES),
        children_per_authority=children,
        seed=7,
        out=out,
        years="2024-2025",
        as_of="2025-03-31",
        teams="North,South",
        stdout=StringIO(),
    )
    return out


def import_all(returns):
    """The three authorities, each with its returns imported (untyped: factories build models)."""
    authorities = [AuthorityFactory(code=code, name=f"Authority {code}") for code in CODES]
    for authority in authorities:
        folder = returns / str(authority.code)
        paths = sorted(folder.glob("cin_census_*.xml")) + sorted(folder.glob("ssda903_*.csv"))
        paths += sorted(folder.glob("annex_a.xlsx"))
        import_files(authority=authority, paths=paths)
    return authorities


def stored_values() -> list[tuple]:
    """Every stored value, as exactly what a reader sees (not the row ids or the time computed)."""
    return sorted(
        tuple("" if cell is None else str(cell) for cell in row)
        for row in MeasureValue.objects.values_list(*VALUE_FIELDS)
    )
