"""The load test: people reading dashboards and cases while auditors' answers autosave.

Run by ``bench.load`` against gunicorn; ``BENCH_LOCUST_PLAN`` names a JSON file listing, per
simulated person, a signed-in session of the auditor of an audit in conversation (made by the
bench, so that the password hasher is not what is measured), that audit, a rubric item and a few
case ids. Each person mixes the outcome dashboard, the case list, case pages and autosaves of the
auditor's rating (with the revision the last save returned, as the page does).
"""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

REVISION = re.compile(r'name="revision"[^>]*value="(\d+)"')
PLAN = json.loads(open(os.environ["BENCH_LOCUST_PLAN"], encoding="utf-8").read())
_NEXT = itertools.count()


class Person(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.plan = PLAN[next(_NEXT) % len(PLAN)]
        self.revision = 0
        host = (self.host or "").split("//", 1)[-1].split(":")[0]
        self.client.cookies.set("sessionid", self.plan["session"], domain=host)
        self.client.cookies.set("csrftoken", self.plan["csrf"], domain=host)

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/outcomes/", name="/outcomes/")

    @task(2)
    def case_list(self) -> None:
        self.client.get("/cases/", name="/cases/")

    @task(3)
    def case_page(self) -> None:
        self.client.get(f"/cases/{random.choice(self.plan['cases'])}/", name="/cases/[id]/")

    @task(4)
    def autosave(self) -> None:
        url = f"/audits/{self.plan['audit']}/answers/{self.plan['item']}/"
        with self.client.post(
            url,
            {
                "field": "auditor_level",
                "auditor_level": str(random.randint(1, 4)),
                "revision": str(self.revision),
            },
            headers={"X-CSRFToken": self.plan["csrf"], "HX-Request": "true", "Referer": f"{self.host}{url}"},
            name="/audits/[id]/answers/[item]/ (autosave)",
            catch_response=True,
        ) as response:
            found = REVISION.search(response.text or "")
            if response.status_code == 200 and found:
                self.revision = int(found.group(1))
                response.success()
            else:
                response.failure(f"autosave answered {response.status_code}")
