"""Staff survey waves and their anonymous responses.

- A ``SurveyWave`` is programme-wide: every authority's staff answer the same published standard
  staff survey version between ``opens_on`` and ``closes_on``. A follow-up wave names its baseline,
  so the action research report can show the change. Waves are edited by the programme team, with
  their history.
- ``WaveParticipation`` records only *that* a person answered a wave, never what: it is what makes
  "once per wave" enforceable.
- ``SurveyResponse`` and ``SurveyAnswer`` hold *what* was answered, with the authority and (if the
  person chose to give it) the team, and nothing that leads back to the person.

Anonymity is the deliberate exception to "every write a person makes is attributable": a response
has no user, no timestamp and no history (django-simple-history would store the time of the write
and the user who made it), and its primary key is a random UUID, so that neither an id sequence nor
a creation time can be lined up with the participations written in the same transaction. The wave's
dates are the only period a response has. Results are shown only for groups of at least five
responses, and only once the wave has closed (``surveys.selectors``).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Authority, Team
from audits.models import ToolKind, ToolVersion, VersionStatus


class WaveKind(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    FOLLOW_UP = "follow_up", "Follow-up"


class SurveyWaveQuerySet(models.QuerySet["SurveyWave"]):
    def for_user(self, user) -> "SurveyWaveQuerySet":
        """Waves are the programme's, not an authority's: everyone who takes part sees them."""
        from accounts import access

        if access.takes_part_in_programme(user):
            return self.all()
        return self.none()

    def open_on(self, day) -> "SurveyWaveQuerySet":
        return self.filter(opens_on__lte=day, closes_on__gte=day)


class SurveyWave(models.Model):
    name = models.CharField(max_length=120, unique=True, help_text="e.g. Staff survey, spring 2026.")
    tool_version = models.ForeignKey(
        ToolVersion,
        on_delete=models.PROTECT,
        related_name="survey_waves",
        limit_choices_to={
            "tool__kind": ToolKind.STAFF_SURVEY,
            "tool__authority__isnull": True,
            "status": VersionStatus.PUBLISHED,
        },
        help_text="A published version of the standard staff survey.",
    )
    kind = models.CharField(max_length=10, choices=WaveKind.choices, default=WaveKind.BASELINE)
    baseline = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        limit_choices_to={"kind": WaveKind.BASELINE},
        help_text="For a follow-up: the baseline wave its results are compared with.",
    )
    opens_on = models.DateField()
    closes_on = models.DateField(help_text="The last day on which staff can answer.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = SurveyWaveQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            errors["closes_on"] = "A wave closes on or after the day it opens."
        if self.tool_version_id is not None:
            version = self.tool_version
            if (
                version.tool.kind != ToolKind.STAFF_SURVEY
                or version.tool.authority_id is not None
                or version.status != VersionStatus.PUBLISHED
            ):
                errors["tool_version"] = "Choose a published version of the standard staff survey."
        if self.kind == WaveKind.FOLLOW_UP:
            if self.baseline is None:
                errors["baseline"] = "A follow-up wave names the baseline it is compared with."
            elif self.baseline.kind != WaveKind.BASELINE:
                errors["baseline"] = "The baseline must be a baseline wave."
            elif self.opens_on and self.baseline.closes_on >= self.opens_on:
                errors["baseline"] = "A follow-up opens after its baseline has closed."
        elif self.baseline_id is not None:
            errors["baseline"] = "Only a follow-up wave has a baseline."
        if errors:
            raise ValidationError(errors)

    def is_open(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.opens_on <= day <= self.closes_on

    def has_closed(self, day=None) -> bool:
        """Results are shown only after the wave closes, so that no one can work out an answer by
        watching the figures change as people answer."""
        return (day or timezone.localdate()) > self.closes_on

    @property
    def status_text(self) -> str:
        today = timezone.localdate()
        if today < self.opens_on:
            return "Not open yet"
        return "Open" if self.is_open(today) else "Closed"


class WaveParticipation(models.Model):
    """That ``user`` has answered ``wave``: nothing about what they answered, and no time (the one
    write of the survey that names a person). It is written in the same transaction as the
    anonymous response, by ``surveys.services.survey_answer_submit``; no key, column or order joins
    the two."""

    wave = models.ForeignKey(SurveyWave, on_delete=models.PROTECT, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "user"],
                name="one_participation_per_wave_and_user",
                violation_error_message="You have already answered this survey wave.",
            )
        ]

    def __str__(self) -> str:
        return f"Answered {self.wave}"


class SurveyResponse(models.Model):
    """One anonymous set of answers to a wave: the authority and, when the person gave it, the
    team. Deliberately no user, no timestamp and no history (see the module docstring); the random
    UUID key has no order to match against participations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(SurveyWave, on_delete=models.PROTECT, related_name="responses")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="survey_responses")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )

    def __str__(self) -> str:
        return f"A response to {self.wave}"


class SurveyAnswer(models.Model):
    """One answer, under the stable item key of the tool version; its key is random too, so that the
    order answers were written in cannot be read from it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    item_key = models.SlugField(max_length=60)
    value = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item_key"], name="one_survey_answer_per_item")
        ]

    def __str__(self) -> str:
        return self.item_key
