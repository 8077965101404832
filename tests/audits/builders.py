"""Small builders for tool-library tests, written with the ORM directly.

Keys start with "t-" (tools, rubrics, nodes) so they never meet the standard library that the data
migrations load. ``small_standard_tool`` is the worked example most tests share:

    section "map"   (order 1): r1 rubric core (element T1), r2 rubric core (T2),
                               worry text, not core (node t-practice.map)
    section "voice" (order 2): r3 rubric core (T3), s1 0–10 scale not core, c1 single choice not core

Every builder returns saved rows; ``publish`` goes through the real service.
"""

from dataclasses import dataclass

from accounts.models import Authority, User
from audits.models import (
    Adaptation,
    Item,
    ItemType,
    Section,
    Tool,
    ToolKind,
    ToolVersion,
)
from fidelity.models import ResultsNode, Rubric, RubricElement, RubricLevel

LEVELS = [(1, "Not evident"), (2, "Emerging"), (3, "Established"), (4, "Embedded")]
ANCHORS = {"0": "Nothing is in place", "10": "Fully in place"}
CHOICES = [{"value": "often", "label": "Often"}, {"value": "rarely", "label": "Rarely"}]


def node(key: str = "t-practice", name: str = "Test practice") -> ResultsNode:
    """A results-logic node (parents by key prefix, created as needed)."""
    parent = None
    if "." in key:
        parent = node(key.rsplit(".", 1)[0])
    found, _created = ResultsNode.objects.get_or_create(key=key, defaults={"name": name, "parent": parent})
    return found


def rubric(key: str = "t-rubric", elements: tuple[str, ...] = ("T1", "T2", "T3")) -> Rubric:
    """A four-level rubric whose elements "T1".. have descriptors "T1 at level 1" and so on."""
    found, created = Rubric.objects.get_or_create(key=key, defaults={"name": f"Rubric {key}"})
    if created:
        for value, label in LEVELS:
            RubricLevel.objects.create(rubric=found, value=value, label=label, description=f"{label} overall")
    for order, element_key in enumerate(elements, start=1):
        RubricElement.objects.get_or_create(
            rubric=found,
            key=element_key,
            defaults={
                "name": f"Element {element_key}",
                "node": node(f"t-practice.{element_key.lower()}"),
                "order": order,
                "descriptors": {str(value): f"{element_key} at level {value}" for value, _label in LEVELS},
            },
        )
    return found


def element(key: str, rubric_key: str = "t-rubric") -> RubricElement:
    return RubricElement.objects.get(rubric__key=rubric_key, key=key)


def tool(
    key: str = "t-audit",
    *,
    name: str | None = None,
    kind: str = ToolKind.CASE_AUDIT,
    authority: Authority | None = None,
) -> Tool:
    return Tool.objects.create(key=key, name=name or f"Tool {key}", kind=kind, authority=authority)


def version(tool: Tool, *, number: int = 1, derived_from: ToolVersion | None = None) -> ToolVersion:
    """A draft version (publish it with ``publish``)."""
    return ToolVersion.objects.create(tool=tool, number=number, derived_from=derived_from)


def section(version: ToolVersion, key: str, *, order: int = 0, title: str | None = None) -> Section:
    return Section.objects.create(version=version, key=key, title=title or key.title(), order=order)


def item(
    section: Section,
    key: str,
    *,
    type: str = ItemType.TEXT,
    text: str | None = None,
    order: int = 0,
    element_key: str | None = None,
    node_key: str | None = None,
    **fields,
) -> Item:
    """An item in ``section``; rubric items name their element ("T1"), others a node or nothing."""
    rubric_element = element(element_key) if element_key else None
    if rubric_element is not None and node_key is None:
        fields.setdefault("node", rubric_element.node)
    if node_key:
        fields["node"] = node(node_key)
    if type == ItemType.SCALE:
        fields.setdefault("anchors", dict(ANCHORS))
    if type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        fields.setdefault("options", list(CHOICES))
    return Item.objects.create(
        version=section.version,
        section=section,
        key=key,
        type=type,
        text=text or f"Question {key}",
        order=order,
        rubric_element=rubric_element,
        **fields,
    )


@dataclass
class SmallTool:
    tool: Tool
    version: ToolVersion
    rubric: Rubric


def small_standard_tool(
    key: str = "t-audit", *, published: bool = True, user: User | None = None
) -> SmallTool:
    """The worked example of the module docstring: a standard case audit, version 1."""
    the_rubric = rubric()
    the_tool = tool(key)
    v1 = version(the_tool)
    fill_small_version(v1)
    if published:
        publish(v1, user=user)
    return SmallTool(tool=the_tool, version=v1, rubric=the_rubric)


def fill_small_version(v: ToolVersion) -> None:
    """Sections and items of the worked example, in a draft version."""
    rubric()
    the_map = section(v, "map", order=1, title="The map")
    voice = section(v, "voice", order=2, title="The child's voice")
    item(
        the_map, "r1", type=ItemType.RUBRIC, text="Harm is described", order=1, element_key="T1", is_core=True
    )
    item(
        the_map,
        "r2",
        type=ItemType.RUBRIC,
        text="Danger is described",
        order=2,
        element_key="T2",
        is_core=True,
    )
    item(the_map, "worry", text="What are you worried about?", order=3, node_key="t-practice.map")
    item(
        voice,
        "r3",
        type=ItemType.RUBRIC,
        text="The child's voice is heard",
        order=1,
        element_key="T3",
        is_core=True,
    )
    item(voice, "s1", type=ItemType.SCALE, text="How safe is the child?", order=2, node_key="t-practice.map")
    item(
        voice,
        "c1",
        type=ItemType.SINGLE_CHOICE,
        text="How often was the child seen?",
        order=3,
        node_key="t-practice.map",
    )


def publish(v: ToolVersion, *, user: User | None = None) -> ToolVersion:
    from audits.services import tool_version_publish

    return tool_version_publish(version=v, acting_user=user)


def publish_adaptation(adaptation: Adaptation, *, user: User | None = None) -> Adaptation:
    from audits.services import adaptation_publish

    return adaptation_publish(adaptation=adaptation, acting_user=user)


def refreshed(v: ToolVersion) -> ToolVersion:
    return ToolVersion.objects.get(pk=v.pk)
