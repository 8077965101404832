"""Tenancy, the first security property: charlie (authority B) gets the same 404 on every URL of
an authority-A object as on a URL of an object that does not exist.

Every new URL that shows one tenant-owned object is added to ``OBJECT_URLS``: a name, the URL
name, and a function from the personas to the URL's keyword arguments.
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _child_a(p):
    from tests.factories import ChildFactory

    # A case of alice's team: by default a practitioner reads the cases of their own team.
    return {"pk": ChildFactory(authority=p.authority_a, team=p.team_a).pk}


def _import_run_a(p):
    from tests.factories import ImportRunFactory

    return {"pk": ImportRunFactory(authority=p.authority_a).pk}


def _audit_a(p):
    from audits.auditing import audit_create
    from tests.factories import ChildFactory

    child = ChildFactory(authority=p.authority_a, team=p.team_a)
    audit = audit_create(child=child, practitioner=p.alice, auditor=p.bob, acting_user=p.quinn)
    return {"pk": audit.pk}


def _report_a(p):
    from datetime import date

    from reports.models import OutcomeReport, ReportStatus

    report = OutcomeReport.objects.create(
        authority=p.authority_a, quarter_start=date(2024, 4, 1), status=ReportStatus.RUNNING
    )
    return {"pk": report.pk}


def _job_run_a(p):
    import uuid

    from django.utils import timezone

    from outcomes.models import JobKind, JobRun

    run = JobRun.objects.create(
        batch=uuid.uuid4(), kind=JobKind.FULL, authority=p.authority_a, started_at=timezone.now()
    )
    return {"pk": run.pk}


def _feedback_a(p):
    from feedback.services import feedback_give

    return {"pk": feedback_give(author=p.alice, text="About our audits.", authority=p.authority_a).pk}


def _reflection_a(p):
    from datetime import date

    from journal import services

    reflection = services.reflection_save(
        authority=p.authority_a,
        quarter=date(2024, 4, 1),
        achievement="A's",
        challenge="A's",
        acting_user=p.leah,
    )
    return {"pk": reflection.pk}


def _local_resource_a(p):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from knowledge.models import Resource

    row = Resource.objects.create(
        title="Ashdown standard",
        summary="Ours.",
        authority=p.authority_a,
        file=SimpleUploadedFile("ashdown-standard.pdf", b"%PDF-1.4 A"),
    )
    return {"pk": row.pk}


def _knowledge_access_a(p):
    from datetime import date

    from knowledge.models import KnowledgeAccess

    return KnowledgeAccess.objects.create(
        authority=p.authority_a, user=p.alice, granted_on=date(2026, 1, 1), expires_on=date(2027, 1, 1)
    )


def _survey_report_a(p):
    from datetime import timedelta

    from django.utils import timezone

    from audits.models import ToolVersion
    from surveys.models import SurveyWave

    today = timezone.localdate()
    wave = SurveyWave.objects.create(
        name="Tenancy wave",
        tool_version=ToolVersion.objects.get(tool__key="staff-survey", number=2),
        opens_on=today - timedelta(days=40),
        closes_on=today - timedelta(days=10),
    )
    return {"pk": wave.pk, "code": p.authority_a.code}


SURVEY_URLS = [
    ("survey report", "surveys:report", _survey_report_a),
    ("survey report PDF", "surveys:report_pdf", _survey_report_a),
    ("survey results export", "surveys:export", _survey_report_a),
]


OBJECT_URLS = [
    ("team page", "accounts:team", lambda p: {"pk": p.team_a.pk}),
    ("case page", "cases:detail", _child_a),
    ("import report", "cases:import", _import_run_a),
    ("audit page", "audits:detail", _audit_a),
    # GET reloads one item; the autosave POST of the same URL is tested in tests/audits/test_audit_pages.py.
    ("audit answer", "audits:answer", lambda p: {**_audit_a(p), "item_key": "p1"}),
    ("practice record", "practice:record", lambda p: {"child_pk": _child_a(p)["pk"]}),
    ("audit learning actions", "followup:audit_actions", _audit_a),
    ("team learning actions", "followup:team_actions", lambda p: {"pk": p.team_a.pk}),
    ("outcome report", "reports:detail", _report_a),
    ("feedback", "feedback:detail", _feedback_a),
    ("quarterly reflection", "journal:reflection", _reflection_a),
    ("local knowledge resource", "knowledge:detail", _local_resource_a),
    ("local knowledge download", "knowledge:download", _local_resource_a),
    *SURVEY_URLS,
]

# People of authority A who may open each page (alice is a practitioner, leah a leader).
OWNER = {"import report": "leah", "outcome report": "leah", **{label: "leah" for label, _, _ in SURVEY_URLS}}

# Pages only QA leads and leaders open: quentin, QA lead of authority B, gets the same 404 on
# authority A's objects as on missing ones (charlie, a practitioner, may not open them at all).
LEAD_URLS = [
    ("measure job run", "jobs:detail", _job_run_a),
    ("measure job progress", "jobs:progress", _job_run_a),
    ("outcome report", "reports:detail", _report_a),
    ("quarterly reflection", "journal:reflection", _reflection_a),
    *SURVEY_URLS,
]

MISSING = 987_654_321


@pytest.mark.parametrize("label, url_name, kwargs", OBJECT_URLS, ids=[row[0] for row in OBJECT_URLS])
def test_charlie_gets_404_on_authority_a_objects(personas, login, label, url_name, kwargs):
    client = login(personas.charlie)
    found = kwargs(personas)
    own = client.get(reverse(url_name, kwargs=found))
    missing_kwargs = {key: MISSING for key in found}
    missing = client.get(reverse(url_name, kwargs=missing_kwargs))
    assert own.status_code == 404
    assert missing.status_code == 404
    assert own.content == missing.content


@pytest.mark.parametrize("label, url_name, kwargs", OBJECT_URLS, ids=[row[0] for row in OBJECT_URLS])
def test_authority_a_staff_open_their_objects(personas, login, label, url_name, kwargs):
    owner = getattr(personas, OWNER.get(label, "alice"))
    assert login(owner).get(reverse(url_name, kwargs=kwargs(personas))).status_code == 200


@pytest.mark.parametrize("label, url_name, kwargs", LEAD_URLS, ids=[row[0] for row in LEAD_URLS])
def test_other_qa_lead_gets_404_on_authority_a_objects(personas, login, label, url_name, kwargs):
    client = login(personas.quentin)
    found = kwargs(personas)
    own = client.get(reverse(url_name, kwargs=found))
    missing = client.get(reverse(url_name, kwargs={key: MISSING for key in found}))
    assert own.status_code == missing.status_code == 404
    assert own.content == missing.content
    assert login(personas.quinn).get(reverse(url_name, kwargs=found)).status_code == 200


def _adaptation_a(p):
    from audits import services
    from tests.audits import builders

    small = builders.small_standard_tool(user=p.pat)
    return services.tool_adapt(authority=p.authority_a, tool=small.tool, acting_user=p.quinn)


def _own_tool_version_a(p):
    from tests.audits import builders

    return builders.version(builders.tool("t-own-a", authority=p.authority_a))


# Admin change pages of authority-A rows, which B's QA lead must not reach.
ADMIN_URLS = [
    ("authority", "admin:accounts_authority_change", lambda p: p.authority_a.pk),
    ("team", "admin:accounts_team_change", lambda p: p.team_a.pk),
    ("member", "admin:accounts_user_change", lambda p: p.alice.pk),
    ("membership", "admin:accounts_membership_change", lambda p: p.alice.memberships.get().pk),
    ("import run", "admin:cases_importrun_change", lambda p: _import_run_a(p)["pk"]),
    ("adaptation", "admin:audits_adaptation_change", lambda p: _adaptation_a(p).pk),
    ("adaptation preview", "admin:audits_adaptation_preview", lambda p: _adaptation_a(p).pk),
    ("divergence report", "admin:audits_adaptation_divergence", lambda p: _adaptation_a(p).pk),
    ("adaptation upgrade", "admin:audits_adaptation_upgrade", lambda p: _adaptation_a(p).pk),
    ("adaptation history", "admin:audits_adaptation_history", lambda p: _adaptation_a(p).pk),
    ("adoption", "admin:audits_adoption_change", lambda p: _adaptation_a(p).adoption_id),
    ("own tool", "admin:audits_tool_change", lambda p: _own_tool_version_a(p).tool_id),
    ("own tool version", "admin:audits_toolversion_change", lambda p: _own_tool_version_a(p).pk),
    ("own version preview", "admin:audits_toolversion_preview", lambda p: _own_tool_version_a(p).pk),
    ("adaptation xlsform export", "admin:audits_adaptation_export_xlsform", lambda p: _adaptation_a(p).pk),
    (
        "own version xlsform export",
        "admin:audits_toolversion_export_xlsform",
        lambda p: _own_tool_version_a(p).pk,
    ),
    ("own tool xlsform import", "admin:audits_tool_import_xlsform", lambda p: _own_tool_version_a(p).tool_id),
    ("measure target", "admin:outcomes_measuretarget_change", lambda p: _target_a(p).pk),
    ("job run", "admin:outcomes_jobrun_change", lambda p: _job_run_a(p)["pk"]),
    ("report branding", "admin:reports_reportbranding_change", lambda p: _branding_a(p).pk),
    ("outcome report", "admin:reports_outcomereport_change", lambda p: _report_a(p)["pk"]),
    ("knowledge resource", "admin:knowledge_resource_change", lambda p: _local_resource_a(p)["pk"]),
    ("knowledge access", "admin:knowledge_knowledgeaccess_change", lambda p: _knowledge_access_a(p).pk),
]


def _target_a(p):
    from outcomes.models import MeasureTarget

    return MeasureTarget.objects.create(authority=p.authority_a, measure="referrals", target=100)


def _branding_a(p):
    from reports.models import ReportBranding

    return ReportBranding.objects.create(authority=p.authority_a)


@pytest.mark.parametrize("label, url_name, pk", ADMIN_URLS, ids=[row[0] for row in ADMIN_URLS])
def test_other_qa_lead_cannot_open_authority_a_rows_in_admin(personas, login, label, url_name, pk):
    response = login(personas.quentin).get(reverse(url_name, args=[pk(personas)]))
    # The admin answers "does not exist" (a redirect to its index) for rows outside the queryset.
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
