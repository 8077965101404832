"""Admin for the results logic and the rubrics.

Both are the platform's, shared by every authority: QA leads and platform admins see them, only
platform admins change them (the ``rules`` permissions in ``fidelity.rules``). Every change is kept
by django-simple-history with the person who made it. Keys are stable identifiers that tools,
measures and migrations refer to, so they are set once, when the row is created.
"""

from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html_join
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from fidelity.models import ResultsNode, Rubric, RubricElement, RubricLevel

# Descriptor boxes for a rubric that has no levels saved yet (domain.md §2.5).
STANDARD_LEVELS = ((1, "Not evident"), (2, "Emerging"), (3, "Established"), (4, "Embedded"))


def _choose_nodes_by_key(field: forms.Field) -> None:
    """Nodes offered in key order and shown with their key, which places each in the tree."""
    choice = cast(forms.ModelChoiceField, field)
    choice.queryset = ResultsNode.objects.order_by("key")
    choice.label_from_instance = _node_label  # type: ignore[method-assign]


def _node_label(obj: ResultsNode) -> str:
    return f"{obj.key} ({obj.name})"


class HistoryAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    """Rules decide each permission; the history of every row is one click away."""

    def get_readonly_fields(self, request, obj=None):
        return ["key"] if obj is not None else []


class ResultsNodeForm(forms.ModelForm):
    class Meta:
        model = ResultsNode
        fields = ["key", "name", "parent", "order", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            _choose_nodes_by_key(self.fields["parent"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        parent = cleaned.get("parent")
        # Once the key is read-only, the model's own check (``ResultsNode.clean``) would report
        # on a field the form does not show: the parent is the one to correct.
        if "key" not in self.fields and parent and not self.instance.key.startswith(parent.key + "."):
            self.add_error(
                "parent",
                f"The key {self.instance.key} does not start with '{parent.key}.': choose the parent "
                "its key names.",
            )
        return cleaned


@admin.register(ResultsNode)
class ResultsNodeAdmin(HistoryAdmin):
    form = ResultsNodeForm
    fields = ["key", "name", "parent", "order", "description"]
    list_display = ["key", "name", "parent", "order"]
    list_select_related = ["parent"]
    search_fields = ["key", "name", "description"]
    # Grouped as in the tree: the top nodes first, then each parent's children in their order.
    ordering = [F("parent__key").asc(nulls_first=True), "order", "key"]


class RubricLevelInline(admin.TabularInline):
    model = RubricLevel
    extra = 0
    fields = ["value", "label", "description"]


class RubricElementForm(forms.ModelForm):
    """An element with one text box per level of its rubric, stored in ``descriptors`` as
    ``{"1": "...", ...}``. Descriptors for values the rubric has no level for are kept as they
    are. ``element_form_for`` adds the boxes for a given rubric's levels."""

    levels: ClassVar[tuple[tuple[int, str], ...]] = ()

    class Meta:
        model = RubricElement
        fields = ["key", "name", "node", "is_core", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "node" in self.fields:
            _choose_nodes_by_key(self.fields["node"])
        descriptors = self.instance.descriptors or {}
        for value, _ in self.levels:
            self.initial.setdefault(descriptor_field(value), descriptors.get(str(value), ""))

    def save(self, commit: bool = True) -> RubricElement:
        descriptors = dict(self.instance.descriptors or {})
        for value, _ in self.levels:
            text = self.cleaned_data.get(descriptor_field(value), "")
            if text:
                descriptors[str(value)] = text
            else:
                descriptors.pop(str(value), None)
        self.instance.descriptors = descriptors
        return super().save(commit)


def descriptor_field(value: int) -> str:
    return f"descriptor_{value}"


def element_form_for(levels: tuple[tuple[int, str], ...]) -> type[RubricElementForm]:
    """A ``RubricElementForm`` with a text box for each (value, label) level."""
    fields: dict[str, Any] = {
        descriptor_field(value): forms.CharField(
            label=f"Level {value}: {label}",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        )
        for value, label in levels
    }
    return type("RubricElementLevelsForm", (RubricElementForm,), {**fields, "levels": levels})


def rubric_levels(rubric: Rubric | None) -> tuple[tuple[int, str], ...]:
    """The saved levels of the rubric, lowest first; the standard four for a rubric without any."""
    if rubric is not None and rubric.pk:
        saved = tuple(rubric.levels.order_by("value").values_list("value", "label"))
        if saved:
            return saved
    return STANDARD_LEVELS


class RubricElementInline(admin.StackedInline):
    """Editors get a text box per level; readers see the descriptors listed by level."""

    model = RubricElement
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        # New levels get their boxes once the rubric has been saved with them.
        kwargs["form"] = element_form_for(rubric_levels(obj))
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return [name for name in fields if not name.startswith("descriptor_")] + ["level_descriptors"]

    def get_readonly_fields(self, request, obj=None):
        return [] if self.has_change_permission(request, obj) else ["level_descriptors"]

    @admin.display(description="Descriptors")
    def level_descriptors(self, element: RubricElement) -> str:
        levels = rubric_levels(element.rubric)
        descriptors = element.descriptors or {}
        return format_html_join(
            "",
            "<p><strong>Level {}: {}.</strong> {}</p>",
            ((value, label, descriptors.get(str(value), "")) for value, label in levels),
        )


@admin.register(Rubric)
class RubricAdmin(HistoryAdmin):
    list_display = ["name", "key"]
    search_fields = ["key", "name"]
    fields = ["key", "name", "description"]
    inlines = [RubricLevelInline, RubricElementInline]
