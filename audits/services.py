"""Writes of the tool library: versions, adoptions, adaptations and their changes.

Every function is keyword-only and atomic, takes the acting user (``None`` for the system, e.g. a
data migration) and records it in the history rows django-simple-history writes. Problems come back
as ``ValidationError``s in plain English naming the item, so the admin can show them as they are.
The rules themselves (what a valid version or change is, what an upgrade carries) live in
``audits.adaptation`` as pure functions; this module loads, checks and saves.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Authority, User
from audits import adaptation as logic
from audits.models import (
    Adaptation,
    Adoption,
    AdoptionMode,
    ChangeKind,
    Item,
    ItemChange,
    Section,
    Tool,
    ToolVersion,
    VersionStatus,
)

# The fields ``item_change_set`` accepts, as on ``ItemChange``.
CHANGE_FIELDS = frozenset(
    {
        "text",
        "descriptors",
        "guidance",
        "equivalent",
        "section_key",
        "order",
        "type",
        "required",
        "options",
        "anchors",
    }
)
# Sections and items are copied field by field (foreign keys by id), except these.
NOT_COPIED = frozenset({"id", "version_id", "section_id"})


def _attribute(instance, acting_user: User | None) -> None:
    instance._history_user = acting_user


def _save(instance, acting_user: User | None) -> None:
    _attribute(instance, acting_user)
    instance.save()


def _latest_published(tool: Tool) -> ToolVersion | None:
    return tool.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def _copy_fields(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in NOT_COPIED
    }


# --- versions -----------------------------------------------------------------------------------


@transaction.atomic
def tool_version_create_next(*, tool: Tool, acting_user: User | None) -> ToolVersion:
    """A new draft of the tool: a copy of its latest version (sections and items with the same
    keys), numbered one more, ``derived_from`` that version. The first version of a new tool starts
    empty. Refuses when the tool already has a draft, so there is only ever one to edit."""
    Tool.objects.select_for_update().filter(pk=tool.pk).first()  # one draft at a time, even under races
    draft = tool.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(f"{tool.name} already has a draft (v{draft.number}): edit or publish it first.")
    latest = tool.versions.order_by("-number").first()
    version = ToolVersion(tool=tool, number=(latest.number + 1) if latest else 1, derived_from=latest)
    version.full_clean()
    _save(version, acting_user)
    if latest is None:
        return version
    sections: dict[int, Section] = {}
    for old_section in latest.sections.all():
        section = Section(version=version, **_copy_fields(old_section))
        _save(section, acting_user)
        sections[old_section.pk] = section
    for old_item in latest.items.all():
        item = Item(version=version, section=sections[old_item.section_id], **_copy_fields(old_item))
        _save(item, acting_user)
    return version


def tool_version_validate(*, version: ToolVersion) -> list[str]:
    """The problems that stop the version from being published, in plain English naming the item;
    empty when it can be published."""
    return logic.version_problems(logic.load_version(version))


def _locked(version: ToolVersion) -> ToolVersion:
    return ToolVersion.objects.select_for_update().select_related("tool").get(pk=version.pk)


@transaction.atomic
def tool_version_publish(*, version: ToolVersion, acting_user: User | None) -> ToolVersion:
    """Publish a draft: validate it (``ValidationError`` listing every problem), freeze it, and
    retire the tool's previously published version. Returns the published version."""
    version = _locked(version)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            f"{version} is {version.get_status_display().lower()}: only a draft can be published."
        )
    problems = tool_version_validate(version=version)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    for previous in version.tool.versions.filter(status=VersionStatus.PUBLISHED).exclude(pk=version.pk):
        previous.status = VersionStatus.RETIRED
        previous.retired_at = now
        _save(previous, acting_user)
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.published_by = acting_user
    _save(version, acting_user)
    return version


@transaction.atomic
def tool_version_retire(*, version: ToolVersion, acting_user: User | None) -> ToolVersion:
    """Retire a published version: it stays (answers point at it) but is no longer handed out."""
    version = _locked(version)
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError(
            f"{version} is {version.get_status_display().lower()}: only a published version can be retired."
        )
    version.status = VersionStatus.RETIRED
    version.retired_at = timezone.now()
    _save(version, acting_user)
    return version


# --- adoption -----------------------------------------------------------------------------------


def _check_adoptable(tool: Tool) -> ToolVersion:
    if not tool.is_standard:
        raise ValidationError(
            f"{tool.name} is an authority's own tool: only tools of the standard library are adopted or "
            "adapted. Change it by publishing a new version."
        )
    latest = _latest_published(tool)
    if latest is None:
        raise ValidationError(f"{tool.name} has no published version yet, so it cannot be used.")
    return latest


def _adoption(authority: Authority, tool: Tool, mode: str, acting_user: User | None) -> Adoption:
    adoption = Adoption.objects.select_for_update().filter(authority=authority, tool=tool).first()
    if adoption is None:
        adoption = Adoption(authority=authority, tool=tool, mode=mode)
        adoption.full_clean()
    elif adoption.mode == mode:
        return adoption
    adoption.mode = mode
    _save(adoption, acting_user)
    return adoption


@transaction.atomic
def tool_adopt(*, authority: Authority, tool: Tool, acting_user: User | None) -> Adoption:
    """The authority uses the standard tool whole, following its published versions. Idempotent;
    an adapted tool goes back to the standard (its adaptations stay, as history)."""
    _check_adoptable(tool)
    return _adoption(authority, tool, AdoptionMode.ADOPT, acting_user)


def _next_number(adoption: Adoption) -> int:
    return (adoption.adaptations.aggregate(top=Max("number"))["top"] or 0) + 1


def _create_changes(adaptation: Adaptation, changes, acting_user: User | None) -> None:
    for change in changes:
        row = ItemChange(
            adaptation=adaptation,
            item_key=change.item_key,
            kind=change.kind,
            text=change.text,
            descriptors=dict(change.descriptors),
            guidance=change.guidance,
            equivalent=change.equivalent,
            section_key=change.section_key,
            order=change.order,
            type=change.type,
            required=change.required,
            options=[{"value": value, "label": label} for value, label in change.options],
            anchors=dict(change.anchors),
        )
        _save(row, acting_user)


@transaction.atomic
def tool_adapt(*, authority: Authority, tool: Tool, acting_user: User | None) -> Adaptation:
    """The authority's draft adaptation of the standard tool, to edit with ``item_change_set``.

    Returns the existing draft if there is one. Otherwise the adoption becomes (or is created in)
    "adapt" mode and a new draft is made on the latest published standard version, starting from
    the changes of the latest published adaptation. If that adaptation was based on an older
    version, the changes go through the same rules as ``adaptation_upgrade``: those that conflict
    are not copied (they stay in the published adaptation; ``upgrade_preview`` lists them).
    """
    latest = _check_adoptable(tool)
    adoption = _adoption(authority, tool, AdoptionMode.ADAPT, acting_user)
    draft = adoption.adaptations.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    previous = adoption.adaptations.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
    adaptation = Adaptation(adoption=adoption, number=_next_number(adoption), base_version=latest)
    adaptation.full_clean()
    _save(adaptation, acting_user)
    if previous is not None:
        report = logic.plan_upgrade(
            logic.load_version(previous.base_version),
            logic.load_version(latest),
            logic.load_adaptation(previous),
        )
        _create_changes(adaptation, logic.carried_changes(report), acting_user)
    return adaptation


def _check_draft(adaptation: Adaptation) -> None:
    status = Adaptation.objects.filter(pk=adaptation.pk).values_list("status", flat=True).first()
    if status != VersionStatus.DRAFT:
        raise ValidationError(f"{adaptation} is {status}: only a draft adaptation can change.")


@transaction.atomic
def item_change_set(
    *, adaptation: Adaptation, item_key: str, kind: str, acting_user: User | None, **fields
) -> ItemChange:
    """Record (or update) one change of a draft adaptation: reword, hide, add, move or guidance.

    ``fields`` are those of ``ItemChange`` (text, descriptors, guidance, equivalent, section_key,
    order, type, required, options, anchors); fields not given keep their current value. Refuses
    with a plain-English ``ValidationError``: hiding a core item, changing an item the base version
    does not have, adding an item under a key the base version already uses, and so on.
    """
    unknown = set(fields) - CHANGE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields for a change: {', '.join(sorted(unknown))}.")
    _check_draft(adaptation)
    change = ItemChange.objects.filter(adaptation=adaptation, item_key=item_key, kind=kind).first()
    if change is None:
        change = ItemChange(adaptation=adaptation, item_key=item_key, kind=kind)
    for name, value in fields.items():
        setattr(change, name, value)
    if kind != ChangeKind.REWORD:
        change.equivalent = False  # only a reword can keep the standard meaning
    problems = logic.change_problems(logic.load_version(adaptation.base_version), logic.change_data(change))
    if problems:
        raise ValidationError(problems)
    change.full_clean()
    _save(change, acting_user)
    return change


@transaction.atomic
def item_change_remove(*, change: ItemChange, acting_user: User | None) -> None:
    """Undo one change of a draft adaptation."""
    _check_draft(change.adaptation)
    _attribute(change, acting_user)
    change.delete()


@transaction.atomic
def adaptation_publish(*, adaptation: Adaptation, acting_user: User | None) -> Adaptation:
    """Publish a draft adaptation: the resolved tool must be valid and its standard version still
    published (else upgrade first); the authority's previously published adaptation is retired."""
    adaptation = (
        Adaptation.objects.select_for_update()
        .select_related("adoption__authority", "adoption__tool", "base_version")
        .get(pk=adaptation.pk)
    )
    if adaptation.status != VersionStatus.DRAFT:
        raise ValidationError(f"{adaptation} is {adaptation.status}: only a draft can be published.")
    base = adaptation.base_version
    if base.status != VersionStatus.PUBLISHED:
        latest = _latest_published(adaptation.adoption.tool)
        newer = f" to v{latest.number}" if latest else ""
        raise ValidationError(
            f"This adaptation is based on {base}, which is {base.status}: upgrade it{newer} before publishing."
        )
    problems = logic.adaptation_problems(logic.load_version(base), logic.load_adaptation(adaptation))
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    for previous in adaptation.adoption.adaptations.filter(status=VersionStatus.PUBLISHED):
        previous.status = VersionStatus.RETIRED
        previous.retired_at = now
        _save(previous, acting_user)
    adaptation.status = VersionStatus.PUBLISHED
    adaptation.published_at = now
    adaptation.published_by = acting_user
    _save(adaptation, acting_user)
    if adaptation.adoption.mode != AdoptionMode.ADAPT:
        adaptation.adoption.mode = AdoptionMode.ADAPT
        _save(adaptation.adoption, acting_user)
    return adaptation


@transaction.atomic
def adaptation_upgrade(
    *, adaptation: Adaptation, acting_user: User | None, target_version: ToolVersion | None = None
) -> tuple[Adaptation, logic.UpgradeReport]:
    """Move the adaptation onto a newer standard version (the latest published one by default).

    Returns the new draft and the report: what the standard added, removed, reworded and moved, and
    for each of the authority's changes whether it applies or conflicts. Changes that apply, and
    rewords the standard also reworded, are carried into the draft; conflicts that cannot be carried
    (the item or section is gone, the item became core) stay in the report with their wording.
    Upgrading a draft rebases it in place; upgrading a published adaptation makes a new draft (it
    refuses if another draft exists, so no work is overwritten).
    """
    adaptation = Adaptation.objects.select_related("adoption__tool", "base_version").get(pk=adaptation.pk)
    tool = adaptation.adoption.tool
    target = target_version or _latest_published(tool)
    if target is None or target.tool_id != tool.pk or target.status != VersionStatus.PUBLISHED:
        raise ValidationError(f"Choose a published version of {tool.name} to upgrade to.")
    if target.number <= adaptation.base_version.number:
        raise ValidationError(
            f"This adaptation is based on v{adaptation.base_version.number}: it can only move to a newer version."
        )
    report = logic.plan_upgrade(
        logic.load_version(adaptation.base_version),
        logic.load_version(target),
        logic.load_adaptation(adaptation),
    )
    if adaptation.status == VersionStatus.DRAFT:
        draft = adaptation
        for change in draft.changes.all():
            _attribute(change, acting_user)
            change.delete()
        draft.base_version = target
        _save(draft, acting_user)
    else:
        other = adaptation.adoption.adaptations.filter(status=VersionStatus.DRAFT).first()
        if other is not None:
            raise ValidationError(
                f"There is already a draft adaptation (v{other.number}): publish it, delete it or upgrade it instead."
            )
        draft = Adaptation(
            adoption=adaptation.adoption, number=_next_number(adaptation.adoption), base_version=target
        )
        draft.full_clean()
        _save(draft, acting_user)
    _create_changes(draft, logic.carried_changes(report), acting_user)
    return draft, report
