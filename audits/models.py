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


# --- The participatory audit ----------------------------------------------------------------
# States and allowed moves live in audits.workflow; services in audits.auditing change them.


class AuditStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SELF_ASSESSMENT = "self_assessment", "Practitioner self-assessment"
    CONVERSATION = "conversation", "Audit conversation"
    SUBMITTED = "submitted", "Submitted"
    MODERATION = "moderation", "In moderation"
    SIGNED_OFF = "signed_off", "Signed off"


class AuditSource(models.TextChoices):
    RANDOM = "random", "Random monthly sample"
    THEMATIC = "thematic", "Thematic sample"
    MANUAL = "manual", "Created by hand"


class SamplingPlanQuerySet(models.QuerySet["SamplingPlan"]):
    def for_user(self, user) -> "SamplingPlanQuerySet":
        from accounts import access

        return self.filter(authority_id__in=access.authority_ids(user, access.AUTHORITY_WIDE_ROLES))


class SamplingPlan(models.Model):
    """How an authority draws the cases it audits: a monthly random sample per team and type of case,
    or a thematic sample by filter. Drawn by a scheduled job on ``day_of_month``, or on demand."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="sampling_plans")
    name = models.CharField(max_length=120)
    source = models.CharField(max_length=10, choices=AuditSource.choices, default=AuditSource.RANDOM)
    tool = models.ForeignKey(
        Tool, on_delete=models.PROTECT, related_name="+", help_text="The audit tool used."
    )
    cin_per_team = models.PositiveSmallIntegerField("child in need cases per team", default=1)
    cp_per_team = models.PositiveSmallIntegerField("child protection cases per team", default=1)
    cla_per_team = models.PositiveSmallIntegerField("looked-after cases per team", default=1)
    theme = models.CharField(
        max_length=40, blank=True, help_text="Thematic samples: the filter (see audits.sampling)."
    )
    theme_size = models.PositiveSmallIntegerField(
        default=10, help_text="Thematic samples: at most this many cases."
    )
    exclude_audited_months = models.PositiveSmallIntegerField(
        default=6, help_text="Never draw a case audited within this many months."
    )
    moderation_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.10,
        help_text="Share of audits re-rated blind by a moderator.",
    )
    day_of_month = models.PositiveSmallIntegerField(
        default=1, help_text="The day each month the sample is drawn."
    )
    due_days = models.PositiveSmallIntegerField(
        default=28, help_text="Days from the draw to complete each audit."
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    objects = SamplingPlanQuerySet.as_manager()

    class Meta:
        ordering = ["authority", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority.name})"


class SampleDraw(models.Model):
    """One draw of a sampling plan, reproducible from its stored seed."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="draws")
    month = models.DateField(help_text="First day of the month the draw is for.")
    seed = models.BigIntegerField()
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.JSONField(
        default=dict, blank=True, help_text="Cases eligible and drawn per team and type."
    )

    class Meta:
        ordering = ["-drawn_at"]
        constraints = [models.UniqueConstraint(fields=["plan", "month"], name="one_draw_per_plan_and_month")]

    def __str__(self) -> str:
        return f"{self.plan.name}, {self.month:%B %Y}"


class AuditQuerySet(models.QuerySet["Audit"]):
    def for_user(self, user) -> "AuditQuerySet":
        """QA leads and leaders: their authorities' audits; team managers: their team's and the ones
        they audit; practitioners: audits of their own cases and the ones they audit."""
        from accounts import access
        from accounts.models import Role

        wide = access.authority_ids(user, access.AUTHORITY_WIDE_ROLES)
        condition = (
            Q(authority_id__in=wide)
            | Q(auditor_id=user.pk)
            | Q(practitioner_id=user.pk)
            | Q(moderation__moderator_id=user.pk)
        )
        for membership in access.memberships(user):
            if membership.role == Role.TEAM_MANAGER and membership.team_id:
                condition |= Q(authority_id=membership.authority_id, team_id=membership.team_id)
        if not access.memberships(user):
            return self.none()
        return self.filter(condition, authority_id__in=access.authority_ids(user))


class Audit(models.Model):
    """A participatory audit of one case, answered against the authority's resolved tool."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="audits")
    child = models.ForeignKey("cases.Child", on_delete=models.PROTECT, related_name="audits")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="audits"
    )
    tool_version = models.ForeignKey(ToolVersion, on_delete=models.PROTECT, related_name="audits")
    adaptation = models.ForeignKey(
        Adaptation, on_delete=models.PROTECT, null=True, blank=True, related_name="audits"
    )
    source = models.CharField(max_length=10, choices=AuditSource.choices, default=AuditSource.MANUAL)
    draw = models.ForeignKey(
        SampleDraw, on_delete=models.SET_NULL, null=True, blank=True, related_name="audits"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audits_as_practitioner",
        help_text="The practitioner allocated to the case.",
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audits_as_auditor",
        help_text="Manager, practice lead or peer who holds the audit conversation.",
    )
    status = models.CharField(max_length=20, choices=AuditStatus.choices, default=AuditStatus.PLANNED)
    due_on = models.DateField(null=True, blank=True)
    for_moderation = models.BooleanField(
        default=False, help_text="Sampled for blind re-rating by a moderator."
    )
    overall_level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The agreed overall grade (rubric level), set when submitted."
    )
    family_consent = models.CharField(
        max_length=12,
        choices=[("given", "Consent given"), ("declined", "Declined"), ("not_asked", "Not asked")],
        default="not_asked",
    )
    family_consent_note = models.TextField(blank=True, help_text="Why consent was not asked or was declined.")
    # Optimistic concurrency for the audit's own fields: each save states the revision it started from.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["authority", "status"]), models.Index(fields=["signed_off_at"])]

    def __str__(self) -> str:
        return f"Audit {self.pk} of {self.child}"

    @property
    def is_locked(self) -> bool:
        return self.status == AuditStatus.SIGNED_OFF


class AuditMove(models.Model):
    """Who moved the audit from which state to which, and when (the workflow's log)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="moves")
    from_status = models.CharField(max_length=20, choices=AuditStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AuditStatus.choices)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True, help_text="Why, when sent back.")
    is_send_back = models.BooleanField(default=False)

    class Meta:
        ordering = ["moved_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class AuditAnswer(models.Model):
    """One item of the audit. Rubric items carry three ratings (the practitioner's, the auditor's,
    the agreed one) and, when the first two differ, both views are kept with a reason; other items
    carry one ``value``. ``revision`` guards against two people overwriting each other."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="answers")
    item_key = models.SlugField(max_length=60)
    self_level = models.PositiveSmallIntegerField(null=True, blank=True)
    auditor_level = models.PositiveSmallIntegerField(null=True, blank=True)
    agreed_level = models.PositiveSmallIntegerField(null=True, blank=True)
    disagreement = models.TextField(
        blank=True, help_text="When the practitioner and auditor see it differently: both views and why."
    )
    evidence = models.TextField(blank=True)
    value = models.JSONField(null=True, blank=True, help_text="The answer to a non-rubric item.")
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["audit", "item_key"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "item_key"], name="one_audit_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}/{self.item_key}"


class FeedbackChannel(models.TextChoices):
    PHONE = "phone", "By phone"
    VISIT = "visit", "On a visit"
    LINK = "link", "Through a link"


class FeedbackRequest(models.Model):
    """The family's or the child's voice for an audit: a feedback tool answered by phone, on a
    visit, or by the family through a private link (``token``)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="feedback")
    respondent = models.CharField(max_length=10, choices=[("family", "Family"), ("child", "Child")])
    channel = models.CharField(max_length=10, choices=FeedbackChannel.choices)
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="feedback_request"
    )
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["audit", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_respondent_display()} feedback for audit {self.audit_id}"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Waiting for the manager"
    RESPONDED = "responded", "Manager responded"
    CLOSED = "closed", "Closed"


class SafetyEscalationQuerySet(models.QuerySet["SafetyEscalation"]):
    def for_user(self, user) -> "SafetyEscalationQuerySet":
        from accounts import access

        mine = self.filter(audit__in=Audit.objects.for_user(user)) | self.filter(manager_id=user.pk)
        return mine.filter(audit__authority_id__in=access.authority_ids(user))


class SafetyEscalation(models.Model):
    """An auditor's concern that the child may be unsafe: the team manager must respond by a deadline."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="escalations")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    concern = models.TextField()
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalations_to_answer"
    )
    respond_by = models.DateTimeField()
    status = models.CharField(max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = SafetyEscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"Safety escalation on audit {self.audit_id}"


class LearningActionQuerySet(models.QuerySet["LearningAction"]):
    def for_user(self, user) -> "LearningActionQuerySet":
        from accounts import access

        return self.filter(team__authority_id__in=access.authority_ids(user))


class LearningAction(models.Model):
    """A specific action from an audit (1–3 per audit), or a team learning point, with an owner and a due date."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, null=True, blank=True, related_name="actions")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="learning_actions")
    kind = models.CharField(
        max_length=10, choices=[("case", "Case action"), ("team", "Team learning point")], default="case"
    )
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="learning_actions"
    )
    due_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_reminded_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    objects = LearningActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


class Moderation(models.Model):
    """A blind re-rating of a submitted audit by a moderator, who may overturn the overall grade."""

    audit = models.OneToOneField(Audit, on_delete=models.CASCADE, related_name="moderation")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderations"
    )
    reason_selected = models.CharField(
        max_length=12,
        choices=[("sample", "Random share"), ("not_evident", "Graded not evident"), ("outlier", "Outlier")],
    )
    ratings = models.JSONField(default=dict, blank=True, help_text="item key → the moderator's level.")
    overturned_level = models.PositiveSmallIntegerField(null=True, blank=True)
    overturn_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Moderation of audit {self.audit_id}"
