"""The QA tool library and the participatory audits: versioned tools (immutable once published)
with stable item keys, authority adoption and adaptation, the audit workflow (``workflow.py``),
moderation, learning actions and survey responses."""
