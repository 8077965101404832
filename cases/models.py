"""Case activity as the statutory returns describe it.

Identities follow ``shared/spec/measures.md``: a child is (authority, LA child id); each event is
(child, its start date). Importing the same record again updates it in place.

Data minimisation: the birth month is stored, never the date of birth; postcodes keep only their
outward part; UPNs and names are never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import Authority, Team

SEX_CODES = {"0": "not known", "1": "male", "2": "female", "9": "not specified"}


class ChildQuerySet(models.QuerySet["Child"]):
    def for_user(self, user) -> "ChildQuerySet":
        """The cases the user reads, the one answer every case page, list and search starts from.

        QA leads and leaders: every child of their authority. Practitioners and team managers: as
        their authority's ``practitioner_case_scope`` says, the children of their own team
        ("team", the default) or every child of the authority ("authority"); and, either way, the
        child of every audit they may open (``Audit.objects.for_user``: the audits they hold or
        moderate, and a manager's team's audits)."""
        from accounts import access
        from audits.models import Audit

        case_authorities = access.authority_ids(user, access.CASE_ROLES)
        every_case = access.every_case_authority_ids(user)
        condition = Q(authority_id__in=every_case)
        if case_authorities - every_case:
            audited = Audit.objects.for_user(user).values("child_id")
            condition |= Q(team_id__in=access.case_team_ids(user)) | Q(pk__in=audited)
        return self.filter(condition, authority_id__in=case_authorities)


class Child(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="children")
    la_child_id = models.CharField("LA child ID", max_length=40)
    birth_month = models.DateField(null=True, blank=True, help_text="First day of the month of birth.")
    sex = models.CharField(
        max_length=10, blank=True, help_text="Code as returned (CIN Sex/GenderCurrent, SSDA903 SEX)."
    )
    ethnicity = models.CharField(max_length=10, blank=True)
    disabilities = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "children"
        ordering = ["la_child_id"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "la_child_id"], name="child_unique_in_authority")
        ]

    def __str__(self) -> str:
        return self.la_child_id

    @property
    def sex_label(self) -> str:
        """The DfE sex/gender code in words (0 not known, 1 male, 2 female, 9 not specified)."""
        return SEX_CODES.get(self.sex, self.sex)


class ChildEvent(models.Model):
    """Common shape: every event belongs to one child and is identified by its start date."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Referral(ChildEvent):
    """A CIN episode: from the referral to its closure (CINdetails)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="referrals")
    referral_date = models.DateField()
    referral_source = models.CharField(max_length=4, blank=True)
    primary_need = models.CharField(max_length=4, blank=True)
    nfa = models.BooleanField("no further action", null=True, blank=True)
    closure_date = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=4, blank=True)
    initial_cpc_date = models.DateField(null=True, blank=True, help_text="DateOfInitialCPC of the episode.")

    class Meta:
        ordering = ["referral_date"]
        constraints = [models.UniqueConstraint(fields=["child", "referral_date"], name="referral_identity")]
        indexes = [
            models.Index(fields=["referral_date"]),
            # The case list's "open child in need episode" (few referrals of a child are open).
            models.Index(
                fields=["child"], condition=models.Q(closure_date__isnull=True), name="referral_open"
            ),
        ]

    def __str__(self) -> str:
        return f"referral of {self.child_id} on {self.referral_date}"


class Assessment(ChildEvent):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="assessments")
    start_date = models.DateField()
    internal_review_date = models.DateField(null=True, blank=True)
    authorisation_date = models.DateField(null=True, blank=True)
    factors = models.JSONField(default=list, blank=True)
    referral_date = models.DateField(null=True, blank=True, help_text="The episode it was recorded under.")

    class Meta:
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["child", "start_date"], name="assessment_identity")]
        indexes = [models.Index(fields=["authorisation_date"])]

    def __str__(self) -> str:
        return f"assessment of {self.child_id} on {self.start_date}"


class CINPlan(ChildEvent):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="cin_plans")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    referral_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "CIN plan"
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["child", "start_date"], name="cin_plan_identity")]

    def __str__(self) -> str:
        return f"CIN plan of {self.child_id} on {self.start_date}"


class Section47(ChildEvent):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="section47s")
    start_date = models.DateField()
    icpc_target = models.DateField("ICPC target", null=True, blank=True)
    icpc_date = models.DateField("initial child protection conference", null=True, blank=True)
    icpc_not_required = models.BooleanField("ICPC not required", null=True, blank=True)
    referral_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "section 47 enquiry"
        verbose_name_plural = "section 47 enquiries"
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["child", "start_date"], name="section47_identity")]
        indexes = [models.Index(fields=["icpc_date"])]

    def __str__(self) -> str:
        return f"section 47 of {self.child_id} on {self.start_date}"


class CPPlan(ChildEvent):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="cp_plans")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    initial_category = models.CharField(max_length=4, blank=True)
    latest_category = models.CharField(max_length=4, blank=True)
    previous_plans = models.PositiveSmallIntegerField(null=True, blank=True)
    review_dates = models.JSONField(default=list, blank=True)
    referral_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "child protection plan"
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["child", "start_date"], name="cp_plan_identity")]
        indexes = [models.Index(fields=["start_date"]), models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return f"CP plan of {self.child_id} on {self.start_date}"


class CareEpisode(ChildEvent):
    """A looked-after episode (SSDA903 Episodes, or Annex A list 8)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="care_episodes")
    start_date = models.DateField("DECOM")
    reason_new_episode = models.CharField("RNE", max_length=2, blank=True)
    legal_status = models.CharField("LS", max_length=4, blank=True)
    category_of_need = models.CharField("CIN", max_length=4, blank=True)
    placement = models.CharField("PLACE", max_length=4, blank=True)
    placement_provider = models.CharField("PLACE_PROVIDER", max_length=4, blank=True)
    end_date = models.DateField("DEC", null=True, blank=True)
    reason_end = models.CharField("REC", max_length=4, blank=True)
    reason_place_change = models.CharField(max_length=8, blank=True)
    home_postcode_district = models.CharField(max_length=4, blank=True, help_text="Outward part only.")
    placement_postcode_district = models.CharField(max_length=4, blank=True, help_text="Outward part only.")
    urn = models.CharField("URN", max_length=10, blank=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [models.UniqueConstraint(fields=["child", "start_date"], name="care_episode_identity")]
        indexes = [models.Index(fields=["start_date"]), models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return f"care episode of {self.child_id} on {self.start_date}"


class ImportFormat(models.TextChoices):
    CIN_CENSUS = "cin_census", "CIN census XML"
    SSDA903_HEADER = "ssda903_header", "SSDA903 header CSV"
    SSDA903_EPISODES = "ssda903_episodes", "SSDA903 episodes CSV"
    ANNEX_A = "annex_a", "Ofsted Annex A workbook"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    REJECTED = "rejected", "Rejected"


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def for_user(self, user) -> "ImportRunQuerySet":
        from accounts import access

        return self.filter(authority_id__in=access.authority_ids(user, access.AUTHORITY_WIDE_ROLES))


class ImportRun(models.Model):
    """One file imported into one authority: who, when, what was stored and what was rejected."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="import_runs")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    upload = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=20, choices=ImportFormat.choices, blank=True)
    allow_other_authority = models.BooleanField(
        default=False, help_text="Import a CIN census whose LEA is another authority's."
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stored = models.PositiveIntegerField(default=0, help_text="Records new to the platform.")
    updated = models.PositiveIntegerField(
        default=0, help_text="Records already present whose fields changed."
    )
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the whole file was rejected.")
    # The lease of an import under way (qa_system/leases.py): the process doing it, renewed while it works.
    owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # What the stored or changed records mean for the measures (read when the upload's last file is
    # in, to mark the authority's measures stale from the right period).
    changes_measures = models.BooleanField(
        default=True, help_text="False when no record a measure counts was stored or changed."
    )
    changed_from = models.DateField(
        null=True,
        blank=True,
        help_text="Earliest date of the records stored or changed; empty: from the start "
        "(a child moved between teams).",
    )

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.authority.code}"


# --- The Signs of Safety practice record of a case --------------------------------------------
# Read and updated by audits rather than re-keyed; also imported from a CSV export of the
# case-recording system (cases.practice_import documents the column layout). Names of family or
# network members are not stored: roles and relationships are enough for QA.


class PracticeRecordQuerySet(models.QuerySet):
    def for_user(self, user) -> "PracticeRecordQuerySet":
        return self.filter(child__in=Child.objects.for_user(user))


class PracticeRecord(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Every change a person makes to the record is kept: who, when, before and after.
    history = HistoricalRecords(inherit=True)

    objects = PracticeRecordQuerySet.as_manager()

    class Meta:
        abstract = True


class SafetyMap(PracticeRecord):
    """An assessment and planning map of the case (the three columns and the judgement)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="safety_maps")
    mapped_on = models.DateField()
    with_family = models.BooleanField(
        default=True, help_text="Mapped with the family, not only by professionals."
    )

    class Meta:
        ordering = ["-mapped_on"]

    def __str__(self) -> str:
        return f"Map of {self.child_id} on {self.mapped_on}"


class DangerStatement(PracticeRecord):
    """What will happen to the child if nothing changes, paired with its safety goal."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="danger_statements")
    statement = models.TextField()
    safety_goal = models.TextField(blank=True)
    written_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["written_on", "pk"]

    def __str__(self) -> str:
        return self.statement[:60]


class Respondent(models.TextChoices):
    PARENT = "parent", "Parent or carer"
    CHILD = "child", "Child"
    WORKER = "worker", "Worker"
    NETWORK = "network", "Network member"


class Scaling(PracticeRecord):
    """A 0–10 safety judgement by one respondent on one date: of a danger statement, or overall."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="scalings")
    danger_statement = models.ForeignKey(
        DangerStatement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scalings",
        help_text="Empty for the overall safety scale.",
    )
    respondent = models.CharField(max_length=10, choices=Respondent.choices)
    value = models.PositiveSmallIntegerField()
    scaled_on = models.DateField()
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["scaled_on", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(value__lte=10), name="scaling_0_to_10")]

    def __str__(self) -> str:
        return f"{self.respondent} {self.value}/10 on {self.scaled_on}"


class NetworkMember(PracticeRecord):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="network_members")
    relationship = models.CharField(max_length=80, help_text="e.g. maternal grandmother, neighbour, teacher.")
    role = models.CharField(max_length=200, blank=True, help_text="What they do in the safety plan.")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["joined_on", "pk"]

    def __str__(self) -> str:
        return self.relationship


class SafetyPlan(PracticeRecord):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="safety_plans")
    agreed_on = models.DateField()
    reviewed_on = models.DateField(null=True, blank=True)
    family_owned = models.BooleanField(
        default=True, help_text="Rules written with and owned by the family and network."
    )

    class Meta:
        ordering = ["-agreed_on"]

    def __str__(self) -> str:
        return f"Safety plan of {self.child_id} agreed {self.agreed_on}"


class VoiceTool(models.TextChoices):
    THREE_HOUSES = "three_houses", "Three Houses"
    WORDS_PICTURES = "words_pictures", "Words and Pictures"
    WIZARD_FAIRY = "wizard_fairy", "Wizard and Fairy"
    SAFETY_HOUSE = "safety_house", "Safety House"


class ChildVoiceRecord(PracticeRecord):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="voice_records")
    tool = models.CharField(max_length=20, choices=VoiceTool.choices)
    used_on = models.DateField()

    class Meta:
        ordering = ["-used_on"]

    def __str__(self) -> str:
        return f"{self.get_tool_display()} on {self.used_on}"


class Conference(PracticeRecord):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="conferences")
    held_on = models.DateField()
    kind = models.CharField(
        max_length=12,
        choices=[("initial", "Initial"), ("review", "Review"), ("network", "Network meeting")],
        default="review",
    )
    format = models.CharField(
        max_length=15, choices=[("participatory", "Participatory"), ("traditional", "Traditional")]
    )
    participants = models.JSONField(
        default=list, blank=True, help_text='Roles who took part, e.g. ["parent", "child"].'
    )

    class Meta:
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.get_kind_display().lower()} on {self.held_on}"
