"""The report archive: generating (on demand and by the quarterly job), the pages, downloads and
tenancy. WeasyPrint is replaced by a stub here (``test_pdf`` renders real PDFs)."""

import hashlib
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import quarters, selectors, services
from reports.models import OutcomeReport, ReportStatus
from reports.tasks import generate_quarterly_reports
from tests.reports.builders import store_values

PDF = b"%PDF-1.7\n% a stub standing in for WeasyPrint's output\n"
LAST = quarters.last_complete_quarter(timezone.localdate())


@pytest.fixture
def stub_pdf(monkeypatch):
    calls = []

    def fake(html: str) -> services.RenderedPdf:
        calls.append(html)
        return services.RenderedPdf(content=PDF, pages=7)

    monkeypatch.setattr(services, "pdf_from_html", fake)
    return calls


@pytest.fixture
def with_values(personas):
    store_values(personas.authority_a, LAST, referrals=12, cla_starts=3)
    store_values(personas.authority_a, quarters.shift(LAST, -1), referrals=9)
    store_values(personas.authority_b, LAST, referrals=30)
    return personas


def _done(authority, stub_pdf, quarter_start=LAST) -> OutcomeReport:
    report = OutcomeReport.objects.create(authority=authority, quarter_start=quarter_start)
    return services.report_generate(report)


# --- the service ----------------------------------------------------------------------------------


def test_generate_stores_the_pdf_with_checksum_size_and_pages(with_values, stub_pdf):
    report = _done(with_values.authority_a, stub_pdf)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    with report.file.open("rb") as handle:
        assert handle.read() == PDF
    assert report.checksum == hashlib.sha256(PDF).hexdigest()
    assert (report.size, report.pages) == (len(PDF), 7)
    assert report.percent == 100 and report.steps_done == report.steps_total
    assert "Ashdown" in stub_pdf[0] and quarters.quarter_label(LAST) in stub_pdf[0]


def test_a_failing_render_leaves_the_report_failed_with_the_error_and_no_file(with_values, monkeypatch):
    def broken(html):
        raise RuntimeError("Pango could not load a font")

    monkeypatch.setattr(services, "pdf_from_html", broken)
    report = OutcomeReport.objects.create(authority=with_values.authority_a, quarter_start=LAST)
    services.report_generate(report)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "RuntimeError: Pango could not load a font"
    assert not report.file and report.checksum == "" and report.pages is None
    assert report.finished_at is not None


def test_a_failing_store_keeps_no_file(with_values, stub_pdf, monkeypatch):
    stored = []
    progress = services._progress

    def refuse_done(report, **fields):
        if fields.get("status") == ReportStatus.DONE:
            stored.append(fields["file"])
            raise RuntimeError("the database went away")
        progress(report, **fields)

    monkeypatch.setattr(services, "_progress", refuse_done)
    report = OutcomeReport.objects.create(authority=with_values.authority_a, quarter_start=LAST)
    services.report_generate(report)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "database went away" in report.error
    assert stored and not report.file.storage.exists(stored[0])


def test_the_task_generates_a_waiting_report_once(with_values, stub_pdf):
    from reports.tasks import generate_report

    report = OutcomeReport.objects.create(authority=with_values.authority_a, quarter_start=LAST)
    assert generate_report(report.pk) == ReportStatus.DONE
    assert generate_report(report.pk) == ""  # delivered twice: not generated again
    assert len(stub_pdf) == 1


def test_the_quarterly_job_makes_one_report_per_authority_and_a_rerun_none(with_values, stub_pdf):
    store_values(with_values.authority_b, quarters.shift(LAST, -1), referrals=4)  # an older quarter only
    assert generate_quarterly_reports() == 2
    made = OutcomeReport.objects.order_by("authority__code")
    assert [(r.authority.code, r.quarter_start, r.status, r.requested_by) for r in made] == [
        ("991", LAST, ReportStatus.DONE, None),
        ("992", LAST, ReportStatus.DONE, None),
    ]
    assert generate_quarterly_reports() == 0
    assert OutcomeReport.objects.count() == 2


def test_the_quarterly_job_retries_an_authority_whose_report_failed(with_values, stub_pdf):
    OutcomeReport.objects.create(
        authority=with_values.authority_a, quarter_start=LAST, status=ReportStatus.FAILED
    )
    _done(with_values.authority_b, stub_pdf)
    assert generate_quarterly_reports() == 1
    assert (
        OutcomeReport.objects.filter(authority=with_values.authority_a, status=ReportStatus.DONE).count() == 1
    )


# --- the pages ------------------------------------------------------------------------------------


def test_staff_see_their_authoritys_archive_only(with_values, stub_pdf, login):
    mine = _done(with_values.authority_a, stub_pdf)
    theirs = _done(with_values.authority_b, stub_pdf)
    for person in (with_values.leah, with_values.alice):
        page = login(person).get(reverse("reports:list")).content.decode()
        assert reverse("reports:detail", args=[mine.pk]) in page
        assert reverse("reports:download", args=[mine.pk]) in page
        assert reverse("reports:detail", args=[theirs.pk]) not in page
    page = login(with_values.charlie).get(reverse("reports:list")).content.decode()
    assert reverse("reports:detail", args=[theirs.pk]) in page
    assert reverse("reports:detail", args=[mine.pk]) not in page
    assert login(with_values.charlie).get(reverse("reports:list"), {"authority": "991"}).status_code == 404


def test_the_archive_reads_a_fixed_number_of_queries(
    with_values, stub_pdf, login, django_assert_max_num_queries
):
    client = login(with_values.leah)
    _done(with_values.authority_a, stub_pdf)
    client.get(reverse("reports:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("reports:list"))
    for _ in range(3):
        _done(with_values.authority_a, stub_pdf)
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("reports:list"))
    assert len(four) == len(one)


def test_analysts_pick_an_authority_and_see_its_archive(with_values, stub_pdf, login):
    theirs = _done(with_values.authority_b, stub_pdf)
    client = login(with_values.ana)
    picker = client.get(reverse("reports:list")).content.decode()
    assert 'data-testid="authority-picker"' in picker and "Brackenford (992)" in picker
    assert "Generate a report" not in picker
    page = client.get(reverse("reports:list"), {"authority": "992"}).content.decode()
    assert reverse("reports:detail", args=[theirs.pk]) in page
    assert "Generate a report" not in page
    assert client.get(reverse("reports:list"), {"authority": "999"}).status_code == 404


def test_platform_admins_without_a_role_are_refused(with_values, login):
    assert login(with_values.pat).get(reverse("reports:list")).status_code == 403


def test_download_by_the_authoritys_staff_and_analysts_only(with_values, stub_pdf, login):
    report = _done(with_values.authority_a, stub_pdf)
    url = reverse("reports:download", args=[report.pk])
    for person in (with_values.leah, with_values.alice, with_values.ana):
        response = login(person).get(url)
        assert response.status_code == 200, person.username
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        code = quarters.quarter_code(LAST)
        assert response["Content-Disposition"] == f'attachment; filename="outcome-report-991-{code}.pdf"'
    assert login(with_values.charlie).get(url).status_code == 404
    missing = reverse("reports:download", args=[report.pk + 1000])
    assert login(with_values.leah).get(missing).status_code == 404


def test_no_download_before_the_report_is_done(with_values, login):
    report = OutcomeReport.objects.create(authority=with_values.authority_a, quarter_start=LAST)
    assert login(with_values.leah).get(reverse("reports:download", args=[report.pk])).status_code == 404


def test_the_generate_form_offers_complete_quarters_with_data_latest_first(with_values, login):
    page = login(with_values.quinn).get(reverse("reports:list")).content.decode()
    codes = [quarters.quarter_code(LAST), quarters.quarter_code(quarters.shift(LAST, -1))]
    assert f'<option value="{codes[0]}" selected>' in page
    assert page.index(codes[0]) < page.index(f'value="{codes[1]}"')
    assert selectors.quarters_with_data(authority=with_values.authority_a, complete_before=LAST) == [
        quarters.shift(LAST, -1)
    ]


def test_leaders_generate_and_follow_the_progress(
    with_values, stub_pdf, login, django_capture_on_commit_callbacks
):
    client = login(with_values.leah)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:generate"), {"quarter": quarters.quarter_code(LAST)})
    report = OutcomeReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:detail", args=[report.pk])
    assert (report.authority, report.quarter_start, report.requested_by) == (
        with_values.authority_a,
        LAST,
        with_values.leah,
    )
    assert report.status == ReportStatus.DONE
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert report.checksum in page and "Download PDF" in page and "hx-get" not in page


def test_a_waiting_report_polls_its_progress(with_values, login):
    report = OutcomeReport.objects.create(
        authority=with_values.authority_a,
        quarter_start=LAST,
        status=ReportStatus.RUNNING,
        steps_total=10,
        steps_done=4,
    )
    client = login(with_values.leah)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert f'hx-get="{reverse("reports:progress", args=[report.pk])}"' in page and "40%" in page
    partial = client.get(reverse("reports:progress", args=[report.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert client.get(reverse("reports:progress", args=[report.pk])).status_code == 302
    for name in ("detail", "progress", "html"):
        assert login(with_values.charlie).get(reverse(f"reports:{name}", args=[report.pk])).status_code == 404


def test_a_failed_report_shows_its_error(with_values, login):
    report = OutcomeReport.objects.create(
        authority=with_values.authority_a, quarter_start=LAST, status=ReportStatus.FAILED, error="Boom"
    )
    page = login(with_values.quinn).get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Boom" in page and "Try again" in page


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "ana"])
def test_only_qa_leads_and_leaders_generate(with_values, login, who):
    response = login(getattr(with_values, who)).post(
        reverse("reports:generate"), {"quarter": quarters.quarter_code(LAST)}
    )
    assert response.status_code == 403
    assert not OutcomeReport.objects.exists()


@pytest.mark.parametrize("quarter", ["2024-25", quarters.quarter_code(quarters.shift(LAST, 1)), "1999-00-Q1"])
def test_a_quarter_that_is_not_offered_is_refused(with_values, login, quarter):
    response = login(with_values.quinn).post(reverse("reports:generate"), {"quarter": quarter})
    assert response.status_code == 400
    assert not OutcomeReport.objects.exists()


def test_the_html_version_is_the_report_as_a_page(with_values, login):
    report = OutcomeReport.objects.create(authority=with_values.authority_a, quarter_start=LAST)
    page = login(with_values.ana).get(reverse("reports:html", args=[report.pk])).content.decode()
    assert "Outcome report" in page and "Ashdown" in page and "Brackenford" not in page
    assert "<svg" in page and "Definitions" in page
    assert reverse("reports:detail", args=[report.pk]) in page


def test_a_quarter_start_that_is_not_a_quarter_is_refused(with_values):
    with pytest.raises(ValueError, match="first day of a financial quarter"):
        services.report_request(
            authority=with_values.authority_a, quarter_start=date(2024, 5, 1), requested_by=None
        )
