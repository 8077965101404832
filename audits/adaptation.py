"""Standard version + an authority's changes → the tool people use; and what changes between versions.

The core is pure functions over plain data (``VersionData``, ``ChangeData``, ``AdaptationData``),
so the rules can be read and tested without a database. Two thin loaders (``load_version``,
``load_adaptation``) turn ORM rows into that plain data; ``audits.selectors`` calls them with
few queries.

- ``resolve``: the ``audits.resolution.ResolvedTool`` for a version, with an adaptation's
  rewords, hides, local items, moves and local guidance applied.
- ``version_problems`` / ``change_problems`` / ``adaptation_problems``: what stops a version, a
  change or an adaptation from being accepted, in plain English naming the item.
- ``diff_versions``: items added, removed, reworded and moved between two versions.
- ``plan_upgrade``: which of an adaptation's changes still apply on a newer standard version, and
  which conflict (kept in the ``UpgradeReport``, never silently dropped).
- ``divergence``: item by item, where the authority's tool differs from the standard.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from audits.models import Adaptation, ChangeKind, Item, ItemType, Section, Tool, ToolVersion
from audits.resolution import Origin, ResolvedItem, ResolvedSection, ResolvedTool
from fidelity.models import RubricLevel

YES_PARTLY_NO = (("yes", "Yes"), ("partly", "Partly"), ("no", "No"))
CHOICE_TYPES = frozenset({ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE})
# Kinds of change that act on an item of the base version (``add`` brings a new one).
CHANGES_TO_STANDARD_ITEMS = frozenset(
    {ChangeKind.REWORD, ChangeKind.HIDE, ChangeKind.MOVE, ChangeKind.GUIDANCE}
)


# --- plain data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionData:
    key: str
    title: str
    description: str = ""
    order: int = 0


@dataclass(frozen=True)
class ItemData:
    key: str
    section_key: str
    type: str
    text: str
    order: int = 0
    guidance: str = ""
    required: bool = False
    is_core: bool = False
    options: tuple[tuple[str, str], ...] = ()
    anchors: tuple[tuple[str, str], ...] = ()
    descriptors: Mapping[str, str] = field(default_factory=dict)  # the item's own, overriding the element's
    rubric_element_key: str = ""
    element_descriptors: Mapping[str, str] = field(default_factory=dict)
    rubric_levels: tuple[
        tuple[int, str, str], ...
    ] = ()  # (value, label, description) of the element's rubric
    node_key: str = ""


@dataclass(frozen=True)
class VersionData:
    tool_key: str
    tool_name: str
    kind: str
    version_id: int
    number: int
    status: str = "draft"
    authority_code: str | None = None  # None for the standard library
    sections: tuple[SectionData, ...] = ()
    items: tuple[ItemData, ...] = ()

    @property
    def is_standard(self) -> bool:
        return self.authority_code is None

    def item(self, key: str) -> ItemData | None:
        return next((item for item in self.items if item.key == key), None)

    def section_keys(self) -> set[str]:
        return {section.key for section in self.sections}


@dataclass(frozen=True)
class ChangeData:
    item_key: str
    kind: str
    text: str = ""
    descriptors: Mapping[str, str] = field(default_factory=dict)
    guidance: str = ""
    equivalent: bool = False
    section_key: str = ""
    order: int | None = None
    type: str = ""
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    anchors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AdaptationData:
    adaptation_id: int | None
    number: int | None
    authority_code: str
    changes: tuple[ChangeData, ...] = ()

    def change(self, item_key: str, kind: str) -> ChangeData | None:
        return next((c for c in self.changes if c.item_key == item_key and c.kind == kind), None)


@dataclass(frozen=True)
class VersionDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reworded: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()


class Status:
    APPLIES = "applies"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class ChangeOutcome:
    """What happens to one of the authority's changes on the new standard version."""

    item_key: str
    kind: str
    status: str  # Status.APPLIES | Status.CONFLICT
    reason: str = ""
    carried: bool = True  # copied into the upgraded adaptation (some conflicts cannot be)
    change: ChangeData | None = None  # the change itself, so a conflict never loses the wording


@dataclass(frozen=True)
class UpgradeReport:
    from_number: int
    to_number: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reworded: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    changes: tuple[ChangeOutcome, ...] = ()

    @property
    def conflicts(self) -> list[ChangeOutcome]:
        return [outcome for outcome in self.changes if outcome.status == Status.CONFLICT]

    @property
    def applies(self) -> list[ChangeOutcome]:
        return [outcome for outcome in self.changes if outcome.status == Status.APPLIES]


@dataclass(frozen=True)
class DivergenceRow:
    item_key: str
    standard_text: str  # empty for a local item
    authority_text: str  # empty for a hidden item
    differences: tuple[str, ...]  # e.g. ("reworded",), ("hidden",), ("unchanged",)
    comparable: bool

    @property
    def difference(self) -> str:
        return ", ".join(self.differences)


class Difference:
    UNCHANGED = "unchanged"
    REWORDED = "reworded"
    REWORDED_EQUIVALENT = "reworded, same meaning"
    HIDDEN = "hidden"
    LOCAL = "local item"
    MOVED = "moved"
    GUIDANCE = "local guidance"


# --- loaders (the only ORM reads) ---------------------------------------------------------------


def _pairs(options: Iterable) -> tuple[tuple[str, str], ...]:
    """``[{"value": .., "label": ..}]`` → ``(("value", "label"), ...)``; tolerates plain strings."""
    pairs = []
    for option in options or ():
        if isinstance(option, Mapping):
            value = str(option.get("value", ""))
            pairs.append((value, str(option.get("label") or value)))
        else:
            pairs.append((str(option), str(option)))
    return tuple(pairs)


def _anchors(anchors: Mapping | None) -> tuple[tuple[str, str], ...]:
    def position(key: str) -> tuple[int, str]:
        return (int(key), key) if key.lstrip("-").isdigit() else (10**6, key)

    return tuple(
        (str(key), str(text))
        for key, text in sorted((anchors or {}).items(), key=lambda kv: position(str(kv[0])))
    )


def _texts(mapping: Mapping | None) -> dict[str, str]:
    return {str(key): str(text) for key, text in (mapping or {}).items() if text not in (None, "")}


def load_version(version: ToolVersion) -> VersionData:
    """The version as plain data: 3 queries (tool, sections, items), plus 1 for rubric levels."""
    tool = Tool.objects.select_related("authority").get(pk=version.tool_id)
    sections = list(Section.objects.filter(version_id=version.pk).order_by("order", "key"))
    section_keys = {section.pk: section.key for section in sections}
    items = list(
        Item.objects.filter(version_id=version.pk)
        .select_related("rubric_element", "node")
        .order_by("section__order", "order", "key")
    )
    rubric_ids = {item.rubric_element.rubric_id for item in items if item.rubric_element is not None}
    levels: dict[int, list[tuple[int, str, str]]] = {}
    if rubric_ids:
        for level in RubricLevel.objects.filter(rubric_id__in=rubric_ids).order_by("value"):
            levels.setdefault(level.rubric_id, []).append((level.value, level.label, level.description))
    return VersionData(
        tool_key=tool.key,
        tool_name=tool.name,
        kind=tool.kind,
        version_id=version.pk,
        number=version.number,
        status=version.status,
        authority_code=tool.authority.code if tool.authority is not None else None,
        sections=tuple(
            SectionData(key=s.key, title=s.title, description=s.description, order=s.order) for s in sections
        ),
        items=tuple(
            ItemData(
                key=item.key,
                section_key=section_keys.get(item.section_id, ""),
                type=item.type,
                text=item.text,
                order=item.order,
                guidance=item.guidance,
                required=item.required,
                is_core=item.is_core,
                options=_pairs(item.options),
                anchors=_anchors(item.anchors),
                descriptors=_texts(item.descriptors),
                rubric_element_key=item.rubric_element.key if item.rubric_element else "",
                element_descriptors=_texts(item.rubric_element.descriptors) if item.rubric_element else {},
                rubric_levels=tuple(levels.get(item.rubric_element.rubric_id, ()))
                if item.rubric_element
                else (),
                node_key=item.node.key if item.node else "",
            )
            for item in items
        ),
    )


def change_data(change) -> ChangeData:
    """An ``ItemChange`` (saved or not) as plain data."""
    return ChangeData(
        item_key=change.item_key,
        kind=change.kind,
        text=change.text,
        descriptors=_texts(change.descriptors),
        guidance=change.guidance,
        equivalent=change.equivalent,
        section_key=change.section_key,
        order=change.order,
        type=change.type,
        required=change.required,
        options=_pairs(change.options),
        anchors=_anchors(change.anchors),
    )


def load_adaptation(adaptation: Adaptation) -> AdaptationData:
    """The adaptation and its changes as plain data: 2 queries (fewer when already loaded)."""
    if not Adaptation.adoption.is_cached(adaptation):
        adaptation = Adaptation.objects.select_related("adoption__authority").get(pk=adaptation.pk)
    changes = adaptation.changes.all()  # uses a prefetch when there is one
    return AdaptationData(
        adaptation_id=adaptation.pk,
        number=adaptation.number,
        authority_code=adaptation.adoption.authority.code,
        changes=tuple(change_data(change) for change in changes),
    )


# --- resolve ------------------------------------------------------------------------------------


def _levels(item: ItemData, reworded: Mapping[str, str]) -> tuple[tuple[int, str, str], ...]:
    """Per level: the adaptation's descriptor, else the item's own, else the element's, else the level's."""
    return tuple(
        (
            value,
            label,
            reworded.get(str(value))
            or item.descriptors.get(str(value))
            or item.element_descriptors.get(str(value))
            or description,
        )
        for value, label, description in item.rubric_levels
    )


def _options(type_: str, options: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    if type_ == ItemType.YES_PARTLY_NO and not options:
        return YES_PARTLY_NO
    return options


def resolve(version: VersionData, adaptation: AdaptationData | None = None) -> ResolvedTool:
    """The tool as people use it.

    Standard items keep their wording unless reworded (origin "reworded"); hidden items leave the
    tool (their keys in ``hidden_keys``; a core item is never hidden, even by a stray change);
    local items are added (origin "local"); moves change section and order; guidance changes
    fill ``local_guidance``. An item is comparable across authorities when the tool is standard and
    the item keeps the standard meaning: unchanged, or reworded as ``equivalent``. Local items and
    every item of an authority's own tool are not comparable.
    """
    changes = adaptation.changes if adaptation else ()
    by_kind: dict[str, dict[str, ChangeData]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, {})[change.item_key] = change
    rewords = by_kind.get(ChangeKind.REWORD, {})
    hides = by_kind.get(ChangeKind.HIDE, {})
    moves = by_kind.get(ChangeKind.MOVE, {})
    guidance = by_kind.get(ChangeKind.GUIDANCE, {})
    section_keys = version.section_keys()

    resolved: list[ResolvedItem] = []
    hidden: list[str] = []
    for item in version.items:
        if item.key in hides and not item.is_core:
            hidden.append(item.key)
            continue
        reword = rewords.get(item.key)
        move = moves.get(item.key)
        section_key = item.section_key
        order = item.order
        if move is not None:
            if move.section_key in section_keys:
                section_key = move.section_key
            if move.order is not None:
                order = move.order
        comparable = version.is_standard and (reword is None or reword.equivalent)
        resolved.append(
            ResolvedItem(
                key=item.key,
                section_key=section_key,
                order=order,
                type=item.type,
                text=(reword.text if reword and reword.text else item.text),
                guidance=item.guidance,
                local_guidance=guidance[item.key].guidance if item.key in guidance else "",
                required=item.required,
                is_core=item.is_core,
                options=_options(item.type, item.options),
                anchors=item.anchors,
                levels=_levels(item, reword.descriptors if reword else {}),
                rubric_element_key=item.rubric_element_key,
                node_key=item.node_key,
                origin=Origin.REWORDED if reword else Origin.STANDARD,
                comparable=comparable,
            )
        )
    standard_keys = {item.key for item in version.items}
    fallback_section = version.sections[-1].key if version.sections else ""
    for change in by_kind.get(ChangeKind.ADD, {}).values():
        if change.item_key in standard_keys:
            continue  # the standard took the key: the upgrade report shows the conflict
        resolved.append(
            ResolvedItem(
                key=change.item_key,
                section_key=change.section_key if change.section_key in section_keys else fallback_section,
                order=change.order if change.order is not None else 10**4,
                type=change.type or ItemType.TEXT,
                text=change.text,
                guidance=change.guidance,
                required=change.required,
                options=_options(change.type, change.options),
                anchors=change.anchors,
                origin=Origin.LOCAL,
                comparable=False,
            )
        )

    sections = tuple(
        ResolvedSection(
            key=section.key,
            title=section.title,
            description=section.description,
            items=tuple(
                sorted(
                    (item for item in resolved if item.section_key == section.key),
                    key=lambda item: (item.order, item.key),
                )
            ),
        )
        for section in version.sections
    )
    return ResolvedTool(
        tool_key=version.tool_key,
        tool_name=version.tool_name,
        kind=version.kind,
        version_id=version.version_id,
        version_number=version.number,
        adaptation_id=adaptation.adaptation_id if adaptation else None,
        adaptation_number=adaptation.number if adaptation else None,
        authority_code=adaptation.authority_code if adaptation else version.authority_code,
        sections=sections,
        hidden_keys=tuple(hidden),
    )


def comparable_keys(*tools: ResolvedTool) -> list[str]:
    """Keys comparable in every one of the tools (in the first tool's order): what can be benchmarked."""
    if not tools:
        return []
    others = [set(tool.comparable_keys()) for tool in tools[1:]]
    return [key for key in tools[0].comparable_keys() if all(key in keys for keys in others)]


# --- validation ---------------------------------------------------------------------------------


def item_label(key: str, text: str) -> str:
    """How messages name an item: ``Item "p6" (Scaling is used …)``."""
    short = " ".join(text.split())
    if len(short) > 60:
        short = short[:57].rstrip() + "…"
    return f'Item "{key}" ({short})' if short else f'Item "{key}"'


def _definition_problems(
    label: str,
    *,
    type_: str,
    text: str,
    options: tuple[tuple[str, str], ...],
    anchors: Iterable[tuple[str, str]],
) -> list[str]:
    problems = []
    if not text.strip():
        problems.append(f"{label} has no text: write the question people will answer.")
    if type_ not in ItemType.values:
        problems.append(f'{label} has an unknown type "{type_}".')
    if type_ in CHOICE_TYPES:
        values = [value for value, _label in options]
        if len(values) < 2:
            problems.append(f"{label} is a choice question but has fewer than two options.")
        if any(not value.strip() for value in values):
            problems.append(f"{label} has an option without a value.")
        if len(set(values)) != len(values):
            problems.append(f"{label} has two options with the same value.")
    if type_ == ItemType.SCALE:
        given = {key for key, text in anchors if text.strip()}
        missing = [key for key in ("0", "10") if key not in given]
        if missing:
            problems.append(
                f"{label} is a 0–10 scale but has no anchor text for {' and '.join(missing)}: "
                "say what 0 and 10 mean."
            )
    return problems


def version_problems(version: VersionData) -> list[str]:
    """Everything that stops the version from being published; empty when it can be."""
    problems: list[str] = []
    if not version.items:
        problems.append("The version has no items: add at least one before publishing.")
    section_keys = version.section_keys()
    used_sections = {item.section_key for item in version.items}
    for section in version.sections:
        if section.key not in used_sections:
            problems.append(
                f'Section "{section.key}" ({section.title}) has no items: add items or remove it.'
            )
    seen: set[str] = set()
    for item in version.items:
        label = item_label(item.key, item.text)
        if item.key in seen:
            problems.append(f'{label}: the key "{item.key}" is used twice; every item needs its own key.')
        seen.add(item.key)
        if item.section_key not in section_keys:
            problems.append(f"{label} is not in a section of this version.")
        problems.extend(
            _definition_problems(
                label, type_=item.type, text=item.text, options=item.options, anchors=item.anchors
            )
        )
        if item.type == ItemType.RUBRIC:
            if not item.rubric_element_key:
                problems.append(f"{label} is a rubric-level item but has no rubric element.")
            elif not item.rubric_levels:
                problems.append(f"{label}: its rubric has no levels to choose from.")
        if not item.rubric_element_key and not item.node_key:
            problems.append(
                f"{label} measures nothing: choose the rubric element or results-logic node it informs."
            )
    return problems


def change_problems(version: VersionData, change: ChangeData) -> list[str]:
    """Why this change cannot be made to an adaptation of ``version``; empty when it can."""
    item = version.item(change.item_key)
    where = f"{version.tool_name} v{version.number}"
    if change.kind not in ChangeKind.values:
        return [f'"{change.kind}" is not a kind of change.']
    if change.kind in CHANGES_TO_STANDARD_ITEMS and item is None:
        return [f'There is no item "{change.item_key}" in {where}: only its items can be changed.']
    problems: list[str] = []
    if change.kind == ChangeKind.HIDE:
        assert item is not None
        if item.is_core:
            problems.append(
                f"{item_label(item.key, item.text)} is a core item and cannot be hidden: core items are "
                "compared across authorities. Reword it, or add local guidance, instead."
            )
    elif change.kind == ChangeKind.REWORD:
        assert item is not None
        label = item_label(item.key, item.text)
        if not change.text.strip() and not change.descriptors:
            problems.append(f"{label}: a reword needs new wording or new level descriptors.")
        if change.descriptors:
            if item.type != ItemType.RUBRIC:
                problems.append(
                    f"{label} is not a rubric-level item, so it has no level descriptors to reword."
                )
            else:
                known = {str(value) for value, _label, _description in item.rubric_levels}
                unknown = sorted(set(change.descriptors) - known)
                if unknown:
                    problems.append(f"{label}: the rubric has no level {', '.join(unknown)}.")
    elif change.kind == ChangeKind.MOVE:
        assert item is not None
        label = item_label(item.key, item.text)
        if not change.section_key and change.order is None:
            problems.append(f"{label}: a move needs a section or a position.")
        if change.section_key and change.section_key not in version.section_keys():
            problems.append(f'{label}: there is no section "{change.section_key}" in {where}.')
    elif change.kind == ChangeKind.GUIDANCE:
        assert item is not None
        if not change.guidance.strip():
            problems.append(f"{item_label(item.key, item.text)}: local guidance needs some text.")
    elif change.kind == ChangeKind.ADD:
        label = f'Local item "{change.item_key}"'
        if item is not None:
            problems.append(
                f'{label}: {where} already has an item "{change.item_key}"; give the local item a new key.'
            )
        if not change.section_key:
            problems.append(f"{label} needs a section.")
        elif change.section_key not in version.section_keys():
            problems.append(f'{label}: there is no section "{change.section_key}" in {where}.')
        if change.type == ItemType.RUBRIC:
            problems.append(
                f"{label} cannot be a rubric-level item: rubric items measure a standard rubric element. "
                "Use a 0–10 scale or a choice question instead."
            )
        elif not change.type:
            problems.append(f"{label} needs a type.")
        else:
            problems.extend(
                _definition_problems(
                    label, type_=change.type, text=change.text, options=change.options, anchors=change.anchors
                )
            )
    return problems


def adaptation_problems(version: VersionData, adaptation: AdaptationData) -> list[str]:
    """Everything that stops the adaptation of ``version`` from being published."""
    problems: list[str] = []
    if not version.is_standard:
        problems.append(f"{version.tool_name} is an authority's own tool: only standard tools are adapted.")
    for change in adaptation.changes:
        problems.extend(change_problems(version, change))
    resolved = resolve(version, adaptation)
    if not resolved.items():
        problems.append("The adapted tool has no items left: show at least one.")
    return problems


# --- versions and upgrades ----------------------------------------------------------------------


def _meaning(item: ItemData) -> tuple:
    return (item.type, item.text, dict(item.descriptors), item.options, item.anchors)


def diff_versions(old: VersionData, new: VersionData) -> VersionDiff:
    """Items added, removed, reworded (type, text, level descriptors, options or anchors changed) and
    moved (section or order changed) from ``old`` to ``new``, each in ``new``'s order (removed: ``old``'s)."""
    old_items = {item.key: item for item in old.items}
    new_items = {item.key: item for item in new.items}
    kept = [item for item in new.items if item.key in old_items]
    return VersionDiff(
        added=tuple(item.key for item in new.items if item.key not in old_items),
        removed=tuple(item.key for item in old.items if item.key not in new_items),
        reworded=tuple(item.key for item in kept if _meaning(item) != _meaning(old_items[item.key])),
        moved=tuple(
            item.key
            for item in kept
            if (item.section_key, item.order) != (old_items[item.key].section_key, old_items[item.key].order)
        ),
    )


def _outcome(change: ChangeData, old: VersionData, new: VersionData, diff: VersionDiff) -> ChangeOutcome:
    def conflict(reason: str, *, carried: bool) -> ChangeOutcome:
        return ChangeOutcome(change.item_key, change.kind, Status.CONFLICT, reason, carried, change)

    new_item = new.item(change.item_key)
    if change.kind == ChangeKind.ADD:
        if new_item is not None:
            return conflict(
                "the standard now has an item with this key: add your local item again under a new key, "
                "or use the standard item",
                carried=False,
            )
        if change.section_key not in new.section_keys():
            return conflict(
                f'the standard removed the section "{change.section_key}" this local item was in: '
                "add it again in another section",
                carried=False,
            )
    elif new_item is None:
        return conflict("the standard removed this item", carried=False)
    elif change.kind == ChangeKind.HIDE and new_item.is_core:
        return conflict("the standard made this item core, and core items cannot be hidden", carried=False)
    elif change.kind == ChangeKind.REWORD and change.item_key in diff.reworded:
        return conflict(
            "the standard reworded this item since you reworded it: check your wording still fits",
            carried=True,
        )
    elif change.kind == ChangeKind.REWORD and change.descriptors and new_item.type != ItemType.RUBRIC:
        return conflict(
            "the standard item is no longer rubric-level, so your level descriptors no longer apply",
            carried=False,
        )
    elif (
        change.kind == ChangeKind.MOVE and change.section_key and change.section_key not in new.section_keys()
    ):
        return conflict(
            f'the standard removed the section "{change.section_key}" you moved this item to', carried=False
        )
    return ChangeOutcome(change.item_key, change.kind, Status.APPLIES, "", True, change)


def plan_upgrade(old: VersionData, new: VersionData, adaptation: AdaptationData) -> UpgradeReport:
    """What moving the adaptation from ``old`` to ``new`` does: the standard's own changes, and for
    every change of the adaptation whether it applies or conflicts (and whether it can be carried)."""
    diff = diff_versions(old, new)
    return UpgradeReport(
        from_number=old.number,
        to_number=new.number,
        added=diff.added,
        removed=diff.removed,
        reworded=diff.reworded,
        moved=diff.moved,
        changes=tuple(_outcome(change, old, new, diff) for change in adaptation.changes),
    )


# --- divergence ---------------------------------------------------------------------------------


def divergence(version: VersionData, adaptation: AdaptationData) -> list[DivergenceRow]:
    """One row per item of the standard version (in its order), then one per local item: the
    standard and the authority's wording, how they differ and whether the item stays comparable."""
    resolved = {item.key: item for item in resolve(version, adaptation).items()}
    changes: dict[str, set[str]] = {}
    for change in adaptation.changes:
        changes.setdefault(change.item_key, set()).add(change.kind)
    rows: list[DivergenceRow] = []
    for item in version.items:
        mine = resolved.get(item.key)
        kinds = changes.get(item.key, set())
        if mine is None:
            rows.append(DivergenceRow(item.key, item.text, "", (Difference.HIDDEN,), False))
            continue
        differences: list[str] = []
        if ChangeKind.REWORD in kinds:
            reword = adaptation.change(item.key, ChangeKind.REWORD)
            differences.append(
                Difference.REWORDED_EQUIVALENT
                if reword is not None and reword.equivalent
                else Difference.REWORDED
            )
        if (mine.section_key, mine.order) != (item.section_key, item.order):
            differences.append(Difference.MOVED)
        if mine.local_guidance:
            differences.append(Difference.GUIDANCE)
        rows.append(
            DivergenceRow(
                item.key, item.text, mine.text, tuple(differences) or (Difference.UNCHANGED,), mine.comparable
            )
        )
    standard_keys = {item.key for item in version.items}
    for key, mine in resolved.items():
        if key not in standard_keys:
            rows.append(DivergenceRow(key, "", mine.text, (Difference.LOCAL,), False))
    return rows


def carried_changes(report: UpgradeReport) -> tuple[ChangeData, ...]:
    """The changes an upgrade copies into the new adaptation."""
    return tuple(
        outcome.change for outcome in report.changes if outcome.carried and outcome.change is not None
    )
