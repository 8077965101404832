"""The short locust run against gunicorn on 127.0.0.1, configured as the web container is
(``docker/gunicorn.conf.py``: two processes of eight threads unless told otherwise)."""

import csv
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CSRF_SECRET = "benchcsrfsecretbenchcsrfsecret01"  # 32 characters, as Django's CSRF cookie secret

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "docker" / "gunicorn.conf.py"


def prepare_plan(code: str, people: int, folder: Path) -> Path:
    """One audit in conversation per simulated person, in the authority ``code``, each audited by a
    team manager of the child's team; returns the plan file for the locustfile."""
    from accounts.models import Authority, Membership, Role
    from audits import services as library
    from audits.models import Audit, AuditStatus, Tool
    from audits.selectors import tool_in_use
    from cases.models import Child

    authority = Authority.objects.get(code=code)
    tool = Tool.objects.get(key="case-audit", authority__isnull=True)
    qa_lead = Membership.objects.filter(authority=authority, role=Role.QA_LEAD).first()
    library.tool_adopt(authority=authority, tool=tool, acting_user=qa_lead.user if qa_lead else None)
    version, adaptation = tool_in_use(authority=authority, tool=tool)
    staff = {
        (m.team_id, m.role): m.user
        for m in Membership.objects.filter(authority=authority).select_related("user")
    }
    rng = random.Random(8)
    children = list(Child.objects.filter(authority=authority, team__isnull=False).order_by("pk"))
    case_ids = [child.pk for child in rng.sample(children, min(200, len(children)))]
    plan: list[dict] = []
    for number in range(people):
        child = children[number * len(children) // people]
        auditor = staff[(child.team_id, Role.TEAM_MANAGER)]
        audit = Audit.objects.create(
            authority=authority,
            child=child,
            team_id=child.team_id,
            tool_version=version,
            adaptation=adaptation,
            practitioner=staff[(child.team_id, Role.PRACTITIONER)],
            auditor=auditor,
            status=AuditStatus.CONVERSATION,
        )
        plan.append(
            {
                "username": auditor.username,
                "audit": audit.pk,
                "item": "p1",
                "cases": case_ids,
            }
        )
    sessions = {username: _session(username) for username in {entry["username"] for entry in plan}}
    for entry in plan:
        entry["session"] = sessions[entry["username"]]
        entry["csrf"] = CSRF_SECRET
    path = folder / "locust-plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def _session(username: str) -> str:
    """A signed-in session for ``username``, as the login form would make it: the load test then
    measures the pages, not the password hasher (which is slow on purpose)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User

    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own server on 127.0.0.1
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {url}")


def gunicorn_command(port: int, *, workers: int = 2, threads: int = 8) -> list[str]:
    """The web container's gunicorn (its configuration file), on 127.0.0.1 without an access log.
    ``threads=1`` with the ``sync`` class is the configuration measured before threads."""
    command = [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads), "--access-logfile", "/dev/null"]
    if threads == 1:
        command += ["--worker-class", "sync"]
    return command


def _warm_up(base: str, plan: Path, *, rounds: int) -> int:
    """Ask for the pages of the load test a few times before it starts, as the page timings do after
    their warm-up: each process imports its modules and draws the dashboard's charts once (the bench
    has no Redis, so each process has its own chart cache). The processes share the requests at
    random; ``rounds`` of them make it unlikely that one is left cold. Returns the requests made."""
    entry = json.loads(plan.read_text(encoding="utf-8"))[0]
    paths = ["/outcomes/", "/cases/", f"/cases/{entry['cases'][0]}/"]
    for _ in range(rounds):
        for path in paths:
            request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={entry['session']}"})
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - 127.0.0.1
                response.read()
    return rounds * len(paths)


def run(
    plan: Path,
    *,
    users: int,
    seconds: int,
    folder: Path,
    workers: int = 2,
    threads: int = 8,
    warm_up: bool = True,
) -> dict:
    """Start gunicorn, run locust headless for ``seconds``, stop gunicorn; the aggregated figures."""
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_LOCUST_PLAN": str(plan)}
    server = subprocess.Popen(
        gunicorn_command(port, workers=workers, threads=threads),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "gunicorn.log").open("w"),
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/accounts/login/")
        warmed = _warm_up(f"http://127.0.0.1:{port}", plan, rounds=4 * workers) if warm_up else 0
        prefix = folder / "locust"
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(max(1, users // 5)),
                "--run-time",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            check=False,
            stdout=(folder / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = _summary(Path(f"{prefix}_stats.csv"), users=users, seconds=seconds)
    return {**summary, "gunicorn": {"workers": workers, "threads": threads}, "warm_up_requests": warmed}


def _summary(path: Path, *, users: int, seconds: int) -> dict:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    by_name = {}
    total: dict = {}
    for row in rows:
        figures = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "median_ms": float(row["Median Response Time"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "rps": round(float(row["Requests/s"] or 0), 1),
        }
        if row["Name"] == "Aggregated":
            total = figures
        else:
            by_name[f"{row['Type']} {row['Name']}"] = figures
    return {"users": users, "seconds": seconds, **total, "by_request": by_name}
