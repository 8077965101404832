"""Feedback from anyone using the platform ("about anything, and about the next workshop plan"),
and the programme team's triage of it: new, in progress, done, with notes.

The author, the authority they were working in and the page they came from are kept, so that the
programme team can answer and see what a remark is about. Every change of status is in the
history (who and when); notes are their own rows with who wrote them and when.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import Authority


class Topic(models.TextChoices):
    ANYTHING = "anything", "Anything"
    NEXT_WORKSHOP = "next_workshop", "The next workshop plan"
    PAGE = "page", "This page or feature"
    PROBLEM = "problem", "Something is not working"


class FeedbackStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class FeedbackQuerySet(models.QuerySet["Feedback"]):
    def for_user(self, user) -> "FeedbackQuerySet":
        """The programme team and platform admins read all feedback; anyone else their own."""
        from accounts import access

        if access.may_triage_feedback(user):
            return self
        return self.filter(author_id=user.pk)


class Feedback(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback")
    authority = models.ForeignKey(
        Authority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        help_text="The authority the author was working in, if any.",
    )
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.ANYTHING)
    page = models.CharField(max_length=500, blank=True, help_text="The page the author came from.")
    text = models.TextField()
    status = models.CharField(max_length=20, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"
        indexes = [models.Index(fields=["status", "-created_at"], name="feedback_status_created")]

    def __str__(self) -> str:
        return f"Feedback {self.pk} ({self.get_topic_display()})"


class FeedbackNote(models.Model):
    """A note of the programme team on one piece of feedback: what was done, who was asked."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return f"Note on feedback {self.feedback_id}"
