"""The generators at benchmark scale: realistic proportions across authorities, the same output
for a seed whatever the number of worker processes, and signed-off audits in bulk."""

import hashlib
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest
from django.core.management import call_command
from django.db.models import F

from audits import synthetic as audit_synthetic
from audits.models import Audit, AuditAnswer, AuditMove, AuditStatus, LearningAction
from cases import synthetic
from tests.bench.conftest import AS_OF

AUTHORITIES = [("801", "North"), ("802", "South"), ("803", "East")]


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def estate_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    synthetic.generate(
        out,
        authorities=AUTHORITIES,
        children_per_authority=700,
        seed=5,
        years=range(2019, 2026),
        bad_rate=0.0,
    )
    return out


def _records(folder: Path) -> dict:
    referrals: set[tuple[str, str]] = set()
    section47s: set[tuple[str, str]] = set()
    children: set[str] = set()
    for path in sorted(folder.glob("cin_census_*.xml")):
        for child in ET.parse(path).getroot().iterfind("Children/Child"):
            cid = child.findtext("ChildIdentifiers/LAchildID")
            children.add(cid)
            for details in child.iterfind("CINdetails"):
                referral = (cid, details.findtext("CINreferralDate"))
                referrals.add(referral)
                section47s.update(
                    (cid, s.findtext("S47ActualStartDate")) for s in details.iterfind("Section47")
                )
    return {"children": children, "referrals": referrals, "section47s": section47s}


def test_every_authority_has_realistic_proportions(estate_files):
    for code, _name in AUTHORITIES:
        found = _records(estate_files / code)
        per_child = len(found["referrals"]) / len(found["children"])
        assert 1.15 <= per_child <= 1.7, (code, per_child)
        assert 0.14 <= len(found["section47s"]) / len(found["referrals"]) <= 0.26
        by_child = defaultdict(list)
        for cid, day in found["referrals"]:
            by_child[cid].append(date.fromisoformat(day))
        counted = rereferred = 0
        for days in by_child.values():
            days.sort()
            for index, day in enumerate(days):
                if day < date(2019, 4, 1):
                    continue
                counted += 1
                rereferred += any(synthetic.add_years(day, -1) <= earlier for earlier in days[:index])
        assert 0.15 <= rereferred / counted <= 0.30, (code, rereferred / counted)
        episodes = (estate_files / code / "ssda903_episodes.csv").read_text().splitlines()[1:]
        looked_after = Counter(line.split(",")[0] for line in episodes)
        assert 0.03 <= len(looked_after) / 700 <= 0.12
        assert sum(looked_after.values()) / len(looked_after) >= 1.5  # several episodes each


def test_authorities_differ_but_have_the_same_shape(estate_files):
    sizes = [len(_records(estate_files / code)["referrals"]) for code, _ in AUTHORITIES]
    assert len(set(sizes)) == len(sizes)
    assert max(sizes) / min(sizes) < 1.25


def test_workers_give_byte_identical_files(tmp_path):
    kwargs = {"authorities": AUTHORITIES, "children_per_authority": 60, "seed": 9, "years": range(2023, 2026)}
    one = synthetic.generate(tmp_path / "one", **kwargs, teams=["Front Door", "Children in Care"])
    two = synthetic.generate(tmp_path / "two", **kwargs, teams=["Front Door", "Children in Care"], workers=2)
    assert one == two
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two")


def test_workers_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="at least one worker"):
        synthetic.generate(tmp_path, authorities=AUTHORITIES, children_per_authority=5, seed=1, workers=0)


# --- audits ----------------------------------------------------------------------------------------


def _signature() -> list[tuple]:
    return list(
        AuditAnswer.objects.order_by(
            "audit__signed_off_at", "audit__child__la_child_id", "item_key"
        ).values_list(
            "audit__child__la_child_id", "audit__signed_off_at", "item_key", "agreed_level", "value"
        )
    )


def test_audits_are_signed_off_with_an_answer_to_every_item(estate):
    written = audit_synthetic.generate(authorities=estate, seed=3, as_of=AS_OF, per_authority=40)
    assert written == {"991": 40, "992": 40}
    audits = Audit.objects.all()
    assert audits.count() == 80
    assert set(audits.values_list("status", flat=True)) == {AuditStatus.SIGNED_OFF}
    assert not audits.filter(signed_off_at__isnull=True).exists()
    per_audit = Counter(AuditAnswer.objects.values_list("audit_id", flat=True))
    assert set(per_audit.values()) == {19}  # the standard case audit: P1-P14 and five conversation items
    rubric = AuditAnswer.objects.filter(item_key="p1")
    assert not rubric.filter(agreed_level__isnull=True).exists()
    assert AuditMove.objects.count() == 80 * len(audit_synthetic.PATH)
    assert LearningAction.objects.count() == audits.filter(team__isnull=False).count()
    # Spread over the eight quarters before the as-of date, planned before they were signed off.
    days = [moment.date() for moment in audits.values_list("signed_off_at", flat=True)]
    assert min(days) >= date(2023, 7, 1) and max(days) < date(2025, 10, 1)
    assert len({(day.year, (day.month - 1) // 3) for day in days}) == 8
    first = audits.order_by("pk").first()
    assert first.created_at == first.signed_off_at - timedelta(days=20)
    # Each audit is of a child of its own authority, audited by someone other than the practitioner.
    assert not audits.exclude(child__authority=F("authority")).exists()
    assert not audits.filter(auditor=F("practitioner")).exists()


def test_the_same_seed_gives_the_same_audits_and_a_rerun_adds_none(estate):
    audit_synthetic.generate(authorities=estate, seed=3, as_of=AS_OF, per_authority=15)
    first = _signature()
    assert audit_synthetic.generate(authorities=estate, seed=3, as_of=AS_OF, per_authority=15) == {
        "991": 0,
        "992": 0,
    }
    assert _signature() == first
    Audit.objects.all().delete()
    audit_synthetic.generate(authorities=estate, seed=3, as_of=AS_OF, per_authority=15)
    assert _signature() == first
    Audit.objects.all().delete()
    audit_synthetic.generate(authorities=estate, seed=4, as_of=AS_OF, per_authority=15)
    assert _signature() != first


def test_the_number_of_audits_follows_the_children(estate):
    assert audit_synthetic.audit_count(153 * 2000) == 50_000
    written = audit_synthetic.generate(authorities=estate, seed=1, as_of=AS_OF)
    from cases.models import Child

    for authority in estate:
        children = Child.objects.filter(authority=authority).count()
        assert written[authority.code] == round(children * audit_synthetic.AUDITS_PER_CHILD)


def test_the_command_writes_audits_and_computes_the_measures(estate, capsys):
    from outcomes.models import MeasureValue

    call_command("generate_audits", "--authority", "991", "--per-authority", "12", "--as-of", "2025-11-20")
    assert "991: 12 audits written" in capsys.readouterr().out
    assert Audit.objects.filter(authority__code="991").count() == 12
    assert not Audit.objects.filter(authority__code="992").exists()
    assert MeasureValue.objects.filter(authority__code="991", measure="fidelity_overall").exists()


def test_the_command_refuses_an_unknown_authority(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No authority has the DfE number 123"):
        call_command("generate_audits", "--authority", "123")
