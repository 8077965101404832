"""Admin permissions of the reports app (``rules``), loaded by rules' autodiscovery.

- Branding: the QA leads of the authority see, add and change it; platform admins see it.
- Generated reports are read-only in the admin (they are made by the report service).
"""

import rules

from accounts.access import is_platform_admin, is_qa_lead_of, is_qa_lead_somewhere

rules.add_perm("reports", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("reports.view_reportbranding", is_platform_admin | is_qa_lead_of)
for action in ("add", "change"):
    rules.add_perm(f"reports.{action}_reportbranding", is_qa_lead_of)
rules.add_perm("reports.delete_reportbranding", rules.always_deny)
rules.add_perm("reports.view_outcomereport", is_platform_admin | is_qa_lead_of)
for action in ("add", "change", "delete"):
    rules.add_perm(f"reports.{action}_outcomereport", rules.always_deny)
