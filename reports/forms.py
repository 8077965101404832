"""The "Generate report" form: a quarter among the complete quarters with stored values."""

from datetime import date

from django import forms

from reports import quarters


class GenerateForm(forms.Form):
    quarter = forms.ChoiceField(label="Quarter")

    def __init__(self, *args, starts: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["quarter"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (
                quarters.quarter_code(start),
                f"{quarters.quarter_label(start)} ({quarters.quarter_dates(start)})",
            )
            for start in starts
        ]
        if starts:
            field.initial = quarters.quarter_code(starts[0])

    def clean_quarter(self) -> date:
        return quarters.parse_quarter(self.cleaned_data["quarter"])
