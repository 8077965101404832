"""How stored values are shown: small-number suppression, units, red/amber/green against a target,
and a de-identified benchmark. Pure functions, no database; the dashboard, the analyst's view and
the PDF report all use them, so they never disagree.
"""

import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

SUPPRESSED = "fewer than 5"
# A benchmark needs this many authorities with a value. With three, the quartiles and median
# (inclusive method) are (v1+v2)/2, v2 and (v2+v3)/2, which give every value away; with four, they
# are three equations that an authority knowing its own value can solve for the other three. From
# five on, no authority can work out which value is whose.
BENCHMARK_MINIMUM = 5


def suppress_below() -> int:
    return int(getattr(settings, "QA_SUPPRESS_BELOW", 5))


def is_suppressed(count: int | None) -> bool:
    """A count or numerator from 1 to 4 is never shown on a screen or in a report (the spec)."""
    return count is not None and 0 < count < suppress_below()


def count_text(count: int | None) -> str:
    if count is None:
        return "–"
    if is_suppressed(count):
        return SUPPRESSED
    return f"{count:,}"


def value_text(value: Decimal | float | None, unit: str) -> str:
    """ "37.5%", "2.8 of 4" or "1,204"; "no value" when there is none (a rate with no denominator)."""
    if value is None:
        return "no value"
    if unit == "share":
        return f"{Decimal(value) * 100:.1f}%"
    if unit == "mean":
        return f"{Decimal(value):.1f} of 4"
    return f"{int(value):,}"


def shown_value(*, value: Decimal | None, numerator: int, unit: str) -> str:
    """The value as a reader sees it: a count of 1–4, or a share whose numerator is 1–4, is
    suppressed (the share would give the numerator away with the denominator beside it)."""
    if unit != "mean" and is_suppressed(numerator):
        return SUPPRESSED
    return value_text(value, unit)


def benchmarkable(value: Decimal | None, *, numerator: int, unit: str) -> Decimal | None:
    """The value when it may count towards a benchmark of other authorities: never a value that
    is suppressed on screen (the median and quartiles could give it away)."""
    if value is None or (unit != "mean" and is_suppressed(numerator)):
        return None
    return value


class Rag:
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = ""


RAG_LABELS = {Rag.GREEN: "On target", Rag.AMBER: "Close to target", Rag.RED: "Off target", Rag.NONE: ""}


def rag_status(
    value: Decimal | None, *, target: Decimal | None, tolerance: Decimal = Decimal(0), direction: str | None
) -> str:
    """Green when ``value`` meets ``target`` in the direction of improvement ("up": at or above,
    "down": at or below); amber when it misses by no more than ``tolerance``; red otherwise. No
    status without a value, a target or a direction."""
    if value is None or target is None or direction not in ("up", "down"):
        return Rag.NONE
    shortfall = (target - value) if direction == "up" else (value - target)
    if shortfall <= 0:
        return Rag.GREEN
    if shortfall <= tolerance:
        return Rag.AMBER
    return Rag.RED


@dataclass(frozen=True)
class Benchmark:
    """Where one authority stands among all authorities with a value, without naming any of them."""

    authorities: int
    lower_quartile: Decimal
    median: Decimal
    upper_quartile: Decimal
    rank: int | None  # 1 = best in the direction of improvement (highest when there is none)
    position: str  # "top quarter", "second quarter", "third quarter", "bottom quarter" or ""


def _quantize(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def benchmark(values: list[Decimal], own: Decimal | None, *, direction: str | None) -> Benchmark | None:
    """Median and quartiles (inclusive method) of ``values``, one per authority, and ``own``'s rank
    among them; None (no median, no quartiles, no rank) when fewer than ``BENCHMARK_MINIMUM``
    authorities have a value, as they would let a reader work out the other authorities' values."""
    if len(values) < BENCHMARK_MINIMUM:
        return None
    ordered = sorted(float(v) for v in values)
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    rank = position = None
    if own is not None:
        best_first = sorted(ordered, reverse=direction != "down")
        better = sum(1 for v in best_first if (v < float(own) if direction == "down" else v > float(own)))
        rank = better + 1
        share = better / len(ordered)
        position = ["top quarter", "second quarter", "third quarter", "bottom quarter"][
            min(3, int(share * 4))
        ]
    return Benchmark(
        authorities=len(values),
        lower_quartile=_quantize(q1),
        median=_quantize(median),
        upper_quartile=_quantize(q3),
        rank=rank,
        position=position or "",
    )


# --- words for the dashboard, the measure page and the analysts' comparison --------------------


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def rank_text(result: Benchmark | None) -> str:
    """ "2nd of 5" (1st is the best in the direction of improvement); empty without a rank."""
    if result is None or result.rank is None:
        return ""
    return f"{ordinal(result.rank)} of {result.authorities}"


def band_text(result: Benchmark | None, unit: str) -> str:
    """The middle half of authorities: "17.1%–19.6%"; empty without a benchmark."""
    if result is None:
        return ""
    high = value_text(result.upper_quartile, unit)
    if unit == "mean":
        # "2.3–2.8 of 4", not "2.3 of 4–2.8 of 4".
        return f"{result.lower_quartile:.1f}–{high}"
    return f"{value_text(result.lower_quartile, unit)}–{high}"


def band_position(result: Benchmark | None, own: Decimal | None, *, direction: str | None) -> str:
    """Where ``own`` stands against the middle half of authorities, in the direction of
    improvement: "better than most", "in the middle half", "worse than most"; "above"/"below the
    middle half" when neither way is better; empty without a benchmark or a value."""
    if result is None or own is None:
        return ""
    if result.lower_quartile <= own <= result.upper_quartile:
        return "in the middle half"
    above = own > result.upper_quartile
    if direction is None:
        return "above the middle half" if above else "below the middle half"
    return "better than most" if above == (direction == "up") else "worse than most"


def authority_letter(index: int) -> str:
    """A de-identified label for the ``index``-th authority (from 0): A … Z, AA, AB …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
