"""Admin permissions of the outcomes app (``rules``), loaded by rules' autodiscovery.

- Stored measure values and job runs are read-only: platform admins see every authority's, QA
  leads their own authority's (values come from the aggregation job only).
- Targets: the QA leads of the target's authority see, add, change and delete them; platform
  admins see them.
"""

import rules

from accounts.access import is_platform_admin, is_qa_lead_of, is_qa_lead_somewhere

rules.add_perm("outcomes", is_platform_admin | is_qa_lead_somewhere)
for model in ("measurevalue", "jobrun"):
    rules.add_perm(f"outcomes.view_{model}", is_platform_admin | is_qa_lead_of)
    for action in ("add", "change", "delete"):
        rules.add_perm(f"outcomes.{action}_{model}", rules.always_deny)
rules.add_perm("outcomes.view_measuretarget", is_platform_admin | is_qa_lead_of)
for action in ("add", "change", "delete"):
    rules.add_perm(f"outcomes.{action}_measuretarget", is_qa_lead_of)
