"""The CIN census importer: the shared sample files, hand-written edge cases, hostile XML, and a
property test that every record written into a generated census is read back by its identity."""

import re
import time
import tracemalloc
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.importers import cin_census
from cases.importers.base import Batch, FileRejected
from cases.importers.store import store_batch
from cases.models import Assessment, Child, CINPlan, CPPlan, ImportFormat, Referral, Section47
from tests.cases import cin_samples as cin
from tests.factories import AuthorityFactory

TABLES = ["referrals", "assessments", "cin_plans", "section47s", "cp_plans"]
MODELS = {
    "referrals": Referral,
    "assessments": Assessment,
    "cin_plans": CINPlan,
    "section47s": Section47,
    "cp_plans": CPPlan,
}
UPN_LIKE = re.compile(r"\b[A-Za-z]\d{11}[A-Za-z\d]\b")

# What each shared sample holds, worked out by reading the files. CIN2rows repeats its child
# protection plan (kept once); CIN_Census_2024 and _2026 have an assessment authorised in 2020 for a
# start in 2028 (rejected), and 2026 adds a PreProceedingsandFGDM block the importer ignores.
ONE_OF_EACH = {
    "children": 1,
    "referrals": 1,
    "assessments": 1,
    "cin_plans": 1,
    "section47s": 1,
    "cp_plans": 1,
}
BACKWARDS_ASSESSMENT = [("DfEX0000001", "AssessmentAuthorisationDate", "Child 1, CINdetails 1, Assessment 1")]
SAMPLES: dict[str, dict[str, Any]] = {
    "CIN2rows.xml": {"lea": "201", **ONE_OF_EACH, "problems": []},
    "CIN_Census_2021.xml": {"lea": "201", **ONE_OF_EACH, "problems": []},
    "liia-cin-2022.xml": {"lea": "201", **ONE_OF_EACH, "problems": []},
    "CIN_Census_2024.xml": {
        "lea": "201",
        **ONE_OF_EACH,
        "children": 2,
        "referrals": 2,
        "problems": BACKWARDS_ASSESSMENT,
    },
    "CIN_Census_2026.xml": {
        "lea": "201",
        **ONE_OF_EACH,
        "children": 2,
        "referrals": 2,
        "problems": BACKWARDS_ASSESSMENT,
    },
    "fake_CIN_data.xml": {
        "lea": "975",
        "children": 332,
        "referrals": 402,
        "assessments": 0,
        "cin_plans": 0,
        "section47s": 0,
        "cp_plans": 0,
        "problems": [],
    },
}


def parse_file(path: Path) -> Batch:
    return cin_census.parse(path, ImportFormat.CIN_CENSUS, path.name)


def parse_text(tmp_path: Path, text: str | bytes) -> Batch:
    return parse_file(cin.write(tmp_path, text))


def counts(batch: Batch) -> dict[str, int]:
    return {"children": len(batch.children), **{table: len(batch.events[table]) for table in TABLES}}


def stored_counts(authority) -> dict[str, int]:
    found = {"children": Child.objects.filter(authority=authority).count()}
    for table, model in MODELS.items():
        found[table] = model._default_manager.filter(child__authority=authority).count()
    return found


def problem_keys(batch: Batch) -> list[tuple[str, str, str]]:
    return [(problem.child, problem.field, problem.where) for problem in batch.problems]


def everything_stored(authority) -> str:
    rows: list[Any] = list(Child.objects.filter(authority=authority).values())
    for model in MODELS.values():
        rows += list(model._default_manager.filter(child__authority=authority).values())
    return repr(rows)


# ---------------------------------------------------------------------------------------------------
# The shared sample files


def test_every_shared_sample_has_expected_numbers(external_data):
    """A new sample file must be read and its numbers written down here."""
    assert sorted(path.name for path in (external_data / "cin_census").glob("*.xml")) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_file_parses_to_the_expected_records(external_data, name):
    expected = SAMPLES[name]
    path = external_data / "cin_census" / name

    batch = parse_file(path)

    assert cin_census.detect(path.read_bytes()[:65536], name) == ImportFormat.CIN_CENSUS
    assert batch.authority_code == expected["lea"]
    assert counts(batch) == {key: expected[key] for key in ["children", *TABLES]}
    assert problem_keys(batch) == expected["problems"]
    assert all(problem.file == name for problem in batch.problems)
    assert all(
        fields.get("birth_month") is None or fields["birth_month"].day == 1
        for fields in batch.children.values()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_file_is_stored_once_and_reimport_changes_nothing(external_data, name):
    expected = SAMPLES[name]
    path = external_data / "cin_census" / name
    authority = AuthorityFactory(code=expected["lea"])

    first = store_batch(parse_file(path), authority)
    second = store_batch(parse_file(path), authority)

    records = sum(expected[key] for key in ["children", *TABLES])
    assert (first.stored, first.updated, first.unchanged) == (records, 0, 0)
    assert (second.stored, second.updated, second.unchanged) == (0, 0, records)
    assert stored_counts(authority) == {key: expected[key] for key in ["children", *TABLES]}
    assert not Child.objects.filter(authority=authority, birth_month__day__gt=1).exists()
    assert (
        Child.objects.filter(authority=authority, birth_month__isnull=False).count() == expected["children"]
    )
    # Neither a UPN of the file nor anything shaped like one is stored.
    upns = re.findall(r"<(?:Former)?UPN>\s*([^<]+?)\s*</", path.read_text())
    assert upns
    stored = everything_stored(authority)
    assert not any(upn in stored for upn in upns)
    assert not UPN_LIKE.search(stored)


@pytest.mark.django_db
def test_cin2rows_fields_are_stored_as_in_the_file(external_data):
    authority = AuthorityFactory(code="201")
    store_batch(parse_file(external_data / "cin_census" / "CIN2rows.xml"), authority)

    child = Child.objects.get(authority=authority, la_child_id="DfEX0000001")
    assert (child.birth_month, child.sex, child.ethnicity, child.disabilities) == (
        date(2015, 3, 1),
        "1",
        "WBRI",
        ["HAND", "HEAR"],
    )
    referral = Referral.objects.get(child=child)
    assert (referral.referral_date, referral.referral_source, referral.primary_need, referral.nfa) == (
        date(2022, 10, 6),
        "1A",
        "N4",
        False,
    )
    assert (referral.closure_date, referral.closure_reason, referral.initial_cpc_date) == (
        date(2023, 2, 27),
        "RC1",
        date(2022, 12, 6),
    )
    assessment = Assessment.objects.get(child=child)
    assert (
        assessment.start_date,
        assessment.authorisation_date,
        assessment.factors,
        assessment.referral_date,
    ) == (
        date(2023, 1, 24),
        None,
        [],
        date(2022, 10, 6),
    )
    plan = CINPlan.objects.get(child=child)
    assert (plan.start_date, plan.end_date) == (date(2023, 1, 24), date(2023, 1, 26))
    s47 = Section47.objects.get(child=child)
    assert (s47.start_date, s47.icpc_target, s47.icpc_date, s47.icpc_not_required) == (
        date(2022, 6, 2),
        date(2022, 6, 23),
        date(2022, 6, 17),
        False,
    )
    cp = CPPlan.objects.get(child=child)
    assert (cp.start_date, cp.end_date, cp.initial_category, cp.latest_category, cp.previous_plans) == (
        date(2022, 2, 17),
        date(2023, 3, 14),
        "PHY",
        "PHY",
        10,
    )
    assert cp.review_dates == ["2023-02-15"]


def test_census_2021_assessment_keeps_its_dates_and_factors(external_data):
    batch = parse_file(external_data / "cin_census" / "CIN_Census_2021.xml")

    assert batch.children["DfEX0000001"]["birth_month"] == date(1965, 3, 1)
    assert batch.events["assessments"][("DfEX0000001", date(1970, 6, 3))] == {
        "start_date": date(1970, 6, 3),
        "internal_review_date": date(1970, 6, 22),
        "authorisation_date": date(1971, 7, 18),
        "factors": ["2A", "2B"],
        "referral_date": date(1970, 10, 6),
    }


@pytest.mark.parametrize("name", ["CIN_Census_2024.xml", "CIN_Census_2026.xml"])
def test_census_2024_and_2026_read_sex_and_reject_the_backwards_assessment(external_data, name):
    batch = parse_file(external_data / "cin_census" / name)

    assert batch.children["DfEX0000001"]["sex"] == "1"
    assert batch.children["child_fails_assessments"] == {
        "birth_month": date(2023, 9, 1),
        "sex": "M",
        "ethnicity": "WBRI",
        "disabilities": ["NONE"],
    }
    assert list(batch.events["assessments"]) == [("child_fails_assessments", date(2023, 12, 25))]
    assert batch.events["assessments"][("child_fails_assessments", date(2023, 12, 25))]["factors"] == []
    (problem,) = batch.problems
    assert problem.reason == (
        "2020-09-19 is before AssessmentActualStartDate 2028-04-28; the assessment is not imported"
    )


@pytest.mark.django_db
def test_fake_cin_data_details_are_stored(external_data):
    authority = AuthorityFactory(code="975")
    store_batch(parse_file(external_data / "cin_census" / "fake_CIN_data.xml"), authority)

    referrals = Referral.objects.filter(child__authority=authority)
    assert referrals.filter(closure_date__isnull=False).count() == 252
    assert referrals.filter(initial_cpc_date__isnull=False).count() == 350
    assert referrals.filter(nfa=True).count() == 402
    assert referrals.filter(primary_need="N1").count() == 48
    children = Child.objects.filter(authority=authority)
    assert children.exclude(disabilities=[]).count() == 74
    assert children.filter(sex="0").count() == 96
    first = children.get(la_child_id="RND000215205141")
    assert (first.birth_month, first.sex, first.ethnicity) == (date(2019, 12, 1), "1", "WIRT")
    last = children.get(la_child_id="RND000589802835")
    assert last.birth_month == date(2021, 10, 1)
    assert list(Referral.objects.filter(child=last).values_list("referral_date", flat=True)) == [
        date(2022, 1, 10)
    ]


# ---------------------------------------------------------------------------------------------------
# The same records in two files


@pytest.mark.django_db
def test_overlapping_sample_years_store_each_record_once_and_update_the_child(external_data):
    authority = AuthorityFactory(code="201")
    store_batch(parse_file(external_data / "cin_census" / "CIN_Census_2021.xml"), authority)

    later = store_batch(parse_file(external_data / "cin_census" / "liia-cin-2022.xml"), authority)

    # The 2022 file gives another birth date (1966-03-24 rather than 1965-03-27): the child is updated,
    # and the five records, identical in both files, are left alone.
    assert (later.stored, later.updated, later.unchanged) == (0, 1, 5)
    assert stored_counts(authority) == ONE_OF_EACH
    assert Child.objects.get(authority=authority).birth_month == date(1966, 3, 1)


@pytest.mark.django_db
def test_later_census_updates_the_records_it_shares_with_an_earlier_one(tmp_path):
    authority = AuthorityFactory(code="201")
    earlier = cin.message(
        cin.child("C1", cin.episode("2023-01-10", cin.cp_plan("2023-02-01", reviews=("2023-02-20",)))),
        year=2023,
    )
    later = cin.message(
        cin.child(
            "C1",
            cin.episode(
                "2023-01-10",
                cin.cp_plan("2023-02-01", end="2023-09-30", reviews=("2023-08-01", "2023-02-20")),
                closure="2023-10-02",
            ),
            cin.episode("2024-01-15"),
        ),
        year=2024,
    )
    store_batch(parse_text(tmp_path, earlier), authority)

    result = store_batch(parse_file(cin.write(tmp_path, later, "later.xml")), authority)

    assert (result.stored, result.updated, result.unchanged) == (1, 2, 1)
    assert stored_counts(authority) == {
        **ONE_OF_EACH,
        "referrals": 2,
        "assessments": 0,
        "cin_plans": 0,
        "section47s": 0,
    }
    referral = Referral.objects.get(child__authority=authority, referral_date=date(2023, 1, 10))
    assert (referral.closure_date, referral.closure_reason) == (date(2023, 10, 2), "RC8")
    plan = CPPlan.objects.get(child__authority=authority)
    assert (plan.end_date, plan.review_dates) == (date(2023, 9, 30), ["2023-02-20", "2023-08-01"])


def test_a_record_repeated_in_one_file_is_kept_once_with_the_later_fields(tmp_path):
    text = cin.message(
        cin.child(
            "C1",
            cin.episode("2023-01-10", cin.section47("2023-01-11"), cin.section47("2023-01-11", "2023-01-20")),
        )
        + cin.child("C1", cin.episode("2023-01-10", closure="2023-03-01"))
    )

    batch = parse_text(tmp_path, text)

    assert counts(batch) == {**ONE_OF_EACH, "assessments": 0, "cin_plans": 0, "cp_plans": 0}
    assert batch.events["section47s"][("C1", date(2023, 1, 11))]["icpc_date"] == date(2023, 1, 20)
    assert batch.events["referrals"][("C1", date(2023, 1, 10))]["closure_date"] == date(2023, 3, 1)


# ---------------------------------------------------------------------------------------------------
# Files rejected whole


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"^The file is empty"),
        (b"  \n\t\n", r"^The file is empty"),
        (
            b"CHILD,SEX,DOB\n1,1,01/02/2015\n",
            r"^The file is not well-formed XML \(syntax error: line 1, column 0\)",
        ),
        (bytes(range(256)) * 4, r"^The file is not well-formed XML"),
        (b"<Message><Children><Child>", r"^The file is not well-formed XML \(no element found"),
        (b"<Message><Children></Message>", r"^The file is not well-formed XML \(mismatched tag"),
        (cin.BILLION_LAUGHS.encode(), r"declares the XML entity 'lol'.*refused.*XML bomb"),
        (
            cin.EXTERNAL_ENTITY.encode(),
            r"declares an external entity \('secret' → 'file:///etc/passwd'\).*refused",
        ),
        (b"<root><a>1</a></root>", r"^This is not a CIN census: the XML's root element is <root>"),
        (cin.WORKFORCE_CENSUS.encode(), r"^This is not a CIN census: the header names the collection 'SWF'"),
        (b"<Message><Header/></Message>", r"^This is not a CIN census: the XML has no <Children> element"),
    ],
    ids=[
        "empty",
        "blank",
        "csv",
        "binary",
        "truncated",
        "mismatched",
        "billion-laughs",
        "external-entity",
        "other-xml",
        "workforce-census",
        "no-children",
    ],
)
def test_unreadable_files_are_rejected_with_a_clear_message(tmp_path, content, match):
    with pytest.raises(FileRejected, match=match) as caught:
        parse_text(tmp_path, content)
    assert "root:" not in str(caught.value)  # nothing of /etc/passwd is read


def test_a_late_well_formedness_error_rejects_the_whole_file(tmp_path):
    good = cin.child("C1", cin.episode("2023-01-10"))
    with pytest.raises(FileRejected, match="not well-formed XML"):
        parse_text(tmp_path, cin.message(good * 50).replace("</Children>", "</Child></Children>"))


# ---------------------------------------------------------------------------------------------------
# Schema variations


def test_sex_and_gender_current_are_both_read(tmp_path):
    text = cin.message(
        cin.child("OLD", cin.episode(), sex="<GenderCurrent>2</GenderCurrent>")
        + cin.child("NEW", cin.episode(), sex="<Sex>F</Sex>")
        + cin.child("NONE", cin.episode(), sex="")
    )

    batch = parse_text(tmp_path, text)

    assert batch.children["OLD"]["sex"] == "2"
    assert batch.children["NEW"]["sex"] == "F"
    assert "sex" not in batch.children["NONE"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", False),
        ("1", True),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        ("FALSE", False),
        ("", None),
    ],
)
def test_referral_nfa_accepts_every_form_of_yes_and_no(tmp_path, value, expected):
    batch = parse_text(tmp_path, cin.message(cin.child("C1", cin.episode("2023-01-10", nfa=value))))

    assert batch.events["referrals"][("C1", date(2023, 1, 10))]["nfa"] is expected
    assert batch.problems == []


def test_schema_2017_style_file(tmp_path):
    """2017-2019 files: GenderCurrent, no CIN plan dates, booleans in capitals, no disabilities."""
    text = """<?xml version="1.0" encoding="utf-8"?>
<Message>
 <Header>
  <CollectionDetails><Collection>CIN</Collection><Year>2017</Year><ReferenceDate>2017-03-31</ReferenceDate></CollectionDetails>
  <Source><SourceLevel>L</SourceLevel><LEA>872</LEA><SoftwareCode>x</SoftwareCode><Release>1</Release>
   <SerialNo>1</SerialNo><DateTime>2017-05-01T10:00:00</DateTime></Source>
 </Header>
 <Children>
  <Child>
   <ChildIdentifiers><LAchildID> 000123 </LAchildID><UPN>A123456789012</UPN><UPNunknown>UN1</UPNunknown>
    <PersonBirthDate>2008-02-29</PersonBirthDate><GenderCurrent>1</GenderCurrent></ChildIdentifiers>
   <ChildCharacteristics><Ethnicity>MWBC</Ethnicity></ChildCharacteristics>
   <CINdetails>
    <CINreferralDate>2016-06-01</CINreferralDate><ReferralSource>5A</ReferralSource><PrimaryNeedCode>N2</PrimaryNeedCode>
    <CINclosureDate>2017-01-31</CINclosureDate><ReasonForClosure>RC7</ReasonForClosure>
    <Assessments><AssessmentActualStartDate>2016-06-02</AssessmentActualStartDate>
     <AssessmentAuthorisationDate>2016-07-29</AssessmentAuthorisationDate>
     <FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>
    <Section47><S47ActualStartDate>2016-06-03</S47ActualStartDate><ICPCnotRequired>TRUE</ICPCnotRequired></Section47>
    <ReferralNFA>FALSE</ReferralNFA>
   </CINdetails>
  </Child>
 </Children>
</Message>
"""
    batch = parse_text(tmp_path, text)

    assert batch.authority_code == "872"
    assert batch.children == {
        "000123": {"birth_month": date(2008, 2, 1), "sex": "1", "ethnicity": "MWBC", "disabilities": []}
    }
    assert counts(batch) == {**ONE_OF_EACH, "cin_plans": 0, "cp_plans": 0}
    assert batch.events["section47s"][("000123", date(2016, 6, 3))]["icpc_not_required"] is True
    assert batch.events["assessments"][("000123", date(2016, 6, 2))]["factors"] == ["3A"]
    assert batch.problems == []


def test_schema_2026_style_file(tmp_path):
    """2024 onwards: Sex, and elements the platform does not use (pre-proceedings, unknown ones)."""
    text = cin.message(
        cin.child(
            "C26",
            cin.episode(
                "2025-04-07",
                cin.assessment("2025-04-08", "2025-05-30", factors=("1C", "4B", "1C")),
                cin.cin_plan("2025-06-02"),
                cin.cp_plan("2025-07-01", previous="2", reviews=("2025-12-01", "2025-09-30")),
                "<PreProceedingsandFGDM><PPStartDate>2026-09-09</PPStartDate><PPOutcome>A</PPOutcome>"
                "</PreProceedingsandFGDM>",
                nfa="0",
            ),
            sex="<Sex>U</Sex><SexualOrientation>X</SexualOrientation>",
            characteristics="<ChildCharacteristics><Ethnicity>OOTH</Ethnicity>"
            "<Disabilities><Disability>AUT</Disability><Disability>LD</Disability></Disabilities>"
            "</ChildCharacteristics>",
        ),
        year=2026,
    )

    batch = parse_text(tmp_path, text)

    assert batch.children["C26"] == {
        "birth_month": date(2015, 3, 1),
        "sex": "U",
        "ethnicity": "OOTH",
        "disabilities": ["AUT", "LD"],
    }
    assert counts(batch) == {**ONE_OF_EACH, "section47s": 0}
    assert batch.events["assessments"][("C26", date(2025, 4, 8))]["factors"] == ["1C", "4B"]
    assert batch.events["cin_plans"][("C26", date(2025, 6, 2))] == {
        "start_date": date(2025, 6, 2),
        "end_date": None,
        "referral_date": date(2025, 4, 7),
    }
    assert batch.events["cp_plans"][("C26", date(2025, 7, 1))]["review_dates"] == ["2025-09-30", "2025-12-01"]
    assert batch.events["cp_plans"][("C26", date(2025, 7, 1))]["previous_plans"] == 2
    assert batch.problems == []


def test_namespaced_file_is_read(tmp_path):
    text = cin.message(cin.child("C1", cin.episode("2023-01-10"))).replace(
        "<Message>", '<Message xmlns="http://www.example.org/cin">'
    )

    batch = parse_text(tmp_path, text)

    assert batch.authority_code == "201"
    assert list(batch.events["referrals"]) == [("C1", date(2023, 1, 10))]


# ---------------------------------------------------------------------------------------------------
# Records that cannot be used


def test_each_unusable_record_is_listed_and_the_rest_is_kept(tmp_path):
    text = cin.message(
        # Child 1: no LAchildID; it and its three records are rejected as one.
        cin.child("", cin.episode("2023-01-10", cin.assessment("2023-01-11"), cin.section47("2023-01-12")))
        # Child 2: an impossible birth date; the child is kept without it.
        + cin.child("C2", cin.episode("2023-02-01", closure="2023-03-01"), birth="2015-02-30")
        # Child 3: an impossible referral date; the assessment and plan under it are kept.
        + cin.child(
            "C3",
            cin.episode("2021-02-30", cin.assessment("2021-03-01", "2021-03-20"), cin.cin_plan("2021-04-01")),
            cin.episode("", cin.section47("2021-05-01")),
        )
        # Child 4: an end before its start in each kind of record, and a UK-style date.
        + cin.child(
            "C4",
            cin.episode("2022-05-10", closure="2022-05-09"),
            cin.episode(
                "2022-06-01",
                cin.assessment("2022-06-02", "2022-06-01"),
                cin.cin_plan("2022-07-01", "2022-06-30"),
                cin.cp_plan("2022-08-01", "2022-07-31"),
                cin.section47("2022-06-03", icpc="24/06/2022"),
                cin.assessment("2022-06-05", review="2022-13-01"),
            ),
        )
        # Child 5: bad booleans and counts, a bad review date; a record with two faults lists both.
        + cin.child(
            "C5",
            cin.episode(
                "2022-09-01",
                cin.section47("2022-09-02", not_required="perhaps"),
                cin.cp_plan("2022-09-10", previous="two"),
                cin.cp_plan("2022-09-11", previous="-1", reviews=("2022-10-01", "2022-02-29")),
                nfa="maybe",
            ),
            cin.episode("2022-11-01", cin.cp_plan("2022-11-02", "2022-11-01", previous="1.5")),
        )
    )

    batch = parse_text(tmp_path, text)

    assert problem_keys(batch) == [
        ("", "LAchildID", "Child 1"),
        ("C2", "PersonBirthDate", "Child 2"),
        ("C3", "CINreferralDate", "Child 3, CINdetails 1"),
        ("C3", "CINreferralDate", "Child 3, CINdetails 2"),
        ("C4", "CINclosureDate", "Child 4, CINdetails 1"),
        ("C4", "AssessmentAuthorisationDate", "Child 4, CINdetails 2, Assessment 1"),
        ("C4", "AssessmentInternalReviewDate", "Child 4, CINdetails 2, Assessment 2"),
        ("C4", "CINPlanEndDate", "Child 4, CINdetails 2, CIN plan 1"),
        ("C4", "DateOfInitialCPC", "Child 4, CINdetails 2, Section47 1"),
        ("C4", "CPPendDate", "Child 4, CINdetails 2, CP plan 1"),
        ("C5", "ReferralNFA", "Child 5, CINdetails 1"),
        ("C5", "ICPCnotRequired", "Child 5, CINdetails 1, Section47 1"),
        ("C5", "NumberOfPreviousCPP", "Child 5, CINdetails 1, CP plan 1"),
        ("C5", "NumberOfPreviousCPP", "Child 5, CINdetails 1, CP plan 2"),
        ("C5", "CPPreviewDate", "Child 5, CINdetails 1, CP plan 2"),
        ("C5", "CPPendDate", "Child 5, CINdetails 2, CP plan 1"),
        ("C5", "NumberOfPreviousCPP", "Child 5, CINdetails 2, CP plan 1"),
    ]
    reasons = [problem.reason for problem in batch.problems]
    assert reasons[0] == "is missing: the child and its 3 record(s) are not imported"
    assert reasons[1] == "'2015-02-30' is not a valid date (YYYY-MM-DD); the child is imported without it"
    assert reasons[2] == "'2021-02-30' is not a valid date (YYYY-MM-DD); the referral is not imported"
    assert reasons[3] == "is missing; the referral is not imported"
    assert reasons[4] == "2022-05-09 is before CINreferralDate 2022-05-10; the referral is not imported"
    assert (
        reasons[8] == "'24/06/2022' is not a valid date (YYYY-MM-DD); the section 47 enquiry is not imported"
    )
    assert reasons[10] == "'maybe' is not one of 0/1/true/false; the referral is not imported"
    assert reasons[12] == "'two' is not a whole number; the child protection plan is not imported"
    assert reasons[13] == "'-1' is not a whole number of 0 or more; the child protection plan is not imported"
    assert (
        reasons[14]
        == "'2022-02-29' is not a valid date (YYYY-MM-DD); the child protection plan is not imported"
    )

    assert set(batch.children) == {"C2", "C3", "C4", "C5"}
    assert batch.children["C2"] == {"sex": "1", "ethnicity": "WBRI", "disabilities": []}
    assert set(batch.events["referrals"]) == {
        ("C2", date(2023, 2, 1)),
        ("C4", date(2022, 6, 1)),
        ("C5", date(2022, 11, 1)),
    }
    assert batch.events["assessments"] == {
        ("C3", date(2021, 3, 1)): {
            "start_date": date(2021, 3, 1),
            "internal_review_date": None,
            "authorisation_date": date(2021, 3, 20),
            "factors": [],
            "referral_date": None,
        }
    }
    assert set(batch.events["cin_plans"]) == {("C3", date(2021, 4, 1))}
    assert set(batch.events["section47s"]) == {("C3", date(2021, 5, 1))}
    assert batch.events["section47s"][("C3", date(2021, 5, 1))]["referral_date"] is None
    assert batch.events["cp_plans"] == {}


@pytest.mark.django_db
def test_rejected_records_are_not_stored(tmp_path):
    authority = AuthorityFactory(code="201")
    text = cin.message(
        cin.child("", cin.episode("2023-01-10"))
        + cin.child("C2", cin.episode("2023-02-30", cin.assessment("2023-03-01")), birth="2015-13-01")
    )

    store_batch(parse_text(tmp_path, text), authority)

    assert stored_counts(authority) == {
        **ONE_OF_EACH,
        "referrals": 0,
        "cin_plans": 0,
        "section47s": 0,
        "cp_plans": 0,
    }
    assert Child.objects.get(authority=authority).birth_month is None
    assert Assessment.objects.get().referral_date is None


# ---------------------------------------------------------------------------------------------------
# Streaming


def test_memory_stays_flat_as_the_file_grows(tmp_path):
    """Each child carries 20 KB the importer ignores; 600 of them make a 12 MB file whose tree
    would not fit the bound below if children were kept after reading."""
    padding = "<Notes>" + "x" * 20_000 + "</Notes>"
    body = "".join(
        cin.child(f"C{n}", cin.episode("2023-01-10", cin.cp_plan("2023-01-11")), sex="<Sex>1</Sex>" + padding)
        for n in range(600)
    )
    path = cin.write(tmp_path, cin.message(body))
    assert path.stat().st_size > 12_000_000

    tracemalloc.start()
    try:
        batch = parse_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert len(batch.events["cp_plans"]) == 600
    assert peak < 3_000_000


def test_chunks_hold_a_set_number_of_children_and_the_header(tmp_path, monkeypatch):
    """The importer stores one chunk before reading the next: each holds CHILDREN_PER_CHUNK
    children (the last fewer), the LEA of the header, and the problems of its own children, placed
    by their position in the whole file."""
    monkeypatch.setattr(cin_census, "CHILDREN_PER_CHUNK", 2)
    body = "".join(cin.child(f"C{n}", cin.episode("2023-01-10")) for n in range(1, 5))
    body += cin.child("C5", cin.episode("2023-02-30"))
    path = cin.write(tmp_path, cin.message(body, lea="823"))
    chunks = list(cin_census.parse_chunks(path, ImportFormat.CIN_CENSUS, path.name))
    assert [sorted(chunk.children) for chunk in chunks] == [["C1", "C2"], ["C3", "C4"], ["C5"]]
    assert {chunk.authority_code for chunk in chunks} == {"823"}
    assert [[problem.where for problem in chunk.problems] for chunk in chunks] == [
        [],
        [],
        ["Child 5, CINdetails 1"],
    ]
    whole = parse_file(path)
    assert counts(whole) == {"children": 5, "referrals": 4, **dict.fromkeys(TABLES[1:], 0)}


def test_a_file_cut_short_is_rejected_after_its_first_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(cin_census, "CHILDREN_PER_CHUNK", 1)
    text = cin.message(cin.child("C1") + cin.child("C2")).rsplit("</Children>", 1)[0]
    path = cin.write(tmp_path, text)
    chunks = cin_census.parse_chunks(path, ImportFormat.CIN_CENSUS, path.name)
    assert list(next(chunks).children) == ["C1"]
    assert list(next(chunks).children) == ["C2"]
    with pytest.raises(FileRejected, match="not well-formed"):
        next(chunks)


# ---------------------------------------------------------------------------------------------------
# Detection


@pytest.mark.parametrize(
    "head",
    [
        cin.message(cin.child("C1", cin.episode())).encode(),
        cin.message(cin.child("C1", cin.episode())).encode("utf-16"),
        b"\xef\xbb\xbf<!-- export --><Message><Children><Child><ChildIdentifiers>",
        b"<Children><Child><ChildIdentifiers><LAchildID>1</LAchildID>",
        cin.message(cin.child("C1", cin.episode()))[:300].encode(),  # cut inside the header
    ],
    ids=["census", "utf-16", "no-header", "children-root", "cut-short"],
)
def test_detect_accepts_cin_census_heads(head):
    assert cin_census.detect(head, "upload.xml") == ImportFormat.CIN_CENSUS


@pytest.mark.parametrize(
    "head",
    [
        b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/02/2015,WBRI,A123,,\n",
        b"PK\x03\x04\x14\x00\x06\x00",
        b"",
        b"<root><Message/></root>",
        cin.WORKFORCE_CENSUS.encode(),
        b"<Message><Header/></Message>",
    ],
    ids=["csv", "xlsx", "empty", "other-xml", "workforce-census", "no-children"],
)
def test_detect_refuses_other_files(head):
    assert cin_census.detect(head, "upload.xml") is None


@pytest.mark.parametrize(
    "head",
    [
        b"<!DOCTYPE a [" * 5000,
        b"<Message><Collection>" + b" " * 65000,
        b"<!--" * 16000,
        b"<" + b"a" * 65000,
        b"<Message><Children>" + b"<Childx" * 9000,
    ],
    ids=["doctypes", "spaces", "comments", "long-tag", "near-children"],
)
def test_detect_is_quick_on_hostile_heads(head):
    started = time.perf_counter()
    assert cin_census.detect(head, "upload.xml") is None
    assert time.perf_counter() - started < 0.5


@given(st.binary(max_size=2000))
def test_detect_never_raises_on_random_bytes(head):
    assert cin_census.detect(head, "random.bin") in (None, ImportFormat.CIN_CENSUS)
    assert cin_census.detect(b"\x00\xff" + head, "random.bin") is None


# ---------------------------------------------------------------------------------------------------
# Property: a generated census is read back record for record


DAYS = st.dates(min_value=date(2012, 1, 1), max_value=date(2026, 3, 31))
LATER = st.none() | st.integers(min_value=0, max_value=800).map(lambda n: timedelta(days=n))
YES_NO = st.sampled_from(["0", "1", "true", "false"])
ASSESSMENTS = st.lists(
    st.tuples(DAYS, LATER, st.lists(st.sampled_from(["1A", "2B", "3C", "21"]), max_size=3)), max_size=2
)
PLANS = st.lists(st.tuples(DAYS, LATER), max_size=2)
SECTION47S = st.lists(st.tuples(DAYS, LATER, YES_NO), max_size=2)
CP_PLANS = st.lists(st.tuples(DAYS, LATER, st.integers(0, 30), st.lists(DAYS, max_size=3)), max_size=2)
EPISODES = st.lists(st.tuples(DAYS, LATER, YES_NO, ASSESSMENTS, PLANS, SECTION47S, CP_PLANS), max_size=3)
CHILD_IDS = st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=12)
CENSUS = st.lists(st.tuples(CHILD_IDS, DAYS, st.sampled_from(["GenderCurrent", "Sex"]), EPISODES), max_size=6)


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _after(day: date, gap: timedelta | None) -> date | None:
    return None if gap is None else day + gap


def write_census(children: list) -> tuple[str, dict[str, dict]]:
    """The XML of a generated census and the records it holds by identity (a later one wins)."""
    expected: dict[str, dict] = {table: {} for table in TABLES}
    root = ET.Element("Message")
    header = _add(root, "Header")
    _add(_add(header, "CollectionDetails"), "Collection", "CIN")
    _add(_add(header, "Source"), "LEA", "201")
    all_children = _add(root, "Children")
    for la_child_id, born, sex_tag, episodes in children:
        child = _add(all_children, "Child")
        identifiers = _add(child, "ChildIdentifiers")
        _add(identifiers, "LAchildID", la_child_id)
        _add(identifiers, "UPN", "A123456789012")
        _add(identifiers, "PersonBirthDate", born.isoformat())
        _add(identifiers, sex_tag, "1")
        _add(_add(child, "ChildCharacteristics"), "Ethnicity", "WBRI")
        for referred, closing, nfa, assessments, plans, s47s, cp_plans in episodes:
            details = _add(child, "CINdetails")
            _add(details, "CINreferralDate", referred.isoformat())
            _add(details, "ReferralSource", "1A")
            closed = _after(referred, closing)
            if closed:
                _add(details, "CINclosureDate", closed.isoformat())
            expected["referrals"][(la_child_id, referred)] = {
                "closure_date": closed,
                "nfa": nfa in ("1", "true"),
            }
            for start, authorising, factors in assessments:
                element = _add(details, "Assessments")
                _add(element, "AssessmentActualStartDate", start.isoformat())
                authorised = _after(start, authorising)
                if authorised:
                    _add(element, "AssessmentAuthorisationDate", authorised.isoformat())
                if factors:
                    found = _add(element, "FactorsIdentifiedAtAssessment")
                    for factor in factors:
                        _add(found, "AssessmentFactors", factor)
                expected["assessments"][(la_child_id, start)] = {
                    "authorisation_date": authorised,
                    "factors": list(dict.fromkeys(factors)),
                    "referral_date": referred,
                }
            for start, ending in plans:
                element = _add(details, "CINPlanDates")
                _add(element, "CINPlanStartDate", start.isoformat())
                ended = _after(start, ending)
                if ended:
                    _add(element, "CINPlanEndDate", ended.isoformat())
                expected["cin_plans"][(la_child_id, start)] = {"end_date": ended, "referral_date": referred}
            for start, conferring, not_required in s47s:
                element = _add(details, "Section47")
                _add(element, "S47ActualStartDate", start.isoformat())
                conference = _after(start, conferring)
                if conference:
                    _add(element, "DateOfInitialCPC", conference.isoformat())
                _add(element, "ICPCnotRequired", not_required)
                expected["section47s"][(la_child_id, start)] = {
                    "icpc_date": conference,
                    "icpc_not_required": not_required in ("1", "true"),
                }
            _add(details, "ReferralNFA", nfa)
            for start, ending, previous, reviews in cp_plans:
                element = _add(details, "ChildProtectionPlans")
                _add(element, "CPPstartDate", start.isoformat())
                ended = _after(start, ending)
                if ended:
                    _add(element, "CPPendDate", ended.isoformat())
                _add(element, "NumberOfPreviousCPP", str(previous))
                if reviews:
                    reviewed = _add(element, "Reviews")
                    for day in reviews:
                        _add(reviewed, "CPPreviewDate", day.isoformat())
                expected["cp_plans"][(la_child_id, start)] = {
                    "end_date": ended,
                    "previous_plans": previous,
                    "review_dates": sorted({day.isoformat() for day in reviews}),
                }
    return ET.tostring(root, encoding="unicode"), expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(CENSUS)
def test_generated_census_is_read_back_by_identity(tmp_path, children):
    text, expected = write_census(children)

    batch = parse_text(tmp_path, text)

    assert batch.problems == []
    assert batch.authority_code == "201"
    assert set(batch.children) == {la_child_id for la_child_id, *_ in children}
    born = {la_child_id: day for la_child_id, day, _sex, _episodes in children}  # a repeated child: the later
    assert {key: fields["birth_month"] for key, fields in batch.children.items()} == {
        key: day.replace(day=1) for key, day in born.items()
    }
    for table in TABLES:
        assert set(batch.events[table]) == set(expected[table]), table
        for key, fields in expected[table].items():
            assert {name: batch.events[table][key][name] for name in fields} == fields, (table, key)
    assert "A123456789012" not in repr(batch)
