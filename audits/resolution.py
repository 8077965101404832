"""The tool as people use it: a standard (or an authority's own) version, with an authority's
adaptation applied. Plain data, built by ``audits.adaptation.resolve``; the audit form, the preview,
the exports and the cross-authority comparisons all read this shape.
"""

from dataclasses import dataclass, field


class Origin:
    STANDARD = "standard"  # as in the version, unchanged
    REWORDED = "reworded"  # the authority reworded it (``equivalent`` tells whether the meaning is kept)
    LOCAL = "local"  # added by the authority


@dataclass(frozen=True)
class ResolvedItem:
    key: str
    section_key: str
    order: int
    type: str
    text: str
    guidance: str = ""
    local_guidance: str = ""
    required: bool = False
    is_core: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    anchors: tuple[tuple[str, str], ...] = ()  # ("0", "..."), ("10", "...")
    levels: tuple[tuple[int, str, str], ...] = ()  # rubric items: (value, label, descriptor for this item)
    rubric_element_key: str = ""
    node_key: str = ""
    origin: str = Origin.STANDARD
    comparable: bool = True  # same key and the standard meaning: benchmarked across authorities


@dataclass(frozen=True)
class ResolvedSection:
    key: str
    title: str
    description: str = ""
    items: tuple[ResolvedItem, ...] = ()


@dataclass(frozen=True)
class ResolvedTool:
    tool_key: str
    tool_name: str
    kind: str
    version_id: int
    version_number: int
    adaptation_id: int | None = None
    adaptation_number: int | None = None
    authority_code: str | None = None
    sections: tuple[ResolvedSection, ...] = ()
    hidden_keys: tuple[str, ...] = field(default=())  # standard items the adaptation hides

    def items(self) -> list[ResolvedItem]:
        return [item for section in self.sections for item in section.items]

    def comparable_keys(self) -> list[str]:
        return [item.key for item in self.items() if item.comparable]
