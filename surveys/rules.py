"""Admin permissions of the surveys app (``rules``), loaded by rules' autodiscovery.

Waves are the programme's: the programme team and platform admins see, add and change them (a wave
with responses cannot be deleted: the database protects it). Responses and participations are not
in the admin at all: there is nothing there a person could be recognised by.
"""

import rules

from accounts import access


@rules.predicate
def manages_waves(user) -> bool:
    return access.may_manage_survey_waves(user)


rules.add_perm("surveys", manages_waves)
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"surveys.{action}_surveywave", manages_waves)
