"""Admin permissions of the fidelity app (``rules``): the results logic and the rubrics are the
platform's, shared by every authority. QA leads read them (they build audits on them); only
platform admins change them. Loaded by rules' autodiscovery."""

import rules

from accounts.access import is_platform_admin, is_qa_lead_somewhere

MODELS = ("resultsnode", "rubric", "rubriclevel", "rubricelement")

rules.add_perm("fidelity", is_platform_admin | is_qa_lead_somewhere)
for model in MODELS:
    rules.add_perm(f"fidelity.view_{model}", is_platform_admin | is_qa_lead_somewhere)
    for action in ("add", "change", "delete"):
        rules.add_perm(f"fidelity.{action}_{model}", is_platform_admin)
