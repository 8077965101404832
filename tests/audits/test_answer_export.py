"""The audit answers export (audits.exports and the export_answers command): version-aware columns
under stable item keys, retired items kept, local items, nothing of another authority, a fixed
number of queries.

The worked example (``build_versions``): the small standard tool of tests/audits/builders.py as v1;
v2 drops "worry", adds "plan" and moves c1 to the top of its section; authority A adapts v2 with a
local item "local-q". A has an audit on v1, one on v2 and one on v2 as adapted; B has one on v1.
"""

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Authority
from audits import exports
from audits import services as tool_services
from audits.models import (
    Adaptation,
    Audit,
    AuditAnswer,
    AuditStatus,
    ChangeKind,
    Item,
    ItemType,
    ToolVersion,
)
from qa_system import spreadsheets
from tests.audits import builders as tb
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

FIXED = ["audit_id", "team", "tool", "tool_version", "adaptation", "status", "signed_off_on", "overall_level"]
RUBRIC = ["{0}", "{0}:self", "{0}:auditor"]
# Latest version's order (map: r1, r2, plan; voice: c1, r3, s1), the local item, then the retired one.
ITEM_HEADER = [
    *(name.format("r1") for name in RUBRIC),
    *(name.format("r2") for name in RUBRIC),
    "plan",
    "c1",
    *(name.format("r3") for name in RUBRIC),
    "s1",
    "local-q",
    "worry",
]


@dataclass
class Example:
    v1: ToolVersion
    v2: ToolVersion
    adaptation: Adaptation
    on_v1: Audit
    on_v2: Audit
    adapted: Audit
    other: Audit


def make_audit(authority: Authority, version, personas, *, team=None, adaptation=None, **fields) -> Audit:
    return Audit.objects.create(
        authority=authority,
        child=ChildFactory.create(authority=authority, team=team),
        team=team,
        tool_version=version,
        adaptation=adaptation,
        practitioner=personas.alice,
        auditor=personas.bob,
        **fields,
    )


def answer(audit: Audit, key: str, **fields) -> AuditAnswer:
    return AuditAnswer.objects.create(audit=audit, item_key=key, **fields)


def build_versions(personas) -> Example:
    """The worked example of the module docstring."""
    small = tb.small_standard_tool(user=personas.pat)
    v2 = tool_services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    Item.objects.get(version=v2, key="worry").delete()
    tb.item(
        v2.sections.get(key="map"), "plan", text="What is the next step?", order=4, node_key="t-practice.map"
    )
    Item.objects.filter(version=v2, key="c1").update(order=0)
    tb.publish(v2, user=personas.pat)
    adaptation = tool_services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    tool_services.item_change_set(
        adaptation=adaptation,
        item_key="local-q",
        kind=ChangeKind.ADD,
        text="Was the family's own language used?",
        type=ItemType.TEXT,
        section_key="voice",
        order=9,
        acting_user=personas.quinn,
    )
    tb.publish_adaptation(adaptation, user=personas.quinn)

    a = personas.authority_a
    on_v1 = make_audit(
        a,
        small.version,
        personas,
        team=personas.team_a,
        status=AuditStatus.SIGNED_OFF,
        overall_level=3,
        signed_off_at=datetime(2024, 5, 31, 23, 30, tzinfo=UTC),  # 1 June in London
    )
    answer(on_v1, "r1", self_level=2, auditor_level=3, agreed_level=3)
    answer(on_v1, "worry", value="Dad drinks at weekends")
    answer(on_v1, "c1", value="often")
    answer(on_v1, "s1", value=7)
    on_v2 = make_audit(a, tb.refreshed(v2), personas, team=personas.team_a2, status=AuditStatus.CONVERSATION)
    answer(on_v2, "r1", self_level=4, auditor_level=None, agreed_level=None)
    answer(on_v2, "plan", value="Meet the network weekly")
    answer(on_v2, "c1", value="rarely")
    adapted = make_audit(a, tb.refreshed(v2), personas, adaptation=adaptation)
    answer(adapted, "local-q", value="Yes, mostly")
    other = make_audit(personas.authority_b, small.version, personas, team=personas.team_b)
    answer(other, "r1", agreed_level=1, self_level=1, auditor_level=1)
    answer(other, "worry", value="B's private worry")
    return Example(
        v1=small.version,
        v2=v2,
        adaptation=adaptation,
        on_v1=on_v1,
        on_v2=on_v2,
        adapted=adapted,
        other=other,
    )


@pytest.fixture
def example(personas) -> Example:
    return build_versions(personas)


def by_audit(table: exports.AnswerTable) -> dict:
    return {row[0]: dict(zip(table.header, row, strict=True)) for row in table.rows}


def test_v1_and_v2_audits_both_appear_under_stable_keys(personas, example):
    table = exports.answer_table(authority=personas.authority_a)
    rows = by_audit(table)
    assert list(rows) == [example.on_v1.pk, example.on_v2.pk, example.adapted.pk]
    v1, v2, adapted = rows[example.on_v1.pk], rows[example.on_v2.pk], rows[example.adapted.pk]
    assert (v1["tool_version"], v2["tool_version"], adapted["tool_version"]) == (1, 2, 2)
    assert (v1["r1"], v1["r1:self"], v1["r1:auditor"]) == (3, 2, 3)
    # Not agreed yet: the column is empty, the practitioner's level is there.
    assert (v2["r1"], v2["r1:self"], v2["r1:auditor"]) == (None, 4, None)
    assert (v1["c1"], v2["c1"]) == ("often", "rarely")
    assert v1["s1"] == 7
    # The item v2 retired keeps its column, and the v1 audit its answer.
    assert v1["worry"] == "Dad drinks at weekends"
    assert v2["worry"] is None
    assert (v1["plan"], v2["plan"]) == (None, "Meet the network weekly")
    assert adapted["local-q"] == "Yes, mostly"
    assert adapted["adaptation"] == example.adaptation.number
    assert v1["adaptation"] is None


def test_audit_columns(personas, example):
    row = by_audit(exports.answer_table(authority=personas.authority_a))[example.on_v1.pk]
    assert {key: row[key] for key in FIXED} == {
        "audit_id": example.on_v1.pk,
        "team": "Child Protection North",
        "tool": "t-audit",
        "tool_version": 1,
        "adaptation": None,
        "status": "signed_off",
        "signed_off_on": date(2024, 6, 1),
        "overall_level": 3,
    }


def test_columns_follow_the_latest_version_then_local_then_retired_items(personas, example):
    table = exports.answer_table(authority=personas.authority_a)
    assert table.header == FIXED + ITEM_HEADER
    origins = {column.key: column.origin for column in table.columns}
    assert origins["worry"] == exports.Origin.RETIRED
    assert origins["local-q"] == exports.Origin.LOCAL
    assert origins["plan"] == exports.Origin.CURRENT
    versions = {column.key: column.versions for column in table.columns}
    assert (versions["r1"], versions["worry"], versions["plan"]) == ((1, 2), (1,), (2,))


def test_child_la_id_only_when_asked(personas, example):
    plain = exports.answer_table(authority=personas.authority_a)
    assert "child_la_id" not in plain.header
    with_child = exports.answer_table(authority=personas.authority_a, include_child=True)
    assert with_child.header[:3] == ["audit_id", "child_la_id", "team"]
    assert with_child.rows[0][1] == example.on_v1.child.la_child_id


def test_another_authoritys_audits_and_answers_never_appear(personas, example):
    table = exports.answer_table(authority=personas.authority_a, include_child=True)
    assert example.other.pk not in [row[0] for row in table.rows]
    assert "B's private worry" not in [cell for row in table.rows for cell in row]
    b_table = exports.answer_table(authority=personas.authority_b)
    assert [row[0] for row in b_table.rows] == [example.other.pk]
    # B has no adaptation: A's local item is no column of B's export.
    assert "local-q" not in b_table.header
    assert by_audit(b_table)[example.other.pk]["worry"] == "B's private worry"


def test_filters_by_tool_and_start_date(personas, example):
    other_tool = tb.tool("t-other")
    v = tb.version(other_tool)
    tb.item(tb.section(v, "only"), "q1", node_key="t-practice.map")
    tb.publish(v)
    elsewhere = make_audit(personas.authority_a, v, personas)
    answer(elsewhere, "q1", value="x")
    everything = exports.answer_table(authority=personas.authority_a)
    assert elsewhere.pk in [row[0] for row in everything.rows]
    assert "q1" in everything.header
    only = exports.answer_table(authority=personas.authority_a, tool=example.v1.tool)
    assert elsewhere.pk not in [row[0] for row in only.rows]
    assert "q1" not in only.header
    Audit.objects.filter(pk=example.on_v1.pk).update(created_at=datetime(2024, 1, 10, 12, tzinfo=UTC))
    recent = exports.answer_table(
        authority=personas.authority_a, tool=example.v1.tool, date_from=date(2024, 2, 1)
    )
    assert example.on_v1.pk not in [row[0] for row in recent.rows]
    early = exports.answer_table(authority=personas.authority_a, date_to=date(2024, 1, 10))
    assert [row[0] for row in early.rows] == [example.on_v1.pk]
    # The columns of a tool stay whatever the audits exported.
    assert early.header == FIXED + ITEM_HEADER


def test_an_answer_to_a_key_in_no_published_version_is_kept(personas, example):
    answer(example.on_v2, "ghost", agreed_level=2)
    table = exports.answer_table(authority=personas.authority_a)
    assert table.header[-3:] == ["ghost", "ghost:self", "ghost:auditor"]
    assert by_audit(table)[example.on_v2.pk]["ghost"] == 2


def test_answer_values_as_cells():
    assert exports.answer_value(["often", "rarely"]) == "often; rarely"
    assert exports.answer_value(True) == "yes"
    assert exports.answer_value(7.5) == 7.5
    assert exports.answer_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert exports.answer_value(None) is None


def test_item_columns_is_pure():
    rows = [
        {
            "key": key,
            "type": "text",
            "text": key,
            "order": order,
            "section__order": 1,
            "version__number": number,
            "version__tool__key": "t",
            "version__tool__name": "T",
        }
        for key, order, number in [("a", 1, 1), ("b", 2, 1), ("b", 1, 2), ("c", 2, 2), ("old", 0, 1)]
    ]
    local = [
        {
            "item_key": "mine",
            "type": "",
            "text": "",
            "order": None,
            "adaptation__number": 1,
            "adaptation__adoption__tool__key": "t",
        }
    ]
    assert [column.key for column in exports.item_columns(rows, local)] == ["b", "c", "mine", "old", "a"]


def test_csv_keeps_a_spreadsheet_from_running_free_text():
    out = StringIO()
    spreadsheets.write_csv(out, ["a", "b", "c", "d"], [["=HYPERLINK(1)", -3, None, "-0.5"]])
    assert out.getvalue().splitlines()[1] == "'=HYPERLINK(1),-3,,-0.5"


def test_a_fixed_number_of_queries_whatever_the_number_of_audits(personas, example):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            exports.answer_table(authority=personas.authority_a, include_child=True)
        return len(captured.captured_queries)

    for _ in range(5):
        audit = make_audit(personas.authority_a, example.v1, personas, team=personas.team_a)
        answer(audit, "r1", agreed_level=2)
    small = queries()
    for _ in range(45):
        audit = make_audit(personas.authority_a, tb.refreshed(example.v2), personas, team=personas.team_a)
        answer(audit, "plan", value="later")
    assert queries() == small == 4


# --- the command ------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("export_answers", *args, stdout=out)
    return out.getvalue()


def test_command_writes_csv(personas, example):
    text = run("--authority", "991", "--tool", "t-audit")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == FIXED + ITEM_HEADER
    assert [int(row[0]) for row in rows[1:]] == [example.on_v1.pk, example.on_v2.pk, example.adapted.pk]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["r1"], first["worry"], first["signed_off_on"], first["adaptation"]) == (
        "3",
        "Dad drinks at weekends",
        "2024-06-01",
        "",
    )
    # Run outside any authority's login: no child's LA id.
    assert example.on_v1.child.la_child_id not in text


def test_command_writes_xlsx_with_the_same_rows(personas, example, tmp_path):
    target = tmp_path / "answers.xlsx"
    assert "Wrote 3 audits" in run("--authority", "991", "--format", "xlsx", "--output", str(target))
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["Answers", "Items"]
    sheet_rows = [list(row) for row in workbook["Answers"].iter_rows(values_only=True)]
    csv_rows = list(csv.reader(run("--authority", "991").splitlines()))
    assert [list(map(xlsx_text, row)) for row in sheet_rows] == csv_rows
    items = list(workbook["Items"].iter_rows(values_only=True))
    assert items[0] == ("column", "tool", "type", "question", "where from", "in versions")
    assert ("worry", "t-audit", "text", "What are you worried about?", "retired from the tool", "1") in items


def xlsx_text(value) -> str:
    """A cell read back from the workbook, as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def test_command_refuses_unknown_authority_tool_and_bad_dates(personas, example):
    with pytest.raises(CommandError, match="No authority has the DfE number '999'"):
        run("--authority", "999")
    with pytest.raises(CommandError, match="There is no tool with the key 'nope'"):
        run("--authority", "991", "--tool", "nope")
    tb.tool("t-unused")
    with pytest.raises(CommandError, match="does not use the tool 't-unused'"):
        run("--authority", "991", "--tool", "t-unused")
    with pytest.raises(CommandError, match="--from '2024-13-01' is not a date"):
        run("--authority", "991", "--from", "2024-13-01")
    with pytest.raises(CommandError, match="needs --output"):
        run("--authority", "991", "--format", "xlsx")
