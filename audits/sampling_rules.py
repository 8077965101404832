"""Admin permissions of sampling plans and draws (``rules``). ``audits.rules`` imports this module,
so rules' autodiscovery registers them with the rest of the app's.

- Sampling plans: the QA leads of the plan's authority see, add, change, delete and draw them
  ("Draw now"); platform admins see them.
- Draws: read-only, for the same people.

With no object (the admin asking about a whole list), a predicate answers whether the user is a
QA lead anywhere; the rows themselves are scoped by each ``ModelAdmin.get_queryset``.
"""

from typing import Any

import rules

from accounts.access import authority_ids, is_platform_admin, is_qa_lead_somewhere
from accounts.models import Role
from audits.models import SampleDraw, SamplingPlan


def _authority_id_of(obj: Any) -> int | None:
    if isinstance(obj, SamplingPlan):
        return obj.authority_id
    if isinstance(obj, SampleDraw):
        return obj.plan.authority_id
    return None


@rules.predicate
def leads_plan_authority(user, obj) -> bool:
    """QA lead of the plan's (or the draw's plan's) authority; with no object, QA lead anywhere."""
    if obj is None:
        return bool(is_qa_lead_somewhere(user))
    authority_id = _authority_id_of(obj)
    return authority_id is not None and authority_id in authority_ids(user, [Role.QA_LEAD])


rules.add_perm("audits.view_samplingplan", is_platform_admin | leads_plan_authority)
for action in ("add", "change", "delete"):
    rules.add_perm(f"audits.{action}_samplingplan", leads_plan_authority)
rules.add_perm("audits.draw_samplingplan", leads_plan_authority)
rules.add_perm("audits.view_sampledraw", is_platform_admin | leads_plan_authority)
