"""The SSDA903 importer: the three sample files as they are, encodings, bad records, malformed
files, data minimisation, and property-based checks of the Episodes parser."""

import csv
import io
import os
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.importers import ssda903
from cases.importers.base import Batch, FileRejected, RecordRejected, parse_date
from cases.importers.store import store_batch
from cases.models import CareEpisode, Child, ImportFormat
from tests.factories import AuthorityFactory

HEADER = ImportFormat.SSDA903_HEADER.value
EPISODES = ImportFormat.SSDA903_EPISODES.value
EPISODE_COLUMNS = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)


def sample(external_data: Path, name: str) -> Path:
    return external_data / "ssda903" / name


def parse_file(path: Path) -> Batch:
    file_format = ssda903.detect(path.read_bytes()[: 64 * 1024], path.name)
    assert file_format is not None
    return ssda903.parse(path, file_format, path.name)


def write(tmp_path: Path, text: str, name: str = "upload.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def authority(db):
    return AuthorityFactory()


# ---------------------------------------------------------------------------------------------------
# Detection


@pytest.mark.parametrize(
    "name, expected",
    [
        ("header.csv", HEADER),
        ("episodes.csv", EPISODES),
        ("liia-episodes-for-testing-fixes.csv", EPISODES),
    ],
)
def test_detect_picks_the_table_of_each_sample(external_data, name, expected):
    head = sample(external_data, name).read_bytes()[: 64 * 1024]
    assert ssda903.detect(head, name) == expected


@pytest.mark.parametrize("name", ["CIN_Census_2021.xml", "fake_CIN_data.xml", "liia-cin-2022.xml"])
def test_detect_refuses_cin_census_xml(external_data, name):
    head = (external_data / "cin_census" / name).read_bytes()[: 64 * 1024]
    assert ssda903.detect(head, name) is None


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xef\xbb\xbf",
        b"   \n",
        bytes(range(256)) * 10,
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(200),
        b"name,date\nx,01/01/2020\n",
        b"CHILD,RNE,LS\n1,S,C2\n",  # a CHILD column, but neither DECOM nor SEX and DOB
        b"\xff\xfe\x00C\x00H",
    ],
)
def test_detect_refuses_junk(head):
    assert ssda903.detect(head, "upload.csv") is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_detect_never_raises(head):
    assert ssda903.detect(head, "upload.csv") in (None, HEADER, EPISODES)


def test_detect_tolerates_bom_case_spaces_and_a_cut_multibyte_character():
    assert ssda903.detect("\ufeff child , decom ,rne\n1,é".encode()[:-1], "x.csv") == EPISODES
    assert ssda903.detect(b"Child;Sex;DOB;Ethnic\r\n", "x.csv") == HEADER


# ---------------------------------------------------------------------------------------------------
# The sample files


def test_header_sample_parses_every_child_without_problems(external_data):
    batch = parse_file(sample(external_data, "header.csv"))
    assert batch.file_format == HEADER
    assert len(batch.children) == 2675
    assert batch.problems == []
    assert all(not rows for rows in batch.events.values())
    # First row: 566910,2,27/03/2008,WROM,D051910639385,,
    assert batch.children["566910"] == {"birth_month": date(2008, 3, 1), "sex": "2", "ethnicity": "WROM"}
    # The only row with MOTHER and MC_DOB filled: neither is read.
    assert {key for fields in batch.children.values() for key in fields} == {
        "birth_month",
        "sex",
        "ethnicity",
    }


@pytest.mark.django_db
def test_header_sample_stores_children_once(external_data, authority):
    path = sample(external_data, "header.csv")
    result = store_batch(parse_file(path), authority)
    assert (result.stored, result.updated, result.unchanged) == (2675, 0, 0)
    assert Child.objects.filter(authority=authority).count() == 2675
    child = Child.objects.get(authority=authority, la_child_id="384923")  # 384923,2,09/09/2011,REFU
    assert (child.birth_month, child.sex, child.ethnicity) == (date(2011, 9, 1), "2", "REFU")

    again = store_batch(parse_file(path), authority)
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 2675)
    assert Child.objects.filter(authority=authority).count() == 2675


@pytest.mark.django_db
def test_header_sample_never_stores_dob_upn_or_mother(external_data, authority):
    store_batch(parse_file(sample(external_data, "header.csv")), authority)
    field_names = {field.name for field in Child._meta.get_fields()}
    assert not field_names & {"upn", "dob", "date_of_birth", "mother", "mc_dob"}
    assert not Child.objects.exclude(birth_month__day=1).exists()
    stored_text = {str(value) for row in Child.objects.values() for value in row.values()}
    for forbidden in ("D051910639385", "L034811502612", "2008-03-27", "27/03/2008", "27/08/2016", "1.0"):
        assert forbidden not in stored_text


def test_episodes_sample_parses_every_episode_without_problems(external_data):
    batch = parse_file(sample(external_data, "episodes.csv"))
    assert batch.file_format == EPISODES
    episodes = batch.events["care_episodes"]
    assert len(episodes) == 5050
    assert len(batch.children) == 2123
    assert batch.problems == []
    assert sum(1 for fields in episodes.values() if fields["end_date"] is None) == 1413
    # 566910,14/08/2017,T,C2,N3,A3,PR3,,X1,,EG19 7TT,WV27 9FW,8969628
    assert episodes[("566910", date(2017, 8, 14))] == {
        "start_date": date(2017, 8, 14),
        "end_date": None,
        "reason_new_episode": "T",
        "legal_status": "C2",
        "category_of_need": "N3",
        "placement": "A3",
        "placement_provider": "PR3",
        "reason_end": "X1",
        "reason_place_change": "",
        "urn": "8969628",
        "home_postcode_district": "EG19",
        "placement_postcode_district": "WV27",
    }
    # The previous line of the same child has both postcodes empty.
    first = episodes[("566910", date(2016, 2, 15))]
    assert (first["end_date"], first["reason_place_change"]) == (date(2017, 8, 14), "CLOSE")
    assert (first["home_postcode_district"], first["placement_postcode_district"]) == ("", "")


@pytest.mark.django_db
def test_episodes_sample_stores_once_and_reimports_as_unchanged(external_data, authority):
    path = sample(external_data, "episodes.csv")
    result = store_batch(parse_file(path), authority)
    assert (result.stored, result.updated, result.unchanged) == (2123 + 5050, 0, 0)
    assert CareEpisode.objects.filter(child__authority=authority).count() == 5050
    assert CareEpisode.objects.filter(end_date__isnull=True).count() == 1413
    assert CareEpisode.objects.filter(reason_new_episode="S").count() == sum(
        1 for line in path.read_text().splitlines()[1:] if line.split(",")[2] == "S"
    )

    again = store_batch(parse_file(path), authority)
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 2123 + 5050)
    assert CareEpisode.objects.count() == 5050
    assert Child.objects.count() == 2123


@pytest.mark.django_db
def test_episodes_sample_keeps_only_the_outward_part_of_postcodes(external_data, authority):
    store_batch(parse_file(sample(external_data, "episodes.csv")), authority)
    episode = CareEpisode.objects.get(child__la_child_id="566910", start_date=date(2017, 8, 14))
    assert (episode.home_postcode_district, episode.placement_postcode_district) == ("EG19", "WV27")
    for name in ("home_postcode_district", "placement_postcode_district"):
        values = set(CareEpisode.objects.values_list(name, flat=True))
        assert all(" " not in value and len(value) <= 4 for value in values)
    stored_text = {str(value) for row in CareEpisode.objects.values() for value in row.values()}
    assert not {"EG19 7TT", "WV27 9FW", "7TT", "9FW"} & stored_text


def test_liia_sample_reads_iso_dates_and_ignores_extra_columns(external_data):
    batch = parse_file(sample(external_data, "liia-episodes-for-testing-fixes.csv"))
    episodes = batch.events["care_episodes"]
    assert (len(batch.children), len(episodes), batch.problems) == (10, 23, [])
    assert sorted(batch.children) == [
        "NORULE_BAD",
        "NORULE_NEW",
        "NORULE_SUT",
        "RULE1A_BAD",
        "RULE1_BAD",
        "RULE2_BAD",
        "RULE3A_BAD",
        "RULE3_BAD",
        "RULE4_BAD",
        "RULE5_BAD",
    ]
    # RULE4_BAD,2019-08-19,P,C1,N1,P1,PR0,2019-10-01,E4A,,R4 3,Z1 4,,Barking and Dagenham,2020
    episode = episodes[("RULE4_BAD", date(2019, 8, 19))]
    assert episode["end_date"] == date(2019, 10, 1)
    assert (episode["reason_end"], episode["placement"], episode["urn"]) == ("E4A", "P1", "")
    assert (episode["home_postcode_district"], episode["placement_postcode_district"]) == ("R4", "Z1")
    assert "LA" not in episode and "YEAR" not in episode
    # "ABC 1" and "FGH 3" are not postcodes: nothing is kept of them.
    bad = episodes[("NORULE_BAD", date(2015, 6, 19))]
    assert (bad["home_postcode_district"], bad["placement_postcode_district"]) == ("", "")
    assert episodes[("RULE1A_BAD", date(2016, 1, 22))]["home_postcode_district"] == "R1A"


@pytest.mark.django_db
def test_liia_sample_stores_once(external_data, authority):
    path = sample(external_data, "liia-episodes-for-testing-fixes.csv")
    result = store_batch(parse_file(path), authority)
    assert (result.stored, result.updated, result.unchanged) == (33, 0, 0)
    again = store_batch(parse_file(path), authority)
    assert (again.stored, again.updated) == (0, 0)
    assert (Child.objects.count(), CareEpisode.objects.count()) == (10, 23)
    assert CareEpisode.objects.filter(child__la_child_id="RULE3A_BAD", end_date__isnull=True).count() == 1


@pytest.mark.django_db
def test_header_then_episodes_keeps_the_demographics(external_data, authority):
    store_batch(parse_file(sample(external_data, "header.csv")), authority)
    result = store_batch(parse_file(sample(external_data, "episodes.csv")), authority)
    # Every child of the episodes is in the header: they are found unchanged.
    assert (result.stored, result.updated, result.unchanged) == (5050, 0, 2123)
    child = Child.objects.get(authority=authority, la_child_id="566910")
    assert (child.birth_month, child.sex, child.ethnicity) == (date(2008, 3, 1), "2", "WROM")
    assert child.care_episodes.count() == 2
    assert Child.objects.filter(authority=authority).count() == 2675
    assert not Child.objects.filter(birth_month__isnull=True).exists()


# ---------------------------------------------------------------------------------------------------
# Encodings, layout and bad records

ENCODED = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN,NOTE\r\n"
    "A1,01/04/2023,S,C2,N1,U1,PR1,02/05/2023,X1,CARPLÉ,EG19 7TT,WV27 9FW,SC123456,Café – déjà vu\r\n"
    "A1,02/05/2023,P,C2,N1,U4,PR1,,,,EG19 7TT,WV27 9FW,SC123456,Zoë\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_give_the_same_batch(tmp_path, encoding):
    reference = ssda903.parse(write(tmp_path, ENCODED, "ref.csv"), EPISODES, "same.csv")
    path = write(tmp_path, ENCODED, encoding=encoding)
    assert ssda903.detect(path.read_bytes(), path.name) == EPISODES
    batch = ssda903.parse(path, EPISODES, "same.csv")
    assert batch == reference
    assert batch.events["care_episodes"][("A1", date(2023, 4, 1))]["reason_place_change"] == "CARPLÉ"
    assert batch.problems == []


def test_header_case_spaces_whitespace_and_semicolons(tmp_path):
    text = (
        " child ; decom ;rne;ls;cin;place;Place Provider;dec;rec\n  B2 ; 2023-04-01 ;S ;C2;N1;U1;PR1; ;\n\n"
    )
    batch = ssda903.parse(write(tmp_path, text), EPISODES, "x.csv")
    assert batch.problems == []
    episode = batch.events["care_episodes"][("B2", date(2023, 4, 1))]
    assert (episode["reason_new_episode"], episode["placement_provider"], episode["end_date"]) == (
        "S",
        "PR1",
        None,
    )
    # Columns the file lacks are not in the batch, so stored values are left alone.
    assert "home_postcode_district" not in episode and "urn" not in episode


def test_bad_episode_rows_are_listed_and_left_out(tmp_path):
    text = "\n".join(
        [
            EPISODE_COLUMNS,
            "C1,01/04/2023,S,C2,N1,U1,PR1,,,,,,",  # line 2: fine
            ",01/04/2023,S,C2,N1,U1,PR1,,,,,,",  # line 3: no CHILD
            "C2,,S,C2,N1,U1,PR1,,,,,,",  # line 4: no DECOM
            "C3,31/02/2023,S,C2,N1,U1,PR1,,,,,,",  # line 5: impossible DECOM
            "C4,01/04/2023,S,C2,N1,U1,PR1,soon,,,,,",  # line 6: unparseable DEC
            "C5,01/04/2023,S,C2,N1,U1,PR1,31/03/2023,E11,,,,",  # line 7: DEC before DECOM
            "C6,01/04/0023,S,C2,N1,U1,PR1,,,,,,",  # line 8: a year no child was looked after in
            '"C7",01/04/2023,S,C2,N1,U1,PR1,01/04/2023,E11,,,,',  # line 9: same-day end, fine
        ]
    )
    batch = ssda903.parse(write(tmp_path, text), EPISODES, "bad.csv")
    assert sorted(batch.events["care_episodes"]) == [("C1", date(2023, 4, 1)), ("C7", date(2023, 4, 1))]
    assert sorted(batch.children) == ["C1", "C7"]
    problems = [(p.child, p.field, p.where) for p in batch.problems]
    assert problems == [
        ("", "CHILD", "line 3"),
        ("C2", "DECOM", "line 4"),
        ("C3", "DECOM", "line 5"),
        ("C4", "DEC", "line 6"),
        ("C5", "DEC", "line 7"),
        ("C6", "DECOM", "line 8"),
    ]
    assert batch.problems[1].reason == "is missing"
    assert batch.problems[2].reason == "'31/02/2023' is not a valid date (YYYY-MM-DD or DD/MM/YYYY)"
    assert batch.problems[4].reason == "2023-03-31 is before DECOM 2023-04-01"
    assert all(p.file == "bad.csv" for p in batch.problems)


def test_line_numbers_count_quoted_line_breaks(tmp_path):
    text = f'{EPISODE_COLUMNS}\nD1,01/04/2023,S,C2,N1,U1,PR1,,,"two\nlines",,,\nD2,bad,S,C2,N1,U1,PR1,,,,,,\n'
    batch = ssda903.parse(write(tmp_path, text), EPISODES, "x.csv")
    assert [(p.child, p.where) for p in batch.problems] == [("D2", "line 4")]


@pytest.mark.django_db
def test_bad_dob_keeps_the_child_without_birth_month(tmp_path, authority):
    text = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nE1,1,30/02/2010,WBRI,A123,,\nE2,2,,WIRI,,,\n,1,01/01/2010,WBRI,,,\n"
    batch = ssda903.parse(write(tmp_path, text), HEADER, "header.csv")
    assert batch.children == {
        "E1": {"sex": "1", "ethnicity": "WBRI"},
        "E2": {"sex": "2", "ethnicity": "WIRI"},
    }
    assert [(p.child, p.field, p.where) for p in batch.problems] == [
        ("E1", "DOB", "line 2"),
        ("", "CHILD", "line 4"),
    ]
    # The reason does not repeat the mistyped date of birth.
    assert "30/02/2010" not in batch.problems[0].reason
    store_batch(batch, authority)
    assert Child.objects.get(la_child_id="E1").birth_month is None


# ---------------------------------------------------------------------------------------------------
# Files that cannot be read at all


@pytest.mark.parametrize(
    "text, file_format, message",
    [
        ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER\n1,01/04/2023,S,C2,N1,U1,PR1\n", EPISODES, "DEC, REC"),
        ("CHILD,SEX,DOB\n1,1,01/01/2010\n", HEADER, "missing required columns: ETHNIC"),
        ("ID,DECOM\n1,01/04/2023\n", EPISODES, "missing required columns: CHILD, RNE"),
    ],
)
def test_missing_columns_are_named(tmp_path, text, file_format, message):
    with pytest.raises(FileRejected, match=message):
        ssda903.parse(write(tmp_path, text), file_format, "x.csv")


def test_empty_file_is_rejected(tmp_path):
    with pytest.raises(FileRejected, match="The file is empty"):
        ssda903.parse(write(tmp_path, ""), EPISODES, "x.csv")
    with pytest.raises(FileRejected, match="The file is empty"):
        ssda903.parse(write(tmp_path, " \r\n\r\n"), HEADER, "x.csv")


def test_random_bytes_are_rejected(tmp_path):
    path = tmp_path / "random.csv"
    path.write_bytes(os.urandom(4096) + b"\x00")
    with pytest.raises(FileRejected, match="not a CSV text file"):
        ssda903.parse(path, EPISODES, "random.csv")


def test_a_csv_of_another_kind_is_rejected(tmp_path):
    with pytest.raises(FileRejected, match="no CHILD column"):
        ssda903.parse(write(tmp_path, "a,b\n1,2\n"), "", "x.csv")


# ---------------------------------------------------------------------------------------------------
# Property-based: the Episodes parser

LETTERS = "ABCDEFGHJKLMNOPRSTUWYZ"
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
postcodes = st.builds(
    lambda area, district, inward, letters: f"{area}{district} {inward}{letters}",
    st.text(LETTERS, min_size=1, max_size=2),
    st.integers(1, 99),
    st.integers(0, 9),
    st.text(LETTERS, min_size=2, max_size=2),
)
codes = {
    "RNE": st.sampled_from(["S", "L", "P", "T", "B", "U"]),
    "LS": st.sampled_from(["C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"]),
    "CIN": st.sampled_from([f"N{n}" for n in range(1, 9)]),
    "PLACE": st.sampled_from(["U1", "U2", "U3", "U4", "U5", "U6", "A3", "P1", "K1", "K2", "H5", "R1", "Z1"]),
    "PLACE_PROVIDER": st.sampled_from([f"PR{n}" for n in range(6)]),
    "REC": st.sampled_from(["", "X1", "E11", "E12", "E4A", "E4B", "E17", "E48"]),
    "REASON_PLACE_CHANGE": st.sampled_from(["", "CARPL", "CLOSE", "CUSTOD", "STAND", "OTHER"]),
    "URN": st.one_of(st.just(""), st.from_regex(r"SC[0-9]{6}|[0-9]{7}", fullmatch=True)),
}


@st.composite
def episode_rows(draw):
    start = draw(dates)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=date(2036, 12, 31))))
    row = {
        "CHILD": draw(st.text("ABCXYZ0123456789-_", min_size=1, max_size=12)),
        "DECOM": start,
        "DEC": end,
        "HOME_POST": draw(st.one_of(st.just(""), postcodes)),
        "PL_POST": draw(st.one_of(st.just(""), postcodes)),
    }
    row.update({column: draw(strategy) for column, strategy in codes.items()})
    return row


def render(value: date | None, iso: bool) -> str:
    if value is None:
        return ""
    return value.isoformat() if iso else value.strftime("%d/%m/%Y")


def csv_text(rows: list[dict], iso: bool, junk: dict[str, str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = EPISODE_COLUMNS.split(",")
    writer.writerow(columns)
    for row in rows:
        cells = {**row, "DECOM": render(row["DECOM"], iso), "DEC": render(row["DEC"], iso), **(junk or {})}
        writer.writerow([cells[column] for column in columns])
    return out.getvalue()


def parse_text(text: str) -> Batch:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "episodes.csv"
        path.write_text(text, encoding="utf-8", newline="")
        return ssda903.parse(path, EPISODES, "episodes.csv")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(episode_rows(), min_size=1, max_size=15, unique_by=lambda row: (row["CHILD"], row["DECOM"])),
    st.booleans(),
)
def test_valid_episode_rows_round_trip(rows, iso):
    batch = parse_text(csv_text(rows, iso))
    assert batch.problems == []
    assert len(batch.events["care_episodes"]) == len(rows)
    for row in rows:
        fields = batch.events["care_episodes"][(row["CHILD"], row["DECOM"])]
        assert fields["start_date"] == row["DECOM"]
        assert fields["end_date"] == row["DEC"]
        assert fields["reason_new_episode"] == row["RNE"]
        assert (fields["legal_status"], fields["category_of_need"]) == (row["LS"], row["CIN"])
        assert (fields["placement"], fields["placement_provider"]) == (row["PLACE"], row["PLACE_PROVIDER"])
        assert (fields["reason_end"], fields["reason_place_change"]) == (
            row["REC"],
            row["REASON_PLACE_CHANGE"],
        )
        assert fields["urn"] == row["URN"]
        assert fields["home_postcode_district"] == row["HOME_POST"].split(" ")[0]
        assert fields["placement_postcode_district"] == row["PL_POST"].split(" ")[0]


def _not_a_date(text: str) -> bool:
    try:
        parse_date(text, "x")
    except RecordRejected:
        return True
    return False


junk_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20).filter(
    lambda text: text.strip() and _not_a_date(text)
)


@settings(max_examples=80, deadline=None)
@given(episode_rows(), junk_text, st.sampled_from(["DECOM", "DEC"]))
def test_junk_in_a_date_cell_is_rejected_never_crashes(row, junk, column):
    batch = parse_text(csv_text([row], iso=False, junk={column: junk}))
    assert batch.events["care_episodes"] == {}
    assert [(p.child, p.field, p.where) for p in batch.problems] == [(row["CHILD"], column, "line 2")]


def _strptime_only(text: str) -> date | None:
    """What parse_date answered before it tried ``date.fromisoformat`` first."""
    from datetime import datetime

    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


iso_like = st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z") | st.from_regex(r"\A.{4}-.{2}-.{2}\Z")


@settings(max_examples=300, deadline=None)
@given(st.dates().map(date.isoformat) | iso_like)
def test_the_fast_iso_path_gives_what_strptime_gives(text):
    expected = _strptime_only(text)
    if expected is None:
        with pytest.raises(RecordRejected):
            parse_date(text, "x")
    else:
        assert parse_date(text, "x") == expected
