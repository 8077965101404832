"""Forms of the journal app. They validate input only; ``journal.services`` does the writes."""

from collections.abc import Collection
from datetime import date

from django import forms
from django.utils import timezone

from journal.models import Journal, Workshop, WorkshopQuestion, WorkshopStatus
from reports import quarters


def quarter_choices(starts: list[date]) -> list[tuple[str, str]]:
    return [
        (quarters.quarter_code(start), f"{quarters.quarter_label(start)} ({quarters.quarter_dates(start)})")
        for start in starts
    ]


def recent_quarters(today: date, *, back: int = 4, ahead: int = 0) -> list[date]:
    """The quarter containing ``today``, ``back`` before it and ``ahead`` after it, latest first."""
    current = quarters.quarter_containing(today)
    return [quarters.shift(current, offset) for offset in range(ahead, -back - 1, -1)]


class QuarterField(forms.ChoiceField):
    def clean(self, value) -> date:  # type: ignore[override]
        text = super().clean(value)
        try:
            return quarters.parse_quarter(text)
        except quarters.QuarterError as error:
            raise forms.ValidationError(str(error)) from None


class WorkshopForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Quarterly practice leaders' workshop")
    held_on = forms.DateField(
        label="Held on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    quarter = QuarterField(
        label="Looks back on", help_text="The quarter the poll asks about, and whose journal prints it."
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        starts = recent_quarters(today, back=3)
        self.fields["quarter"].choices = quarter_choices(starts)  # type: ignore[attr-defined]
        self.fields["quarter"].initial = quarters.quarter_code(starts[1])
        self.fields["held_on"].initial = today


class QuestionForm(forms.Form):
    text = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    required = forms.BooleanField(label="Everyone must answer it", required=False)


class RewordForm(forms.Form):
    text = forms.CharField(label="Wording", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class AnswerForm(forms.Form):
    """One large text box per question, on one page."""

    def __init__(self, *args, questions: list[WorkshopQuestion], **kwargs):
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.CharField(
                label=question.text,
                required=False,  # the service says which are required, with the message
                widget=forms.Textarea(attrs={"rows": 5, "class": "form-control form-control-lg"}),
                strip=False,
            )
            self.fields[f"q{question.pk}"].question = question  # type: ignore[attr-defined]

    def texts(self) -> dict[int, str]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items() if name.startswith("q")}


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Why hide it?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Kept with the answer and in its history; the person who wrote it may ask.",
    )


class ReflectionForm(forms.Form):
    achievement = forms.CharField(
        label="What was your authority's biggest achievement this quarter?",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    challenge = forms.CharField(
        label="What was its biggest challenge?", widget=forms.Textarea(attrs={"rows": 6}), max_length=5000
    )


class CompileForm(forms.Form):
    quarter = QuarterField(label="Quarter")

    def __init__(self, *args, today: date | None = None, taken: Collection[date] = (), **kwargs):
        super().__init__(*args, **kwargs)
        starts = [
            start for start in recent_quarters(today or timezone.localdate(), back=4) if start not in taken
        ]
        self.fields["quarter"].choices = quarter_choices(starts)  # type: ignore[attr-defined]
        if len(starts) > 1:
            self.fields["quarter"].initial = quarters.quarter_code(starts[1])


class JournalForm(forms.Form):
    title = forms.CharField(max_length=200)
    introduction = forms.CharField(
        label="From the programme team",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text; a blank line starts a new paragraph.",
    )
    workshop = forms.ModelChoiceField(
        queryset=Workshop.objects.none(),
        required=False,
        empty_label="No workshop",
        help_text="Its poll answers (not the hidden ones) are printed verbatim, grouped by authority.",
    )
    include = forms.ModelMultipleChoiceField(
        label="Questions to print",
        queryset=WorkshopQuestion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, journal: Journal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = Workshop.objects.exclude(  # type: ignore[attr-defined]
            status=WorkshopStatus.DRAFT
        ).order_by("-held_on", "-pk")
        questions = journal.workshop.questions.all() if journal.workshop else WorkshopQuestion.objects.none()
        self.fields["include"].queryset = questions  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial = {
                "title": journal.title,
                "introduction": journal.introduction,
                "workshop": journal.workshop_id,
                "include": [q.pk for q in questions if q.pk not in {lq.pk for lq in journal.left_out.all()}],
            }
        self.journal = journal

    def left_out(self) -> list[WorkshopQuestion]:
        """Questions of the chosen workshop not ticked; none when the workshop changed (a new
        workshop prints all its questions until the editor chooses)."""
        workshop = self.cleaned_data["workshop"]
        if workshop is None or workshop.pk != self.journal.workshop_id:
            return []
        ticked = {q.pk for q in self.cleaned_data["include"]}
        return [q for q in workshop.questions.all() if q.pk not in ticked]
