"""``guidance|guidance_for:item``: the knowledge resources to show beside one audit item, from the
``ItemGuidance`` the page read in one query (anything else, e.g. a missing context variable, gives
none)."""

from django import template

from knowledge.selectors import GuidanceLink, ItemGuidance

register = template.Library()


@register.filter
def guidance_for(guidance, item) -> list[GuidanceLink]:
    if not isinstance(guidance, ItemGuidance):
        return []
    return guidance.for_item(item)
