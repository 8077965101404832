"""Page data for the tool-library admin's own pages (the preview, the XLSForm download), kept
apart from the ModelAdmins.

The preview renders ``audits.selectors.resolved_tool``: the same resolved tool the audit form, the
exports and the comparisons read, so what a QA lead previews is what practitioners answer.
"""

from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from audits import selectors
from audits.models import Adaptation, ItemType, ToolVersion
from audits.resolution import Origin, ResolvedItem, ResolvedTool
from audits.xlsform import version_to_xlsform
from knowledge.selectors import guidance_for_items

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

YES_PARTLY_NO = (("yes", "Yes"), ("partly", "Partly"), ("no", "No"))
SCALE_POINTS = range(0, 11)


@dataclass(frozen=True)
class ScalePoint:
    value: int
    anchor: str


@dataclass(frozen=True)
class PreviewItem:
    """One item, with what its input needs: choices for the choice types, points for a scale."""

    item: ResolvedItem
    number: int
    input: str  # "rubric" | "scale" | "choice" | "multiple" | "number" | "date" | "text"
    choices: tuple[tuple[str, str], ...] = ()
    points: tuple[ScalePoint, ...] = ()

    @property
    def field_name(self) -> str:
        return f"item-{self.item.key}"

    @property
    def is_local(self) -> bool:
        return self.item.origin == Origin.LOCAL

    @property
    def is_reworded(self) -> bool:
        return self.item.origin == Origin.REWORDED


def preview_item(item: ResolvedItem, number: int) -> PreviewItem:
    if item.type == ItemType.RUBRIC:
        return PreviewItem(item=item, number=number, input="rubric")
    if item.type == ItemType.SCALE:
        anchors = dict(item.anchors)
        points = tuple(ScalePoint(value, anchors.get(str(value), "")) for value in SCALE_POINTS)
        return PreviewItem(item=item, number=number, input="scale", points=points)
    if item.type == ItemType.YES_PARTLY_NO:
        return PreviewItem(item=item, number=number, input="choice", choices=item.options or YES_PARTLY_NO)
    if item.type == ItemType.SINGLE_CHOICE:
        return PreviewItem(item=item, number=number, input="choice", choices=item.options)
    if item.type == ItemType.MULTIPLE_CHOICE:
        return PreviewItem(item=item, number=number, input="multiple", choices=item.options)
    if item.type in (ItemType.NUMBER, ItemType.DATE):
        return PreviewItem(item=item, number=number, input=str(item.type))
    return PreviewItem(item=item, number=number, input="text")


def preview_sections(tool: ResolvedTool) -> list[tuple]:
    """(section, [PreviewItem]) pairs, items numbered through the whole tool as people see them."""
    sections = []
    number = 0
    for section in tool.sections:
        items = []
        for item in section.items:
            number += 1
            items.append(preview_item(item, number))
        sections.append((section, items))
    return sections


def preview_context(*, version: ToolVersion, adaptation: Adaptation | None, back_url: str) -> dict:
    tool = selectors.resolved_tool(version=version, adaptation=adaptation)
    items = tool.items()
    return {
        "resolved": tool,
        "version": version,
        "adaptation": adaptation,
        "sections": preview_sections(tool),
        "item_total": len(items),
        "core_total": sum(1 for item in items if item.is_core),
        "local_total": sum(1 for item in items if item.origin == Origin.LOCAL),
        "reworded_total": sum(1 for item in items if item.origin == Origin.REWORDED),
        "back_url": back_url,
        # The knowledge resources shown beside the items (the programme's, and the authority's own).
        "guidance": guidance_for_items(
            items=items,
            authority_id=adaptation.adoption.authority_id
            if adaptation is not None
            else version.tool.authority_id,
        ),
    }


def xlsform_filename(*, version: ToolVersion, adaptation: Adaptation | None = None) -> str:
    """``<tool key>-v<N>.xlsx``, or for an adaptation ``<tool key>-v<N>-<authority code>-a<M>.xlsx``
    (N the standard version it adapts, M the adaptation's number)."""
    name = f"{version.tool.key}-v{version.number}"
    if adaptation is not None:
        name += f"-{adaptation.adoption.authority.code}-a{adaptation.number}"
    return f"{name}.xlsx"


def xlsform_download(*, version: ToolVersion, adaptation: Adaptation | None = None) -> HttpResponse:
    """The version (or the tool as ``adaptation`` resolves it) as an XLSForm workbook attachment."""
    data = version_to_xlsform(version=version, adaptation=adaptation)
    filename = xlsform_filename(version=version, adaptation=adaptation)
    return HttpResponse(
        data,
        content_type=XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )
