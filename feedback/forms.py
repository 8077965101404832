from django import forms

from feedback.models import Feedback, FeedbackStatus, Topic


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["topic", "text", "page"]
        labels = {"topic": "What is it about?", "text": "Your feedback"}
        help_texts = {
            "text": "Anything: what helps, what gets in the way, what you would change, or what the next "
            "workshop should cover. The programme team reads every piece of feedback.",
        }
        widgets = {
            "topic": forms.RadioSelect,
            "text": forms.Textarea(attrs={"rows": 6}),
            "page": forms.HiddenInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = Topic.choices
        self.fields["page"].required = False


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=FeedbackStatus.choices)


class NoteForm(forms.Form):
    text = forms.CharField(label="Add a note", widget=forms.Textarea(attrs={"rows": 3}))
