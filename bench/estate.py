"""The benchmark's estate: its database, its authorities with teams and staff, and the made-up
returns and audits, imported the way a QA lead imports them.

The database is the bench's own (``qa_bench`` unless ``BENCH_DATABASE_URL`` names another), dropped
and created at the start of each run, so that a run never touches anyone's data.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qa_bench"
TEAMS = (
    ("Front Door", "front_door"),
    ("Assessment Team", "assessment"),
    ("Child Protection North", "child_protection"),
    ("Child Protection South", "child_protection"),
    ("Children in Care", "children_in_care"),
)
PASSWORD = "bench-password"  # every bench login; the database is thrown away after the run
PRACTITIONERS_PER_TEAM = 3


@dataclass(frozen=True)
class Scale:
    name: str
    authorities: int
    children: int
    years: range = range(2019, 2026)
    workers: int = 2

    @property
    def label(self) -> str:
        return self.name if self.name == "full" else f"{self.authorities}x{self.children}"


SCALES = {
    "quick": Scale("quick", 20, 2000),
    "full": Scale("full", 153, 2000),
}


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def recreate_database(url: str) -> None:
    """Drop and create the bench database (connecting to the server's ``postgres`` database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"Refusing an unusual database name {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Estate:
    """What the build made, for the measurements that follow."""

    codes: list[str]
    leaders: dict[str, str] = field(default_factory=dict)  # code -> username
    qa_leads: dict[str, str] = field(default_factory=dict)


def create_people(scale: Scale) -> Estate:
    """Authorities 801, 802, ... with the five demo teams, a leader, a QA lead, and per team a
    manager and practitioners; written in bulk (one password hash for all)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Authority, Membership, Role, Team, User
    from cases import synthetic

    authorities = Authority.objects.bulk_create(
        [Authority(code=code, name=name) for code, name in synthetic.default_authorities(scale.authorities)]
    )
    teams = Team.objects.bulk_create(
        [
            Team(authority=authority, name=name, service_area=area)
            for authority in authorities
            for name, area in TEAMS
        ]
    )
    hashed = make_password(PASSWORD)
    people: list[tuple[User, Authority, Team | None, str]] = []
    for authority in authorities:
        people.append((User(username=f"leader{authority.code}"), authority, None, Role.LEADER))
        people.append((User(username=f"qa{authority.code}"), authority, None, Role.QA_LEAD))
        for index, team in enumerate(t for t in teams if t.authority_id == authority.pk):
            people.append((User(username=f"tm{authority.code}_{index}"), authority, team, Role.TEAM_MANAGER))
            for number in range(PRACTITIONERS_PER_TEAM):
                username = f"sw{authority.code}_{index}_{number}"
                people.append((User(username=username), authority, team, Role.PRACTITIONER))
    for user, *_ in people:
        user.password = hashed
        user.first_name, user.last_name = "Bench", user.username
    User.objects.bulk_create([user for user, *_ in people])
    Membership.objects.bulk_create(
        [
            Membership(user=user, authority=authority, team=team, role=role)
            for user, authority, team, role in people
        ]
    )
    codes = [authority.code for authority in authorities]
    return Estate(
        codes=codes,
        leaders={code: f"leader{code}" for code in codes},
        qa_leads={code: f"qa{code}" for code in codes},
    )


def cin_children(path: Path) -> int:
    """The child records of a CIN census file (its ``<Child>`` elements)."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"<Child>") for chunk in iter(lambda: handle.read(1 << 20), b""))


def import_paths(code: str, paths: list[Path], *, username: str) -> dict[str, int]:
    """Import files through the importer service, as ``import_returns`` does; totals of the runs."""
    from accounts.models import Authority, User
    from cases.services import import_files

    runs = import_files(
        authority=Authority.objects.get(code=code),
        paths=paths,
        acting_user=User.objects.get(username=username),
    )
    totals = {"files": len(runs), "stored": 0, "updated": 0, "unchanged": 0, "rejected": 0, "refused": 0}
    for run in runs:
        totals["refused"] += run.status == "rejected"
        for name in ("stored", "updated", "unchanged", "rejected"):
            totals[name] += getattr(run, name)
    return totals
