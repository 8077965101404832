"""Demo feedback: a few remarks from the demo personas, some triaged by the programme team.
Idempotent: feedback that is already there (same author and text) is left alone."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Authority, User
from feedback import services
from feedback.models import Feedback, FeedbackStatus, Topic

# (author, authority code, topic, page, text, status, note of the programme team)
DEMO_FEEDBACK = [
    (
        "alice",
        "991",
        Topic.PAGE,
        "/audits/",
        "Rating my own case before the audit conversation helped me think about what I was proud of. "
        "Could the self-rating page remember where I stopped when I get called away?",
        FeedbackStatus.DONE,
        "The form already saves each answer as you go; added a line at the top of the page to say so.",
    ),
    (
        "leah",
        "991",
        Topic.NEXT_WORKSHOP,
        "/outcomes/",
        "For the next workshop: half an hour on how other authorities brought re-referrals down, "
        "and what their team managers did differently.",
        FeedbackStatus.IN_PROGRESS,
        "On the draft agenda for the next workshop; asking two authorities to present.",
    ),
    (
        "charlie",
        "992",
        Topic.ANYTHING,
        "",
        "The family feedback questions work well on the phone. Families liked being asked "
        "'how much is this your plan' on a 0 to 10 scale.",
        FeedbackStatus.NEW,
        "",
    ),
    (
        "queenie",
        "993",
        Topic.PROBLEM,
        "/imports/",
        "Our SSDA903 episodes file was rejected because of the date format in one column. "
        "The message was clear, but can the importer accept DD/MM/YYYY as well?",
        FeedbackStatus.NEW,
        "",
    ),
    (
        "quade",
        "994",
        Topic.NEXT_WORKSHOP,
        "",
        "Could the next workshop look at supervision audits? We would like to hear how others "
        "keep them light and not a checklist.",
        FeedbackStatus.NEW,
        "",
    ),
]


class Command(BaseCommand):
    help = "Adds the demo's feedback and its triage (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        triager = User.objects.get(username="pam")
        added = 0
        for username, code, topic, page, text, status, note in DEMO_FEEDBACK:
            author = User.objects.get(username=username)
            if Feedback.objects.filter(author=author, text=text).exists():
                continue
            feedback = services.feedback_give(
                author=author, text=text, topic=topic, page=page, authority=Authority.objects.get(code=code)
            )
            if status == FeedbackStatus.DONE:
                services.feedback_set_status(
                    feedback=feedback, status=FeedbackStatus.IN_PROGRESS, acting_user=triager
                )
            services.feedback_set_status(feedback=feedback, status=status, acting_user=triager)
            if note:
                services.feedback_note_add(feedback=feedback, text=note, acting_user=triager)
            added += 1
        self.stdout.write(f"Demo feedback: {added} added.")
