"""Workshop polls, quarterly reflections and the quarterly journal (Domain brief §3).

- ``Workshop``: a workshop of the programme, with a short code that makes its poll's link
  (``/w/<code>/``); draft while the facilitator prepares its questions, open while people answer,
  then closed.
- ``WorkshopQuestion``: one question of a workshop's poll, copied from the standard tool
  ``workshop-poll`` (keeping its ``item_key`` and ``tool_version``) or added by the facilitator.
- ``PollAnswer``: one person's answer for their authority, kept verbatim. A facilitator can hide
  it from the results and the journal; the answer is kept and the hiding is in its history.
- ``QuarterlyReflection``: an authority's achievement and challenge of a quarter, written by its
  leaders and QA leads.
- ``Journal``: the quarterly journal of the workshop's visible answers, the quarter's reflections
  and the headline measures (``journal.selectors``). A draft is compiled whenever it is read; on
  publication what it shows is kept in ``snapshot``, which its page and PDF are served from ever
  after, so an answer or reflection edited or hidden later never changes a published journal.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import Authority
from reports import quarters

# No 0/O, 1/I/L: easy to read out in a room and to type on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


class WorkshopStatus(models.TextChoices):
    DRAFT = "draft", "Being prepared"
    OPEN = "open", "Open for answers"
    CLOSED = "closed", "Closed"


class WorkshopQuerySet(models.QuerySet["Workshop"]):
    def for_user(self, user) -> "WorkshopQuerySet":
        """Facilitators see every workshop; everyone else in the programme those that have opened."""
        from accounts import access

        if access.may_facilitate_workshops(user):
            return self
        if access.may_view_workshop(user):
            return self.exclude(status=WorkshopStatus.DRAFT)
        return self.none()


class Workshop(models.Model):
    title = models.CharField(max_length=200)
    held_on = models.DateField(help_text="The day of the workshop.")
    quarter = models.DateField(help_text="First day of the financial quarter the workshop looks back on.")
    code = models.CharField(
        max_length=CODE_LENGTH, unique=True, help_text="The short code of the poll's link: /w/CODE/."
    )
    status = models.CharField(max_length=10, choices=WorkshopStatus.choices, default=WorkshopStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%-d %B %Y})"

    @property
    def quarter_label(self) -> str:
        return quarters.quarter_label(self.quarter)

    @property
    def is_open(self) -> bool:
        return self.status == WorkshopStatus.OPEN

    @property
    def is_draft(self) -> bool:
        return self.status == WorkshopStatus.DRAFT


class WorkshopQuestionQuerySet(models.QuerySet["WorkshopQuestion"]):
    def for_user(self, user) -> "WorkshopQuestionQuerySet":
        return self.filter(workshop__in=Workshop.objects.for_user(user))


class WorkshopQuestion(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    item_key = models.SlugField(
        max_length=60,
        blank=True,
        help_text="The standard poll item it comes from (achievement, challenge, next-workshop); "
        "empty for a question the facilitator added.",
    )
    tool_version = models.ForeignKey(
        "audits.ToolVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version of the standard poll the question was copied from.",
    )
    required = models.BooleanField(default=False)
    history = HistoricalRecords()

    objects = WorkshopQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["workshop", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class PollAnswerQuerySet(models.QuerySet["PollAnswer"]):
    def for_user(self, user) -> "PollAnswerQuerySet":
        """Facilitators see every answer, hidden ones included; others the visible answers of
        workshops that have opened."""
        from accounts import access

        workshops = Workshop.objects.for_user(user)
        if access.may_facilitate_workshops(user):
            return self.filter(question__workshop__in=workshops)
        return self.filter(question__workshop__in=workshops, hidden=False)


class PollAnswer(models.Model):
    question = models.ForeignKey(WorkshopQuestion, on_delete=models.CASCADE, related_name="answers")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="poll_answers")
    text = models.TextField(help_text="As the person wrote it.")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField()
    hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = PollAnswerQuerySet.as_manager()

    class Meta:
        ordering = ["question", "authority__name", "answered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "authority", "answered_by"], name="poll_answer_one_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} to question {self.question_id}"


class QuarterlyReflectionQuerySet(models.QuerySet["QuarterlyReflection"]):
    def for_user(self, user) -> "QuarterlyReflectionQuerySet":
        """Reflections of the authorities the user works in; every one for the programme team, who
        compile them into the journal."""
        from accounts import access

        if access.may_edit_journal(user):
            return self
        return self.filter(authority_id__in=access.authority_ids(user))


class QuarterlyReflection(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="reflections")
    quarter = models.DateField(help_text="First day of the financial quarter reflected on.")
    achievement = models.TextField(help_text="The authority's biggest achievement of the quarter.")
    challenge = models.TextField(help_text="Its biggest challenge.")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    objects = QuarterlyReflectionQuerySet.as_manager()

    class Meta:
        ordering = ["-quarter", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "quarter"], name="reflection_one_per_quarter")
        ]

    def __str__(self) -> str:
        return f"Reflection of {self.authority} for {self.quarter_label}"

    @property
    def quarter_label(self) -> str:
        return quarters.quarter_label(self.quarter)


class JournalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class JournalQuerySet(models.QuerySet["Journal"]):
    def for_user(self, user) -> "JournalQuerySet":
        """Editors see drafts too; readers only published journals."""
        from accounts import access

        if access.may_edit_journal(user):
            return self
        if access.may_read_journal(user):
            return self.filter(status=JournalStatus.PUBLISHED)
        return self.none()


class Journal(models.Model):
    quarter = models.DateField(unique=True, help_text="First day of the financial quarter of the journal.")
    title = models.CharField(max_length=200)
    introduction = models.TextField(
        blank=True, help_text="From the programme team (plain text; blank lines start paragraphs)."
    )
    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journals",
        help_text="The workshop whose poll answers the journal prints.",
    )
    left_out = models.ManyToManyField(
        WorkshopQuestion,
        blank=True,
        related_name="+",
        help_text="Questions of the workshop the journal does not print.",
    )
    status = models.CharField(max_length=10, choices=JournalStatus.choices, default=JournalStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    snapshot = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="What the journal showed when it was published (``selectors.snapshot_of``); "
        "empty for a draft.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = JournalQuerySet.as_manager()

    class Meta:
        ordering = ["-quarter"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(snapshot__isnull=False),
                name="published_journal_has_snapshot",
                violation_error_message="A published journal keeps what it showed when published.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quarter_label(self) -> str:
        return quarters.quarter_label(self.quarter)

    @property
    def is_published(self) -> bool:
        return self.status == JournalStatus.PUBLISHED
