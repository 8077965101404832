"""The answer form, built from the items of the wave's tool version."""

from django import forms

from accounts.models import Team
from audits.models import Item
from surveys import scoring
from surveys.services import TEXT_LIMIT

NO_TEAM = ""


class AnswerForm(forms.Form):
    """One field per item (0–10 scales and agreement items as radio buttons, the three columns as
    text), and the team, which the person may leave out."""

    def __init__(self, *args, items: list[Item], teams: list[Team], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["team"] = forms.ChoiceField(
            label="Your team",
            choices=[*((str(team.pk), team.name) for team in teams), (NO_TEAM, "Prefer not to say")],
            required=False,
            initial=str(teams[0].pk) if len(teams) == 1 else NO_TEAM,
            widget=forms.RadioSelect,
            help_text="Results are shown for a team only when at least five people in it have answered.",
        )
        self.teams = {str(team.pk): team for team in teams}
        for item in items:
            self.fields[item.key] = self._field(item)

    def _field(self, item: Item) -> forms.Field:
        label, help_text, required = item.text, item.guidance, item.required
        if item.type == scoring.SCALE:
            anchors = item.anchors or {}
            choices = [
                (str(n), f"{n}" + (f": {anchors[str(n)]}" if str(n) in anchors else "")) for n in range(11)
            ]
            return forms.TypedChoiceField(
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                empty_value=None,
                label=label,
                help_text=help_text,
                required=required,
            )
        if item.type == scoring.CHOICE:
            choices = [(option["value"], option["label"]) for option in item.options]
            return forms.ChoiceField(
                choices=choices, widget=forms.RadioSelect, label=label, help_text=help_text, required=required
            )
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=TEXT_LIMIT,
            strip=True,
            label=label,
            help_text=help_text,
            required=required,
        )

    def clean_team(self) -> Team | None:
        value = self.cleaned_data.get("team") or NO_TEAM
        return self.teams.get(value)

    def sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(title, description, fields) per section of the survey, in order."""
        grouped: dict[int, tuple[str, str, list[forms.BoundField]]] = {}
        for item in self.items:
            entry = grouped.setdefault(item.section_id, (item.section.title, item.section.description, []))
            entry[2].append(self[item.key])
        return list(grouped.values())

    def answers(self) -> dict[str, object]:
        return {item.key: self.cleaned_data.get(item.key) for item in self.items}
