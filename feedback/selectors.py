"""Reads for the feedback pages: the triage inbox with its counts, and one's own feedback."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from feedback.models import Feedback, FeedbackStatus, Topic


@dataclass(frozen=True)
class Inbox:
    rows: list[Feedback]
    counts: dict[str, int]  # status -> number of pieces of feedback
    status: str
    topic: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _listed(queryset: QuerySet[Feedback]) -> QuerySet[Feedback]:
    return queryset.select_related("author", "authority").annotate(note_count=Count("notes"))


def inbox(*, user, status: str = "", topic: str = "", limit: int = 200) -> Inbox:
    """The triage inbox: the newest first, filtered by status and topic. Two queries."""
    queryset = Feedback.objects.for_user(user)
    counts = {value: 0 for value in FeedbackStatus.values}
    for row in queryset.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    status = status if status in FeedbackStatus.values else ""
    topic = topic if topic in Topic.values else ""
    if status:
        queryset = queryset.filter(status=status)
    if topic:
        queryset = queryset.filter(topic=topic)
    return Inbox(rows=list(_listed(queryset)[:limit]), counts=counts, status=status, topic=topic)


def own_feedback(*, user) -> list[Feedback]:
    """What the user sent, newest first, with its status (the notes stay with the programme team)."""
    return list(Feedback.objects.filter(author_id=user.pk).select_related("authority"))
