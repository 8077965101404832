"""The audit form as people fill it in, built from the authority's resolved tool, and the small
Django forms of the audit pages (starting an audit, moving it, the family's consent).

Each item of the resolved tool becomes an ``AuditItem``: what its input needs (reused from the
tool preview, so the preview and the real form never drift apart), the stored answer, and which
of the answer's fields this person may write. ``parse_answer_field`` shapes what one autosave
posted for ``audits.auditing.answer_save``, which checks it against the item.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from accounts import access
from accounts.models import Authority, User
from audits.admin_views import PreviewItem, ScalePoint, preview_item
from audits.models import Audit, AuditAnswer, ItemType
from audits.resolution import ResolvedItem, ResolvedSection, ResolvedTool
from cases.models import Child

RATING_FIELDS = ("self_level", "auditor_level", "agreed_level")
TEXT_FIELDS = ("disagreement", "evidence")
ANSWER_FIELDS = (*RATING_FIELDS, *TEXT_FIELDS, "value")
RATING_LABELS = {
    "self_level": "Practitioner",
    "auditor_level": "Auditor",
    "agreed_level": "Agreed",
}
# Each answer field in words, as a conflict names the part of the item that was changed.
FIELD_LABELS = {
    "self_level": "the practitioner's rating",
    "auditor_level": "the auditor's rating",
    "agreed_level": "the agreed rating",
    "disagreement": "both views and why",
    "evidence": "the evidence",
    "value": "the answer",
}
CONSENT_LABELS = cast(list, Audit._meta.get_field("family_consent").choices)
# The three columns of the audit conversation, and the appreciative question, by their stable keys.
NARRATIVE_KEYS = ("what-working-well", "what-worried-about", "what-needs-to-happen")
APPRECIATIVE_KEY = "proudest"
# Long enough for a considered paragraph, short enough that nobody pastes a case file in.
MAX_TEXT = 10_000


@dataclass(frozen=True)
class RatingRow:
    field: str
    label: str
    level: int | None
    writable: bool


@dataclass(frozen=True)
class AuditItem:
    """One item of the audit as this person sees it."""

    field: PreviewItem
    answer: AuditAnswer | None
    writable: frozenset[str]

    @property
    def item(self) -> ResolvedItem:
        return self.field.item

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def number(self) -> int:
        return self.field.number

    @property
    def input(self) -> str:
        return self.field.input

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        return self.field.choices

    @property
    def points(self) -> tuple[ScalePoint, ...]:
        return self.field.points

    @property
    def revision(self) -> int:
        return self.answer.revision if self.answer is not None else 0

    @property
    def value(self):
        return self.answer.value if self.answer is not None else None

    @property
    def value_text(self) -> str:
        return "" if self.value is None else str(self.value)

    @property
    def value_list(self) -> list[str]:
        value = self.value
        if value is None:
            return []
        return [str(part) for part in value] if isinstance(value, list) else [str(value)]

    @property
    def is_rubric(self) -> bool:
        return self.input == "rubric"

    @property
    def may_write_value(self) -> bool:
        return "value" in self.writable

    @property
    def may_write_any(self) -> bool:
        return bool(self.writable)

    @property
    def rating_rows(self) -> list[RatingRow]:
        """The practitioner's self-rating and the auditor's side by side, then the agreed rating."""
        answer = self.answer
        return [
            RatingRow(
                field=name,
                label=RATING_LABELS[name],
                level=getattr(answer, name) if answer is not None else None,
                writable=name in self.writable,
            )
            for name in RATING_FIELDS
        ]

    @property
    def differs(self) -> bool:
        """The practitioner and the auditor rated it differently: both views are kept, with why."""
        answer = self.answer
        return (
            answer is not None
            and answer.self_level is not None
            and answer.auditor_level is not None
            and answer.self_level != answer.auditor_level
        )

    @property
    def show_disagreement(self) -> bool:
        """The "both views and why" box: when the ratings differ, or a reason was already written."""
        return self.differs or bool(self.answer is not None and self.answer.disagreement)

    @property
    def is_narrative(self) -> bool:
        return self.key in NARRATIVE_KEYS

    @property
    def is_appreciative(self) -> bool:
        return self.key == APPRECIATIVE_KEY

    @property
    def template(self) -> str:
        """The narrative columns are laid out side by side; every other item takes the full width."""
        if self.is_narrative and not self.is_rubric:
            return "audits/audit/_narrative_item.html"
        return "audits/audit/_item.html"

    @property
    def is_answered(self) -> bool:
        answer = self.answer
        if answer is None:
            return False
        if self.is_rubric:
            return answer.agreed_level is not None
        return answer.value not in (None, "", [])


@dataclass(frozen=True)
class AuditSection:
    section: ResolvedSection
    items: list[AuditItem]

    @property
    def narrative(self) -> list[AuditItem]:
        """The three columns, in their order, when this section holds them."""
        by_key = {entry.key: entry for entry in self.items}
        found = [by_key[key] for key in NARRATIVE_KEYS if key in by_key]
        return found if len(found) == len(NARRATIVE_KEYS) else []

    @property
    def others(self) -> list[AuditItem]:
        shown = {entry.key for entry in self.narrative}
        return [entry for entry in self.items if entry.key not in shown]


def writable_fields(*, user, audit: Audit) -> frozenset[str]:
    """The answer fields this person may write on this audit now (asked once per page, not per item)."""
    return frozenset(name for name in ANSWER_FIELDS if access.may_write_answer_field(user, audit, name))


def audit_item(
    item: ResolvedItem, number: int, answer: AuditAnswer | None, writable: frozenset[str]
) -> AuditItem:
    field = preview_item(item, number)
    # A rubric item has the three ratings and the reasons; every other item has one value.
    allowed = set(ANSWER_FIELDS) - {"value"} if field.input == "rubric" else {"value"}
    return AuditItem(field=field, answer=answer, writable=frozenset(writable & allowed))


def audit_sections(
    *, tool: ResolvedTool, answers: Mapping[str, AuditAnswer], writable: frozenset[str]
) -> list[AuditSection]:
    """The tool's sections with each item's answer, items numbered through the whole tool."""
    sections = []
    number = 0
    for section in tool.sections:
        items = []
        for item in section.items:
            number += 1
            items.append(audit_item(item, number, answers.get(item.key), writable))
        sections.append(AuditSection(section=section, items=items))
    return sections


def find_item(tool: ResolvedTool, key: str) -> tuple[ResolvedItem, int] | None:
    """The item with this key and its number in the tool, or None."""
    for number, item in enumerate(tool.items(), start=1):
        if item.key == key:
            return item, number
    return None


def level_labels(tool: ResolvedTool) -> dict[int, str]:
    """Level value → label, as the tool's rubric items name them."""
    for item in tool.items():
        if item.levels:
            return {value: label for value, label, _descriptor in item.levels}
    return {}


def parse_answer_field(item: ResolvedItem, field: str, raw: list[str]):
    """What one autosave posted for ``field`` of ``item`` (a list, as checkboxes post several
    values), shaped for ``audits.auditing.answer_save``, which checks it against the item: a list
    for multiple choice, else the last value posted; empty means "not answered". Raises
    ValidationError when the item has no such field or the text is too long."""
    is_rubric = item.type == ItemType.RUBRIC
    if field not in ANSWER_FIELDS or (field == "value") == is_rubric:
        raise ValidationError("This item has no such field.")
    if field == "value" and item.type == ItemType.MULTIPLE_CHOICE:
        return [part for part in raw if part] or None
    text = raw[-1] if raw else ""
    if len(text) > MAX_TEXT:
        raise ValidationError(f"Keep it under {MAX_TEXT:,} characters.")
    if field in TEXT_FIELDS or item.type == ItemType.TEXT:
        return text
    return text.strip() or None


# --- the small forms ---------------------------------------------------------------------------


def authority_staff(authority: Authority):
    """The authority's people who work on cases, who may be the practitioner or the auditor."""
    return (
        User.objects.filter(
            is_active=True, memberships__authority=authority, memberships__role__in=access.CASE_ROLES
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class AuditStartForm(forms.Form):
    """Start an audit of one case of the authority (the case is chosen from a search)."""

    child = forms.ModelChoiceField(
        queryset=Child.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose the case to audit.",
            "invalid_choice": "Choose the case to audit.",
        },
    )
    practitioner = StaffChoiceField(
        queryset=User.objects.none(), help_text="The practitioner allocated to the case."
    )
    auditor = StaffChoiceField(
        queryset=User.objects.none(),
        help_text="A manager, practice lead or peer, who holds the audit conversation.",
    )
    due_on = forms.DateField(required=False, label="Due by", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, authority: Authority, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a case the person starting the audit may see (a team manager's team's, by default).
        cast(forms.ModelChoiceField, self.fields["child"]).queryset = Child.objects.for_user(user).filter(
            authority=authority
        )
        staff = authority_staff(authority)
        for name in ("practitioner", "auditor"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = staff

    def clean(self):
        cleaned = super().clean()
        practitioner, auditor = cleaned.get("practitioner"), cleaned.get("auditor")
        if practitioner is not None and practitioner == auditor:
            raise ValidationError(
                "The auditor holds the conversation with the practitioner: choose two different people."
            )
        return cleaned


class MoveForm(forms.Form):
    to_status = forms.CharField(max_length=20)
    comment = forms.CharField(required=False, widget=forms.Textarea, max_length=MAX_TEXT)


class ConsentForm(forms.Form):
    consent = forms.ChoiceField(
        choices=CONSENT_LABELS,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        label="Family consent to give feedback",
    )
    note = forms.CharField(
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT,
        help_text="Why consent was not asked or was declined.",
    )
    # The consent and note as the page showed them: a consent recorded by someone else since is
    # not overwritten (audits.auditing.consent_record).
    consent_was = forms.CharField(required=False, widget=forms.HiddenInput)
    note_was = forms.CharField(required=False, widget=forms.HiddenInput, max_length=MAX_TEXT)

    def expected(self) -> tuple[str, str] | None:
        """What the person saw, or None from a form that did not say (nothing to compare)."""
        if "consent_was" not in self.data:
            return None
        return self.cleaned_data["consent_was"], self.cleaned_data["note_was"]
