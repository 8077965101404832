"""The audit measures: definitions on hand-made audits, the local-date rule at period boundaries,
comparable items only across authorities, zero denominators, team rows, idempotence and query counts.

Audits are made directly with the ORM (signed off, with ``signed_off_at`` set) against the standard
"case-audit" v1 that the migrations load (p1..p14 core rubric items for elements P1..P14).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Authority, Team, User
from audits import services as tool_services
from audits.models import (
    Adaptation,
    Audit,
    AuditAnswer,
    AuditStatus,
    ChangeKind,
    FeedbackRequest,
    ItemType,
    LearningAction,
    Moderation,
    Tool,
    ToolVersion,
)
from fidelity.models import ResultsNode, RubricElement
from outcomes import audit_measures
from outcomes.audit_measures import ELEMENT_KEYS, ElementMean, cross_authority_element_means
from outcomes.models import MeasureValue
from outcomes.registry import MEASURES
from outcomes.services import measures_compute
from tests.audits import builders as tb
from tests.factories import AuthorityFactory, TeamFactory, UserFactory
from tests.outcomes import builders as b
from tests.outcomes.builders import stored

pytestmark = pytest.mark.django_db

AUDIT_KEYS = [
    "fidelity_overall",
    *(f"fidelity_p{n}" for n in range(1, 15)),
    "audits_established",
    "family_participation",
    "childs_voice_evident",
    "moderation_agreement",
    "actions_on_time",
]

# 23:30 on 31 March 2024 in British Summer Time (clocks went forward that morning) is 22:30 UTC.
BST_LAST_OF_MARCH = datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
# 23:30 UTC the same night is 00:30 on 1 April in London.
UTC_LAST_OF_MARCH = datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
# In winter London is on GMT: 23:30 UTC on 31 January is still 31 January.
GMT_LAST_OF_JANUARY = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
MAY = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """Noon UTC on an ISO date."""
    return datetime.fromisoformat(text).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def v1() -> ToolVersion:
    return ToolVersion.objects.get(tool__key="case-audit", number=1)


@pytest.fixture
def people():
    return UserFactory(username="m-practitioner"), UserFactory(username="m-auditor")


def make_audit(
    authority,
    version,
    people,
    *,
    levels=None,
    signed_off_at=MAY,
    team=None,
    adaptation=None,
    overall=None,
    status=AuditStatus.SIGNED_OFF,
) -> Audit:
    """An audit of a new child, with agreed levels ``{item key: level}`` (None: rated by nobody)."""
    practitioner, auditor = people
    audit = Audit.objects.create(
        authority=authority,
        child=b.child(authority, team=team),
        team=team,
        tool_version=version,
        adaptation=adaptation,
        practitioner=practitioner,
        auditor=auditor,
        status=status,
        overall_level=overall,
        signed_off_at=signed_off_at if status == AuditStatus.SIGNED_OFF else None,
    )
    for key, level in (levels or {}).items():
        AuditAnswer.objects.create(audit=audit, item_key=key, agreed_level=level, self_level=level)
    return audit


def counts(key: str, period_type: str = "month", *, authority_ids=None, by_team=False):
    return MEASURES[key].compute(period_type=period_type, authority_ids=authority_ids, by_team=by_team)


def adapted_case_audit(authority) -> Adaptation:
    """The authority's published adaptation of case-audit v1: p1 reworded with another meaning,
    p2 reworded with the same meaning, a local 0–10 scale item "local-confidence"."""
    tool = Tool.objects.get(key="case-audit")
    adaptation = tool_services.tool_adapt(authority=authority, tool=tool, acting_user=None)
    tool_services.item_change_set(
        adaptation=adaptation,
        item_key="p1",
        kind=ChangeKind.REWORD,
        text="Harm is described in our local framework's terms",
        equivalent=False,
        acting_user=None,
    )
    tool_services.item_change_set(
        adaptation=adaptation,
        item_key="p2",
        kind=ChangeKind.REWORD,
        text="Danger statements say what will happen if nothing changes",
        equivalent=True,
        acting_user=None,
    )
    tool_services.item_change_set(
        adaptation=adaptation,
        item_key="local-confidence",
        kind=ChangeKind.ADD,
        text="How confident is the family?",
        type=ItemType.SCALE,
        section_key="the-map",
        anchors={"0": "Not at all", "10": "Completely"},
        acting_user=None,
    )
    return tool_services.adaptation_publish(adaptation=adaptation, acting_user=None)


# --- the registry ---------------------------------------------------------------------------------


def test_the_audit_measures_are_registered_as_rates_with_existing_nodes():
    assert [key for key in MEASURES if key in AUDIT_KEYS] == AUDIT_KEYS
    nodes = set(ResultsNode.objects.values_list("key", flat=True))
    for key in AUDIT_KEYS:
        measure = MEASURES[key]
        assert measure.kind == "rate" and measure.numerator and measure.denominator
        assert measure.node in nodes, key
    # Each element's measure informs the same node as the element in the standard rubric.
    standard = dict(
        RubricElement.objects.filter(rubric__key="sofs-case-practice").values_list("key", "node__key")
    )
    assert {key: MEASURES[f"fidelity_{key.lower()}"].node for key in ELEMENT_KEYS} == standard
    assert "mean on the 1–4" in MEASURES["fidelity_overall"].denominator


# --- practice fidelity --------------------------------------------------------------------------


def test_fidelity_overall_is_the_mean_agreed_level_of_answered_core_rubric_items(personas, v1, people):
    a = personas.authority_a
    make_audit(a, v1, people, levels={"p1": 4, "p2": 3, "p7": 2, "p14": None, "proudest": 4})
    make_audit(a, v1, people, levels={"p1": 1, "no-such-item": 4})
    # Not signed off: never counts.
    make_audit(a, v1, people, levels={"p1": 4}, status=AuditStatus.SUBMITTED)
    # p14 unanswered, "proudest" not rubric, "no-such-item" not in the tool: 4 + 3 + 2 + 1 over 4.
    assert counts("fidelity_overall") == {(a.pk, None, date(2024, 5, 1)): (10, 4)}
    measures_compute(authority_ids=[a.pk])
    assert stored(a, "fidelity_overall", "month", "2024-05-01") == (10, 4, "2.5000")
    assert stored(a, "fidelity_p1", "month", "2024-05-01") == (5, 2, "2.5000")
    assert stored(a, "fidelity_p7", "quarter", "2024-04-01") == (2, 1, "2.0000")
    # An element nobody rated has no value (not 0).
    assert stored(a, "fidelity_p14", "month", "2024-05-01") == (0, 0, None)


def test_the_period_is_the_local_date_of_the_sign_off(personas, v1, people):
    a = personas.authority_a
    make_audit(a, v1, people, levels={"p1": 4}, signed_off_at=BST_LAST_OF_MARCH)
    make_audit(a, v1, people, levels={"p1": 2}, signed_off_at=UTC_LAST_OF_MARCH)
    make_audit(a, v1, people, levels={"p1": 3}, signed_off_at=GMT_LAST_OF_JANUARY)
    assert counts("fidelity_p1", "month") == {
        (a.pk, None, date(2024, 1, 1)): (3, 1),
        (a.pk, None, date(2024, 3, 1)): (4, 1),  # 23:30 BST on 31 March
        (a.pk, None, date(2024, 4, 1)): (2, 1),  # 00:30 BST on 1 April
    }
    assert counts("fidelity_p1", "quarter") == {
        (a.pk, None, date(2024, 1, 1)): (7, 2),
        (a.pk, None, date(2024, 4, 1)): (2, 1),
    }
    assert counts("fidelity_p1", "year") == {
        (a.pk, None, date(2023, 4, 1)): (7, 2),
        (a.pk, None, date(2024, 4, 1)): (2, 1),
    }
    assert counts("audits_established", "year") == {}  # no overall levels given
    measures_compute(authority_ids=[a.pk])
    assert stored(a, "fidelity_p1", "month", "2024-03-01") == (4, 1, "4.0000")
    assert stored(a, "fidelity_p1", "month", "2024-04-01") == (2, 1, "2.0000")
    assert stored(a, "fidelity_p1", "month", "2024-02-01") == (0, 0, None)
    # The range runs from January to April (local dates), for every audit measure.
    months = MeasureValue.objects.filter(measure="actions_on_time", period_type="month")
    assert sorted(row.period_start.month for row in months) == [1, 2, 3, 4]


def test_an_adapted_tool_contributes_only_its_comparable_items(personas, v1, people):
    a, other = personas.authority_a, personas.authority_b
    adaptation = adapted_case_audit(other)
    levels = {"p1": 4, "p2": 2, "p3": 3, "local-confidence": 4}
    make_audit(a, v1, people, levels=levels)
    make_audit(other, v1, people, levels=levels, adaptation=adaptation)
    make_audit(other, v1, people, levels={"p2": 4, "p3": 1}, adaptation=adaptation)
    means = cross_authority_element_means(element_keys=["P1", "P2", "P3", "P7"])
    assert list(means) == ["P1", "P2", "P3", "P7"]
    # P1 reworded with another meaning: only the authority using the standard wording.
    assert means["P1"] == {a.pk: ElementMean(mean=Decimal("4.0000"), answered=1)}
    # P2 reworded as equivalent: still comparable.
    assert means["P2"] == {
        a.pk: ElementMean(mean=Decimal("2.0000"), answered=1),
        other.pk: ElementMean(mean=Decimal("3.0000"), answered=2),
    }
    assert means["P3"][other.pk] == ElementMean(mean=Decimal("2.0000"), answered=2)
    assert means["P7"] == {}
    # The local item (its agreed level set by a stray write) never counts anywhere.
    assert "local-confidence" not in str(means)
    assert set(cross_authority_element_means()) == set(ELEMENT_KEYS)
    # The authority's own figures: p1 is left out per element (not comparable) ...
    assert counts("fidelity_p1", authority_ids=[other.pk]) == {}
    assert counts("fidelity_p2", authority_ids=[other.pk]) == {(other.pk, None, date(2024, 5, 1)): (6, 2)}
    # ... but is still one of its core items overall; the local item is not.
    assert counts("fidelity_overall", authority_ids=[other.pk]) == {
        (other.pk, None, date(2024, 5, 1)): (4 + 2 + 3 + 4 + 1, 5)
    }


def test_an_authoritys_own_tool_counts_overall_but_not_per_element(personas, people):
    a = personas.authority_a
    small = tb.small_standard_tool("t-own-audit")
    Tool.objects.filter(pk=small.tool.pk).update(authority=a)
    make_audit(a, small.version, people, levels={"r1": 4, "r2": 2, "s1": 3})
    assert counts("fidelity_overall") == {(a.pk, None, date(2024, 5, 1)): (6, 2)}
    assert cross_authority_element_means() == {key: {} for key in ELEMENT_KEYS}


# --- the shares -----------------------------------------------------------------------------------


def test_audits_established_uses_the_overturned_level_when_set(personas, v1, people):
    a = personas.authority_a
    make_audit(a, v1, people, overall=3)
    make_audit(a, v1, people, overall=4)
    raised = make_audit(a, v1, people, overall=2)
    lowered = make_audit(a, v1, people, overall=4)
    make_audit(a, v1, people, overall=None)  # no grade: neither established nor not
    make_audit(a, v1, people, overall=4, status=AuditStatus.MODERATION)
    moderator = personas.quinn
    Moderation.objects.create(audit=raised, moderator=moderator, reason_selected="sample", overturned_level=3)
    Moderation.objects.create(
        audit=lowered, moderator=moderator, reason_selected="sample", overturned_level=1
    )
    assert counts("audits_established") == {(a.pk, None, date(2024, 5, 1)): (3, 4)}


def test_family_participation_counts_audits_with_an_answered_family_request(personas, v1, people):
    a = personas.authority_a
    answered, unanswered, child_only, none, twice = (make_audit(a, v1, people) for _ in range(5))
    now = timezone.now()

    def request(audit, respondent, answered_at):
        FeedbackRequest.objects.create(
            audit=audit, respondent=respondent, channel="phone", created_by=people[1], answered_at=answered_at
        )

    request(answered, "family", now)
    request(unanswered, "family", None)
    request(child_only, "child", now)
    request(twice, "family", now)
    request(twice, "family", now)  # two answered requests still make one audit
    assert counts("family_participation") == {(a.pk, None, date(2024, 5, 1)): (2, 5)}


def test_childs_voice_evident_is_the_share_of_rated_p7_at_established_or_more(personas, v1, people):
    a = personas.authority_a
    make_audit(a, v1, people, levels={"p7": 3})
    make_audit(a, v1, people, levels={"p7": 4})
    make_audit(a, v1, people, levels={"p7": 2})
    make_audit(a, v1, people, levels={"p7": None, "p1": 4})  # P7 not rated: not in the denominator
    assert counts("childs_voice_evident") == {(a.pk, None, date(2024, 5, 1)): (2, 3)}


def test_moderation_agreement_compares_each_rating_with_the_agreed_level(personas, v1, people):
    a = personas.authority_a
    moderated = make_audit(a, v1, people, levels={"p1": 3, "p2": 2, "p3": 2, "p5": None, "proudest": 2})
    Moderation.objects.create(
        audit=moderated,
        moderator=personas.quinn,
        reason_selected="sample",
        # p2 stored as text still reads as 2; p5 has no agreed level; "proudest" is not a rubric item;
        # p9 was not answered by the audit.
        ratings={"p1": 3, "p2": "2", "p3": 1, "p5": 3, "proudest": 2, "p9": 4},
    )
    unrated = make_audit(a, v1, people, levels={"p1": 3})
    Moderation.objects.create(audit=unrated, moderator=personas.quinn, reason_selected="sample", ratings={})
    make_audit(a, v1, people, levels={"p1": 3})  # not moderated
    assert counts("moderation_agreement") == {(a.pk, None, date(2024, 5, 1)): (2, 3)}


def test_moderation_agreement_without_moderations_has_no_rows(personas, v1, people):
    make_audit(personas.authority_a, v1, people, levels={"p1": 3})
    assert counts("moderation_agreement") == {}


def test_actions_on_time_counts_decided_actions_by_due_date(personas):
    a, team = personas.authority_a, personas.team_a
    owner = personas.bob
    today = timezone.localdate()

    def action(due: date, done: date | None) -> LearningAction:
        return LearningAction.objects.create(
            team=team,
            description="Map the network",
            owner=owner,
            due_on=due,
            completed_on=done,
            created_by=owner,
        )

    action(date(2024, 5, 10), date(2024, 5, 9))  # early
    action(date(2024, 5, 10), date(2024, 5, 10))  # on the day
    action(date(2024, 5, 31), date(2024, 6, 1))  # a day late
    action(date(2024, 5, 20), None)  # overdue
    action(date(2024, 6, 1), None)  # overdue, in June
    action(today + timedelta(days=30), None)  # not due yet: undecided, in no period
    action(today + timedelta(days=40), today)  # not due yet but done: on time
    result = counts("actions_on_time")
    assert result[(a.pk, None, date(2024, 5, 1))] == (2, 4)
    assert result[(a.pk, None, date(2024, 6, 1))] == (0, 1)
    due_later = (today + timedelta(days=40)).replace(day=1)
    assert result[(a.pk, None, due_later)] == (1, 1)
    assert len(result) == 3
    assert counts("actions_on_time", by_team=True)[(a.pk, team.pk, date(2024, 5, 1))] == (2, 4)


# --- teams, zero denominators, the aggregation job ----------------------------------------------


def test_team_rows_hold_only_the_teams_audits(personas, v1, people):
    a, north, front_door = personas.authority_a, personas.team_a, personas.team_a2
    make_audit(a, v1, people, team=north, levels={"p1": 4})
    make_audit(a, v1, people, team=north, levels={"p1": 2})
    make_audit(a, v1, people, team=front_door, levels={"p1": 1})
    make_audit(a, v1, people, levels={"p1": 3})  # no team: the authority's row only
    assert counts("fidelity_p1", by_team=True) == {
        (a.pk, north.pk, date(2024, 5, 1)): (6, 2),
        (a.pk, front_door.pk, date(2024, 5, 1)): (1, 1),
    }
    measures_compute(authority_ids=[a.pk])
    assert stored(a, "fidelity_p1", "month", "2024-05-01") == (10, 4, "2.5000")
    assert stored(a, "fidelity_p1", "month", "2024-05-01", team=north) == (6, 2, "3.0000")
    assert stored(a, "fidelity_p1", "month", "2024-05-01", team=front_door) == (1, 1, "1.0000")
    assert stored(a, "family_participation", "month", "2024-05-01", team=north) == (0, 2, "0.0000")


def test_an_authority_with_audits_but_no_case_records_gets_rows(personas, v1, people):
    a = personas.authority_a
    make_audit(a, v1, people, levels={"p1": 3}, signed_off_at=at("2024-05-02"))
    make_audit(a, v1, people, levels={"p1": 2}, signed_off_at=at("2024-07-30"))
    written = measures_compute(authority_ids=[a.pk])
    # May–July: 3 months, 2 quarters (Q1, Q2), 1 year; every registered measure.
    assert written == (3 + 2 + 1) * len(MEASURES)
    assert stored(a, "fidelity_p1", "month", "2024-06-01") == (0, 0, None)
    assert stored(a, "family_participation", "month", "2024-06-01") == (0, 0, None)
    assert stored(a, "fidelity_p1", "year", "2024-04-01") == (5, 2, "2.5000")


def test_case_records_without_audits_give_audit_measures_no_value(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    measures_compute(authority_ids=[a.pk])
    for key in AUDIT_KEYS:
        assert stored(a, key, "month", "2024-04-01") == (0, 0, None)


def snapshot():
    fields = ["authority_id", "team_id", "measure", "period_type", "period_start", "numerator", "denominator"]
    return sorted(
        MeasureValue.objects.filter(measure__in=AUDIT_KEYS).values_list(*fields, "value"),
        key=lambda row: tuple(str(v) for v in row),
    )


def test_computing_twice_writes_identical_rows(personas, v1, people):
    a = personas.authority_a
    audit = make_audit(a, v1, people, team=personas.team_a, levels={"p1": 3, "p7": 4}, overall=3)
    Moderation.objects.create(
        audit=audit, moderator=personas.quinn, reason_selected="sample", ratings={"p1": 3}
    )
    first = measures_compute()
    before = snapshot()
    assert before
    assert measures_compute() == first
    assert snapshot() == before


# --- query counts ---------------------------------------------------------------------------------


def _queries_for(audits: int, code: str, version: ToolVersion, people) -> tuple[int, int]:
    authority = cast(Authority, AuthorityFactory(code=code))
    team = cast(Team, TeamFactory(authority=authority))
    adaptation = adapted_case_audit(authority)
    moderator = cast(User, UserFactory(username=f"moderator-{code}"))
    levels = {f"p{n}": 1 + n % 4 for n in range(1, 15)}
    for index in range(audits):
        audit = make_audit(
            authority,
            version,
            people,
            team=team,
            levels=levels,
            overall=3,
            adaptation=adaptation if index % 2 else None,
            signed_off_at=at("2024-05-02") + timedelta(days=index % 60),
        )
        Moderation.objects.create(audit=audit, moderator=moderator, reason_selected="sample", ratings=levels)
        FeedbackRequest.objects.create(
            audit=audit,
            respondent="family",
            channel="visit",
            created_by=people[1],
            answered_at=timezone.now(),
        )
        LearningAction.objects.create(
            audit=audit,
            team=team,
            description="Share the plan",
            owner=people[0],
            due_on=date(2024, 5, 1) + timedelta(days=index % 60),
            completed_on=date(2024, 5, 20),
            created_by=people[1],
        )
    with CaptureQueriesContext(connection) as per_measure:
        for key in AUDIT_KEYS:
            for by_team in (False, True):
                counts(key, "quarter", authority_ids=[authority.pk], by_team=by_team)
    with CaptureQueriesContext(connection) as job:
        measures_compute(authority_ids=[authority.pk])
    return len(per_measure.captured_queries), len(job.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_audits(v1, people):
    few = _queries_for(2, "871", v1, people)
    many = _queries_for(40, "872", v1, people)
    assert few == many
    # Per measure: at most 3 queries to read the tools in use and 1 to aggregate.
    assert many[0] <= len(AUDIT_KEYS) * 2 * 4


def test_tool_keys_reads_a_fixed_number_of_queries(personas, v1, people):
    adaptation = adapted_case_audit(personas.authority_b)
    make_audit(personas.authority_a, v1, people)
    make_audit(personas.authority_b, v1, people, adaptation=adaptation)
    with CaptureQueriesContext(connection) as context:
        pairs = audit_measures.tool_keys(audit_measures.signed_off_audits())
    assert len(context.captured_queries) == 3
    assert set(pairs) == {(v1.pk, None), (v1.pk, adaptation.pk)}
    standard, adapted = pairs[(v1.pk, None)], pairs[(v1.pk, adaptation.pk)]
    assert standard.core_rubric == adapted.core_rubric == {f"p{n}" for n in range(1, 15)}
    assert "P1" in standard.comparable_by_element and "P1" not in adapted.comparable_by_element
    assert adapted.comparable_by_element["P2"] == {"p2"}


def test_within_a_job_the_elements_are_counted_together_with_the_same_result(personas, v1, people):
    adaptation = adapted_case_audit(personas.authority_b)
    levels = {f"p{n}": 1 + n % 4 for n in range(1, 15)}
    make_audit(personas.authority_a, v1, people, team=personas.team_a, levels=levels)
    make_audit(personas.authority_b, v1, people, levels={"p1": 2, "p2": 4}, adaptation=adaptation)
    ids = [personas.authority_a.pk, personas.authority_b.pk]
    keys = [f"fidelity_{element.lower()}" for element in ELEMENT_KEYS]
    one_by_one = {
        (key, by_team): counts(key, "quarter", authority_ids=ids, by_team=by_team)
        for key in keys
        for by_team in (False, True)
    }
    with audit_measures.tools_resolved_once(), CaptureQueriesContext(connection) as context:
        together = {
            (key, by_team): counts(key, "quarter", authority_ids=ids, by_team=by_team)
            for key in keys
            for by_team in (False, True)
        }
    assert together == one_by_one
    assert any(together.values())
    # The tools resolved once (three queries), then one query for all fourteen, both groupings
    # and every period type (by authority, team and month).
    assert len(context.captured_queries) == 3 + 1


def test_a_job_resolves_the_tools_once(personas, v1, people):
    make_audit(personas.authority_a, v1, people, levels={"p1": 3})
    make_audit(personas.authority_b, v1, people, levels={"p1": 2})
    with CaptureQueriesContext(connection) as context:
        measures_compute()
    items = [query for query in context.captured_queries if 'FROM "audits_item"' in query["sql"]]
    assert len(items) == 1


def test_within_a_job_every_audit_measure_counts_what_it_counts_alone(personas, v1, people):
    """A job asks each audit measure once by authority, team and month and sums the months into
    quarters and years, the teams into the authority: the same counts as one query per period type
    and grouping, with and without ``since``."""
    levels = {f"p{n}": 1 + n % 4 for n in range(1, 15)}
    for day, team, overall in [
        (datetime(2024, 3, 30, 23, 30, tzinfo=UTC), personas.team_a, 3),  # 30 March, local time
        (datetime(2024, 3, 31, 23, 30, tzinfo=UTC), personas.team_a2, 2),  # 1 April, local time (BST)
        (datetime(2024, 5, 14, 9, tzinfo=UTC), None, 4),
        (datetime(2024, 11, 2, 9, tzinfo=UTC), personas.team_a, 1),
    ]:
        make_audit(
            personas.authority_a, v1, people, team=team, levels=levels, signed_off_at=day, overall=overall
        )
    make_audit(personas.authority_b, v1, people, levels={"p1": 2}, overall=3)
    ids = [personas.authority_a.pk, personas.authority_b.pk]
    asked = [
        (key, period_type, by_team, since)
        for key in audit_measures.MEASURE_KEYS
        for period_type in ("month", "quarter", "year")
        for by_team in (False, True)
        for since in (None, date(2024, 5, 20))
    ]

    def ask(key, period_type, by_team, since):
        return MEASURES[key].compute(period_type=period_type, authority_ids=ids, by_team=by_team, since=since)

    alone = {question: ask(*question) for question in asked}
    with audit_measures.tools_resolved_once():
        together = {question: ask(*question) for question in asked}
    assert together == alone
    assert sum(1 for found in alone.values() if found) > len(asked) // 3
