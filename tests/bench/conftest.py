"""A small estate for the benchmark tests: two authorities with the demo's five teams and staff,
their made-up returns imported through the importer service."""

from datetime import date
from pathlib import Path

import pytest

from accounts.models import Authority, Role
from bench.estate import TEAMS
from cases import synthetic
from cases.services import import_files
from tests.factories import MembershipFactory, TeamFactory, UserFactory

AS_OF = date(2025, 11, 20)
YEARS = range(2021, 2026)
CODES = ("991", "992")


def build_estate(folder: Path, *, children: int = 120, seed: int = 11) -> list[Authority]:
    synthetic.generate(
        folder,
        authorities=[(code, f"Authority {code}") for code in CODES],
        children_per_authority=children,
        seed=seed,
        years=YEARS,
        as_of=AS_OF,
        bad_rate=0.0,
        teams=[name for name, _ in TEAMS],
    )
    authorities = []
    for code in CODES:
        authority = Authority.objects.create(code=code, name=f"Authority {code}")
        for index, (name, area) in enumerate(TEAMS):
            team = TeamFactory(authority=authority, name=name, service_area=area)
            MembershipFactory(
                user=UserFactory(username=f"tm{code}{index}"),
                authority=authority,
                team=team,
                role=Role.TEAM_MANAGER,
            )
            MembershipFactory(
                user=UserFactory(username=f"sw{code}{index}"),
                authority=authority,
                team=team,
                role=Role.PRACTITIONER,
            )
        MembershipFactory(user=UserFactory(username=f"qa{code}"), authority=authority, role=Role.QA_LEAD)
        paths = sorted((folder / code).glob("cin_census_*.xml"))
        paths += [folder / code / name for name in ("ssda903_header.csv", "ssda903_episodes.csv")]
        paths.append(folder / code / synthetic.ANNEX_A_FILE)
        runs = import_files(authority=authority, paths=paths)
        assert all(run.status == "done" for run in runs), [run.error for run in runs]
        authorities.append(authority)
    return authorities


@pytest.fixture
def estate(db, tmp_path) -> list[Authority]:
    return build_estate(tmp_path)
