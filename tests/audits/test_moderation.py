"""Moderation (audits.moderation and its pages): which audits are moderated, who moderates, the
blind re-rating, overturning with a reason, agreement, and tenancy."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audits import moderation
from audits.agreement import agreement
from audits.auditing import audit_create
from audits.models import (
    Audit,
    AuditAnswer,
    AuditMove,
    AuditStatus,
    Moderation,
    SampleDraw,
    SamplingPlan,
    Tool,
)
from tests.factories import ChildFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ITEMS = [f"p{n}" for n in range(1, 15)]
# The agreed levels of the worked example of tests/audits/test_agreement.py on p1..p10, then p11..p14.
AGREED = [1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 2, 3, 3, 4]
RATED = [1, 2, 2, 3, 3, 3, 2, 4, 4, 3, 2, 3, 3, 4]


def new_audit(personas, *, team=None, practitioner=None, auditor=None, draw=None) -> Audit:
    child = ChildFactory(authority=personas.authority_a, team=team or personas.team_a)
    return audit_create(
        child=child,
        practitioner=practitioner or personas.alice,
        auditor=auditor or personas.bob,
        acting_user=personas.quinn,
        draw=draw,
    )


def submitted(personas, *, overall=3, agreed=AGREED, **fields) -> Audit:
    """A submitted audit sampled for moderation, with agreed levels on p1..p14."""
    audit = new_audit(personas, **fields)
    AuditAnswer.objects.bulk_create(
        AuditAnswer(audit=audit, item_key=key, self_level=level, auditor_level=level, agreed_level=level)
        for key, level in zip(ITEMS, agreed, strict=True)
    )
    Audit.objects.filter(pk=audit.pk).update(
        status=AuditStatus.SUBMITTED, for_moderation=True, overall_level=overall, submitted_at=timezone.now()
    )
    audit.refresh_from_db()
    return audit


def signed_off(personas, *, overall: int, days_ago: int = 30, team=None) -> Audit:
    audit = new_audit(personas, team=team)
    Audit.objects.filter(pk=audit.pk).update(
        status=AuditStatus.SIGNED_OFF,
        overall_level=overall,
        signed_off_at=timezone.now() - timedelta(days=days_ago),
    )
    return audit


def with_overall(personas, overall: int) -> Audit:
    audit = new_audit(personas)
    audit.overall_level = overall
    return audit


@pytest.fixture
def eve(personas):
    """The manager of A's other team ("Front Door"): she may moderate "Child Protection North"."""
    user = UserFactory(username="eve")
    MembershipFactory(
        user=user, authority=personas.authority_a, team=personas.team_a2, role=Role.TEAM_MANAGER
    )
    return user


# --- which audits -------------------------------------------------------------------------------


def test_an_audit_graded_not_evident_is_always_moderated(personas):
    assert moderation.needs_moderation(with_overall(personas, 1)) == "not_evident"


def test_an_outlier_against_the_team_s_last_12_months(personas):
    for level in (3, 4, 4, 4, 3):  # mean 3.6
        signed_off(personas, overall=level)
    signed_off(personas, overall=1, days_ago=400)  # too old to count
    signed_off(personas, overall=1, team=personas.team_a2)  # another team
    assert moderation.team_baseline(with_overall(personas, 2)) == (5, pytest.approx(3.6))
    assert moderation.is_outlier(with_overall(personas, 2))  # 1.6 levels below
    assert not moderation.is_outlier(with_overall(personas, 3))  # 0.6 below
    assert not moderation.is_outlier(with_overall(personas, 4))


def test_no_outlier_without_five_signed_off_audits(personas):
    for _ in range(4):
        signed_off(personas, overall=4)
    assert not moderation.is_outlier(with_overall(personas, 2))


def draw_with_share(personas, share: str) -> SampleDraw:
    plan = SamplingPlan.objects.create(
        authority=personas.authority_a,
        name=f"Share {share}",
        tool=Tool.objects.get(key="case-audit"),
        moderation_share=Decimal(share),
    )
    return SampleDraw.objects.create(plan=plan, month=timezone.localdate().replace(day=1), seed=99)


def test_the_plan_s_share_decides_the_sample(personas):
    everything = new_audit(personas, draw=draw_with_share(personas, "1.00"))
    everything.overall_level = 3
    nothing = new_audit(personas, draw=draw_with_share(personas, "0.00"))
    nothing.overall_level = 3
    assert moderation.needs_moderation(everything) == "sample"
    assert moderation.needs_moderation(nothing) is None


def test_audits_without_a_plan_are_sampled_at_ten_percent_reproducibly():
    audits = [Audit(pk=pk) for pk in range(1, 2001)]
    chosen = [audit.pk for audit in audits if moderation.in_sample(audit)]
    assert 150 <= len(chosen) <= 250  # 10% of 2000 is 200
    assert chosen == [audit.pk for audit in audits if moderation.in_sample(audit)]


# --- who moderates ----------------------------------------------------------------------------------


def test_the_moderator_is_never_the_auditor_or_practitioner_and_work_is_shared(
    personas, eve, django_capture_on_commit_callbacks
):
    first, second = submitted(personas), submitted(personas)
    with django_capture_on_commit_callbacks(execute=True):
        one = moderation.moderation_open(audit=first, reason="sample")
    two = moderation.moderation_open(audit=second, reason="outlier")
    # eve and quinn may moderate (bob audits, alice practises); each gets one.
    assert (one.moderator, two.moderator) == (eve, personas.quinn)
    assert two.reason_selected == "outlier"
    assert [message.to for message in mail.outbox] == [[eve.email]]
    assert "An audit to moderate" in mail.outbox[0].subject


def test_nobody_to_moderate_is_refused(personas):
    child = ChildFactory(authority=personas.authority_b, team=personas.team_b)
    audit = audit_create(
        child=child, practitioner=personas.charlie, auditor=personas.quentin, acting_user=personas.quentin
    )
    with pytest.raises(ValidationError, match="Nobody can moderate this audit"):
        moderation.moderation_open(audit=audit, reason="sample")


# --- rating and completing ----------------------------------------------------------------------------


@pytest.fixture
def open_moderation(personas):
    audit = submitted(personas)
    return moderation.moderation_open(audit=audit, reason="sample")  # quinn, the only one who may


def ratings(levels=RATED) -> dict[str, int]:
    return dict(zip(ITEMS, levels, strict=True))


def test_the_blind_page_shows_no_agreed_level(personas, login, open_moderation):
    url = reverse("moderation:detail", args=[open_moderation.pk])
    response = login(personas.quinn).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="blind-rating"' in html
    assert 'data-testid="comparison"' not in html and "Agreed overall grade" not in html
    assert "comparison" not in response.context and "overall_level" not in response.context
    # The rubric's level descriptors are the choices.
    assert html.count('type="radio"') == 14 * 4
    assert "Not evident" in html and "Embedded" in html


def test_rating_then_comparing_then_completing(personas, login, open_moderation):
    client = login(personas.quinn)
    response = client.post(reverse("moderation:rate", args=[open_moderation.pk]), ratings(), follow=True)
    html = response.content.decode()
    assert 'data-testid="comparison"' in html and 'data-testid="blind-rating"' not in html
    assert [(row["agreed"], row["rated"]) for row in response.context["comparison"]] == list(
        zip(AGREED, RATED, strict=True)
    )
    audit = Audit.objects.get(pk=open_moderation.audit_id)
    assert audit.status == AuditStatus.MODERATION
    assert AuditMove.objects.filter(
        audit=audit, to_status=AuditStatus.MODERATION, moved_by=personas.quinn
    ).exists()

    client.post(reverse("moderation:complete", args=[open_moderation.pk]), {"overturned_level": ""})

    audit.refresh_from_db()
    done = Moderation.objects.get(pk=open_moderation.pk)
    assert audit.status == AuditStatus.SIGNED_OFF and audit.signed_off_by == personas.quinn
    assert audit.overall_level == 3 and done.overturned_level is None and done.completed_at is not None


def test_ratings_are_checked_and_final(personas, open_moderation):
    with pytest.raises(ValidationError, match="Rate"):
        moderation.moderation_rate(moderation=open_moderation, ratings={"p1": 3}, acting_user=personas.quinn)
    with pytest.raises(ValidationError, match="with one of the levels"):
        moderation.moderation_rate(
            moderation=open_moderation, ratings={**ratings(), "p2": 9}, acting_user=personas.quinn
        )
    moderation.moderation_rate(moderation=open_moderation, ratings=ratings(), acting_user=personas.quinn)
    with pytest.raises(ValidationError, match="already recorded"):
        moderation.moderation_rate(moderation=open_moderation, ratings=ratings(), acting_user=personas.quinn)
    assert Moderation.objects.get(pk=open_moderation.pk).ratings == ratings()


def test_only_the_moderator_rates(personas, login, open_moderation, eve):
    with pytest.raises(PermissionDenied):
        moderation.moderation_rate(moderation=open_moderation, ratings=ratings(), acting_user=eve)
    Moderation.objects.filter(pk=open_moderation.pk).update(moderator=eve)
    # quinn (QA lead) still sees it, but does not rate it.
    response = login(personas.quinn).post(reverse("moderation:rate", args=[open_moderation.pk]), ratings())
    assert response.status_code == 403


def test_overturning_needs_a_reason(personas, login, open_moderation):
    client = login(personas.quinn)
    client.post(reverse("moderation:rate", args=[open_moderation.pk]), ratings())
    url = reverse("moderation:complete", args=[open_moderation.pk])

    refused = client.post(url, {"overturned_level": "2", "overturn_reason": "  "})
    assert refused.status_code == 400
    assert "Say why the grade is overturned" in refused.content.decode()
    open_moderation.refresh_from_db()
    with pytest.raises(ValidationError, match="Say why the grade is overturned"):
        moderation.moderation_complete(
            moderation=open_moderation, acting_user=personas.quinn, overturned_level=2
        )
    assert Audit.objects.get(pk=open_moderation.audit_id).status == AuditStatus.MODERATION

    client.post(url, {"overturned_level": "2", "overturn_reason": "The danger statements are not there yet."})

    audit = Audit.objects.get(pk=open_moderation.audit_id)
    done = Moderation.objects.get(pk=open_moderation.pk)
    assert (audit.status, audit.overall_level) == (AuditStatus.SIGNED_OFF, 2)
    assert (done.overturned_level, done.overturn_reason) == (2, "The danger statements are not there yet.")
    assert audit.history.first().history_user == personas.quinn


def test_completing_needs_the_ratings_first(personas, open_moderation):
    with pytest.raises(ValidationError, match="Rate the items first"):
        moderation.moderation_complete(moderation=open_moderation, acting_user=personas.quinn)


# --- agreement ---------------------------------------------------------------------------------------------


def test_agreement_per_item_and_per_auditor(personas, open_moderation):
    moderation.moderation_rate(moderation=open_moderation, ratings=ratings(), acting_user=personas.quinn)
    moderation.moderation_complete(moderation=open_moderation, acting_user=personas.quinn)
    pairs = list(zip(AGREED, RATED, strict=True))

    by_auditor = moderation.agreement_by_auditor(authority_id=personas.authority_a.pk)
    assert [(row.label, row.figures) for row in by_auditor] == [(str(personas.bob), agreement(pairs, k=4))]
    assert by_auditor[0].figures.n == 14 and by_auditor[0].figures.exact == pytest.approx(10 / 14)

    by_item = moderation.agreement_by_item(authority_id=personas.authority_a.pk)
    assert [row.key for row in by_item] == ITEMS
    assert [row.figures.n for row in by_item] == [1] * 14
    assert by_item[3].figures.exact == 0 and by_item[3].figures.within_one == 1  # p4: 2 against 3
    assert moderation.agreement_by_item(authority_id=personas.authority_b.pk) == []


def test_the_agreement_page(personas, login, open_moderation):
    moderation.moderation_rate(moderation=open_moderation, ratings=ratings(), acting_user=personas.quinn)
    moderation.moderation_complete(moderation=open_moderation, acting_user=personas.quinn)
    url = reverse("moderation:agreement")

    html = login(personas.quinn).get(url).content.decode()
    assert 'data-testid="by-item"' in html and 'data-testid="by-auditor"' in html
    assert "over 14 ratings" in html and str(personas.bob) in html

    assert login(personas.alice).get(url).status_code == 403
    theirs = login(personas.quentin).get(url)
    assert theirs.status_code == 200 and "No completed moderation yet" in theirs.content.decode()


# --- the queue and tenancy ---------------------------------------------------------------------------------


def test_the_queue_lists_my_moderations(personas, login, open_moderation):
    html = login(personas.quinn).get(reverse("moderation:queue")).content.decode()
    assert open_moderation.audit.child.la_child_id in html
    theirs = login(personas.charlie).get(reverse("moderation:queue")).content.decode()
    assert open_moderation.audit.child.la_child_id not in theirs


@pytest.mark.parametrize("name", ["detail", "rate", "complete"])
@pytest.mark.parametrize("who", ["quentin", "charlie", "alice"])
def test_people_outside_the_moderation_get_404(personas, login, open_moderation, name, who):
    client = login(getattr(personas, who))
    method = client.get if name == "detail" else client.post
    own = method(reverse(f"moderation:{name}", args=[open_moderation.pk]))
    missing = method(reverse(f"moderation:{name}", args=[987_654_321]))
    assert own.status_code == missing.status_code == 404
    assert own.content == missing.content
