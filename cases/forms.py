from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from accounts.models import Team
from cases.selectors import CaseStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    returns = MultipleFileField(
        label="Returns",
        help_text="One or several files: CIN census XML, SSDA903 header and episodes CSVs, Ofsted Annex A workbooks.",
    )
    allow_other_authority = forms.BooleanField(
        required=False,
        label="The files belong here even if a CIN census names another LA number",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        returns = self.fields["returns"]
        returns.help_text = (
            f"{returns.help_text} Up to {filesizeformat(settings.QA_IMPORT_MAX_BYTES)} in one upload."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Import"))


class CaseFilterForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="All teams")
    status = forms.ChoiceField(choices=[("", "Any status"), *CaseStatus.CHOICES], required=False)
    referred_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Referred from"
    )
    referred_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="to")

    def __init__(self, *args, authority_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(authority_id=authority_id)
