"""Quick forms for the practice record: a few fields each, dates defaulting to today.

The forms only validate input; ``cases.practice`` services do the writes.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone

from cases.models import Child, DangerStatement, Respondent, VoiceTool

PARTICIPANT_CHOICES = [
    ("parent", "Parent or carer"),
    ("child", "Child"),
    ("network", "Network members"),
    ("school", "School"),
    ("health", "Health"),
    ("police", "Police"),
]


def _date(label: str, *, required: bool = True, today: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        initial=timezone.localdate if today else None,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class QuickForm(forms.Form):
    submit_label = "Add"

    def __init__(self, *args, child: Child, **kwargs):
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)
        self.child = child
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> carries the token
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-sm"))

    prefix_name = ""


class SafetyMapForm(QuickForm):
    prefix_name = "map"
    mapped_on = _date("Mapped on")
    with_family = forms.BooleanField(label="Mapped with the family", required=False, initial=True)


class DangerStatementForm(QuickForm):
    prefix_name = "danger"
    statement = forms.CharField(label="Danger statement", widget=forms.Textarea(attrs={"rows": 2}))
    safety_goal = forms.CharField(
        label="Safety goal", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    written_on = _date("Written on")


class ScalingForm(QuickForm):
    prefix_name = "scaling"
    danger_statement = forms.ModelChoiceField(
        queryset=DangerStatement.objects.none(),
        required=False,
        empty_label="Overall safety scale",
        label="Scale of",
    )
    respondent = forms.ChoiceField(choices=Respondent.choices, label="Who scaled")
    value = forms.IntegerField(min_value=0, max_value=10, label="Scale (0–10)")
    scaled_on = _date("On")
    rationale = forms.CharField(label="Why this number", required=False)

    def __init__(self, *args, child: Child, **kwargs):
        super().__init__(*args, child=child, **kwargs)
        field = self.fields["danger_statement"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = DangerStatement.objects.filter(child=child, closed_on__isnull=True)


class NetworkMemberForm(QuickForm):
    prefix_name = "network"
    relationship = forms.CharField(max_length=80, help_text="e.g. maternal grandmother; never a name.")
    role = forms.CharField(max_length=200, required=False, label="Role in the safety plan")
    joined_on = _date("Joined on")


class SafetyPlanForm(QuickForm):
    prefix_name = "plan"
    agreed_on = _date("Agreed on")
    reviewed_on = _date("Last reviewed", required=False, today=False)
    family_owned = forms.BooleanField(
        label="Written with and owned by the family", required=False, initial=True
    )


class VoiceToolForm(QuickForm):
    prefix_name = "voice"
    tool = forms.ChoiceField(choices=VoiceTool.choices)
    used_on = _date("Used on")


class ConferenceForm(QuickForm):
    prefix_name = "conference"
    held_on = _date("Held on")
    kind = forms.ChoiceField(
        choices=[("initial", "Initial"), ("review", "Review"), ("network", "Network meeting")],
        initial="review",
    )
    format = forms.ChoiceField(
        choices=[("participatory", "Participatory"), ("traditional", "Traditional")],
        widget=forms.RadioSelect,
        initial="participatory",
    )
    participants = forms.MultipleChoiceField(
        choices=PARTICIPANT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple, label="Took part"
    )
    others = forms.CharField(
        required=False, label="Others who took part", help_text="Roles, separated by commas."
    )

    def clean(self):
        data = super().clean()
        if data is not None:
            extra = [part for part in (data.get("others") or "").split(",") if part.strip()]
            data["participants"] = [*data.get("participants", []), *extra]
        return data


# Updates: one small form per kind of change.


class DangerStatementChangeForm(QuickForm):
    prefix_name = "danger_change"
    submit_label = "Save"
    safety_goal = forms.CharField(
        label="Safety goal", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    closed_on = _date("Closed on (the danger no longer applies)", required=False, today=False)


class NetworkMemberLeftForm(QuickForm):
    prefix_name = "network_left"
    submit_label = "Save"
    left_on = _date("Left the network on")


class SafetyPlanReviewForm(QuickForm):
    prefix_name = "plan_review"
    submit_label = "Save"
    reviewed_on = _date("Reviewed on")


ADD_FORMS: dict[str, type[QuickForm]] = {
    "map": SafetyMapForm,
    "danger_statement": DangerStatementForm,
    "scaling": ScalingForm,
    "network_member": NetworkMemberForm,
    "safety_plan": SafetyPlanForm,
    "voice_tool": VoiceToolForm,
    "conference": ConferenceForm,
}
