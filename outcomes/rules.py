"""Admin permissions of the outcomes app (``rules``): stored measure values are read-only; platform
admins see every authority's, QA leads their own authority's. Loaded by rules' autodiscovery."""

import rules

from accounts.access import is_platform_admin, is_qa_lead_of, is_qa_lead_somewhere

rules.add_perm("outcomes", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("outcomes.view_measurevalue", is_platform_admin | is_qa_lead_of)
# Values come from the aggregation job only.
for action in ("add", "change", "delete"):
    rules.add_perm(f"outcomes.{action}_measurevalue", rules.always_deny)
