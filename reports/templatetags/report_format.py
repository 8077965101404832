"""Filters of the report templates: counts with small-number suppression, and file sizes."""

from django import template

from outcomes import presentation

register = template.Library()


@register.filter
def counted(value: int | None) -> str:
    """A count as printed: 1 to 4 read "fewer than 5" (``outcomes.presentation``)."""
    return presentation.count_text(value)


@register.filter
def size_text(size: int | None) -> str:
    """ "312 KB", "1.4 MB"."""
    if size is None:
        return "–"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    return f"{size / (1024 * 1024):.1f} MB"
