"""Forms of the tool-library admin.

The forms check what a person can get wrong in one row (an item in another version's section, a
change naming an item the standard version does not have, hiding a core item), with the rules of
``audits.adaptation``; the services check the whole version or adaptation again when it is published.
"""

from django import forms
from django.template.defaultfilters import filesizeformat

from audits import adaptation as logic
from audits.models import ChangeKind, Item, ItemChange, ItemType, Tool

SMALL_TEXT = {"rows": 2, "cols": 34}
SMALL_JSON = {"rows": 2, "cols": 26}
NARROW_SELECT = {"class": "narrow-select"}  # static/css/admin.css


class ToolForm(forms.ModelForm):
    """A tool. QA leads create tools of an authority they lead; platform admins standard tools."""

    class Meta:
        model = Tool
        fields = ["key", "name", "kind", "description", "authority"]

    def __init__(self, *args, authorities=None, authority_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("authority")
        if field is not None:
            if authorities is not None:
                field.queryset = authorities  # type: ignore[attr-defined]
            field.required = authority_required
            if authority_required:
                field.help_text = "The authority this tool belongs to (one you lead)."


class XLSFormImportForm(forms.Form):
    """The workbook to import as a new draft version. Whether it is a readable XLSForm is for
    ``audits.xlsform.xlsform_to_draft`` to say; the form only refuses what is plainly not one."""

    # A form of a few hundred questions is tens of kilobytes; far more is not a tool.
    MAX_BYTES = 5 * 1024 * 1024

    workbook = forms.FileField(
        label="XLSForm workbook",
        help_text="An .xlsx (or .xlsm, .xls) workbook with a survey sheet, as ODK and KoboToolbox use.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.xlsm,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_workbook(self):
        workbook = self.cleaned_data["workbook"]
        if workbook.size > self.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(workbook.size)}; an XLSForm workbook of up to "
                f"{filesizeformat(self.MAX_BYTES)} can be imported."
            )
        return workbook


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = [
            "key",
            "section",
            "order",
            "type",
            "text",
            "guidance",
            "required",
            "is_core",
            "rubric_element",
            "node",
            "options",
            "anchors",
            "descriptors",
        ]
        widgets = {
            "key": forms.TextInput(attrs={"size": 14}),
            "section": forms.Select(attrs=NARROW_SELECT),
            "rubric_element": forms.Select(attrs=NARROW_SELECT),
            "node": forms.Select(attrs=NARROW_SELECT),
            "text": forms.Textarea(attrs=SMALL_TEXT),
            "guidance": forms.Textarea(attrs=SMALL_TEXT),
            "options": forms.Textarea(attrs=SMALL_JSON),
            "anchors": forms.Textarea(attrs=SMALL_JSON),
            "descriptors": forms.Textarea(attrs=SMALL_JSON),
            "order": forms.NumberInput(attrs={"class": "order-input"}),
        }

    def clean(self):
        cleaned = super().clean()
        section = cleaned.get("section")
        version_id = self.instance.version_id
        if section is not None and version_id is not None and section.version_id != version_id:
            self.add_error("section", "Choose a section of this version.")
        if cleaned.get("type") == ItemType.RUBRIC and not cleaned.get("rubric_element"):
            self.add_error("rubric_element", "A rubric item measures a rubric element: choose one.")
        return cleaned


class ItemChangeForm(forms.ModelForm):
    """One change of an adaptation, checked against the standard version it adapts by the same
    rules as ``audits.services.item_change_set`` (``audits.adaptation.change_problems``)."""

    class Meta:
        model = ItemChange
        fields = [
            "item_key",
            "kind",
            "text",
            "descriptors",
            "equivalent",
            "section_key",
            "order",
            "guidance",
            "type",
            "required",
            "options",
            "anchors",
        ]
        widgets = {
            "item_key": forms.TextInput(attrs={"size": 14}),
            "section_key": forms.TextInput(attrs={"size": 12}),
            "text": forms.Textarea(attrs=SMALL_TEXT),
            "guidance": forms.Textarea(attrs=SMALL_TEXT),
            "descriptors": forms.Textarea(attrs=SMALL_JSON),
            "options": forms.Textarea(attrs=SMALL_JSON),
            "anchors": forms.Textarea(attrs=SMALL_JSON),
            "order": forms.NumberInput(attrs={"class": "order-input"}),
        }

    def __init__(self, *args, base_version: logic.VersionData | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_version = base_version

    def clean(self):
        cleaned = super().clean()
        if self.base_version is None or self.errors or not cleaned.get("item_key") or not cleaned.get("kind"):
            return cleaned
        if cleaned.get("equivalent") and cleaned["kind"] != ChangeKind.REWORD:
            self.add_error("equivalent", "Only a reword can be marked as keeping the meaning.")
        proposed = ItemChange(
            **{name: cleaned.get(name, getattr(self.instance, name)) for name in self._meta.fields}
        )
        for problem in logic.change_problems(self.base_version, logic.change_data(proposed)):
            self.add_error(None, problem)
        return cleaned


class ItemChangeFormSet(forms.BaseInlineFormSet):
    """Loads the adaptation's standard version once, for every change form to check against."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        adaptation = self.instance
        self.base_version = logic.load_version(adaptation.base_version) if adaptation.pk else None

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "base_version": self.base_version}
