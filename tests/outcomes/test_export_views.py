"""The export pages: measure values (QA leads and leaders) and audit answers (QA leads), as CSV and
XLSX from the same rows, only ever of the active authority; 403 for everyone else."""

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.middleware import SESSION_KEY
from outcomes.models import MeasureValue
from outcomes.selectors import EXPORT_HEADER
from tests.audits.test_answer_export import answer, build_versions, make_audit

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)


def value(authority, measure, start, end, numerator, denominator=None, *, period_type="month", team=None):
    shown = None
    if denominator is None:
        shown = Decimal(numerator)
    elif denominator:
        shown = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))
    return MeasureValue.objects.create(
        authority=authority,
        team=team,
        measure=measure,
        period_type=period_type,
        period_start=date.fromisoformat(start),
        period_end=date.fromisoformat(end),
        numerator=numerator,
        denominator=denominator,
        value=shown,
        computed_at=NOW,
    )


@pytest.fixture
def measures(personas):
    a, b = personas.authority_a, personas.authority_b
    value(a, "referrals", "2024-04-01", "2024-04-30", 3)
    value(a, "referrals", "2024-04-01", "2024-06-30", 7, period_type="quarter")
    value(a, "rereferrals_12m", "2024-04-01", "2024-04-30", 1, 3)
    value(a, "rereferrals_12m", "2024-05-01", "2024-05-31", 0, 0)
    value(a, "referrals", "2024-04-01", "2024-04-30", 2, team=personas.team_a)
    value(b, "referrals", "2024-04-01", "2024-04-30", 4321)


def url(name: str, fmt: str = "csv", **query) -> str:
    path = reverse(f"exports:{name}", kwargs={"fmt": fmt})
    if query:
        path += "?" + "&".join(f"{key}={item}" for key, item in query.items())
    return path


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(response.content.decode().splitlines()))


def xlsx_rows(response, sheet: int = 0) -> list[list]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[sheet].iter_rows(values_only=True)]


def as_text(cell) -> str:
    """An XLSX cell as the CSV writes it."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    return str(cell)


def same_number(text: str, cell) -> bool:
    return (text == "" and cell is None) or Decimal(text) == Decimal(str(cell))


# --- measures ---------------------------------------------------------------------------------


def test_qa_lead_downloads_the_authoritys_measures_as_csv(personas, login, measures):
    response = login(personas.quinn).get(url("measures"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="measures-991-')
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    rows = csv_rows(response)
    assert rows[0] == EXPORT_HEADER
    assert rows[1:] == [
        ["991", "", "referrals", "month", "2024-04-01", "2024-04-30", "3", "", "3"],
        ["991", "", "referrals", "quarter", "2024-04-01", "2024-06-30", "7", "", "7"],
        ["991", "", "rereferrals_12m", "month", "2024-04-01", "2024-04-30", "1", "3", "0.3333"],
        ["991", "", "rereferrals_12m", "month", "2024-05-01", "2024-05-31", "0", "0", ""],
        ["991", "Child Protection North", "referrals", "month", "2024-04-01", "2024-04-30", "2", "", "2"],
    ]


def test_measures_xlsx_has_the_same_header_and_rows_as_the_csv(personas, login, measures):
    client = login(personas.quinn)
    rows = csv_rows(client.get(url("measures")))
    sheet = xlsx_rows(client.get(url("measures", "xlsx")))
    assert sheet[0] == rows[0]
    assert len(sheet) == len(rows)
    for text_row, cells in zip(rows[1:], sheet[1:], strict=True):
        assert [as_text(cell) for cell in cells[:6]] == text_row[:6]
        assert all(same_number(text, cell) for text, cell in zip(text_row[6:], cells[6:], strict=True))
    # Figures are numbers in the workbook, dates are dates.
    assert isinstance(sheet[1][6], int)
    assert isinstance(sheet[1][4], datetime)


def test_measure_filters(personas, login, measures):
    client = login(personas.leah)
    quarters = csv_rows(client.get(url("measures", period_type="quarter")))
    assert [row[3] for row in quarters[1:]] == ["quarter"]
    may = csv_rows(client.get(url("measures", date_from="2024-05-01", date_to="2024-05-31")))
    assert [row[4] for row in may[1:]] == ["2024-05-01"]


def test_bad_filters_show_the_page_again(personas, login, measures):
    response = login(personas.quinn).get(url("measures", date_from="2024-06-01", date_to="2024-05-01"))
    assert response.status_code == 400
    assert b"The end is before the start." in response.content


def test_unknown_format_is_404(personas, login):
    assert login(personas.quinn).get(url("measures", "pdf")).status_code == 404
    assert login(personas.quinn).get(url("answers", "json")).status_code == 404


def test_other_authority_gets_only_its_own_measures(personas, login, measures):
    rows = csv_rows(login(personas.quentin).get(url("measures")))
    assert rows[1:] == [["992", "", "referrals", "month", "2024-04-01", "2024-04-30", "4321", "", "4321"]]


def test_max_exports_the_authority_he_is_working_in(personas, login, measures):
    client = login(personas.max)
    session = client.session
    session[SESSION_KEY] = personas.authority_a.pk
    session.save()
    assert {row[0] for row in csv_rows(client.get(url("measures")))[1:]} == {"991"}
    session[SESSION_KEY] = personas.authority_b.pk
    session.save()
    # A practitioner in B: no export there, and never A's figures.
    response = client.get(url("measures"))
    assert response.status_code == 403
    assert b"991" not in response.content


@pytest.mark.parametrize("name", ["alice", "charlie", "ana", "pat"])
def test_people_without_export_rights_get_403(personas, login, measures, name):
    client = login(getattr(personas, name))
    for target in (reverse("exports:index"), url("measures"), url("measures", "xlsx"), url("answers")):
        response = client.get(target)
        assert response.status_code == 403, target
        assert b"Ashdown" not in response.content
        assert b"referrals" not in response.content


def test_anonymous_is_sent_to_login(client):
    response = client.get(url("measures"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- answers ----------------------------------------------------------------------------------


@pytest.fixture
def example(personas):
    return build_versions(personas)


def test_leaders_export_measures_but_not_answers(personas, login, measures, example):
    client = login(personas.leah)
    assert client.get(url("measures")).status_code == 200
    assert client.get(url("answers")).status_code == 403
    assert client.get(url("answers", "xlsx")).status_code == 403
    page = client.get(reverse("exports:index"))
    assert page.status_code == 200
    assert b'data-testid="measure-export"' in page.content
    assert b'data-testid="answer-export"' not in page.content


def test_qa_lead_sees_both_downloads(personas, login, example):
    page = login(personas.quinn).get(reverse("exports:index"))
    assert b'data-testid="measure-export"' in page.content
    assert b'data-testid="answer-export"' in page.content
    assert reverse("exports:answers", kwargs={"fmt": "xlsx"}).encode() in page.content
    # The tools A can export: the adapted t-audit (B's tools never appear).
    assert page.context["answer_form"].fields["tool"].queryset.get().key == "t-audit"


def test_answers_from_v1_and_v2_appear_under_stable_keys(personas, login, example):
    response = login(personas.quinn).get(url("answers", tool="t-audit"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-answers-991-')
    rows = csv_rows(response)
    header = rows[0]
    assert header[:3] == ["audit_id", "child_la_id", "team"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {str(example.on_v1.pk), str(example.on_v2.pk), str(example.adapted.pk)}
    v1, v2 = by_id[str(example.on_v1.pk)], by_id[str(example.on_v2.pk)]
    assert (v1["tool_version"], v1["r1"], v1["worry"]) == ("1", "3", "Dad drinks at weekends")
    assert (v2["tool_version"], v2["r1:self"], v2["plan"], v2["worry"]) == (
        "2",
        "4",
        "Meet the network weekly",
        "",
    )
    # The authority's own QA lead gets the child's LA id.
    assert v1["child_la_id"] == example.on_v1.child.la_child_id


def test_answers_xlsx_has_the_same_header_and_rows_as_the_csv(personas, login, example):
    client = login(personas.quinn)
    rows = csv_rows(client.get(url("answers")))
    sheet = xlsx_rows(client.get(url("answers", "xlsx")))
    assert [[as_text(cell) for cell in row] for row in sheet] == rows
    assert isinstance(sheet[1][rows[0].index("r1")], int)
    key = xlsx_rows(client.get(url("answers", "xlsx")), sheet=1)
    assert key[0][:2] == ["column", "tool"]


def test_other_qa_lead_gets_only_its_own_answers(personas, login, example):
    content = login(personas.quentin).get(url("answers")).content.decode()
    rows = list(csv.reader(content.splitlines()))
    assert [row[0] for row in rows[1:]] == [str(example.other.pk)]
    assert "Dad drinks at weekends" not in content
    assert example.on_v1.child.la_child_id not in content
    assert "local-q" not in rows[0]
    # A's tool filter is no filter of B's: an unknown choice is refused, not widened.
    tb_tool = login(personas.quentin).get(url("answers", tool="no-such-tool"))
    assert tb_tool.status_code == 400


def test_answers_export_issues_a_fixed_number_of_queries(personas, login, example, django_assert_num_queries):
    client = login(personas.quinn)
    for _ in range(5):
        answer(
            make_audit(personas.authority_a, example.v1, personas, team=personas.team_a), "r1", agreed_level=2
        )
    with CaptureQueriesContext(connection) as captured:
        assert len(csv_rows(client.get(url("answers", tool="t-audit")))) == 1 + 8
    for _ in range(45):
        answer(
            make_audit(personas.authority_a, example.v1, personas, team=personas.team_a), "worry", value="w"
        )
    with django_assert_num_queries(len(captured.captured_queries)):
        assert len(csv_rows(client.get(url("answers", "csv", tool="t-audit")))) == 1 + 53


def test_measures_export_issues_a_fixed_number_of_queries(
    personas, login, measures, django_assert_num_queries
):
    client = login(personas.quinn)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("measures", "xlsx")).status_code == 200
    for month in range(1, 13):
        value(personas.authority_a, "referrals", f"2023-{month:02d}-01", f"2023-{month:02d}-28", month)
    with django_assert_num_queries(len(captured.captured_queries)):
        assert len(xlsx_rows(client.get(url("measures", "xlsx")))) == 1 + 5 + 12
