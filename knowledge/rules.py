"""Admin permissions of the knowledge app (``rules``), loaded by rules' autodiscovery.

- The programme's library (resources without an authority): the programme team and platform admins.
- A local resource: the QA leads of its authority (and platform admins).
- Access records are read-only in the admin: they are granted, extended and ended on the
  knowledge access page, which checks the dates and the membership.
"""

import rules

from accounts import access
from accounts.access import is_platform_admin, is_qa_lead_of, is_qa_lead_somewhere


@rules.predicate
def manages_resource(user, resource) -> bool:
    """With no resource: anyone who manages some resources (the programme team, QA leads)."""
    if resource is None:
        return bool(access.may_manage_knowledge(user) or is_qa_lead_somewhere(user))
    if resource.authority_id is None:
        return access.may_manage_knowledge(user)
    return bool(is_platform_admin(user) or is_qa_lead_of(user, resource))


@rules.predicate
def runs_programme(user) -> bool:
    return access.runs_programme(user)


rules.add_perm("knowledge", runs_programme | is_qa_lead_somewhere)
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"knowledge.{action}_resource", manages_resource)
rules.add_perm("knowledge.view_knowledgeaccess", is_platform_admin | is_qa_lead_of)
for action in ("add", "change", "delete"):
    rules.add_perm(f"knowledge.{action}_knowledgeaccess", rules.always_deny)
