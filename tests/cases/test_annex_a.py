"""The Annex A importer: the sample workbook as it is, varied sheet names and headers, cells as dates
or text, bad rows, teams, data minimisation and workbooks that cannot be read."""

import io
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from cases.importers import annex_a
from cases.importers.base import Batch, FileRejected, RecordRejected
from cases.importers.store import store_batch
from cases.models import Assessment, CareEpisode, Child, CINPlan, CPPlan, ImportFormat, Referral, Section47
from tests.factories import AuthorityFactory, TeamFactory

ANNEX_A = ImportFormat.ANNEX_A.value
SAMPLE_COUNTS = {
    "referrals": 6,
    "assessments": 5,
    "cin_plans": 5,
    "section47s": 5,
    "cp_plans": 6,
    "care_episodes": 4,
}
MODELS = {
    "referrals": Referral,
    "assessments": Assessment,
    "cin_plans": CINPlan,
    "section47s": Section47,
    "cp_plans": CPPlan,
    "care_episodes": CareEpisode,
}


def sample(external_data: Path) -> Path:
    return external_data / "annex_a" / "Annex_A.xlsx"


def parse_sample(external_data: Path) -> Batch:
    path = sample(external_data)
    assert annex_a.detect(path.read_bytes()[: 64 * 1024], path.name) == ANNEX_A
    return annex_a.parse(path, ANNEX_A, path.name)


def workbook(tmp_path: Path, sheets: dict[str, list[list]], name: str = "annex.xlsx") -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


@pytest.fixture
def authority(db):
    return AuthorityFactory()


# ---------------------------------------------------------------------------------------------------
# Detection


def test_detect_picks_annex_a_for_the_sample_and_for_any_workbook(external_data, tmp_path):
    path = sample(external_data)
    assert annex_a.detect(path.read_bytes()[: 64 * 1024], "Annex_A.xlsx") == ANNEX_A
    # The parts' names are in the head, so a renamed upload is still recognised.
    assert annex_a.detect(path.read_bytes()[: 64 * 1024], "upload.bin") == ANNEX_A
    other = workbook(tmp_path, {"Sheet": [["a"]]})
    assert annex_a.detect(other.read_bytes(), other.name) == ANNEX_A


@pytest.mark.parametrize(
    "folder, name",
    [
        ("cin_census", "CIN_Census_2021.xml"),
        ("cin_census", "liia-cin-2022.xml"),
        ("ssda903", "header.csv"),
        ("ssda903", "episodes.csv"),
    ],
)
def test_detect_refuses_other_returns(external_data, folder, name):
    head = (external_data / folder / name).read_bytes()[: 64 * 1024]
    assert annex_a.detect(head, name) is None


@pytest.mark.parametrize(
    "head, name",
    [
        (b"", "a.xlsx"),
        (b"random text", "a.xlsx"),
        (os.urandom(512).replace(b"PK", b"pk"), "a.xlsx"),
        (b"PK\x03\x04" + bytes(100), "archive.zip"),  # a zip, but not a workbook
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "report.doc"),
    ],
)
def test_detect_refuses_junk(head, name):
    assert annex_a.detect(head, name) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["a.xlsx", "a.xls", "a.csv", ""]))
def test_detect_never_raises(head, name):
    assert annex_a.detect(head, name) in (None, ANNEX_A)


# ---------------------------------------------------------------------------------------------------
# The sample workbook


def test_sample_records_and_problems(external_data):
    batch = parse_sample(external_data)
    assert batch.file_format == ANNEX_A
    assert {table: len(rows) for table, rows in batch.events.items()} == SAMPLE_COUNTS
    # Lists 3 to 8 name 32 rows of 31 children (6537810 is in lists 3 and 5); two rows are rejected.
    assert len(batch.children) == 30
    assert [(p.child, p.field, p.where) for p in batch.problems] == [
        # DOB 29/05/2020: a plan from 25/06/2019 started before the pregnancy could have.
        ("6913085", "Child Protection Plan Start Date", "List 7 row 8"),
        # DOB 13/03/2018: looked after from 24/02/2010, eight years before birth.
        ("2529037", "Date Started to be Looked After", "List 8 row 5"),
    ]
    assert "2529037" not in batch.children and "6913085" not in batch.children
    # Lists 1, 2, 9, 10 and 11 are not read: contacts, early help, care leavers and adopters.
    assert "9212044" not in batch.children  # List 1
    assert "7961370" not in batch.children  # Lists 9 and 10
    assert "7105179" not in batch.children  # List 11 (an adopter)


def test_sample_values(external_data):
    batch = parse_sample(external_data)
    events = batch.events
    assert events["referrals"][("4653765", date(2020, 9, 16))] == {
        "referral_date": date(2020, 9, 16),
        "referral_source": "3D",  # "j) 3D: Health services"
        "nfa": False,
    }
    assert events["assessments"][("10692868", date(2019, 5, 16))] == {
        "start_date": date(2019, 5, 16),
        "authorisation_date": date(2021, 2, 8),
    }
    # A pre-birth assessment (DOB 19/03/2020, started 26/02/2020) is kept.
    assert ("15765513", date(2020, 2, 26)) in events["assessments"]
    assert events["section47s"][("10273003", date(2020, 9, 16))] == {
        "start_date": date(2020, 9, 16),
        "icpc_not_required": True,
        "icpc_date": None,
    }
    assert events["cin_plans"][("8140425", date(2006, 11, 23))] == {
        "start_date": date(2006, 11, 23),
        "end_date": None,
    }
    assert events["cp_plans"][("5358472", date(2021, 2, 8))] == {
        "start_date": date(2021, 2, 8),
        "end_date": None,
        "initial_category": "PHY",  # "Physical abuse"
        "latest_category": "PHY",
        "previous_plans": 1,
    }
    assert events["cp_plans"][("16036763", date(2020, 4, 27))]["end_date"] == date(2021, 1, 4)
    assert events["care_episodes"][("3623204", date(2008, 10, 22))] == {
        "start_date": date(2008, 10, 22),
        "end_date": date(2020, 9, 22),
        "reason_end": "E47",  # "k) E47: Special Guardianship Orders - relative/friend"
        "category_of_need": "N1",  # "N1 - Abuse or Neglect"
        "legal_status": "C1",  # "C1: ICO"
        "placement": "H5",  # "n) H5: Residential accommodation"
        "placement_provider": "PR4",  # "e) PR4 - Private provision"
        "placement_postcode_district": "P13",  # "P13 2TR"
        "urn": "",
        "reason_new_episode": "S",  # the row starts a period of care
    }
    # "nope" in the postcode cell: nothing is kept of it.
    assert events["care_episodes"][("1373595", date(2009, 8, 6))]["placement_postcode_district"] == ""
    children = batch.children
    assert children["6537810"] == {
        "sex": "1",  # "a) Male"
        "ethnicity": "WBRI",  # "a) WBRI"
        "birth_month": date(2004, 7, 1),
        "team_name": "Locality 3 Duty Team",  # List 5, read after List 3's "Multi Agency Safeguarding Hub"
    }
    assert children["14065184"] == {
        "sex": "2",
        "birth_month": date(2007, 5, 1),
        "team_name": "Children in Care Team 1",
    }
    assert "team_name" not in children["12598894"]  # List 6 says "#N/A"


@pytest.mark.django_db
def test_sample_stores_once_and_reimports_as_unchanged(external_data, authority):
    duty = TeamFactory(authority=authority, name="Locality 4 Duty Team")
    TeamFactory(name="Children in Care Team 1")  # another authority's team of the same name
    result = store_batch(parse_sample(external_data), authority)
    assert (result.stored, result.updated, result.unchanged) == (30 + 31, 0, 0)
    assert Child.objects.filter(authority=authority).count() == 30
    for table, count in SAMPLE_COUNTS.items():
        assert MODELS[table].objects.filter(child__authority=authority).count() == count
    assert sorted(Child.objects.filter(team=duty).values_list("la_child_id", flat=True)) == [
        "11096583",
        "14007367",
        "4653765",
        "997679",
    ]
    assert Child.objects.filter(team__isnull=False).count() == 4

    again = store_batch(parse_sample(external_data), authority)
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 61)
    assert Child.objects.count() == 30
    assert sum(model.objects.count() for model in MODELS.values()) == 31


@pytest.mark.django_db
def test_sample_stores_no_date_of_birth_and_no_full_postcode(external_data, authority):
    store_batch(parse_sample(external_data), authority)
    child = Child.objects.get(la_child_id="1761444")  # born 13/02/2002
    assert child.birth_month == date(2002, 2, 1)
    assert not Child.objects.exclude(birth_month__day=1).exists()
    assert set(CareEpisode.objects.values_list("placement_postcode_district", flat=True)) == {
        "T28",
        "",
        "C25",
        "P13",
    }
    stored_text = {str(value) for row in CareEpisode.objects.values() for value in row.values()}
    assert not {"T28 2WB", "nope", "NOPE"} & stored_text


# ---------------------------------------------------------------------------------------------------
# Other workbooks: names, headers, cells

COMMON = ["Child ID", "Gender", "Ethnicity", "DOB", "Age"]


def test_sheet_names_header_rows_and_cell_types_vary(tmp_path):
    path = workbook(
        tmp_path,
        {
            "Contents": [["Annex A return"]],
            "list 3 - referrals": [
                ["Annex A: List 3 referrals"],
                [],
                [
                    "CHILD ID ",
                    "gender",
                    "ETHNICITY",
                    "Date of birth",
                    "Age",
                    "Referral date",
                    "Source of referral",
                    "NFA",
                    "Allocated team",
                    "Allocated worker",
                ],
                [
                    "R1",
                    "Female",
                    "White British",
                    "03/02/2015",
                    9,
                    "2024-04-02",
                    "Police",
                    "a) Yes",
                    "Front Door",
                    "X",
                ],
                [1001.0, "1", "WBRI", date(2016, 5, 7), 8, date(2024, 4, 3), "6", "No", None, None],
                [None, None, None, None, None, None, None, None, None, None],
                ["R3", "m", "a) WBRI", None, None, 45390, "2B", "unknown", " front door ", None],
            ],
            "List_4": [
                [*COMMON, "Assessment start date", "Date of authorisation"],
                [
                    "A1",
                    "b) Female",
                    "k) APKN",
                    "2015-02-03",
                    9,
                    "02/04/2024",
                    "01/04/2024",
                ],  # ends before start
                ["A2", "b) Female", "k) APKN", "2015-02-03", 9, "31/02/2024", None],  # impossible date
                ["A3", "b) Female", "k) APKN", "not known", 9, "02/04/2024", "30/04/2024"],  # bad DOB
                ["", "b) Female", "k) APKN", "2015-02-03", 9, "02/04/2024", None],  # no child ID
                ["A5", "b) Female", "k) APKN", "2015-02-03", 9, None, "30/04/2024"],  # no start date
            ],
            "LIST 8": [
                [
                    *COMMON,
                    "Date started to be looked after",
                    "Child's category of need",
                    "Child’s legal status",
                    "Placement type",
                    "Placement provider",
                    "Placement postcode",
                    "URN of placement",
                    "Date ceased to be looked after",
                    "Reason ceased to be looked after",
                ],
                [
                    "L1",
                    "Male",
                    "WBRI",
                    "2010-01-01",
                    14,
                    "2024-05-01",
                    "N4",
                    "V2",
                    "U3",
                    "PR1",
                    "ab1 2cd",
                    "SC123456",
                    None,
                    None,
                ],
            ],
        },
    )
    batch = annex_a.parse(path, ANNEX_A, "annex.xlsx")
    referrals = batch.events["referrals"]
    assert referrals[("R1", date(2024, 4, 2))] == {
        "referral_date": date(2024, 4, 2),
        "referral_source": "6",
        "nfa": True,
    }
    assert referrals[("1001", date(2024, 4, 3))] == {
        "referral_date": date(2024, 4, 3),
        "referral_source": "6",
        "nfa": False,
    }
    # An Excel serial number left unformatted: 45390 is 8 April 2024.
    assert referrals[("R3", date(2024, 4, 8))] == {
        "referral_date": date(2024, 4, 8),
        "referral_source": "2B",
        "nfa": None,
    }
    assert batch.children["R1"] == {
        "sex": "2",
        "ethnicity": "WBRI",
        "birth_month": date(2015, 2, 1),
        "team_name": "Front Door",
    }
    assert batch.children["1001"] == {"sex": "1", "ethnicity": "WBRI", "birth_month": date(2016, 5, 1)}
    assert batch.children["R3"] == {"sex": "1", "ethnicity": "WBRI", "team_name": "front door"}
    assert batch.events["assessments"] == {
        ("A3", date(2024, 4, 2)): {"start_date": date(2024, 4, 2), "authorisation_date": date(2024, 4, 30)}
    }
    assert batch.children["A3"] == {"sex": "2", "ethnicity": "APKN"}  # kept, without a month of birth
    assert batch.events["care_episodes"][("L1", date(2024, 5, 1))] == {
        "start_date": date(2024, 5, 1),
        "category_of_need": "N4",
        "legal_status": "V2",
        "placement": "U3",
        "placement_provider": "PR1",
        "placement_postcode_district": "AB1",
        "urn": "SC123456",
        "end_date": None,
        "reason_end": "",
        "reason_new_episode": "S",
    }
    assert [(p.child, p.field, p.where) for p in batch.problems] == [
        ("A1", "Date of authorisation", "List 4 row 2"),
        ("A2", "Assessment start date", "List 4 row 3"),
        ("A3", "DOB", "List 4 row 4"),
        ("", "Child ID", "List 4 row 5"),
        ("A5", "Assessment start date", "List 4 row 6"),
    ]
    assert batch.problems[0].reason == "2024-04-01 is before Assessment start date 2024-04-02"
    assert batch.problems[4].reason == "is missing"


def test_row_numbers_count_blank_rows(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "List 3"
    sheet["A3"], sheet["B3"] = "Child Unique ID", "Date of Referral"
    sheet["A4"], sheet["B4"] = "X", "01/01/2024"
    sheet["A9"], sheet["B9"] = "Y", "bad"
    book.save(tmp_path / "gaps.xlsx")
    batch = annex_a.parse(tmp_path / "gaps.xlsx", ANNEX_A, "gaps.xlsx")
    assert list(batch.events["referrals"]) == [("X", date(2024, 1, 1))]
    assert [(p.child, p.field, p.where) for p in batch.problems] == [
        ("Y", "Date of Referral", "List 3 row 9")
    ]


@pytest.mark.django_db
def test_team_is_matched_by_name_whatever_its_case(tmp_path, authority):
    team = TeamFactory(authority=authority, name="Front Door")
    path = workbook(
        tmp_path,
        {
            "List 3": [
                [*COMMON, "Date of referral", "Referral source", "Referral NFA?", "Allocated Team"],
                ["T1", "Male", "WBRI", None, None, "01/04/2024", "1A", "No", " FRONT  DOOR "],
                ["T2", "Male", "WBRI", None, None, "01/04/2024", "1A", "No", "Nobody's team"],
            ]
        },
    )
    store_batch(annex_a.parse(path, ANNEX_A, path.name), authority)
    assert Child.objects.get(la_child_id="T1").team == team
    assert Child.objects.get(la_child_id="T2").team is None


@pytest.mark.django_db
def test_a_list_8_row_is_stored_as_the_start_of_a_period_of_care(tmp_path, authority):
    """So that an entry to care known only from Annex A counts as one (``cla_starts``: RNE "S")."""
    path = workbook(
        tmp_path,
        {
            "List 8": [
                [*COMMON, "Date Started to be Looked After", "Child's Legal Status", "Placement Type"],
                ["C1", "Male", "WBRI", None, None, "02/05/2026", "V2", "U3"],
            ]
        },
    )
    store_batch(annex_a.parse(path, ANNEX_A, path.name), authority)
    episode = CareEpisode.objects.get(child__la_child_id="C1")
    assert (episode.start_date, episode.reason_new_episode, episode.placement) == (
        date(2026, 5, 2),
        "S",
        "U3",
    )


def test_a_list_without_its_start_date_column_is_listed_and_skipped(tmp_path):
    path = workbook(
        tmp_path,
        {
            "List 3": [[*COMMON, "Referral source"], ["X1", "Male", "WBRI", None, None, "1A"]],
            "List 5": [["Some title"], ["Nothing here"]],
            "List 6": [
                [*COMMON, "CIN start date", "CIN closure date"],
                ["X2", "Male", "WBRI", None, None, "01/01/2024", "31/12/2023"],
            ],
        },
    )
    batch = annex_a.parse(path, ANNEX_A, path.name)
    assert batch.record_count == 0
    assert [(p.field, p.where) for p in batch.problems] == [
        ("referral_date", "List 3"),
        ("Child ID", "List 5"),
        ("CIN closure date", "List 6 row 2"),
    ]
    assert "has no referral date column" in batch.problems[0].reason


# ---------------------------------------------------------------------------------------------------
# Workbooks that cannot be imported


def test_a_workbook_without_annex_a_lists_is_rejected(tmp_path):
    path = workbook(tmp_path, {"Summary": [["Child ID"], ["1"]], "Listing": [["x"]]})
    with pytest.raises(FileRejected, match=r"no Annex A list.*'Summary', 'Listing'"):
        annex_a.parse(path, ANNEX_A, path.name)


def test_xlsform_workbooks_are_rejected(external_data):
    forms = sorted((external_data / "xlsform").glob("*.xlsx"))
    if not forms:
        pytest.skip("no XLSForm sample workbook")
    for form in forms:
        with pytest.raises(FileRejected, match="no Annex A list"):
            annex_a.parse(form, ANNEX_A, form.name)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty"),
        (os.urandom(2048).replace(b"PK", b"pk").replace(b"\xd0\xcf", b"xx"), "not an Excel workbook"),
        (b"CHILD,DECOM\n1,01/01/2024\n", "not an Excel workbook"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
            r"Excel 97-2003 format \(\.xls\): save it as \.xlsx",
        ),
    ],
)
def test_unreadable_files_are_rejected(tmp_path, content, message):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileRejected, match=message):
        annex_a.parse(path, ANNEX_A, path.name)


def test_a_zip_that_is_not_a_workbook_is_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    path = tmp_path / "upload.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(FileRejected, match="not a readable Excel workbook"):
        annex_a.parse(path, ANNEX_A, path.name)


def test_a_truncated_workbook_is_rejected(external_data, tmp_path):
    data = sample(external_data).read_bytes()
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileRejected, match="not a readable Excel workbook"):
        annex_a.parse(path, ANNEX_A, path.name)


# ---------------------------------------------------------------------------------------------------
# Small helpers


@pytest.mark.parametrize(
    "title, number",
    [
        ("List 3", 3),
        ("list 3 - referrals", 3),
        ("List_3", 3),
        ("LIST11", 11),
        ("List 12", None),
        ("Listing", None),
        ("Contents", None),
        ("List 0", None),
        ("List 10 adoption", 10),
    ],
)
def test_list_number(title, number):
    assert annex_a.list_number(title) == number


@pytest.mark.parametrize(
    "value, field, expected",
    [
        ("e) PR4 - Private provision", "placement_provider", "PR4"),
        ("f) U6: Foster placement - not FFA", "placement", "U6"),
        ("E1: Placement order", "legal_status", "E1"),
        ("N1 - Abuse or Neglect", "category_of_need", "N1"),
        ("s) 8: Other", "referral_source", "8"),
        ("u) 10: Unknown", "referral_source", "10"),
        ("k) E4A: Returned home", "reason_end", "E4A"),
        ("Sexual abuse", "initial_category", "SAB"),
        ("e) Multiple/not recommended", "latest_category", "MUL"),
        ("Foster placement", "placement", ""),
        (None, "placement", ""),
        ("#N/A", "placement", ""),
    ],
)
def test_coded_answers(value, field, expected):
    assert annex_a.coded(value, field) == expected


cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
)


@settings(max_examples=300, deadline=None)
@given(cell_values)
def test_any_cell_gives_a_date_none_or_a_rejection(value):
    try:
        parsed = annex_a.cell_date(value, "Date")
    except RecordRejected as rejection:
        assert rejection.field == "Date"
    else:
        assert parsed is None or parsed >= date(1900, 1, 1)


@settings(max_examples=200, deadline=None)
@given(cell_values, st.sampled_from(sorted(annex_a.CODE_PATTERNS)))
def test_any_cell_gives_a_short_code(value, field):
    assert len(annex_a.coded(value, field)) <= 4
    assert annex_a.sex_code(value) in (None, "0", "1", "2", "9")
    assert annex_a.yes_no(value) in (None, True, False)
    assert len(annex_a.district(value)) <= 4
