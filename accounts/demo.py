"""The demo's authorities, teams and one person per role, as ``make demo`` creates them.

Everything here is made up: the authority numbers 991–995 are not used by any real authority.
Five authorities, so that the de-identified benchmarks (which need five) have something to show.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts import services
from accounts.models import Authority, Region, Role, ServiceArea

DEMO_PASSWORD = "signs-of-safety"

AUTHORITIES = [
    ("991", "Ashdown", Region.SOUTH_EAST),
    ("992", "Brackenford", Region.NORTH_WEST),
    ("993", "Calderbridge", Region.YORKSHIRE),
    ("994", "Dunmore", Region.EAST_MIDLANDS),
    ("995", "Eastwick", Region.SOUTH_WEST),
]

TEAMS = [
    ("Front Door", ServiceArea.FRONT_DOOR),
    ("Assessment Team", ServiceArea.ASSESSMENT),
    ("Child Protection North", ServiceArea.CHILD_PROTECTION),
    ("Child Protection South", ServiceArea.CHILD_PROTECTION),
    ("Children in Care", ServiceArea.CHILDREN_IN_CARE),
]


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: str
    authority_code: str | None
    team_name: str | None = None


# alice and bob work in Ashdown, charlie in Brackenford: the same personas as the tests.
PERSONAS = [
    Persona("alice", "Alice", "Adeyemi", Role.PRACTITIONER, "991", "Child Protection North"),
    Persona("bob", "Bob", "Byrne", Role.TEAM_MANAGER, "991", "Child Protection North"),
    Persona("quinn", "Quinn", "Quayle", Role.QA_LEAD, "991"),
    Persona("leah", "Leah", "Lindqvist", Role.LEADER, "991"),
    Persona("charlie", "Charlie", "Chen", Role.PRACTITIONER, "992", "Assessment Team"),
    Persona("dana", "Dana", "Doyle", Role.TEAM_MANAGER, "992", "Assessment Team"),
    Persona("quentin", "Quentin", "Quigley", Role.QA_LEAD, "992"),
    Persona("leon", "Leon", "Lowe", Role.LEADER, "992"),
    Persona("cara", "Cara", "Castle", Role.PRACTITIONER, "993", "Children in Care"),
    Persona("queenie", "Queenie", "Quarshie", Role.QA_LEAD, "993"),
    Persona("lorna", "Lorna", "Lake", Role.LEADER, "993"),
    Persona("dev", "Dev", "Desai", Role.PRACTITIONER, "994", "Front Door"),
    Persona("quade", "Quade", "Quinlan", Role.QA_LEAD, "994"),
    Persona("eve", "Eve", "Ellis", Role.PRACTITIONER, "995", "Child Protection South"),
    Persona("quincy", "Quincy", "Quartey", Role.QA_LEAD, "995"),
    Persona("ana", "Ana", "Anand", Role.ANALYST, None),
    Persona("pat", "Pat", "Price", Role.PLATFORM_ADMIN, None),
    Persona("pam", "Pam", "Pollard", Role.PROGRAMME, None),
]


@transaction.atomic
def seed_people() -> list[Persona]:
    authorities: dict[str, Authority] = {}
    for code, name, region in AUTHORITIES:
        authority, _ = services.authority_ensure(code=code, name=name, region=region)
        authorities[code] = authority
        for team_name, area in TEAMS:
            services.team_ensure(authority=authority, name=team_name, service_area=area)
    for persona in PERSONAS:
        user = services.user_ensure(
            username=persona.username,
            password=DEMO_PASSWORD,
            first_name=persona.first_name,
            last_name=persona.last_name,
            email=f"{persona.username}@example.org",
        )
        home = authorities[persona.authority_code] if persona.authority_code else None
        team = home.teams.get(name=persona.team_name) if home and persona.team_name else None
        services.membership_ensure(user=user, role=persona.role, authority=home, team=team)
    return PERSONAS


def logins_table() -> str:
    names = {code: name for code, name, _ in AUTHORITIES}
    lines = [f"{'login':<10} {'role':<26} where", f"{'-' * 10} {'-' * 26} {'-' * 30}"]
    for persona in PERSONAS:
        where = names[persona.authority_code] if persona.authority_code else "all authorities"
        if persona.team_name:
            where += f", {persona.team_name}"
        lines.append(f"{persona.username:<10} {Role(persona.role).label:<26} {where}")
    lines.append(f"\nEvery demo login has the password: {DEMO_PASSWORD}")
    return "\n".join(lines)
