"""The Signs of Safety results logic and the fidelity rubrics.

The results logic is a tree (outcomes, practice fidelity, implementation fidelity and their
children, domain.md §2.2). Every rubric element, tool item and measure names the node it informs
by the node's stable ``key``. Rubrics have ordered levels (the standard: 1 Not evident, 2 Emerging,
3 Established, 4 Embedded) and elements with a descriptor per level. The standard tree and rubric
are loaded by a data migration and edited by platform admins.
"""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords


class ResultsNode(models.Model):
    key = models.CharField(
        max_length=100, unique=True, help_text="Stable identifier, e.g. practice_fidelity.case_tools.scaling."
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "key"]
        verbose_name = "results-logic node"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.parent_id
            and self.parent
            and self.parent.key
            and not self.key.startswith(self.parent.key + ".")
        ):
            raise ValidationError(
                {"key": f"A child of {self.parent.key} has a key starting with '{self.parent.key}.'."}
            )


class Rubric(models.Model):
    key = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RubricLevel(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField(help_text="1 is the lowest level.")
    label = models.CharField(max_length=60)
    description = models.TextField(blank=True, help_text="What this level means, across all elements.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["rubric", "value"]
        constraints = [models.UniqueConstraint(fields=["rubric", "value"], name="rubric_level_unique")]

    def __str__(self) -> str:
        return f"{self.value} {self.label}"


class RubricElement(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="elements")
    key = models.CharField(max_length=20, help_text="Stable identifier within the rubric, e.g. P6.")
    name = models.CharField(max_length=150)
    node = models.ForeignKey(ResultsNode, on_delete=models.PROTECT, related_name="rubric_elements")
    is_core = models.BooleanField(
        default=True, help_text="Core elements count in the practice fidelity score."
    )
    order = models.PositiveSmallIntegerField(default=0)
    # {"1": "...", "2": "...", ...}: what the element looks like at each level (see fidelity.scoring).
    descriptors = models.JSONField(default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rubric", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["rubric", "key"], name="rubric_element_unique")]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"
