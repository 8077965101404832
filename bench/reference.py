"""Run the hand-written SQL reference (``reference.sql``) and compare it with the platform's stored
values.

The reference is PostgreSQL only (window functions, ``GROUPING SETS``, ``DISTINCT ON``,
``date_trunc``); it reads the same tables as the platform, including the working-day calendar and
the reporting periods the platform's job writes, and writes to the scratch table
``bench_reference``.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from outcomes.models import MeasureValue

SQL = Path(__file__).with_name("reference.sql")
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
COUNTS = {"referrals", "cp_plan_starts", "cla_starts"}

Key = tuple[int, int | None, str, str, str]  # authority, team, measure, period type, period start (ISO)


def statements() -> list[str]:
    """The statements of ``reference.sql``, comments left out."""
    text = "\n".join(line for line in SQL.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [part.strip() for part in text.split(";") if part.strip()]


def run() -> dict[str, float | int]:
    """Run the reference; returns its time in seconds and the rows it wrote."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in statements():
            cursor.execute(statement)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_reference")
        rows = cursor.fetchone()[0]
    return {"seconds": elapsed, "rows": rows}


def explain() -> list[str]:
    """EXPLAIN ANALYZE of the reference's two INSERTs (in a transaction rolled back)."""
    plans = []
    with connection.cursor() as cursor:
        for statement in statements():
            if "INSERT INTO" not in statement:
                continue
            cursor.execute("BEGIN")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
            cursor.execute("ROLLBACK")
    return plans


def reference_values() -> dict[Key, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT authority_id, team_id, measure, period_type, period_start, numerator, denominator "
            "FROM bench_reference"
        )
        return {
            (authority, team, measure, kind, start.isoformat()): (numerator, denominator)
            for authority, team, measure, kind, start, numerator, denominator in cursor.fetchall()
        }


def platform_values() -> dict[Key, tuple[int, int]]:
    rows = MeasureValue.objects.filter(measure__in=CASE_MEASURES).values_list(
        "authority_id", "team_id", "measure", "period_type", "period_start", "numerator", "denominator"
    )
    return {
        (authority, team, measure, kind, start.isoformat()): (
            numerator,
            numerator if measure in COUNTS else (denominator or 0),
        )
        for authority, team, measure, kind, start, numerator, denominator in rows.iterator(chunk_size=10_000)
    }


@dataclass
class Comparison:
    compared: int = 0
    platform_rows: int = 0
    reference_rows: int = 0
    mismatches: list[dict] = field(default_factory=list)
    mismatch_count: int = 0
    # Of the mismatches, keys the platform stores no row for (a period outside the group's range).
    not_stored: int = 0
    not_stored_measures: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "compared": self.compared,
            "platform_rows": self.platform_rows,
            "reference_rows": self.reference_rows,
            "mismatch_count": self.mismatch_count,
            "value_mismatches": self.mismatch_count - self.not_stored,
            "not_stored": self.not_stored,
            "not_stored_measures": sorted(self.not_stored_measures),
            "first_mismatches": self.mismatches[:20],
        }


def compare(platform: dict[Key, tuple[int, int]], reference: dict[Key, tuple[int, int]]) -> Comparison:
    """Every key of either side; a period missing on one side counts as 0 of 0 there (the platform
    stores empty periods, the reference does not)."""
    result = Comparison(platform_rows=len(platform), reference_rows=len(reference))
    for key in sorted(set(platform) | set(reference), key=lambda k: (k[0], k[1] or 0, k[2:])):
        result.compared += 1
        ours, theirs = platform.get(key, (0, 0)), reference.get(key, (0, 0))
        if ours != theirs:
            result.mismatch_count += 1
            if key not in platform:
                result.not_stored += 1
                result.not_stored_measures.add(key[2])
            if len(result.mismatches) < 50:
                authority, team, measure, kind, start = key
                result.mismatches.append(
                    {
                        "authority_id": authority,
                        "team_id": team,
                        "measure": measure,
                        "period_type": kind,
                        "period_start": start,
                        "platform": list(ours) if key in platform else None,
                        "reference": list(theirs) if key in reference else None,
                    }
                )
    return result
