"""The QA tool library and its adoption by authorities.

- A ``Tool`` (standard when ``authority`` is empty, else an authority's own) has ``ToolVersion``s:
  draft → published → retired. A version holds ordered ``Section``s and ``Item``s; an item's ``key``
  is stable across versions, so answers given against any version line up under the same key.
- A published or retired version never changes: the model layer refuses to save or delete it,
  its sections or its items, one row at a time or in bulk (``VersionFrozen``).
- An authority uses a standard tool through an ``Adoption``: adopted whole (it follows the
  standard's published versions) or adapted. An ``Adaptation`` is itself versioned: it names the
  standard version it derives from and lists its ``ItemChange``s (reword, hide, add, reorder, local
  guidance). ``audits.adaptation`` resolves standard version + changes into the tool people use.
- ``Response`` and ``Answer``: answers to one resolved tool, pointing at the exact version (and
  adaptation) they were given against, keyed by the stable item key.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Authority
from fidelity.models import ResultsNode, RubricElement


class VersionFrozen(ValidationError):
    """A published or retired version (or adaptation) was about to change."""


class ToolKind(models.TextChoices):
    CASE_AUDIT = "case_audit", "Case audit"
    IMPLEMENTATION_SCALE = "implementation_scale", "Implementation self-scale"
    STAFF_SURVEY = "staff_survey", "Staff survey"
    FAMILY_FEEDBACK = "family_feedback", "Family feedback"
    CHILD_FEEDBACK = "child_feedback", "Child feedback"
    SUPERVISION_AUDIT = "supervision_audit", "Supervision audit"
    PRACTICE_OBSERVATION = "practice_observation", "Practice observation"
    WORKSHOP_POLL = "workshop_poll", "Workshop poll"


class ItemType(models.TextChoices):
    RUBRIC = "rubric", "Rubric level"
    SCALE = "scale", "0–10 scale"
    YES_PARTLY_NO = "yes_partly_no", "Yes / partly / no"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    TEXT = "text", "Free text"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class ToolQuerySet(models.QuerySet["Tool"]):
    def for_user(self, user) -> "ToolQuerySet":
        """The standard library for everyone who works on the platform, plus their authorities' own tools."""
        from accounts import access

        if access.is_platform_admin(user):
            return self.all()
        if not access.memberships(user):
            return self.none()
        return self.filter(Q(authority__isnull=True) | Q(authority_id__in=access.authority_ids(user)))


class Tool(models.Model):
    key = models.SlugField(max_length=60, unique=True, help_text="Stable identifier, e.g. case-audit.")
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=30, choices=ToolKind.choices)
    description = models.TextField(blank=True)
    authority = models.ForeignKey(
        Authority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_tools",
        help_text="Empty for the standard library; set for a tool an authority made for itself.",
    )
    history = HistoricalRecords()

    objects = ToolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_standard(self) -> bool:
        return self.authority_id is None


class FreezableQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes that would touch rows of a frozen version."""

    frozen_filter: dict = {}
    status_fields: frozenset[str] = frozenset()

    def _frozen(self) -> "FreezableQuerySet":
        return self.filter(**self.frozen_filter)

    def update(self, **kwargs):
        if set(kwargs) - self.status_fields and self._frozen().exists():
            raise VersionFrozen("Published and retired versions cannot change.")
        return super().update(**kwargs)

    def delete(self):
        if self._frozen().exists():
            raise VersionFrozen("Published and retired versions cannot be deleted.")
        return super().delete()


class ToolVersionQuerySet(FreezableQuerySet):
    frozen_filter = {"status__in": [VersionStatus.PUBLISHED, VersionStatus.RETIRED]}
    status_fields = frozenset({"status", "retired_at"})


class FrozenUnlessDraft(models.Model):
    """Shared by tool versions and adaptations: editable while a draft, then only retired."""

    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    notes = models.TextField(blank=True, help_text="What changed in this version, for the people who use it.")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    # Moves allowed once published: to retired, and nothing else.
    FROZEN_MOVES = {(VersionStatus.PUBLISHED, VersionStatus.RETIRED)}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        stored = self._stored_state()
        if stored is not None and stored["status"] != VersionStatus.DRAFT:
            changed = {
                field.attname
                for field in self._meta.concrete_fields
                if getattr(self, field.attname) != stored[field.attname]
            }
            move = (stored["status"], self.status)
            if changed - {"status", "retired_at"} or (changed and move not in self.FROZEN_MOVES):
                raise VersionFrozen(f"{self} is {stored['status']} and can no longer change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = self._stored_state()
        if stored is not None and stored["status"] != VersionStatus.DRAFT:
            raise VersionFrozen(f"{self} is {stored['status']} and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def _stored_state(self) -> dict[str, Any] | None:
        if self.pk is None:
            return None
        row = type(self)._default_manager.filter(pk=self.pk).values().first()
        return dict(row) if row is not None else None


class ToolVersion(FrozenUnlessDraft):
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version this one started as a copy of.",
    )
    history = HistoricalRecords()

    objects = ToolVersionQuerySet.as_manager()

    class Meta:
        ordering = ["tool", "-number"]
        constraints = [models.UniqueConstraint(fields=["tool", "number"], name="tool_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.tool.name} v{self.number}"


class VersionPartQuerySet(FreezableQuerySet):
    frozen_filter = {"version__status__in": [VersionStatus.PUBLISHED, VersionStatus.RETIRED]}


class VersionPart(models.Model):
    """A section or item: editable only while its version is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_editable()
        return super().delete(*args, **kwargs)

    def _check_editable(self) -> None:
        version_id = self.version_id  # type: ignore[attr-defined]
        status = ToolVersion.objects.filter(pk=version_id).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT:
            raise VersionFrozen(f"Version {version_id} is {status}: its sections and items cannot change.")


class Section(VersionPart):
    version = models.ForeignKey(ToolVersion, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="section_key_unique_in_version")
        ]

    def __str__(self) -> str:
        return self.title


class Item(VersionPart):
    version = models.ForeignKey(ToolVersion, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=60, help_text="Stable across versions: answers are kept under it.")
    order = models.PositiveSmallIntegerField(default=0)
    type = models.CharField(max_length=20, choices=ItemType.choices)
    text = models.TextField(help_text="The question or prompt, in plain English.")
    guidance = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    is_core = models.BooleanField(default=False, help_text="Core items cannot be hidden and are benchmarked.")
    rubric_element = models.ForeignKey(
        RubricElement, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    node = models.ForeignKey(
        ResultsNode, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    # Choices: [{"value": "...", "label": "..."}]; 0–10 anchors: {"0": "...", "10": "..."};
    # rubric descriptors per level, overriding the element's: {"1": "...", ...}.
    options = models.JSONField(default=list, blank=True)
    anchors = models.JSONField(default=dict, blank=True)
    descriptors = models.JSONField(default=dict, blank=True)
    history = HistoricalRecords()

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        ordering = ["version", "section__order", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="item_key_unique_in_version")]

    def __str__(self) -> str:
        return f"{self.key}: {self.text[:60]}"


class AdoptionMode(models.TextChoices):
    ADOPT = "adopt", "Adopted whole (follows the standard)"
    ADAPT = "adapt", "Adapted for this authority"


class AdoptionQuerySet(models.QuerySet["Adoption"]):
    def for_user(self, user) -> "AdoptionQuerySet":
        from accounts import access

        if access.is_platform_admin(user):
            return self.all()
        return self.filter(authority_id__in=access.authority_ids(user))


class Adoption(models.Model):
    """An authority uses this standard tool (tools without an adoption are not in use there)."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="adoptions")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="adoptions")
    mode = models.CharField(max_length=10, choices=AdoptionMode.choices, default=AdoptionMode.ADOPT)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = AdoptionQuerySet.as_manager()

    class Meta:
        ordering = ["authority", "tool"]
        constraints = [models.UniqueConstraint(fields=["authority", "tool"], name="one_adoption_per_tool")]

    def __str__(self) -> str:
        return f"{self.tool} in {self.authority.name}"


class AdaptationQuerySet(FreezableQuerySet):
    frozen_filter = {"status__in": [VersionStatus.PUBLISHED, VersionStatus.RETIRED]}
    status_fields = frozenset({"status", "retired_at"})

    def for_user(self, user) -> "AdaptationQuerySet":
        from accounts import access

        if access.is_platform_admin(user):
            return self.all()
        return self.filter(adoption__authority_id__in=access.authority_ids(user))


class Adaptation(FrozenUnlessDraft):
    """One version of an authority's adaptation of a standard tool."""

    adoption = models.ForeignKey(Adoption, on_delete=models.CASCADE, related_name="adaptations")
    number = models.PositiveSmallIntegerField()
    base_version = models.ForeignKey(
        ToolVersion,
        on_delete=models.PROTECT,
        related_name="adaptations",
        help_text="The standard version this adaptation derives from.",
    )
    history = HistoricalRecords()

    objects = AdaptationQuerySet.as_manager()

    class Meta:
        ordering = ["adoption", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["adoption", "number"], name="adaptation_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.adoption.tool.name} as adapted by {self.adoption.authority.name}, v{self.number}"


class ChangeKind(models.TextChoices):
    REWORD = "reword", "Reword the item (text and level descriptors)"
    HIDE = "hide", "Hide the item (not for core items)"
    ADD = "add", "Add a local item"
    MOVE = "move", "Move the item (section and order)"
    GUIDANCE = "guidance", "Add local guidance"


class ItemChangeQuerySet(FreezableQuerySet):
    frozen_filter = {"adaptation__status__in": [VersionStatus.PUBLISHED, VersionStatus.RETIRED]}


class ItemChange(models.Model):
    """One way an adaptation differs from its standard version, for one item key."""

    adaptation = models.ForeignKey(Adaptation, on_delete=models.CASCADE, related_name="changes")
    item_key = models.SlugField(max_length=60)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    text = models.TextField(blank=True, help_text="Reword: the new wording. Add: the local item's text.")
    descriptors = models.JSONField(
        default=dict, blank=True, help_text="Reword: level descriptors {level: text}."
    )
    guidance = models.TextField(blank=True)
    equivalent = models.BooleanField(
        default=False,
        help_text="Reword only: the meaning is unchanged, so the item stays comparable across authorities.",
    )
    section_key = models.SlugField(max_length=60, blank=True, help_text="Add/move: the section it goes in.")
    order = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Add/move: its position.")
    # Add only: the local item's definition, as on Item.
    type = models.CharField(max_length=20, choices=ItemType.choices, blank=True)
    required = models.BooleanField(default=False)
    options = models.JSONField(default=list, blank=True)
    anchors = models.JSONField(default=dict, blank=True)
    history = HistoricalRecords()

    objects = ItemChangeQuerySet.as_manager()

    class Meta:
        ordering = ["adaptation", "item_key", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["adaptation", "item_key", "kind"], name="one_change_per_kind_and_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.item_key}"

    def save(self, *args, **kwargs):
        self._check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_editable()
        return super().delete(*args, **kwargs)

    def _check_editable(self) -> None:
        status = Adaptation.objects.filter(pk=self.adaptation_id).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT:
            raise VersionFrozen(f"Adaptation {self.adaptation_id} is {status}: its changes cannot change.")


class ResponseQuerySet(models.QuerySet["Response"]):
    def for_user(self, user) -> "ResponseQuerySet":
        from accounts import access

        return self.filter(authority_id__in=access.authority_ids(user, access.AUTHORITY_WIDE_ROLES))


class Response(models.Model):
    """Answers to one tool as an authority uses it, tied to the exact version they were given against."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="responses")
    tool_version = models.ForeignKey(ToolVersion, on_delete=models.PROTECT, related_name="responses")
    adaptation = models.ForeignKey(
        Adaptation, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.tool_version}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item_key = models.SlugField(max_length=60)
    value = models.JSONField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "item_key"], name="one_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.item_key} = {self.value!r}"
