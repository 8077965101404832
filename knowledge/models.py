"""The knowledge library and staff access to the knowledge bank.

A ``Resource`` is a piece of guidance (a link or an uploaded file) tied to rubric elements and
results-logic nodes, so that it is shown beside the audit items that rate them. A resource without
an authority belongs to the programme's library, read by everyone in the programme; a resource with
an authority is local, read only by that authority's staff.

A ``KnowledgeAccess`` records that a member of an authority has access to a licensed collection
(the Signs of Safety knowledge bank) until a date; reminders go out before it expires.
"""

from datetime import date
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Authority, Role
from fidelity.models import ResultsNode, RubricElement

ALLOWED_EXTENSIONS = ("pdf", "docx", "pptx", "xlsx", "png", "jpg", "jpeg")
MAX_FILE_BYTES = 20 * 1024 * 1024
# Reminders go out this many days before an access record expires (the latest first).
REMINDER_DAYS = (30, 7)
DEFAULT_COLLECTION = "Signs of Safety knowledge bank"


def validate_file_size(file) -> None:
    if file.size > MAX_FILE_BYTES:
        raise ValidationError(
            f"The file is {file.size / 1024 / 1024:.1f} MB: upload files of up to "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB, or link to where the resource is published."
        )


class ResourceKind(models.TextChoices):
    GUIDANCE = "guidance", "Guidance"
    TOOL = "tool", "Practice tool"
    VIDEO = "video", "Video"
    RESEARCH = "research", "Research"
    TRAINING = "training", "Training"


class ResourceQuerySet(models.QuerySet["Resource"]):
    def for_user(self, user) -> "ResourceQuerySet":
        """What the user may open: the programme's published library for everyone in the programme,
        and the published local resources of the authorities the user works in. People who manage
        a library also see its unpublished resources."""
        from accounts import access

        if not access.may_read_knowledge(user):
            return self.none()
        authority_ids = access.authority_ids(user)
        visible = Q(is_published=True) & (Q(authority__isnull=True) | Q(authority_id__in=authority_ids))
        if access.may_manage_knowledge(user):
            visible |= Q(authority__isnull=True)
        led = access.authority_ids(user, [Role.QA_LEAD])
        if led:
            visible |= Q(authority_id__in=led)
        return self.filter(visible)

    def for_authority(self, authority_id: int | None) -> "ResourceQuerySet":
        """Published resources shown in an authority's audit forms: the programme's and its own."""
        local = Q(authority_id=authority_id) if authority_id is not None else Q(pk__in=[])
        return self.filter(Q(authority__isnull=True) | local, is_published=True)


class Resource(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="Two or three sentences: what it is and when it helps.")
    kind = models.CharField(max_length=20, choices=ResourceKind.choices, default=ResourceKind.GUIDANCE)
    url = models.URLField(
        "link", max_length=500, blank=True, help_text="Where the resource is published (or upload a file)."
    )
    file = models.FileField(
        upload_to="knowledge/",
        blank=True,
        validators=[FileExtensionValidator(list(ALLOWED_EXTENSIONS)), validate_file_size],
        help_text="PDF, Word, PowerPoint, Excel, PNG or JPEG, up to 20 MB (or give a link).",
    )
    rubric_elements = models.ManyToManyField(
        RubricElement,
        blank=True,
        related_name="resources",
        help_text="Shown beside the audit items that rate these elements.",
    )
    nodes = models.ManyToManyField(
        ResultsNode,
        blank=True,
        related_name="resources",
        verbose_name="results-logic nodes",
        help_text="Shown beside the items that inform these nodes of the results logic.",
    )
    authority = models.ForeignKey(
        Authority,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="knowledge_resources",
        help_text="Empty for the programme's library (everyone); set for a local resource of one authority.",
    )
    is_published = models.BooleanField("published", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who added and changed it is in the history (history_user of each row).
    history = HistoricalRecords(m2m_fields=[rubric_elements, nodes])

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["authority", "is_published"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.url and self.file:
            raise ValidationError("Give either a link or a file, not both.")
        if not self.url and not self.file:
            raise ValidationError("Give a link to the resource or upload its file.")

    @property
    def is_local(self) -> bool:
        return self.authority_id is not None

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.file.name).name if self.file else ""


class KnowledgeAccessQuerySet(models.QuerySet["KnowledgeAccess"]):
    def for_user(self, user) -> "KnowledgeAccessQuerySet":
        """The records of the authorities the user manages access for, and the user's own."""
        from accounts import access

        if access.is_platform_admin(user):
            return self
        led = access.authority_ids(user, [Role.QA_LEAD])
        return self.filter(Q(authority_id__in=led) | Q(user_id=getattr(user, "pk", None)))

    def current(self, today: date) -> "KnowledgeAccessQuerySet":
        return self.filter(ended_on__isnull=True, expires_on__gte=today)


class KnowledgeAccess(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="knowledge_access")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="knowledge_access"
    )
    what = models.CharField(
        "collection", max_length=150, default=DEFAULT_COLLECTION, help_text="The licence or collection."
    )
    granted_on = models.DateField()
    expires_on = models.DateField(help_text="The last day of access.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_on = models.DateField(null=True, blank=True, help_text="Set when access was ended early.")
    # The latest reminder sent for the current expiry date (30, then 7 days before); cleared on extension.
    reminded_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    objects = KnowledgeAccessQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on", "pk"]
        verbose_name = "knowledge access"
        verbose_name_plural = "knowledge access"
        indexes = [models.Index(fields=["authority", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("granted_on")),
                name="knowledge_access_expires_after_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.what} until {self.expires_on:%d %b %Y}"

    def clean(self) -> None:
        if self.granted_on and self.expires_on and self.expires_on < self.granted_on:
            raise ValidationError({"expires_on": "Access cannot expire before it is granted."})

    def days_left(self, today: date) -> int:
        return (self.expires_on - today).days

    def state(self, today: date) -> str:
        """ "ended", "expired", "expiring" (within the first reminder) or "active"."""
        if self.ended_on is not None:
            return "ended"
        if self.expires_on < today:
            return "expired"
        if self.days_left(today) <= max(REMINDER_DAYS):
            return "expiring"
        return "active"
