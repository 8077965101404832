"""The Signs of Safety practice record: services, selectors, the CSV import, the pages."""

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from cases import practice
from cases.importers.base import FileRejected
from cases.models import (
    ChildVoiceRecord,
    Conference,
    DangerStatement,
    NetworkMember,
    SafetyMap,
    SafetyPlan,
    Scaling,
)
from cases.practice_import import READ_BYTES, practice_import
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

D = date.fromisoformat


@pytest.fixture
def kid(personas):
    return ChildFactory(authority=personas.authority_a, team=personas.team_a, la_child_id="A1")


# --- services ------------------------------------------------------------------------------------


def test_months_before_keeps_the_day_or_takes_the_last_day():
    assert practice.months_before(D("2024-09-30"), 6) == D("2024-03-30")
    assert practice.months_before(D("2024-08-31"), 6) == D("2024-02-29")
    assert practice.months_before(D("2023-08-31"), 6) == D("2023-02-28")
    assert practice.months_before(D("2024-03-31"), 6) == D("2023-09-30")
    assert practice.is_current(D("2024-03-30"), on=D("2024-09-30"))
    assert not practice.is_current(D("2024-03-29"), on=D("2024-09-30"))
    assert not practice.is_current(D("2024-10-01"), on=D("2024-09-30"))


def test_each_record_is_added_with_who_recorded_it(kid, personas):
    alice = personas.alice
    practice.safety_map_add(child=kid, mapped_on=D("2024-05-02"), acting_user=alice)
    statement = practice.danger_statement_add(
        child=kid,
        statement="  Dad may hit Mum again when he drinks  ",
        safety_goal="Mum and Dad show the network they keep the children safe",
        written_on=D("2024-05-02"),
        acting_user=alice,
    )
    practice.scaling_add(
        child=kid,
        danger_statement=statement,
        respondent="worker",
        value=3,
        scaled_on=D("2024-05-02"),
        acting_user=alice,
    )
    practice.scaling_add(
        child=kid, respondent="parent", value=6, scaled_on=D("2024-05-02"), acting_user=alice
    )
    practice.network_member_add(
        child=kid,
        relationship="maternal grandmother",
        role="checks in daily",
        joined_on=D("2024-05-10"),
        acting_user=alice,
    )
    practice.safety_plan_add(child=kid, agreed_on=D("2024-06-01"), acting_user=alice)
    practice.voice_record_add(child=kid, tool="three_houses", used_on=D("2024-05-09"), acting_user=alice)
    conference = practice.conference_add(
        child=kid,
        held_on=D("2024-05-20"),
        format="participatory",
        participants="Parent; child|network, parent",
        acting_user=alice,
    )
    assert statement.statement == "Dad may hit Mum again when he drinks"
    assert conference.participants == ["parent", "child", "network"]
    for model in (
        SafetyMap,
        DangerStatement,
        Scaling,
        NetworkMember,
        SafetyPlan,
        ChildVoiceRecord,
        Conference,
    ):
        assert set(model.objects.values_list("recorded_by", flat=True)) == {alice.pk}, model.__name__
    assert Scaling.objects.count() == 2


def test_updates_change_the_record_and_who_recorded_it(kid, personas):
    statement = practice.danger_statement_add(
        child=kid, statement="Danger", written_on=D("2024-05-02"), acting_user=personas.alice
    )
    practice.danger_statement_update(
        danger_statement=statement, safety_goal="Goal", closed_on=D("2024-08-01"), acting_user=personas.bob
    )
    statement.refresh_from_db()
    assert (statement.safety_goal, statement.closed_on, statement.recorded_by) == (
        "Goal",
        D("2024-08-01"),
        personas.bob,
    )
    plan = practice.safety_plan_add(child=kid, agreed_on=D("2024-06-01"), acting_user=personas.alice)
    practice.safety_plan_update(plan=plan, reviewed_on=D("2024-09-01"), acting_user=personas.alice)
    member = practice.network_member_add(
        child=kid, relationship="aunt", joined_on=D("2024-05-01"), acting_user=personas.alice
    )
    practice.network_member_update(member=member, left_on=D("2024-07-01"), acting_user=personas.alice)
    assert SafetyPlan.objects.get().reviewed_on == D("2024-09-01")
    assert NetworkMember.objects.get().left_on == D("2024-07-01")
    with pytest.raises(TypeError, match="cannot change child"):
        practice.safety_plan_update(plan=plan, child=kid, acting_user=personas.alice)


@pytest.mark.parametrize(
    "call, field",
    [
        (
            lambda kid, user: practice.scaling_add(
                child=kid, respondent="worker", value=11, scaled_on=D("2024-05-01"), acting_user=user
            ),
            "value",
        ),
        (
            lambda kid, user: practice.scaling_add(
                child=kid, respondent="judge", value=5, scaled_on=D("2024-05-01"), acting_user=user
            ),
            "respondent",
        ),
        (
            lambda kid, user: practice.danger_statement_add(
                child=kid,
                statement="X",
                written_on=D("2024-05-02"),
                closed_on=D("2024-05-01"),
                acting_user=user,
            ),
            "closed_on",
        ),
        (
            lambda kid, user: practice.danger_statement_add(
                child=kid, statement="   ", written_on=D("2024-05-02"), acting_user=user
            ),
            "statement",
        ),
        (
            lambda kid, user: practice.network_member_add(
                child=kid,
                relationship="aunt",
                joined_on=D("2024-05-02"),
                left_on=D("2024-05-01"),
                acting_user=user,
            ),
            "left_on",
        ),
        (
            lambda kid, user: practice.safety_plan_add(
                child=kid, agreed_on=D("2024-05-02"), reviewed_on=D("2024-05-01"), acting_user=user
            ),
            "reviewed_on",
        ),
        (
            lambda kid, user: practice.voice_record_add(
                child=kid, tool="ouija", used_on=D("2024-05-01"), acting_user=user
            ),
            "tool",
        ),
        (
            lambda kid, user: practice.conference_add(
                child=kid, held_on=D("2024-05-01"), format="secret", acting_user=user
            ),
            "format",
        ),
    ],
)
def test_invalid_records_are_refused_and_nothing_is_stored(kid, personas, call, field):
    with pytest.raises(ValidationError) as raised:
        call(kid, personas.alice)
    assert field in raised.value.message_dict
    assert not any(
        model.objects.exists()
        for model in (
            SafetyMap,
            DangerStatement,
            Scaling,
            NetworkMember,
            SafetyPlan,
            ChildVoiceRecord,
            Conference,
        )
    )


def test_a_scaling_cannot_point_at_another_childs_statement(kid, personas):
    other = ChildFactory(authority=personas.authority_a)
    statement = practice.danger_statement_add(
        child=other, statement="D", written_on=D("2024-05-01"), acting_user=None
    )
    with pytest.raises(ValidationError, match="another child"):
        practice.scaling_add(
            child=kid,
            danger_statement=statement,
            respondent="worker",
            value=4,
            scaled_on=D("2024-05-01"),
            acting_user=None,
        )


def test_the_practice_record_selector(kid, personas, django_assert_num_queries):
    user = personas.alice
    practice.safety_map_add(child=kid, mapped_on=D("2024-01-10"), acting_user=user)
    latest = practice.safety_map_add(child=kid, mapped_on=D("2024-05-02"), acting_user=user)
    first = practice.danger_statement_add(
        child=kid, statement="First", written_on=D("2024-01-10"), acting_user=user
    )
    practice.danger_statement_add(
        child=kid, statement="Closed", written_on=D("2024-01-10"), closed_on=D("2024-03-01"), acting_user=user
    )
    for day, worker, parent in [("2024-05-02", 5, 7), ("2024-01-10", 2, 6), ("2024-03-01", 4, 6)]:
        practice.scaling_add(
            child=kid,
            danger_statement=first,
            respondent="worker",
            value=worker,
            scaled_on=D(day),
            acting_user=user,
        )
        practice.scaling_add(
            child=kid,
            danger_statement=first,
            respondent="parent",
            value=parent,
            scaled_on=D(day),
            acting_user=user,
        )
    practice.scaling_add(child=kid, respondent="child", value=8, scaled_on=D("2024-05-02"), acting_user=user)
    practice.network_member_add(
        child=kid, relationship="aunt", joined_on=D("2024-01-10"), left_on=D("2024-02-01"), acting_user=user
    )
    practice.network_member_add(
        child=kid, relationship="teacher", joined_on=D("2024-02-10"), acting_user=user
    )

    assert practice.current_map(child=kid) == latest
    with django_assert_num_queries(7):
        record = practice.practice_record(child=kid, today=D("2024-09-30"))
    assert record.current_map == latest
    assert record.map_is_current  # 2 May is within the 6 months up to 30 September
    assert not practice.practice_record(child=kid, today=D("2024-11-03")).map_is_current
    assert [item.statement.statement for item in record.open_statements] == ["First"]
    trends = {trend.respondent: trend for trend in record.statements[0].trends}
    assert list(trends) == ["parent", "worker"]  # the respondents' order, not the order recorded
    assert [point.value for point in trends["worker"].points] == [2, 4, 5]  # in date order
    assert trends["worker"].change == 3 and trends["worker"].latest.value == 5
    assert trends["worker"].sparkline() == "3.0,20.6 60.0,16.2 117.0,14.0"
    assert [(trend.respondent, trend.latest.value) for trend in record.overall] == [("child", 8)]
    assert [member.relationship for member in record.active_network] == ["teacher"]


# --- the CSV import ------------------------------------------------------------------------------

HEADER = (
    "child_id,record_type,date,end_date,danger_statement_ref,statement,safety_goal,respondent,value,"
    "relationship,role,reviewed_on,tool,format,kind,participants\n"
)
GOOD = [
    "A1,map,2024-05-02,,,,,,,,,,,,,",
    'A1,danger_statement,2024-05-02,,DS1,"Dad may hit Mum again, when he drinks",Mum and Dad keep them safe,,,,,,,,,',
    "A1,scaling,2024-05-02,,DS1,,,worker,3,,,,,,,",
    "A1,scaling,02/08/2024,,DS1,,,Parent or carer,6,,,,,,,",
    "A1,scaling,2024-05-02,,,,,child,7,,,,,,,",
    "A1,network_member,2024-05-10,,,,,,,maternal grandmother,checks in daily,,,,,",
    "A1,safety_plan,2024-06-01,,,,,,,,,2024-09-01,,,,",
    "A1,voice_tool,2024-05-09,,,,,,,,,,Three Houses,,,",
    "A1,conference,2024-05-20,,,,,,,,,,,participatory,initial,parent;child;network",
]
BAD = [
    "A1,scaling,2024-05-02,,DS9,,,worker,3,,,,,,,",  # line 11: unknown reference
    "A1,scaling,2024-05-02,,,,,worker,12,,,,,,,",  # line 12: off the scale
    "A1,map,2024-02-30,,,,,,,,,,,,,",  # line 13: impossible date
    "A1,hunch,2024-05-02,,,,,,,,,,,,,",  # line 14: unknown record type
    "NOBODY,map,2024-05-02,,,,,,,,,,,,,",  # line 15: unknown child
    "A1,network_member,2024-05-10,2024-05-01,,,,,,aunt,,,,,,",  # line 16: left before joining
    "A1,conference,2024-05-20,,,,,,,,,,,secret,,",  # line 17: unknown format
    "B1,map,2024-05-02,,,,,,,,,,,,,",  # line 18: a child of authority B
]


def csv_bytes(rows):
    return (HEADER + "\n".join(rows) + "\n").encode()


@pytest.fixture
def import_children(personas):
    ChildFactory(authority=personas.authority_a, la_child_id="A1")
    ChildFactory(authority=personas.authority_b, la_child_id="B1")


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            SafetyMap,
            DangerStatement,
            Scaling,
            NetworkMember,
            SafetyPlan,
            ChildVoiceRecord,
            Conference,
        )
    }


def test_import_stores_good_rows_and_lists_bad_ones(personas, import_children):
    result = practice_import(
        authority=personas.authority_a,
        data=csv_bytes(GOOD + BAD),
        filename="practice.csv",
        acting_user=personas.quinn,
    )
    assert (result.stored, result.updated, result.unchanged, result.rejected) == (9, 0, 0, 8)
    assert counts() == {
        "SafetyMap": 1,
        "DangerStatement": 1,
        "Scaling": 3,
        "NetworkMember": 1,
        "SafetyPlan": 1,
        "ChildVoiceRecord": 1,
        "Conference": 1,
    }
    assert [(p.where, p.child, p.field) for p in result.problems] == [
        ("line 11", "A1", "danger_statement_ref"),
        ("line 12", "A1", "value"),
        ("line 13", "A1", "date"),
        ("line 14", "A1", "record_type"),
        ("line 15", "NOBODY", "child_id"),
        ("line 16", "A1", "end_date"),
        ("line 17", "A1", "format"),
        ("line 18", "B1", "child_id"),
    ]
    assert result.problems[4].reason == "no child with this ID in Ashdown"
    statement = DangerStatement.objects.get()
    assert statement.statement == "Dad may hit Mum again, when he drinks"
    assert sorted(statement.scalings.values_list("respondent", "value")) == [("parent", 6), ("worker", 3)]
    assert Scaling.objects.get(danger_statement=None).value == 7
    assert Conference.objects.get().participants == ["parent", "child", "network"]
    assert Conference.objects.get().kind == "initial"
    assert ChildVoiceRecord.objects.get().tool == "three_houses"
    assert SafetyPlan.objects.get().reviewed_on == D("2024-09-01")
    assert set(SafetyMap.objects.values_list("recorded_by", flat=True)) == {personas.quinn.pk}


def test_reimport_changes_nothing_and_a_changed_row_is_updated(personas, import_children):
    data = csv_bytes(GOOD)
    practice_import(authority=personas.authority_a, data=data, filename="practice.csv")
    before = counts()
    again = practice_import(authority=personas.authority_a, data=data, filename="practice.csv")
    assert (again.stored, again.updated, again.unchanged, again.rejected) == (0, 0, 9, 0)
    assert counts() == before
    changed = [row.replace("worker,3", "worker,5") for row in GOOD]
    changed[6] = "A1,safety_plan,2024-06-01,,,,,,,,,2024-10-01,,,,"
    third = practice_import(authority=personas.authority_a, data=csv_bytes(changed), filename="practice.csv")
    assert (third.stored, third.updated, third.unchanged) == (0, 2, 7)
    assert counts() == before
    assert Scaling.objects.get(respondent="worker").value == 5
    assert SafetyPlan.objects.get().reviewed_on == D("2024-10-01")


def test_a_repeated_row_is_kept_once_the_later_winning(personas, import_children):
    rows = ["A1,scaling,2024-05-02,,,,,worker,3,,,,,,,", "A1,scaling,2024-05-02,,,,,worker,4,,,,,,,"]
    result = practice_import(authority=personas.authority_a, data=csv_bytes(rows), filename="p.csv")
    assert (result.stored, result.rejected) == (1, 0)
    assert Scaling.objects.get().value == 4


def test_unknown_children_are_rejected_and_nothing_of_them_stored(personas, import_children):
    rows = ["B1,map,2024-05-02,,,,,,,,,,,,,", "B1,voice_tool,2024-05-02,,,,,,,,,,safety_house,,,"]
    result = practice_import(authority=personas.authority_a, data=csv_bytes(rows), filename="p.csv")
    assert (result.stored, result.rejected) == (0, 2)
    assert set(counts().values()) == {0}


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"child,date\nA1,2024-05-02\n", "no child_id, record_type column"),
        (b"\x00\x01\x02binary", "not a CSV"),
    ],
)
def test_an_unreadable_file_is_rejected_whole(personas, import_children, data, message):
    with pytest.raises(FileRejected, match=message):
        practice_import(authority=personas.authority_a, data=data, filename="p.csv")
    assert set(counts().values()) == {0}


def test_column_names_are_forgiving_and_missing_columns_leave_fields_alone(personas, import_children):
    practice_import(
        authority=personas.authority_a,
        data=b"\xef\xbb\xbfChild ID,Record Type,Date,Reviewed On\nA1,Safety plan,01/06/2024,2024-07-01\n",
        filename="p.csv",
    )
    assert SafetyPlan.objects.get().reviewed_on == D("2024-07-01")
    # A later export without the reviewed_on column does not blank it.
    result = practice_import(
        authority=personas.authority_a,
        data=b"child_id,record_type,date\nA1,safety_plan,2024-06-01\n",
        filename="p.csv",
    )
    assert (result.stored, result.updated, result.unchanged) == (0, 0, 1)
    assert SafetyPlan.objects.get().reviewed_on == D("2024-07-01")


def test_the_import_command(personas, import_children, tmp_path, capsys):
    path = tmp_path / "practice.csv"
    path.write_bytes(csv_bytes(GOOD + BAD[:1]))
    call_command("import_practice", "--authority", "991", str(path), "--user", "quinn")
    out = capsys.readouterr().out
    assert "practice.csv: practice record: 9 stored, 0 updated, 0 unchanged, 1 rejected" in out
    assert "rejected: child A1 (line 11): danger_statement_ref:" in out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"nothing,here\n1,2\n")
    with pytest.raises(SystemExit) as exited:
        call_command("import_practice", "--authority", "991", str(bad))
    assert exited.value.code == 1


class RecordedReads(io.BytesIO):
    """A file that records how many bytes each read asked for and the most one gave."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked: list[int | None] = []
        self.largest = 0

    def _note(self, size, chunk: bytes) -> bytes:
        self.asked.append(size)
        self.largest = max(self.largest, len(chunk))
        return chunk

    def read(self, size=-1):
        return self._note(size, super().read(size))

    def read1(self, size=-1):
        return self._note(size, super().read1(size))


def test_a_large_export_is_read_a_block_at_a_time(personas, import_children):
    rationale = "the network has kept to the plan every week since May"
    rows = GOOD + [f"X{n},scaling,2024-05-02,,,,,worker,{n % 11},,,,,,," for n in range(40_000)]
    data = (
        HEADER.replace("participants", "participants,rationale")
        + "\n".join(f"{row},{rationale}" for row in rows)
        + "\n"
    ).encode()
    assert len(data) > 3_000_000
    export = RecordedReads(data)
    result = practice_import(authority=personas.authority_a, file=export, filename="big.csv")
    assert all(size is not None and 0 < size <= READ_BYTES for size in export.asked)
    assert export.largest <= READ_BYTES
    assert not export.closed  # the caller's file
    assert (result.stored, result.rejected) == (9, 40_000)
    # Line numbers as before: the header is line 1, the good rows 2-10, the unknown children after.
    assert (result.problems[0].where, result.problems[-1].where) == ("line 11", "line 40010")
    assert result.problems[-1].child == "X39999"


def test_windows_1252_is_recognised_past_the_first_block(personas, import_children):
    filler = [f"X{n},map,2024-05-02,,,,,,,,,,,,," for n in range(READ_BYTES // 20)]
    data = csv_bytes(filler) + b'A1,danger_statement,2024-05-02,,DS1,"Caf\xe9 fights",,,,,,,,,,\n'
    assert data.index(b"\xe9") > READ_BYTES
    result = practice_import(authority=personas.authority_a, data=data, filename="p.csv")
    assert result.stored == 1
    assert DangerStatement.objects.get().statement == "Caf\u00e9 fights"


def test_the_export_is_given_once(personas):
    with pytest.raises(TypeError, match="as file or as data"):
        practice_import(authority=personas.authority_a, filename="p.csv")


# --- pages ---------------------------------------------------------------------------------------

ADD_POSTS = {
    "map": {"map-mapped_on": "2024-05-02", "map-with_family": "on"},
    "danger_statement": {
        "danger-statement": "Dad may hit Mum again",
        "danger-safety_goal": "Mum and Dad keep the children safe",
        "danger-written_on": "2024-05-02",
    },
    "scaling": {"scaling-respondent": "worker", "scaling-value": "4", "scaling-scaled_on": "2024-05-02"},
    "network_member": {
        "network-relationship": "aunt",
        "network-role": "school run",
        "network-joined_on": "2024-05-03",
    },
    "safety_plan": {"plan-agreed_on": "2024-06-01", "plan-family_owned": "on"},
    "voice_tool": {"voice-tool": "words_pictures", "voice-used_on": "2024-05-09"},
    "conference": {
        "conference-held_on": "2024-05-20",
        "conference-kind": "review",
        "conference-format": "participatory",
        "conference-participants": ["parent", "child"],
        "conference-others": "IRO",
    },
}
MODELS = {
    "map": SafetyMap,
    "danger_statement": DangerStatement,
    "scaling": Scaling,
    "network_member": NetworkMember,
    "safety_plan": SafetyPlan,
    "voice_tool": ChildVoiceRecord,
    "conference": Conference,
}


def test_the_practice_page_shows_the_record(kid, personas, login):
    practice.safety_map_add(child=kid, mapped_on=D("2024-05-02"), acting_user=personas.alice)
    statement = practice.danger_statement_add(
        child=kid, statement="Dad may hit Mum again", written_on=D("2024-05-02"), acting_user=personas.alice
    )
    practice.scaling_add(
        child=kid,
        danger_statement=statement,
        respondent="worker",
        value=3,
        scaled_on=D("2024-05-02"),
        acting_user=None,
    )
    practice.scaling_add(
        child=kid,
        danger_statement=statement,
        respondent="worker",
        value=6,
        scaled_on=D("2024-07-02"),
        acting_user=None,
    )
    response = login(personas.alice).get(reverse("practice:record", args=[kid.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "02 May 2024" in content and "Dad may hit Mum again" in content
    assert "no safety goal yet" in content
    assert "<polyline" in content and "3</span> → <span" in content
    assert response.context["record"].statements[0].trends[0].change == 3


@pytest.mark.parametrize("kind", list(ADD_POSTS))
def test_each_quick_form_adds_a_record(kid, personas, login, kind):
    client = login(personas.alice)
    response = client.post(reverse("practice:add", args=[kid.pk, kind]), ADD_POSTS[kind])
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('practice:record', args=[kid.pk])}#{kind}"
    row = MODELS[kind].objects.get()
    assert row.child == kid and row.recorded_by == personas.alice
    if kind == "conference":
        assert row.participants == ["parent", "child", "iro"]


def test_an_invalid_quick_form_is_shown_again_with_its_errors(kid, personas, login):
    client = login(personas.alice)
    response = client.post(
        reverse("practice:add", args=[kid.pk, "scaling"]),
        {"scaling-respondent": "worker", "scaling-value": "11", "scaling-scaled_on": "2024-05-02"},
    )
    assert response.status_code == 400
    assert response.context["open_form"] == "scaling"
    assert "value" in response.context["forms"]["scaling"].errors
    assert not Scaling.objects.exists()
    network = client.post(
        reverse("practice:add", args=[kid.pk, "network_member"]),
        {"network-relationship": "aunt", "network-joined_on": "2024-05-03"},
    )
    assert network.status_code == 302  # role is optional


def test_the_scaling_form_offers_only_this_childs_statements(kid, personas, login):
    other = ChildFactory(authority=personas.authority_a)
    foreign = practice.danger_statement_add(
        child=other, statement="D", written_on=D("2024-05-01"), acting_user=None
    )
    response = login(personas.alice).post(
        reverse("practice:add", args=[kid.pk, "scaling"]),
        {
            "scaling-danger_statement": foreign.pk,
            "scaling-respondent": "worker",
            "scaling-value": "4",
            "scaling-scaled_on": "2024-05-02",
        },
    )
    assert response.status_code == 400
    assert "danger_statement" in response.context["forms"]["scaling"].errors
    assert not Scaling.objects.exists()


def test_the_change_forms(kid, personas, login):
    client = login(personas.bob)
    statement = practice.danger_statement_add(
        child=kid, statement="D", written_on=D("2024-05-01"), acting_user=None
    )
    member = practice.network_member_add(
        child=kid, relationship="aunt", joined_on=D("2024-05-01"), acting_user=None
    )
    plan = practice.safety_plan_add(child=kid, agreed_on=D("2024-05-01"), acting_user=None)
    for kind, pk, data in [
        (
            "danger_statement",
            statement.pk,
            {"danger_change-safety_goal": "Goal", "danger_change-closed_on": "2024-08-01"},
        ),
        ("network_member", member.pk, {"network_left-left_on": "2024-07-01"}),
        ("safety_plan", plan.pk, {"plan_review-reviewed_on": "2024-09-01"}),
    ]:
        response = client.post(reverse("practice:change", args=[kid.pk, kind, pk]), data)
        assert response.status_code == 302
    statement.refresh_from_db()
    member.refresh_from_db()
    plan.refresh_from_db()
    assert (statement.safety_goal, statement.closed_on, statement.recorded_by) == (
        "Goal",
        D("2024-08-01"),
        personas.bob,
    )
    assert member.left_on == D("2024-07-01")
    assert plan.reviewed_on == D("2024-09-01")
    # A date before the plan was agreed is refused, with a message.
    response = client.post(
        reverse("practice:change", args=[kid.pk, "safety_plan", plan.pk]),
        {"plan_review-reviewed_on": "2024-01-01"},
        follow=True,
    )
    assert "before the date agreed" in response.content.decode()
    plan.refresh_from_db()
    assert plan.reviewed_on == D("2024-09-01")


def test_a_change_through_another_childs_url_is_not_found(kid, personas, login):
    other = ChildFactory(authority=personas.authority_a)
    plan = practice.safety_plan_add(child=other, agreed_on=D("2024-05-01"), acting_user=None)
    response = login(personas.alice).post(
        reverse("practice:change", args=[kid.pk, "safety_plan", plan.pk]),
        {"plan_review-reviewed_on": "2024-09-01"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("outsider", ["charlie", "quentin"])
def test_other_authorities_get_404_on_the_practice_pages(kid, personas, login, outsider):
    plan = practice.safety_plan_add(child=kid, agreed_on=D("2024-05-01"), acting_user=None)
    client = login(getattr(personas, outsider))
    missing = 987_654_321
    own = client.get(reverse("practice:record", args=[kid.pk]))
    absent = client.get(reverse("practice:record", args=[missing]))
    assert own.status_code == absent.status_code == 404
    assert own.content == absent.content
    for kind, data in ADD_POSTS.items():
        assert client.post(reverse("practice:add", args=[kid.pk, kind]), data).status_code == 404
    change = client.post(
        reverse("practice:change", args=[kid.pk, "safety_plan", plan.pk]),
        {"plan_review-reviewed_on": "2024-09-01"},
    )
    assert change.status_code == 404
    assert [MODELS[kind].objects.count() for kind in MODELS] == [0, 0, 0, 0, 1, 0, 0]
    plan.refresh_from_db()
    assert plan.reviewed_on is None


def test_the_summary_partial(kid, personas):
    from django.template.loader import render_to_string

    practice.safety_map_add(child=kid, mapped_on=D("2024-05-02"), acting_user=None)
    practice.danger_statement_add(
        child=kid, statement="Dad may hit Mum again", written_on=D("2024-05-02"), acting_user=None
    )
    practice.voice_record_add(child=kid, tool="three_houses", used_on=D("2024-05-09"), acting_user=None)
    html = render_to_string("cases/practice/_summary.html", {"child": kid})
    assert "latest 02 May 2024" in html
    assert "Dad may hit Mum again" in html and "no goal" in html
    assert "Three Houses, 09 May 2024" in html
    assert reverse("practice:record", args=[kid.pk]) in html


@pytest.mark.django_db
def test_practice_records_keep_their_history(personas):
    from cases import practice
    from cases.models import SafetyPlan
    from tests.factories import ChildFactory

    child = ChildFactory(authority=personas.authority_a, team=personas.team_a)
    plan = practice.safety_plan_add(child=child, agreed_on=date(2024, 5, 1), acting_user=personas.alice)
    assert SafetyPlan.history.filter(id=plan.pk).get().history_user == personas.alice
