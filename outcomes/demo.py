"""The demo authorities' targets, set as their QA leads would set them in the admin (made up)."""

from decimal import Decimal

from django.db import transaction

from accounts.models import Authority, Membership, Role
from outcomes.models import MeasureTarget

# measure key -> (target, tolerance): plausible local ambitions, in each measure's own units.
TARGETS = {
    "rereferrals_12m": ("0.22", "0.03"),
    "repeat_cp_plans": ("0.20", "0.03"),
    "cp_plans_ended_2y": ("0.04", "0.02"),
    "assessments_45wd": ("0.85", "0.05"),
    "icpc_15wd": ("0.80", "0.05"),
    "kinship_share": ("0.20", "0.05"),
    "fidelity_overall": ("2.8", "0.3"),
    "audits_established": ("0.60", "0.10"),
    "family_participation": ("0.50", "0.10"),
    "childs_voice_evident": ("0.60", "0.10"),
    "moderation_agreement": ("0.70", "0.10"),
    "actions_on_time": ("0.80", "0.10"),
    "coverage_map": ("0.80", "0.10"),
    "coverage_danger_goals": ("0.70", "0.10"),
    "coverage_safety_plan": ("0.50", "0.10"),
}


@transaction.atomic
def seed_targets(*, codes: list[str]) -> int:
    """Each authority's targets, attributed to its QA lead (idempotent: existing targets are kept)."""
    created = 0
    for authority in Authority.objects.filter(code__in=codes).order_by("code"):
        lead = (
            Membership.objects.filter(authority=authority, role=Role.QA_LEAD).select_related("user").first()
        )
        for key, (target, tolerance) in TARGETS.items():
            if MeasureTarget.objects.filter(authority=authority, measure=key).exists():
                continue
            row = MeasureTarget(
                authority=authority,
                measure=key,
                target=Decimal(target),
                tolerance=Decimal(tolerance),
                note="Agreed at the quarterly practice board (demo).",
            )
            row._history_user = lead.user if lead else None  # type: ignore[attr-defined]
            row.full_clean()
            row.save()
            created += 1
    return created
