"""The library's search and filters (django-filter), and the small forms of the access page."""

from datetime import timedelta
from typing import cast

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from fidelity.models import ResultsNode, RubricElement
from knowledge.models import DEFAULT_COLLECTION, Resource, ResourceKind


class ElementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.key} · {obj.name}"


class ElementFilter(django_filters.ModelChoiceFilter):
    field_class = ElementChoiceField


class ResourceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    element = ElementFilter(
        field_name="rubric_elements",
        queryset=RubricElement.objects.none(),
        label="Practice element",
        empty_label="Any element",
    )
    node = django_filters.ModelChoiceFilter(
        field_name="nodes", queryset=ResultsNode.objects.none(), label="Results logic", empty_label="Any node"
    )
    kind = django_filters.ChoiceFilter(choices=ResourceKind.choices, label="Kind", empty_label="Any kind")

    class Meta:
        model = Resource
        fields = ["q", "element", "node", "kind"]

    def __init__(self, *args, elements=None, nodes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if elements is not None:
            self.filters["element"].queryset = elements
        if nodes is not None:
            self.filters["node"].queryset = nodes
        for name in ("element", "node", "kind"):
            self.form.fields[name].widget.attrs["class"] = "form-select"

    def search(self, queryset, name, value):
        words = value.split()[:8]
        for word in words:
            queryset = queryset.filter(Q(title__icontains=word) | Q(summary__icontains=word))
        return queryset


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


def _in_a_year():
    return timezone.localdate() + timedelta(days=365)


class AccessGrantForm(forms.Form):
    user = MemberChoiceField(queryset=User.objects.none(), label="Person", empty_label="Choose a person")
    what = forms.CharField(label="Collection", max_length=150, initial=DEFAULT_COLLECTION)
    expires_on = forms.DateField(
        label="Access until", initial=_in_a_year, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            cast(forms.ModelChoiceField, self.fields["user"]).queryset = members


class AccessExtendForm(forms.Form):
    expires_on = forms.DateField(label="New end date", widget=forms.DateInput(attrs={"type": "date"}))
