"""Reads of the tool library: the resolved tool, what an authority uses, divergence and upgrade previews.

Each function reads a fixed, small number of queries (see ``audits.adaptation.load_version`` and
``load_adaptation``) whatever the size of the tool.
"""

from accounts.models import Authority
from audits import adaptation as logic
from audits.models import Adaptation, Adoption, AdoptionMode, Tool, ToolVersion, VersionStatus
from audits.resolution import ResolvedTool


def _adaptation_with_changes(adaptation: Adaptation) -> Adaptation:
    return (
        Adaptation.objects.select_related("adoption__authority", "base_version")
        .prefetch_related("changes")
        .get(pk=adaptation.pk)
    )


def resolved_tool(*, version: ToolVersion, adaptation: Adaptation | None = None) -> ResolvedTool:
    """The tool as people use it: ``version`` with the adaptation (if any) applied.

    Queries: 3 for the version (tool, sections, items), 1 more when it has rubric items, 2 for an
    adaptation.
    """
    adapted = logic.load_adaptation(_adaptation_with_changes(adaptation)) if adaptation else None
    return logic.resolve(logic.load_version(version), adapted)


def tool_in_use(*, authority: Authority, tool: Tool) -> tuple[ToolVersion, Adaptation | None]:
    """What the authority's people answer now: the latest published version of the authority's own
    tool, or of an adopted standard tool; for an adapted tool, the latest published adaptation and
    the standard version it is based on (until an adaptation is published, the standard itself).

    Raises ``ToolVersion.DoesNotExist`` when the authority does not use the tool, or nothing is published.
    """
    published = tool.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number")
    if tool.authority_id is not None:
        if tool.authority_id != authority.pk:
            raise ToolVersion.DoesNotExist(f"{tool.name} belongs to another authority.")
        return _first(published, tool), None
    adoption = Adoption.objects.filter(authority=authority, tool=tool).first()
    if adoption is None:
        raise ToolVersion.DoesNotExist(f"{authority.name} has not adopted {tool.name}.")
    if adoption.mode == AdoptionMode.ADAPT:
        adaptation = (
            adoption.adaptations.filter(status=VersionStatus.PUBLISHED)
            .select_related("base_version")
            .order_by("-number")
            .first()
        )
        if adaptation is not None:
            return adaptation.base_version, adaptation
    return _first(published, tool), None


def _first(published, tool: Tool) -> ToolVersion:
    version = published.first()
    if version is None:
        raise ToolVersion.DoesNotExist(f"{tool.name} has no published version.")
    return version


def divergence_report(*, adaptation: Adaptation) -> list[logic.DivergenceRow]:
    """Item by item, how the adaptation differs from its standard version (see ``adaptation.divergence``)."""
    adaptation = _adaptation_with_changes(adaptation)
    return logic.divergence(logic.load_version(adaptation.base_version), logic.load_adaptation(adaptation))


def upgrade_preview(*, adaptation: Adaptation, target_version: ToolVersion) -> logic.UpgradeReport:
    """What ``adaptation_upgrade`` to ``target_version`` would report, without changing anything."""
    adaptation = _adaptation_with_changes(adaptation)
    return logic.plan_upgrade(
        logic.load_version(adaptation.base_version),
        logic.load_version(target_version),
        logic.load_adaptation(adaptation),
    )
