"""Scoring against a fidelity rubric: pure functions on plain data, no database.

A rubric is described by a ``RubricSpec`` (its level values and its elements with their key and
whether they are core); one audit's answers are a mapping from element key to the level given, or
``None`` when the element was not rated. Audits, dashboards and measures build these from their
rows and call the functions below, so every screen counts the same way (domain.md §2.5).

- ``element_level``: the level of one answer, checked against the rubric's levels.
- ``practice_fidelity_score``: the mean level of the answered core elements of one audit.
- ``level_distribution``: how many answers sit at each level, with the shares.
- ``share_established_or_better``: the share of answers at level 3 (Established) or above.
- ``element_summaries``: per element, over many audits, the mean level and the distribution.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The level from which practice counts as "Established" in the standard rubric (domain.md §2.5).
ESTABLISHED = 3

# An answer as stored: a level, or nothing when the element was not rated.
Answer = int | str | None


@dataclass(frozen=True)
class LevelSpec:
    value: int
    label: str = ""


@dataclass(frozen=True)
class ElementSpec:
    key: str
    is_core: bool = True


@dataclass(frozen=True)
class RubricSpec:
    """The parts of a rubric that scoring needs: ordered levels and elements."""

    levels: tuple[LevelSpec, ...]
    elements: tuple[ElementSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("A rubric needs at least one level.")
        values = [level.value for level in self.levels]
        if len(set(values)) != len(values):
            raise ValueError(f"The rubric's level values repeat: {values}.")
        keys = [element.key for element in self.elements]
        if len(set(keys)) != len(keys):
            raise ValueError(f"The rubric's element keys repeat: {keys}.")

    @classmethod
    def of(cls, *, levels: Iterable[int], elements: Iterable[tuple[str, bool] | str] = ()) -> "RubricSpec":
        """Shorthand: ``RubricSpec.of(levels=[1, 2, 3, 4], elements=["P1", ("X1", False)])``."""
        return cls(
            levels=tuple(LevelSpec(value) for value in levels),
            elements=tuple(
                ElementSpec(item) if isinstance(item, str) else ElementSpec(item[0], item[1])
                for item in elements
            ),
        )

    @property
    def values(self) -> tuple[int, ...]:
        """The level values, lowest first."""
        return tuple(sorted(level.value for level in self.levels))

    @property
    def min_level(self) -> int:
        return self.values[0]

    @property
    def max_level(self) -> int:
        return self.values[-1]

    @property
    def core_keys(self) -> tuple[str, ...]:
        return tuple(element.key for element in self.elements if element.is_core)


@dataclass(frozen=True)
class Distribution:
    """How many answers sit at each level. ``counts`` has every level of the rubric, zeros
    included, lowest first; unanswered elements are counted apart and in no share."""

    counts: dict[int, int]
    unanswered: int = 0

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    @property
    def shares(self) -> dict[int, float] | None:
        """Each level's share of the answered; ``None`` when nothing was answered (no share is
        not the same as a share of 0)."""
        total = self.answered
        if total == 0:
            return None
        return {value: count / total for value, count in self.counts.items()}


@dataclass(frozen=True)
class ElementSummary:
    """One element over many audits."""

    key: str
    mean: float | None
    distribution: Distribution

    @property
    def answered(self) -> int:
        return self.distribution.answered


def element_level(*, rubric: RubricSpec, answer: Answer) -> int | None:
    """The level an answer gives, or ``None`` when the element was not rated (``None`` or an empty
    string). A whole number written as text ("3") is read as that number, since answers arrive
    from forms and JSON. Anything else, or a level the rubric does not have, raises ``ValueError``
    naming the value."""
    if answer is None:
        return None
    if isinstance(answer, str):
        text = answer.strip()
        if not text:
            return None
        try:
            level = int(text)
        except ValueError:
            raise ValueError(f"{answer!r} is not a rubric level.") from None
    elif isinstance(answer, int) and not isinstance(answer, bool):
        level = answer
    else:
        raise ValueError(f"{answer!r} is not a rubric level.")
    if level not in rubric.values:
        raise ValueError(
            f"{answer!r} is not a level of this rubric (levels: {', '.join(map(str, rubric.values))})."
        )
    return level


def _levels(rubric: RubricSpec, answers: Iterable[Answer]) -> list[int | None]:
    return [element_level(rubric=rubric, answer=answer) for answer in answers]


def _mean(levels: list[int]) -> float | None:
    # sum / len of whole numbers stays within [min, max] even in floating point.
    return sum(levels) / len(levels) if levels else None


def practice_fidelity_score(*, rubric: RubricSpec, answers: Mapping[str, Answer]) -> float | None:
    """The practice fidelity score of one audit: the mean level of the answered core elements.

    Non-core elements, unanswered elements and keys the rubric does not have (an authority's
    local items) do not count. ``None`` when no core element was answered. Every answer for a core
    element is checked as in ``element_level``."""
    levels = _levels(rubric, (answers.get(key) for key in rubric.core_keys))
    return _mean([level for level in levels if level is not None])


def level_distribution(*, rubric: RubricSpec, answers: Iterable[Answer]) -> Distribution:
    """Count the answers at each level of the rubric (every level listed, zeros included);
    unanswered ones are counted in ``unanswered``. To count one audit's core elements only, pass
    ``(answers.get(key) for key in rubric.core_keys)``."""
    counts = dict.fromkeys(rubric.values, 0)
    unanswered = 0
    for level in _levels(rubric, answers):
        if level is None:
            unanswered += 1
        else:
            counts[level] += 1
    return Distribution(counts=counts, unanswered=unanswered)


def share_established_or_better(
    *, rubric: RubricSpec, answers: Iterable[Answer], threshold: int = ESTABLISHED
) -> float | None:
    """The share of the answered at ``threshold`` (Established, 3) or above, between 0 and 1;
    ``None`` when nothing was answered."""
    distribution = level_distribution(rubric=rubric, answers=answers)
    if distribution.answered == 0:
        return None
    reached = sum(count for value, count in distribution.counts.items() if value >= threshold)
    return reached / distribution.answered


def element_summaries(
    *, rubric: RubricSpec, audits: Iterable[Mapping[str, Answer]]
) -> dict[str, ElementSummary]:
    """Per element of the rubric (in the rubric's order, core or not), over many audits: the mean
    level of the audits that rated it (``None`` if none did) and the distribution of levels. An
    audit without the element counts as unanswered for it; keys the rubric does not have are
    ignored."""
    keys = [element.key for element in rubric.elements]
    per_key: dict[str, list[int | None]] = {key: [] for key in keys}
    for audit in audits:
        for key in keys:
            per_key[key].append(element_level(rubric=rubric, answer=audit.get(key)))
    summaries = {}
    for key in keys:
        levels = per_key[key]
        summaries[key] = ElementSummary(
            key=key,
            mean=_mean([level for level in levels if level is not None]),
            distribution=level_distribution(rubric=rubric, answers=levels),
        )
    return summaries
