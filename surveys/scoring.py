"""How survey answers become figures: pure functions over counts, no database.

Agreement items (five options, from "Strongly disagree" to "Strongly agree") score 1 to 5 in the
order of their options; 0–10 scales score their value. "Positive" is agreeing (4 or 5) or scoring 7
or more on a scale. A distribution is shown in bands: the five options, or 0–3, 4–6 and 7–10.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SCALE = "scale"
CHOICE = "single_choice"
TEXT = "text"
SCORED_TYPES = (SCALE, CHOICE)

SCALE_BANDS = (("0–3", range(0, 4)), ("4–6", range(4, 7)), ("7–10", range(7, 11)))
SCALE_POSITIVE_FROM = 7
AGREEMENT_POSITIVE_FROM = 4


@dataclass(frozen=True)
class ItemSpec:
    """What scoring needs of an item: its type and, for a choice, its option values in order."""

    key: str
    type: str
    options: tuple[str, ...] = ()

    @property
    def is_scored(self) -> bool:
        return self.type in SCORED_TYPES

    @property
    def scale_max(self) -> int:
        return 10 if self.type == SCALE else len(self.options)

    @property
    def scale_min(self) -> int:
        return 0 if self.type == SCALE else 1

    def score(self, value: object) -> int | None:
        """The answer as a number, or None when it is not a valid answer to this item."""
        if self.type == SCALE:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                return None
            return value
        if self.type == CHOICE and isinstance(value, str) and value in self.options:
            return self.options.index(value) + 1
        return None

    def is_positive(self, score: int) -> bool:
        return score >= (SCALE_POSITIVE_FROM if self.type == SCALE else AGREEMENT_POSITIVE_FROM)

    def band_labels(self, option_labels: Sequence[str] = ()) -> list[str]:
        if self.type == SCALE:
            return [label for label, _ in SCALE_BANDS]
        return list(option_labels) or list(self.options)

    def band_of(self, score: int) -> int:
        if self.type == SCALE:
            return next(i for i, (_, values) in enumerate(SCALE_BANDS) if score in values)
        return score - 1


@dataclass(frozen=True)
class Summary:
    """The answers to one item in one group."""

    answers: int
    bands: tuple[int, ...]  # counts per band
    mean: float | None
    positive_share: float | None

    def shares(self) -> list[float]:
        return [count / self.answers if self.answers else 0.0 for count in self.bands]


def summarise(item: ItemSpec, counts: Mapping[object, int], *, bands: int) -> Summary:
    """Counts of each answer value → answers, band counts, mean score and share positive. Values
    that are not valid answers to the item (an option later removed) are left out."""
    band_counts = [0] * bands
    total = weighted = positive = 0
    for value, count in counts.items():
        score = item.score(value)
        if score is None:
            continue
        total += count
        weighted += score * count
        band_counts[item.band_of(score)] += count
        if item.is_positive(score):
            positive += count
    return Summary(
        answers=total,
        bands=tuple(band_counts),
        mean=weighted / total if total else None,
        positive_share=positive / total if total else None,
    )
