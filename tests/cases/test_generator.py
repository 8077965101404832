"""The synthetic returns generator: deterministic, well-formed, realistic, and bad only on request."""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as ET
import holidays
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from cases import synthetic

YEARS = range(2019, 2026)
AS_OF = date(2026, 11, 25)  # "today" of the as-of tests: the census years are 2020-2026
LAST_REFERENCE = date(2026, 3, 31)
SAMPLE_CHILDREN = 1500
XSD = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "external"
    / "cin_census"
    / "CIN_schema_2024.xsd"
)
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{2}/\d{2}/\d{4}$")


def _generate(
    out: Path, *, children: int = 150, seed: int = 7, bad_rate: float = 0.0, **kwargs
) -> synthetic.Manifest:
    return synthetic.generate(
        out,
        authorities=kwargs.pop("authorities", [("991", "Ashdown")]),
        children_per_authority=children,
        seed=seed,
        years=kwargs.pop("years", YEARS),
        as_of=kwargs.pop("as_of", None),
        bad_rate=bad_rate,
    )


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _iso(text: str) -> date:
    return date.fromisoformat(text)


def _dmy(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()  # noqa: DTZ007 - a calendar date


_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2014, 2028))


def working_days(start: date, end: date) -> int:
    """measures.md: the working days d with start < d <= end."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _BANK_HOLIDAYS:
            count += 1
    return count


class Returns:
    """One generated authority's records, de-duplicated by identity across census files as the
    importer does (the later file wins)."""

    def __init__(self, folder: Path, years: range = YEARS):
        self.referrals: dict[tuple[str, date], dict] = {}
        self.assessments: dict[tuple[str, date], date | None] = {}
        self.section47s: dict[tuple[str, date], date | None] = {}
        self.plans: dict[tuple[str, date], tuple[date | None, int]] = {}
        self.children_by_year: dict[int, set[str]] = {}
        self.referrals_by_year: dict[int, set[tuple[str, date]]] = {}
        self.ages: list[int] = []
        self.sexes: list[str] = []
        for year in years:
            root = ET.parse(folder / f"cin_census_{year}.xml").getroot()
            reference = _iso(root.findtext("Header/CollectionDetails/ReferenceDate"))
            self.children_by_year[year] = set()
            self.referrals_by_year[year] = set()
            for child in root.iterfind("Children/Child"):
                cid = child.findtext("ChildIdentifiers/LAchildID")
                born = _iso(child.findtext("ChildIdentifiers/PersonBirthDate"))
                self.ages.append(
                    reference.year - born.year - ((reference.month, reference.day) < (born.month, born.day))
                )
                self.sexes.append(child.findtext("ChildIdentifiers/GenderCurrent"))
                self.children_by_year[year].add(cid)
                for details in child.iterfind("CINdetails"):
                    referral = _iso(details.findtext("CINreferralDate"))
                    self.referrals_by_year[year].add((cid, referral))
                    self.referrals[(cid, referral)] = {"nfa": details.findtext("ReferralNFA") == "true"}
                    for a in details.iterfind("Assessments"):
                        authorised = a.findtext("AssessmentAuthorisationDate")
                        key = (cid, _iso(a.findtext("AssessmentActualStartDate")))
                        self.assessments[key] = _iso(authorised) if authorised else None
                    for s in details.iterfind("Section47"):
                        icpc = s.findtext("DateOfInitialCPC")
                        self.section47s[(cid, _iso(s.findtext("S47ActualStartDate")))] = (
                            _iso(icpc) if icpc else None
                        )
                    for p in details.iterfind("ChildProtectionPlans"):
                        end = p.findtext("CPPendDate")
                        self.plans[(cid, _iso(p.findtext("CPPstartDate")))] = (
                            _iso(end) if end else None,
                            int(p.findtext("NumberOfPreviousCPP")),
                        )
        with (folder / "ssda903_episodes.csv").open(encoding="utf-8") as handle:
            self.episodes = list(csv.DictReader(handle))
        with (folder / "ssda903_header.csv").open(encoding="utf-8") as handle:
            self.header = list(csv.DictReader(handle))

    def rereferral_share(self, since: date) -> float:
        """Referrals from ``since`` with an earlier referral of the same child within a year."""
        by_child = defaultdict(list)
        for cid, referral in self.referrals:
            by_child[cid].append(referral)
        counted = rereferred = 0
        for dates in by_child.values():
            dates.sort()
            for index, referral in enumerate(dates):
                if referral < since:
                    continue
                counted += 1
                earliest = synthetic.add_years(referral, -1)
                rereferred += any(earliest <= earlier < referral for earlier in dates[:index])
        return rereferred / counted

    def looked_after_on(self, day: date) -> dict[str, str]:
        """CHILD -> PLACE of the episode open on ``day`` (the kinship_share definition)."""
        placed = {}
        for row in self.episodes:
            ended = _dmy(row["DEC"]) if row["DEC"] else None
            if _dmy(row["DECOM"]) <= day and (ended is None or ended > day):
                placed[row["CHILD"]] = row["PLACE"]
        return placed


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, synthetic.Manifest]:
    """One authority over 2019-2025, no bad records: enough children for proportions to settle."""
    out = tmp_path_factory.mktemp("synthetic")
    return out, _generate(out, children=SAMPLE_CHILDREN, seed=2026)


@pytest.fixture(scope="module")
def returns(sample) -> Returns:
    return Returns(sample[0] / "991")


# --- A small validator for the 2024 XSD --------------------------------------------------------------
# lxml is not a dependency of the project, so the check below reads the schema with the standard
# library: element order and occurrences of every sequence, enumerations, patterns, lengths and the
# built-in types the schema uses. The lxml check further down does the same with a full validator
# when lxml happens to be installed.

XS = "{http://www.w3.org/2001/XMLSchema}"
# The 2024 schema types NumberOfPreviousCPP as xs:positiveInteger, yet a first plan has no previous
# plan: the DfE guidance records 0, and measures.md counts a plan as a repeat when the number is "1 or
# more". The generator writes 0 for first plans, so the checks read the schema with that one type
# widened to xs:nonNegativeInteger; everything else is the schema as published.
PREVIOUS_CPP_DECLARATION = 'name="NumberOfPreviousCPP" type="xs:positiveInteger"'


def schema_text() -> str:
    if not XSD.is_file():
        pytest.skip(f"the CIN census schema {XSD} is absent")
    text = XSD.read_text(encoding="utf-8")
    assert PREVIOUS_CPP_DECLARATION in text
    return text.replace(PREVIOUS_CPP_DECLARATION, 'name="NumberOfPreviousCPP" type="xs:nonNegativeInteger"')


def _builtin(type_name: str | None, text: str) -> bool:
    if type_name in ("xs:string", None):
        return True
    if type_name == "xs:date":
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and _parses(date.fromisoformat, text)
    if type_name == "xs:dateTime":
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z)?", text)) and _parses(
            datetime.fromisoformat, text
        )
    if type_name == "xs:gYear":
        return bool(re.fullmatch(r"\d{4}", text))
    if type_name == "xs:positiveInteger":
        return text.isdigit() and int(text) > 0
    if type_name == "xs:nonNegativeInteger":
        return text.isdigit()
    raise AssertionError(f"the test validator does not know {type_name}")


def _parses(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


class MiniSchema:
    def __init__(self, text: str):
        root = ET.fromstring(text)
        self.complex = {node.get("name"): node for node in root.findall(f"{XS}complexType")}
        self.simple = {node.get("name"): node for node in root.findall(f"{XS}simpleType")}
        self.top = {node.get("name"): node for node in root.findall(f"{XS}element")}

    def errors(self, document) -> list[str]:
        found: list[str] = []
        if document.tag not in self.top:
            return [f"unexpected root {document.tag}"]
        self._element(self.top[document.tag], document, document.tag, found)
        return found

    def _element(self, declaration, node, path: str, found: list[str]) -> None:
        type_name = declaration.get("type")
        complex_type = self.complex.get(type_name) if type_name else declaration.find(f"{XS}complexType")
        if complex_type is not None:
            self._sequence(complex_type.find(f"{XS}sequence"), node, path, found)
            return
        if len(node):
            found.append(f"{path}: a simple element with children")
        simple = declaration.find(f"{XS}simpleType") if type_name is None else self.simple.get(type_name)
        if not self._simple(simple, type_name, node.text or ""):
            found.append(f"{path}: {node.text!r} is not a valid {type_name or 'value'}")

    def _sequence(self, sequence, node, path: str, found: list[str]) -> None:
        children = list(node)
        index = 0
        for declaration in sequence.findall(f"{XS}element"):
            name = declaration.get("name")
            low = int(declaration.get("minOccurs", "1"))
            high = declaration.get("maxOccurs", "1")
            most = float("inf") if high == "unbounded" else int(high)
            count = 0
            while index < len(children) and children[index].tag == name and count < most:
                self._element(declaration, children[index], f"{path}/{name}", found)
                index += 1
                count += 1
            if count < low:
                found.append(f"{path}: {name} is missing")
        if index < len(children):
            found.append(f"{path}: {children[index].tag} is not expected there")

    def _simple(self, simple, type_name: str | None, text: str) -> bool:
        if simple is None:
            return _builtin(type_name, text)
        restriction = simple.find(f"{XS}restriction")
        base = restriction.get("base")
        if not self._simple(self.simple.get(base), base, text):
            return False
        values = [node.get("value") for node in restriction.findall(f"{XS}enumeration")]
        patterns = [node.get("value") for node in restriction.findall(f"{XS}pattern")]
        shortest = restriction.find(f"{XS}minLength")
        if values and text not in values:
            return False
        if patterns and not any(re.fullmatch(pattern, text) for pattern in patterns):
            return False
        return shortest is None or len(text) >= int(shortest.get("value"))


# --- Tests -------------------------------------------------------------------------------------------


def test_years_and_default_authorities():
    assert synthetic.parse_years("2019-2025") == range(2019, 2026)
    assert synthetic.parse_years("2024") == range(2024, 2025)
    with pytest.raises(ValueError, match="before the first"):
        synthetic.parse_years("2025-2019")
    assert synthetic.default_authorities(2) == [
        ("801", "Synthetic Authority 801"),
        ("802", "Synthetic Authority 802"),
    ]
    assert synthetic.add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)


def test_the_same_seed_gives_byte_identical_files_and_another_seed_other_files(tmp_path):
    authorities = [("991", "Ashdown"), ("992", "Brackenford")]
    first = _digests_of(tmp_path / "a", authorities, seed=11)
    again = _digests_of(tmp_path / "b", authorities, seed=11)
    other = _digests_of(tmp_path / "c", authorities, seed=12)
    assert len(first) == 2 * (len(YEARS) + 2) + 1  # the manifest too
    assert first == again
    changed = [name for name in first if name != "manifest.json" and first[name] != other[name]]
    assert len(changed) == len(first) - 1


def _digests_of(out: Path, authorities, seed: int) -> dict[str, str]:
    _generate(out, children=60, seed=seed, bad_rate=0.02, authorities=authorities)
    return _digests(out)


def test_authorities_draw_apart(tmp_path):
    """Two authorities of one run are not copies of each other."""
    _generate(tmp_path, children=40, authorities=[("991", "Ashdown"), ("992", "Brackenford")])
    first = (tmp_path / "991" / "ssda903_episodes.csv").read_text().replace("991", "")
    second = (tmp_path / "992" / "ssda903_episodes.csv").read_text().replace("992", "")
    assert first != second


def test_census_files_are_valid_against_the_2024_schema(sample):
    out, manifest = sample
    schema = MiniSchema(schema_text())
    for year in YEARS:
        document = ET.parse(out / "991" / f"cin_census_{year}.xml").getroot()
        assert schema.errors(document) == [], year


def test_the_schema_check_finds_errors(sample):
    """The validator above is not vacuous: elements out of order, a wrong code, a bad date fail."""
    out, _ = sample
    text = (out / "991" / "cin_census_2024.xml").read_text(encoding="utf-8")
    schema = MiniSchema(schema_text())
    swapped = text.replace("<ReferralNFA>false</ReferralNFA>", "", 1).replace(
        "<CINdetails>", "<CINdetails><ReferralNFA>false</ReferralNFA>", 1
    )
    assert schema.errors(ET.fromstring(swapped))
    assert schema.errors(ET.fromstring(text.replace("<GenderCurrent>1<", "<GenderCurrent>3<", 1)))
    assert schema.errors(
        ET.fromstring(re.sub(r"<PersonBirthDate>[^<]*", "<PersonBirthDate>2023-02-30", text, count=1))
    )


def test_census_files_validate_with_lxml(sample):
    etree = pytest.importorskip(
        "lxml.etree",
        reason="lxml is not installed (not a project dependency); the standard-library check covers this",
    )
    out, _ = sample
    schema = etree.XMLSchema(etree.fromstring(schema_text().encode("utf-8")))
    for year in YEARS:
        document = etree.parse(str(out / "991" / f"cin_census_{year}.xml"))
        assert schema.validate(document), (year, schema.error_log)


def test_census_headers_and_identifiers(sample):
    out, _ = sample
    for year in YEARS:
        text = (out / "991" / f"cin_census_{year}.xml").read_text(encoding="utf-8")
        root = ET.fromstring(text)
        assert root.findtext("Header/CollectionDetails/Collection") == "CIN"
        assert root.findtext("Header/CollectionDetails/Year") == str(year)
        assert root.findtext("Header/CollectionDetails/ReferenceDate") == f"{year}-03-31"
        assert root.findtext("Header/Source/LEA") == "991"
        assert root.findtext("Header/Source/SourceLevel") == "L"
        assert root.findtext("Header/Source/DateTime").startswith(f"{year}-")
        assert "<UPN>" not in text and "<FormerUPN>" not in text
        assert {node.text for node in root.iter("UPNunknown")} <= {"UN1"}
        reference = date(year, 3, 31)
        for child in root.iterfind("Children/Child"):
            born = _iso(child.findtext("ChildIdentifiers/PersonBirthDate"))
            assert born <= reference < synthetic.add_years(born, 18)
            for details in child.iterfind("CINdetails"):
                # Only what is known on the reference date: nothing later is written.
                for node in details.iter():
                    if node.text and DATE_TEXT.match(node.text) and node.tag != "InitialCPCtarget":
                        assert _iso(node.text) <= reference, (node.tag, node.text)
                closure = details.findtext("CINclosureDate")
                assert closure is None or _iso(closure) >= date(year - 1, 4, 1)


def test_proportions_are_realistic(returns):
    referrals = returns.referrals
    assert len(referrals) > SAMPLE_CHILDREN
    assert 0.17 <= returns.rereferral_share(since=date(2019, 4, 1)) <= 0.30
    assert 0.06 <= sum(r["nfa"] for r in referrals.values()) / len(referrals) <= 0.14
    assert 0.70 <= len(returns.assessments) / len(referrals) <= 0.92
    authorised = [(start, end) for (_, start), end in returns.assessments.items() if end]
    on_time = sum(working_days(start, end) <= 45 for start, end in authorised) / len(authorised)
    assert 0.72 <= on_time <= 0.92
    assert 0.14 <= len(returns.section47s) / len(referrals) <= 0.26
    icpcs = [(start, icpc) for (_, start), icpc in returns.section47s.items() if icpc]
    assert 0.65 <= sum(working_days(start, icpc) <= 15 for start, icpc in icpcs) / len(icpcs) <= 0.92
    assert 0.40 <= len(returns.plans) / len(icpcs) <= 0.80
    ended = [(start, end) for (_, start), (end, _) in returns.plans.items() if end]
    lengths = [(end - start).days for start, end in ended]
    assert min(lengths) < 183 and max(lengths) > 760  # from a few months to over two years
    assert any(abs((end - synthetic.add_years(start, 2)).days) <= 1 for start, end in ended)
    assert 0.05 <= sum(end >= synthetic.add_years(start, 2) for start, end in ended) / len(ended) <= 0.25
    repeats = sum(previous >= 1 for _, previous in returns.plans.values()) / len(returns.plans)
    assert 0.08 <= repeats <= 0.35


def test_children_sexes_and_looked_after_share(returns, sample):
    _, manifest = sample
    assert manifest.authorities[0].children == SAMPLE_CHILDREN
    assert min(returns.ages) >= 0 and max(returns.ages) <= 17
    sexes = returns.sexes
    assert set(sexes) <= {"0", "1", "2", "9"}
    assert (sexes.count("1") + sexes.count("2")) / len(sexes) > 0.97
    assert 0.03 <= len(returns.header) / SAMPLE_CHILDREN <= 0.12
    assert manifest.authorities[0].looked_after == len(returns.header)


def test_placements_have_a_realistic_kinship_share(returns):
    places = [row["PLACE"] for row in returns.episodes]
    assert 0.12 <= sum(place in synthetic.KINSHIP for place in places) / len(places) <= 0.26
    assert {"U4", "U6", "K2", "P1"} <= set(places)
    on_31_march = [place for year in YEARS for place in returns.looked_after_on(date(year, 3, 31)).values()]
    assert 0.08 <= sum(place in synthetic.KINSHIP for place in on_31_march) / len(on_31_march) <= 0.32


def test_ssda903_files_are_well_formed(sample, returns):
    out, _ = sample
    with (out / "991" / "ssda903_header.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(synthetic.HEADER_903)
    with (out / "991" / "ssda903_episodes.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(synthetic.EPISODES_903)
    for row in returns.header:
        assert row["UPN"] == row["MOTHER"] == row["MC_DOB"] == ""
        assert row["SEX"] in ("1", "2")
        _dmy(row["DOB"])
    postcode = re.compile(r"^[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}$")
    by_child = defaultdict(list)
    for row in returns.episodes:
        by_child[row["CHILD"]].append(row)
        assert postcode.match(row["HOME_POST"]) and postcode.match(row["PL_POST"]), row
        assert row["RNE"] in {"S", "L", "P", "T", "B", "U"}
        if row["DEC"]:
            assert _dmy(row["DEC"]) >= _dmy(row["DECOM"])
            assert row["REC"]
    assert set(by_child) == {row["CHILD"] for row in returns.header}
    assert {"S", "L", "P"} <= {row["RNE"] for row in returns.episodes}
    for rows in by_child.values():
        assert rows[0]["RNE"] == "S"
        for before, after in zip(rows, rows[1:], strict=False):
            if before["REC"] == "X1":  # the same period of care goes on the same day
                assert before["DEC"] == after["DECOM"] and after["RNE"] != "S"
            else:
                assert after["RNE"] == "S" and _dmy(after["DECOM"]) > _dmy(before["DEC"])


def test_consecutive_census_years_overlap(returns):
    for year in YEARS[1:]:
        both = returns.referrals_by_year[year - 1] & returns.referrals_by_year[year]
        assert len(both) >= 10, year


def test_a_later_census_completes_an_earlier_one(sample):
    """A case open on 31 March has no closure in that year's file and its closure in the next."""
    out, _ = sample
    closures = {}
    for year in YEARS:
        root = ET.parse(out / "991" / f"cin_census_{year}.xml").getroot()
        for child in root.iterfind("Children/Child"):
            for details in child.iterfind("CINdetails"):
                key = (child.findtext("ChildIdentifiers/LAchildID"), details.findtext("CINreferralDate"))
                closures.setdefault(key, []).append((year, details.findtext("CINclosureDate")))
    completed = [seen for seen in closures.values() if len(seen) > 1 and seen[0][1] is None and seen[-1][1]]
    assert len(completed) >= 10


def _bad_values(folder: Path) -> dict[str, int]:
    """Counts of impossible dates, ends before starts and missing child IDs in an authority's files."""
    found = {"date": 0, "order": 0, "ident": 0}
    pairs = {
        "CINdetails": ("CINreferralDate", "CINclosureDate"),
        "Assessments": ("AssessmentActualStartDate", "AssessmentAuthorisationDate"),
        "CINPlanDates": ("CINPlanStartDate", "CINPlanEndDate"),
        "Section47": ("S47ActualStartDate", "DateOfInitialCPC"),
        "ChildProtectionPlans": ("CPPstartDate", "CPPendDate"),
    }
    for path in sorted(folder.glob("cin_census_*.xml")):
        root = ET.parse(path).getroot()
        for node in root.iter():
            if node.text and DATE_TEXT.match(node.text) and not _parses(date.fromisoformat, node.text):
                found["date"] += 1
            if node.tag == "LAchildID" and not (node.text or "").strip():
                found["ident"] += 1
            if node.tag in pairs:
                start, end = (node.findtext(name) for name in pairs[node.tag])
                if start and end and _parses(date.fromisoformat, start) and _parses(date.fromisoformat, end):
                    found["order"] += _iso(end) < _iso(start)
    for name in ("ssda903_header.csv", "ssda903_episodes.csv"):
        with (folder / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found["ident"] += not row["CHILD"]
                for value in row.values():
                    if DATE_TEXT.match(value) and not _parses(_dmy, value):
                        found["date"] += 1
                if row.get("DEC") and _parses(_dmy, row["DEC"]) and _parses(_dmy, row["DECOM"]):
                    found["order"] += _dmy(row["DEC"]) < _dmy(row["DECOM"])
    return found


def test_no_bad_records_when_the_rate_is_zero(sample):
    out, manifest = sample
    assert _bad_values(out / "991") == {"date": 0, "order": 0, "ident": 0}
    assert manifest.authorities[0].bad_records == 0


def test_the_bad_rate_spoils_that_share_of_records(tmp_path):
    manifest = _generate(tmp_path, children=300, seed=5, bad_rate=0.03)
    found = _bad_values(tmp_path / "991")
    assert found["date"] > 0 and found["order"] > 0 and found["ident"] > 0
    written = manifest.authorities[0].bad_records
    assert sum(found.values()) <= written  # a spoiled child ID can hide nothing else
    assert 10 <= written <= 400


def test_the_bad_rate_leaves_the_good_data_alone(tmp_path):
    """The spoiling draws from its own generator: with or without it, the same children are made."""
    clean = _generate(tmp_path / "clean", children=80, seed=3)
    spoiled = _generate(tmp_path / "spoiled", children=80, seed=3, bad_rate=0.05)
    assert clean.authorities[0].referrals == spoiled.authorities[0].referrals
    assert clean.authorities[0].looked_after == spoiled.authorities[0].looked_after


def test_the_command_writes_the_manifest_and_prints_a_summary(tmp_path):
    stdout = io.StringIO()
    call_command(
        "generate_returns",
        "--authorities=2",
        "--children-per-authority=30",
        "--seed=4",
        f"--out={tmp_path}",
        "--codes=991,992",
        "--names=Ashdown,Brackenford",
        "--years=2023-2024",
        "--as-of=2024-03-31",
        "--bad-rate=0",
        stdout=stdout,
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [(a["code"], a["name"]) for a in manifest["authorities"]] == [
        ("991", "Ashdown"),
        ("992", "Brackenford"),
    ]
    assert manifest["years"] == [2023, 2024] and manifest["seed"] == 4
    assert manifest["authorities"][0]["files"] == [
        "991/cin_census_2023.xml",
        "991/cin_census_2024.xml",
        "991/ssda903_header.csv",
        "991/ssda903_episodes.csv",
    ]
    for authority in manifest["authorities"]:
        assert all((tmp_path / name).is_file() for name in authority["files"])
    printed = stdout.getvalue()
    assert "991 Ashdown: 30 children" in printed and "992 Brackenford: 30 children" in printed
    assert "Wrote 8 files for 2 authorities" in printed


def test_the_command_defaults_codes_and_names(tmp_path, monkeypatch):
    # The as-of date defaults to today: the seven census years ending on or before it.
    monkeypatch.setattr("cases.management.commands.generate_returns.timezone.localdate", lambda: AS_OF)
    stdout = io.StringIO()
    call_command(
        "generate_returns",
        "--authorities=2",
        "--children-per-authority=5",
        "--seed=1",
        f"--out={tmp_path}",
        stdout=stdout,
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [(a["code"], a["name"]) for a in manifest["authorities"]] == [
        ("801", "Synthetic Authority 801"),
        ("802", "Synthetic Authority 802"),
    ]
    assert manifest["years"] == list(range(2020, 2027)) and manifest["as_of"] == "2026-11-25"
    assert manifest["bad_rate"] == synthetic.DEFAULT_BAD_RATE
    assert "(census years 2020-2026, as of 2026-11-25)" in stdout.getvalue()


def test_the_command_refuses_codes_that_do_not_match(tmp_path):
    with pytest.raises(CommandError, match="lists 1 codes for 2 authorities"):
        call_command(
            "generate_returns",
            "--authorities=2",
            "--children-per-authority=5",
            "--seed=1",
            f"--out={tmp_path}",
            "--codes=991",
        )
    with pytest.raises(CommandError, match="three-digit"):
        call_command(
            "generate_returns",
            "--authorities=1",
            "--children-per-authority=5",
            "--seed=1",
            f"--out={tmp_path}",
            "--codes=99",
        )


def _import_all(folder: Path) -> dict[str, list]:
    """file name -> problems, each file parsed by the importer that recognises it."""
    registry = pytest.importorskip("cases.importers.registry", reason="the importers are not there yet")
    found = {}
    for path in sorted(folder.iterdir()):
        head = path.read_bytes()[:65536]
        importer, file_format = next(
            ((module, fmt) for module in registry.IMPORTERS if (fmt := module.detect(head, path.name))),
            (None, None),
        )
        assert importer is not None, f"no importer recognises {path.name}"
        batch = importer.parse(path, file_format, path.name)
        assert batch.record_count > 0, path.name
        if file_format == "cin_census":
            assert batch.authority_code == "991"
        found[path.name] = batch.problems
    return found


def test_the_importers_read_every_generated_file_without_rejections(sample):
    out, _ = sample
    problems = _import_all(out / "991")
    assert sorted(problems) == sorted(Path(name).name for name in sample[1].authorities[0].files)
    assert {name: [p.as_dict() for p in found] for name, found in problems.items() if found} == {}


def test_the_importers_reject_the_deliberately_bad_records(tmp_path):
    _generate(tmp_path, children=200, seed=8, bad_rate=0.03)
    problems = _import_all(tmp_path / "991")
    assert sum(len(found) for found in problems.values()) >= 10
    reasons = " ".join(p.reason for found in problems.values() for p in found)
    assert "is not a valid date" in reasons and "is before" in reasons and "is missing" in reasons


# --- The Annex A workbook and its teams --------------------------------------------------------------

TEAMS = [
    "Front Door",
    "Assessment Team",
    "Child Protection North",
    "Child Protection South",
    "Children in Care",
]
CP_TEAMS = {"Child Protection North", "Child Protection South"}
OTHER_TEAMS = {"Front Door", "Assessment Team"}
TEAM_CHILDREN = 300
EVENT_ENDS = {"assessments": "authorisation_date", "section47s": "icpc_date", "cin_plans": "end_date"}


def _generate_with_teams(out: Path, **kwargs) -> synthetic.Manifest:
    return synthetic.generate(
        out,
        authorities=kwargs.pop("authorities", [("991", "Ashdown")]),
        children_per_authority=kwargs.pop("children", TEAM_CHILDREN),
        seed=kwargs.pop("seed", 2026),
        years=kwargs.pop("years", YEARS),
        as_of=kwargs.pop("as_of", None),
        bad_rate=kwargs.pop("bad_rate", 0.0),
        teams=kwargs.pop("teams", TEAMS),
    )


@pytest.fixture(scope="module")
def teamed(tmp_path_factory) -> tuple[Path, synthetic.Manifest]:
    out = tmp_path_factory.mktemp("teamed")
    return out, _generate_with_teams(out)


def _annex_a(folder: Path):
    from cases.importers import annex_a

    path = folder / synthetic.ANNEX_A_FILE
    return annex_a.parse(path, "annex_a", path.name)


def test_the_workbook_has_lists_3_to_8_with_the_standard_columns(teamed):
    openpyxl = pytest.importorskip("openpyxl")
    out, manifest = teamed
    assert manifest.authorities[0].files[-1] == "991/annex_a.xlsx"
    book = openpyxl.load_workbook(out / "991" / "annex_a.xlsx", read_only=True)
    try:
        assert book.sheetnames == [
            "List 3 - Referrals",
            "List 4 - Assessments",
            "List 5 - Section 47",
            "List 6 - Children in Need",
            "List 7 - Child Protection",
            "List 8 - Children Looked After",
        ]
        for sheet in book.worksheets:
            header = next(sheet.iter_rows(max_row=1, values_only=True))
            assert header[:6] == (
                "Child Unique ID",
                "Gender",
                "Ethnicity",
                "Date of Birth",
                "Age of Child (Years)",
                "Allocated team",
            )
    finally:
        book.close()


def test_every_child_of_the_workbook_has_a_team_by_the_rules(teamed):
    out, _ = teamed
    batch = _annex_a(out / "991")
    assert batch.problems == []
    teams = {child: fields["team_name"] for child, fields in batch.children.items()}
    assert set(teams.values()) == set(TEAMS)
    looked_after = {child for child, _ in batch.events["care_episodes"]}
    protected = {child for child, _ in batch.events["cp_plans"]} - looked_after
    others = set(teams) - looked_after - protected
    assert looked_after and protected and others
    assert {teams[child] for child in looked_after} == {"Children in Care"}
    assert {teams[child] for child in protected} == CP_TEAMS
    assert {teams[child] for child in others} == OTHER_TEAMS
    # Dealt out in turn: the two child protection teams differ by one child at most.
    north = sum(teams[child] == "Child Protection North" for child in protected)
    assert abs(2 * north - len(protected)) <= 1
    front_door = sum(teams[child] == "Front Door" for child in others)
    assert abs(2 * front_door - len(others)) <= 1


def test_the_workbook_holds_the_last_census_years_records_with_their_dates(teamed):
    out, _ = teamed
    folder = out / "991"
    batch = _annex_a(folder)
    returns = Returns(folder)
    year_start, reference = date(YEARS[-1] - 1, 4, 1), date(YEARS[-1], 3, 31)
    # List 3: every referral of the last census year, and nothing else.
    in_year = {key for key in returns.referrals_by_year[YEARS[-1]] if year_start <= key[1] <= reference}
    assert set(batch.events["referrals"]) == in_year
    for key, fields in batch.events["referrals"].items():
        assert fields["nfa"] == returns.referrals[key]["nfa"]
    # List 7: every plan open at some point of the year, with the end and count the census gives.
    last = ET.parse(folder / f"cin_census_{YEARS[-1]}.xml").getroot()
    plans = {
        (child.findtext("ChildIdentifiers/LAchildID"), _iso(p.findtext("CPPstartDate")))
        for child in last.iterfind("Children/Child")
        for p in child.iterfind("CINdetails/ChildProtectionPlans")
    }
    assert set(batch.events["cp_plans"]) == plans
    for key, fields in batch.events["cp_plans"].items():
        assert (fields["end_date"], fields["previous_plans"]) == returns.plans[key]
    # List 8: the first SSDA903 episode of every period of care the year saw.
    starts = {(row["CHILD"], _dmy(row["DECOM"])): row for row in returns.episodes if row["RNE"] == "S"}
    assert set(batch.events["care_episodes"]) <= set(starts)
    for key, fields in batch.events["care_episodes"].items():
        row = starts[key]
        assert (fields["legal_status"], fields["placement"], fields["category_of_need"]) == (
            row["LS"],
            row["PLACE"],
            row["CIN"],
        )
    looked_after_in_year = {
        row["CHILD"]
        for row in returns.episodes
        if _dmy(row["DECOM"]) <= reference and (not row["DEC"] or _dmy(row["DEC"]) >= year_start)
    }
    assert {child for child, _ in batch.events["care_episodes"]} == looked_after_in_year
    # Lists 4 to 6: the assessments, enquiries and CIN plans of the last census file, with its dates.
    for table, element, start, end in (
        ("assessments", "Assessments", "AssessmentActualStartDate", "AssessmentAuthorisationDate"),
        ("section47s", "Section47", "S47ActualStartDate", "DateOfInitialCPC"),
        ("cin_plans", "CINPlanDates", "CINPlanStartDate", "CINPlanEndDate"),
    ):
        in_census = {
            (child.findtext("ChildIdentifiers/LAchildID"), _iso(node.findtext(start))): node.findtext(end)
            for child in last.iterfind("Children/Child")
            for node in child.iterfind(f"CINdetails/{element}")
        }
        in_workbook = {
            key: fields[EVENT_ENDS[table]].isoformat() if fields[EVENT_ENDS[table]] else None
            for key, fields in batch.events[table].items()
        }
        assert in_workbook == in_census, table


def _store_file(path: Path, authority):
    from cases.importers import registry
    from cases.importers.store import store_batch

    head = path.read_bytes()[:65536]
    importer, file_format = next(
        (module, fmt) for module in registry.IMPORTERS if (fmt := module.detect(head, path.name))
    )
    batch = importer.parse(path, file_format, path.name)
    assert batch.problems == [], path.name
    return batch, store_batch(batch, authority)


def _snapshot() -> dict[str, list[Any]]:
    from cases.importers.store import MODELS
    from cases.models import Child

    tables: dict[str, list[Any]] = {
        table: list(model._default_manager.order_by("pk").values()) for table, model in MODELS.items()
    }
    tables["children"] = list(
        Child.objects.order_by("pk").values("la_child_id", "birth_month", "sex", "ethnicity", "disabilities")
    )
    return tables


@pytest.mark.django_db
def test_importing_the_workbook_after_the_returns_only_sets_teams(teamed):
    from cases.models import Child
    from tests.factories import AuthorityFactory, TeamFactory

    out, _ = teamed
    folder = out / "991"
    authority = AuthorityFactory(code="991")
    teams = {name: TeamFactory(authority=authority, name=name) for name in TEAMS}
    returns = [folder / f"cin_census_{year}.xml" for year in YEARS]
    returns += [folder / "ssda903_header.csv", folder / "ssda903_episodes.csv"]
    for path in returns:
        _store_file(path, authority)
    assert not Child.objects.filter(team__isnull=False).exists()
    before = _snapshot()

    batch, result = _store_file(folder / "annex_a.xlsx", authority)
    # Every record is already there with the same values: only the children's teams change.
    events = sum(len(rows) for rows in batch.events.values())
    assert (result.stored, result.updated, result.unchanged) == (0, len(batch.children), events)
    assert _snapshot() == before
    allocated = dict(Child.objects.filter(team__isnull=False).values_list("la_child_id", "team__name"))
    assert allocated == {child: fields["team_name"] for child, fields in _annex_a(folder).children.items()}
    assert set(allocated.values()) == set(TEAMS)
    assert Child.objects.filter(team=teams["Children in Care"], care_episodes__isnull=False).exists()

    _, again = _store_file(folder / "annex_a.xlsx", authority)
    assert (again.stored, again.updated, again.unchanged) == (0, 0, batch.record_count)


def test_the_workbook_is_byte_identical_between_runs(tmp_path):
    first = _generate_with_teams(tmp_path / "a", children=60, bad_rate=0.02)
    again = _generate_with_teams(tmp_path / "b", children=60, bad_rate=0.02)
    assert first == again
    digests = _digests(tmp_path / "a")
    assert digests == _digests(tmp_path / "b")
    assert "991/annex_a.xlsx" in digests
    # No clock inside: every zip entry and the document properties carry the as-of date, here (by
    # default) the last census reference date.
    with zipfile.ZipFile(tmp_path / "a" / "991" / "annex_a.xlsx") as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(YEARS[-1], 3, 31, 9, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert core.count(f"{YEARS[-1]}-03-31T09:00:00Z") == 2  # created and modified


def test_teams_leave_the_other_files_alone(tmp_path):
    _generate_with_teams(tmp_path / "teams", children=60, bad_rate=0.02)
    _generate(tmp_path / "plain", children=60, seed=2026, bad_rate=0.02)
    with_teams, plain = _digests(tmp_path / "teams"), _digests(tmp_path / "plain")
    assert set(with_teams) - set(plain) == {"991/annex_a.xlsx"}
    assert {name for name in plain if plain[name] != with_teams[name]} == {"manifest.json"}
    assert not (tmp_path / "plain" / "991" / "annex_a.xlsx").exists()


def test_the_bad_rate_spoils_workbook_rows_too(tmp_path):
    manifest = _generate_with_teams(tmp_path, children=200, seed=8, bad_rate=0.05)
    plain = _generate(tmp_path / "plain", children=200, seed=8, bad_rate=0.05)
    problems = _annex_a(tmp_path / "991").problems
    assert problems
    assert manifest.authorities[0].bad_records > plain.authorities[0].bad_records


def test_team_rules_fall_back_to_any_team():
    rules = synthetic.TeamRules.from_names(["Alpha", "Beta"])
    chosen = [rules.choose(looked_after=True, protected=False) for _ in range(4)]
    chosen += [rules.choose(looked_after=False, protected=True) for _ in range(2)]
    assert chosen == ["Alpha", "Beta", "Alpha", "Beta", "Alpha", "Beta"]
    rules = synthetic.TeamRules.from_names(["Children in Care", "Child Protection"])
    assert rules.choose(looked_after=False, protected=False) == "Children in Care"
    assert rules.choose(looked_after=False, protected=False) == "Child Protection"
    assert rules.choose(looked_after=True, protected=True) == "Children in Care"
    assert rules.choose(looked_after=False, protected=True) == "Child Protection"


@pytest.mark.parametrize("teams", [["Front Door", "front door "], ["Front Door", " "], ["x" * 121]])
def test_team_names_must_be_distinct_and_usable(tmp_path, teams):
    with pytest.raises(ValueError, match="team names"):
        _generate_with_teams(tmp_path, children=5, teams=teams)


def test_the_command_writes_the_workbook_with_teams(tmp_path):
    stdout = io.StringIO()
    call_command(
        "generate_returns",
        "--authorities=1",
        "--children-per-authority=30",
        "--seed=4",
        f"--out={tmp_path}",
        "--codes=991",
        "--years=2023-2024",
        "--as-of=2024-03-31",
        "--bad-rate=0",
        "--teams=Front Door, Assessment Team,Child Protection North,Child Protection South,Children in Care",
        stdout=stdout,
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["authorities"][0]["files"][-1] == "991/annex_a.xlsx"
    assert "Wrote 5 files for 1 authorities" in stdout.getvalue()
    teams = {fields["team_name"] for fields in _annex_a(tmp_path / "991").children.values()}
    assert teams <= set(TEAMS) and "Front Door" in teams


# --- An as-of date: the returns an authority holds on a day after its last census ----------------------


@pytest.mark.parametrize(
    ("as_of", "years"),
    [
        (date(2026, 11, 25), range(2020, 2027)),
        (date(2026, 3, 31), range(2020, 2027)),  # the census year 2026 ends that day
        (date(2026, 3, 30), range(2019, 2026)),
        (date(2024, 2, 29), range(2017, 2024)),
        (date(2025, 1, 1), range(2018, 2025)),
    ],
)
def test_the_census_years_are_the_seven_ending_on_or_before_the_as_of_date(as_of, years):
    assert synthetic.census_years(as_of) == years


def test_census_years_may_not_end_after_the_as_of_date(tmp_path):
    with pytest.raises(ValueError, match="the census year 2026 ends on 2026-03-31, after the as-of date"):
        _generate(tmp_path, children=5, years=range(2024, 2027), as_of=date(2026, 3, 30))
    with pytest.raises(CommandError, match="after the as-of date 2025-06-01"):
        call_command(*_command_args(tmp_path, "--years=2024-2026", "--as-of=2025-06-01"))
    with pytest.raises(CommandError, match="is not a date"):
        call_command(*_command_args(tmp_path, "--as-of=25/11/2026"))


def _command_args(out: Path, *more: str) -> list[str]:
    return [
        "generate_returns",
        "--authorities=1",
        "--children-per-authority=5",
        "--seed=1",
        f"--out={out}",
        "--codes=991",
        *more,
    ]


@pytest.fixture(scope="module")
def as_of_sample(tmp_path_factory) -> tuple[Path, synthetic.Manifest]:
    """One authority as it stands on 25 November 2026, with teams: census years 2020-2026 and an Annex
    A workbook from 1 April 2025 to 25 November 2026."""
    out = tmp_path_factory.mktemp("as_of")
    return out, _generate_with_teams(out, years=None, as_of=AS_OF)


def test_an_as_of_date_gives_its_census_years_and_runs_the_histories_up_to_it(as_of_sample):
    out, manifest = as_of_sample
    assert manifest.years == list(range(2020, 2027)) and manifest.as_of == "2026-11-25"
    assert manifest.authorities[0].files == [
        *(f"991/cin_census_{year}.xml" for year in range(2020, 2027)),
        "991/ssda903_header.csv",
        "991/ssda903_episodes.csv",
        "991/annex_a.xlsx",
    ]
    root = ET.parse(out / "991" / "cin_census_2026.xml").getroot()
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2026-03-31"


def _workbook_dates(path: Path) -> list[tuple[str, date]]:
    """(sheet, date) of every date cell of a workbook."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            (sheet.title, value.date())
            for sheet in book.worksheets
            for row in sheet.iter_rows(min_row=2, values_only=True)
            for value in row
            if isinstance(value, datetime)
        ]
    finally:
        book.close()


def test_nothing_dated_after_the_as_of_date_is_written(as_of_sample):
    out, _ = as_of_sample
    folder = out / "991"
    for year in range(2020, 2027):
        root = ET.parse(folder / f"cin_census_{year}.xml").getroot()
        assert root.findtext("Header/Source/DateTime") == f"{year}-05-15T09:00:00"
        for node in root.iter("CINdetails"):
            for element in node.iter():
                # A conference's target is a deadline set on the enquiry's first day, not an event.
                if element.text and DATE_TEXT.match(element.text) and element.tag != "InitialCPCtarget":
                    assert _iso(element.text) <= date(year, 3, 31), (year, element.tag, element.text)
    # The SSDA903 is a yearly return too: as at the last census reference date.
    returns = Returns(folder, years=range(2020, 2027))
    episode_dates = [_dmy(row[name]) for row in returns.episodes for name in ("DECOM", "DEC") if row[name]]
    assert max(episode_dates) <= LAST_REFERENCE
    # The workbook reaches the as-of date and no further.
    dated = _workbook_dates(folder / synthetic.ANNEX_A_FILE)
    assert max(day for _, day in dated) <= AS_OF
    later = {sheet for sheet, day in dated if day > LAST_REFERENCE}
    assert later == {sheet for sheet, _ in synthetic.ANNEX_A_SHEETS}
    with zipfile.ZipFile(folder / synthetic.ANNEX_A_FILE) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2026, 11, 25, 9, 0, 0)}


def test_the_workbook_runs_from_the_last_census_year_to_the_as_of_date(as_of_sample):
    out, _ = as_of_sample
    folder = out / "991"
    batch = _annex_a(folder)
    assert batch.problems == []
    returns = Returns(folder, years=range(2020, 2027))
    year_start = date(2025, 4, 1)
    # List 3: the referrals of the census year 2026, then those made since.
    referrals = set(batch.events["referrals"])
    assert all(year_start <= day <= AS_OF for _, day in referrals)
    in_census = {key for key in returns.referrals_by_year[2026] if key[1] >= year_start}
    assert {key for key in referrals if key[1] <= LAST_REFERENCE} == in_census
    assert len(referrals - in_census) >= 20
    # The workbook completes what was open on 31 March: conferences held, plans ended, assessments
    # authorised since; the census's own dates are kept.
    assessments = {key: fields["authorisation_date"] for key, fields in batch.events["assessments"].items()}
    assert all(
        assessments[key] == end for key, end in returns.assessments.items() if key in assessments and end
    )
    assert any(
        returns.assessments.get(key, date.max) is None and end is not None for key, end in assessments.items()
    )
    plans = {key: fields["end_date"] for key, fields in batch.events["cp_plans"].items()}
    assert any(
        returns.plans.get(key, (date.max,))[0] is None and end is not None for key, end in plans.items()
    )
    assert all(end is None or end <= AS_OF for end in plans.values())
    enquiries = batch.events["section47s"]
    assert any(key[1] > LAST_REFERENCE and fields["icpc_date"] for key, fields in enquiries.items())
    # List 8: entries to care since 31 March are there, as the first episodes of new periods.
    starts = {key for key in batch.events["care_episodes"] if key[1] > LAST_REFERENCE}
    assert starts and not starts & {(row["CHILD"], _dmy(row["DECOM"])) for row in returns.episodes}


@pytest.mark.django_db
def test_the_months_since_the_last_census_are_imported_and_counted(as_of_sample):
    """Imported as the demo does (census years, SSDA903, then the workbook), the records dated after
    the last census reach the case measures: the financial year 2026-27 is Annex A's alone."""
    from outcomes import case_measures
    from outcomes.services import calendar_ensure
    from tests.factories import AuthorityFactory, TeamFactory

    out, _ = as_of_sample
    folder = out / "991"
    authority = AuthorityFactory(code="991")
    for name in TEAMS:
        TeamFactory(authority=authority, name=name)
    paths = [folder / f"cin_census_{year}.xml" for year in range(2020, 2027)]
    paths += [folder / "ssda903_header.csv", folder / "ssda903_episodes.csv", folder / "annex_a.xlsx"]
    for path in paths:
        _store_file(path, authority)
    calendar_ensure(first=date(2016, 1, 1), last=AS_OF)
    batch = _annex_a(folder)
    since = {
        table: {key: f for key, f in rows.items() if key[1] > LAST_REFERENCE}
        for table, rows in batch.events.items()
    }

    def year_2026(measure) -> tuple[int, int]:
        found = measure(period_type="year", authority_ids=[authority.pk], by_team=False)
        return found.get((authority.pk, None, date(2026, 4, 1)), (0, 0))

    assert year_2026(case_measures.referrals)[0] == len(since["referrals"]) > 0
    assert year_2026(case_measures.rereferrals_12m)[1] == len(since["referrals"])
    assert year_2026(case_measures.cp_plan_starts)[0] == len(since["cp_plans"]) > 0
    assert year_2026(case_measures.cla_starts)[0] == len(since["care_episodes"]) > 0
    authorised = [
        f
        for f in batch.events["assessments"].values()
        if (f["authorisation_date"] or date.min) > LAST_REFERENCE
    ]
    assert year_2026(case_measures.assessments_45wd)[1] == len(authorised) > 0
    conferences = [
        f for f in batch.events["section47s"].values() if (f["icpc_date"] or date.min) > LAST_REFERENCE
    ]
    assert year_2026(case_measures.icpc_15wd)[1] == len(conferences) > 0
    # And last quarter (Q2 2026-27, July to September) has referrals and assessments of its own.
    quarter = case_measures.referrals(period_type="quarter", authority_ids=[authority.pk], by_team=False)
    assert quarter[(authority.pk, None, date(2026, 7, 1))][0] > 0
    # Nothing stored is dated after the as-of date.
    from cases.models import Assessment, CareEpisode, CPPlan, Referral, Section47

    assert not Referral.objects.filter(referral_date__gt=AS_OF).exists()
    assert not Assessment.objects.filter(authorisation_date__gt=AS_OF).exists()
    assert not Section47.objects.filter(icpc_date__gt=AS_OF).exists()
    assert not CPPlan.objects.filter(Q(start_date__gt=AS_OF) | Q(end_date__gt=AS_OF)).exists()
    assert not CareEpisode.objects.filter(Q(start_date__gt=AS_OF) | Q(end_date__gt=AS_OF)).exists()


def test_the_same_as_of_date_gives_the_same_files(tmp_path):
    first = _generate_with_teams(tmp_path / "a", children=60, bad_rate=0.02, years=None, as_of=AS_OF)
    again = _generate_with_teams(tmp_path / "b", children=60, bad_rate=0.02, years=None, as_of=AS_OF)
    assert first == again
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    later = _generate_with_teams(
        tmp_path / "c", children=60, bad_rate=0.02, years=None, as_of=date(2026, 11, 26)
    )
    assert later.years == first.years and _digests(tmp_path / "c") != _digests(tmp_path / "a")


def test_a_later_run_removes_the_census_years_it_no_longer_writes(tmp_path):
    call_command(*_command_args(tmp_path, "--as-of=2026-03-30", "--teams=Front Door"), stdout=io.StringIO())
    assert (tmp_path / "991" / "cin_census_2019.xml").is_file()
    (tmp_path / "991" / "notes.txt").write_text("kept")
    call_command(*_command_args(tmp_path, "--as-of=2026-11-25"), stdout=io.StringIO())
    names = sorted(path.name for path in (tmp_path / "991").iterdir())
    assert names == [
        *(f"cin_census_{year}.xml" for year in range(2020, 2027)),
        "notes.txt",
        "ssda903_episodes.csv",
        "ssda903_header.csv",
    ]
