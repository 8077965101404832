"""The filters of the outcome pages: a quarter with values, and a team the user may see."""

from collections.abc import Sequence
from datetime import date

from django import forms

from accounts.models import Team
from outcomes.periods import Period


class QuarterTeamForm(forms.Form):
    """Choices only: the view has already picked a valid quarter and team (the form shows them)."""

    quarter = forms.ChoiceField(label="Quarter", required=False)
    team = forms.ChoiceField(label="Team", required=False)

    def __init__(
        self,
        *,
        quarters: Sequence[Period],
        quarter: Period | None,
        teams: Sequence[Team] | None,
        team: Team | None,
        today: date,
    ):
        super().__init__(
            initial={
                "quarter": quarter.start.isoformat() if quarter else "",
                "team": str(team.pk) if team else "",
            }
        )
        quarter_field = self.fields["quarter"]
        assert isinstance(quarter_field, forms.ChoiceField)
        quarter_field.choices = [
            (p.start.isoformat(), p.label + (" (in progress)" if p.end >= today else ""))
            for p in reversed(quarters)
        ]
        quarter_field.widget.attrs.update({"class": "form-select"})
        if teams is None:
            del self.fields["team"]
        else:
            team_field = self.fields["team"]
            assert isinstance(team_field, forms.ChoiceField)
            team_field.choices = [("", "Whole authority"), *((str(t.pk), t.name) for t in teams)]
            team_field.widget.attrs.update({"class": "form-select"})
