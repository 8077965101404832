"""Measures computed from the participatory audits (registered in outcomes.registry)."""
