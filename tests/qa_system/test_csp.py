"""The Content-Security-Policy allows no inline styles.

``style-src`` is the site's own stylesheets and the request's nonce, never ``'unsafe-inline'``: a
browser drops a ``style="..."`` attribute and a ``<style>`` element without the nonce. So the pages
people read carry neither, and no template holds one, except the journal's print template, which
only WeasyPrint renders (``journal.services.journal_pdf``; no view serves it as a page).

Pages are read with data in them: the dashboard with its charts, an audit with its rubric, a running
job, report and import with their progress bars, the outcome and survey reports as web pages, the
family's link page, and the admin's item forms and history.
"""

import json
import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audits import voice
from audits.auditing import audit_create
from audits.models import Audit, AuditStatus
from cases.models import ImportRun, ImportStatus
from outcomes.models import JobKind, JobRun, JobStatus
from reports import quarters
from reports.models import OutcomeReport, ReportStatus
from tests.audits import builders as audit_builders
from tests.factories import ChildFactory
from tests.journal import builders as journal_builders
from tests.reports.builders import store_rates, store_values
from tests.surveys.builders import baseline_wave, follow_up_wave, respond

ROOT = Path(settings.BASE_DIR)
# Rendered by WeasyPrint only: a PDF has no Content-Security-Policy.
PDF_ONLY = (ROOT / "templates" / "journal" / "print",)

STYLE_ATTRIBUTE = re.compile(r"""[\s"'/]style\s*=""", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b(?![^>]*\bnonce=\"\{\{ csp_nonce \}\}\")", re.IGNORECASE)


def directive(response, name: str) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith(f"{name} "))


class InlineStyles(HTMLParser):
    """The style attributes of a page, and its <style> elements without one of ``nonces``."""

    def __init__(self, nonces: set[str]):
        super().__init__(convert_charrefs=True)
        self.nonces = nonces
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "style" in values:
            self.found.append(f'<{tag} style="{values["style"]}">')
        if tag == "style" and values.get("nonce") not in self.nonces:
            self.found.append("<style> without the request's nonce")

    handle_startendtag = handle_starttag


def inline_styles(response) -> list[str]:
    nonces = set(re.findall(r"'nonce-([^']+)'", directive(response, "style-src")))
    parser = InlineStyles(nonces)
    parser.feed(response.content.decode())
    parser.close()
    return parser.found


# --- the policy -----------------------------------------------------------------------------------


def test_style_src_allows_the_site_s_stylesheets_and_no_inline_style(client):
    style_src = directive(client.get(reverse("login")), "style-src")
    assert "'self'" in style_src.split()
    assert "'unsafe-inline'" not in style_src
    assert "'unsafe-hashes'" not in style_src


def test_htmx_is_told_not_to_add_its_indicator_style_element(personas, login):
    page = login(personas.quinn).get(reverse("home")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert meta and json.loads(meta.group(1))["includeIndicatorStyles"] is False
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "site.css").read_text()


# --- the templates ------------------------------------------------------------------------------


def template_files() -> list[Path]:
    folders = [Path(folder) for config in settings.TEMPLATES for folder in config["DIRS"]]  # type: ignore[attr-defined]
    folders += [path for path in ROOT.glob("*/templates") if path.is_dir()]
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.suffix in (".html", ".js", ".svg") and not any(path.is_relative_to(p) for p in PDF_ONLY)
    )


def test_no_template_holds_an_inline_style():
    files = template_files()
    assert len(files) > 50  # the template folders were found
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if STYLE_ATTRIBUTE.search(line) or STYLE_ELEMENT.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    "line",
    [
        '<div class="x" style="width: 5%">',
        "<td style='min-width: 9rem'>",
        "<style>.x { color: red }</style>",
        '<style nonce="abc">',
    ],
)
def test_the_template_check_sees_inline_styles(line):
    assert STYLE_ATTRIBUTE.search(line) or STYLE_ELEMENT.search(line)


@pytest.mark.parametrize(
    "line",
    ['<div class="progress-bar pct-40" data-style="x">', '<style nonce="{{ csp_nonce }}">', "hx-swap-style"],
)
def test_the_template_check_leaves_the_rest(line):
    assert not STYLE_ATTRIBUTE.search(line) and not STYLE_ELEMENT.search(line)


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def site(personas):
    """Figures for five quarters, an audit in self-assessment with a family's feedback link, a
    running job, report and import, a report that is done, a journal, a closed survey wave with
    answers, and a draft tool version in the admin."""
    p = personas
    last = quarters.last_complete_quarter(timezone.localdate())
    for back in range(5):
        start = quarters.shift(last, -back)
        for authority, rate in ((p.authority_a, (10 + back, 40)), (p.authority_b, (5, 50))):
            store_rates(authority, start, rereferrals_12m=rate)
            store_values(authority, start, referrals=30 + back, cla_starts=3)
    p.audit = audit_create(
        child=ChildFactory(authority=p.authority_a, team=p.team_a),
        practitioner=p.alice,
        auditor=p.bob,
        acting_user=p.quinn,
        due_on=timezone.localdate() + timedelta(days=28),
    )
    Audit.objects.filter(pk=p.audit.pk).update(status=AuditStatus.SELF_ASSESSMENT, family_consent="given")
    p.audit.refresh_from_db()
    p.link = voice.feedback_request_create(
        audit=p.audit, respondent="family", channel="link", acting_user=p.bob
    )
    p.job = JobRun.objects.create(
        batch=uuid.uuid4(),
        kind=JobKind.FULL,
        authority=p.authority_a,
        status=JobStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=1),
        heartbeat_at=timezone.now(),
        steps_total=10,
        steps_done=4,
    )
    p.report = OutcomeReport.objects.create(
        authority=p.authority_a, quarter_start=last, status=ReportStatus.RUNNING, steps_total=10, steps_done=3
    )
    p.done_report = OutcomeReport.objects.create(
        authority=p.authority_a, quarter_start=quarters.shift(last, -1), status=ReportStatus.DONE
    )
    p.imported = ImportRun.objects.create(
        authority=p.authority_a, filename="cin.xml", status=ImportStatus.RUNNING, progress=35
    )
    p.journal = journal_builders.journal(p, None)
    p.wave = follow_up_wave(baseline_wave())
    respond(p.wave, p.authority_a, 9, team=p.team_a, agree=4, scale=7, text="Group supervision")
    p.draft = audit_builders.version(audit_builders.tool("t-csp"))
    audit_builders.fill_small_version(p.draft)
    return p


def pages(p) -> list[tuple[str | None, str]]:
    """(persona, path) of the pages each role reads most; no persona for the family's link page."""
    audit, job, report = p.audit.pk, p.job.pk, p.report.pk
    return [
        ("alice", reverse("home")),
        ("alice", reverse("audits:home")),
        ("alice", reverse("audits:detail", args=[audit])),
        ("alice", reverse("cases:list")),
        ("bob", reverse("audits:detail", args=[audit])),
        ("bob", reverse("audits:start")),
        ("bob", reverse("outcomes:dashboard")),
        ("bob", reverse("followup:feedback_record", args=[audit])),
        (None, reverse("followup:public_feedback", args=[p.link.token])),
        ("quinn", reverse("home")),
        ("quinn", reverse("outcomes:dashboard")),
        ("quinn", reverse("outcomes:measure", args=["rereferrals_12m"])),
        ("quinn", reverse("jobs:list")),
        ("quinn", reverse("jobs:detail", args=[job])),
        ("quinn", reverse("oversight:overview")),
        ("quinn", reverse("reports:list")),
        ("quinn", reverse("reports:detail", args=[report])),
        ("quinn", reverse("reports:detail", args=[p.done_report.pk])),
        ("quinn", reverse("reports:html", args=[report])),
        ("quinn", reverse("cases:imports")),
        ("quinn", reverse("cases:import_progress") + f"?runs={p.imported.pk}"),
        ("quinn", reverse("surveys:report", args=[p.wave.pk, p.authority_a.code])),
        ("quinn", reverse("admin:index")),
        ("leah", reverse("outcomes:dashboard")),
        ("leah", reverse("jobs:detail", args=[job])),
        ("ana", reverse("outcomes:compare")),
        ("ana", reverse("reports:html", args=[report])),
        ("pat", reverse("admin:audits_toolversion_change", args=[p.draft.pk])),
        ("pat", reverse("admin:audits_toolversion_history", args=[p.draft.pk])),
        ("pat", reverse("admin:audits_toolversion_preview", args=[p.draft.pk])),
        ("pat", reverse("admin:audits_tool_import_xlsform", args=[p.draft.tool_id])),
        ("pam", reverse("journal:list")),
        ("pam", reverse("journal:detail", args=[p.journal.pk])),
        ("pam", reverse("knowledge:library")),
        ("pam", reverse("feedback:inbox")),
        ("pam", reverse("surveys:home")),
    ]


def test_the_main_pages_of_each_role_have_no_inline_style(site, client, login):
    found, read = [], []
    for who, path in pages(site):
        if who is None:
            client.logout()
        response = (login(getattr(site, who)) if who else client).get(path)
        assert response.status_code == 200, f"{who} {path}: {response.status_code}"
        read.append(response.content.decode())
        found += [f"{who} {path}: {problem}" for problem in inline_styles(response)]
    assert found == []
    # The pages showed what the inline styles were used for.
    text = "\n".join(read)
    assert "<svg" in text and 'data-testid="rubric-' in text
    assert 'role="progressbar"' in text and 'class="progress-bar' in text and "pct-40" in text


@pytest.mark.parametrize("kind", ["outcome report", "survey report"])
def test_a_report_page_s_style_sheet_carries_the_request_s_nonce(site, login, kind):
    if kind == "outcome report":
        path, title = reverse("reports:html", args=[site.report.pk]), "Outcome report"
    else:
        path, title = reverse("surveys:report", args=[site.wave.pk, "991"]), "Action research report"
    response = login(site.quinn).get(path)
    page = response.content.decode()
    nonce = re.search(r'<style nonce="([^"]+)">', page).group(1)
    assert f"'nonce-{nonce}'" in directive(response, "style-src").split()
    assert title in page and '<col class="w-' in page
    assert inline_styles(response) == []


def test_a_page_with_an_inline_style_is_caught(site, login, settings, tmp_path):
    """The page check is a real guard: a style attribute added to a template is reported."""
    folder = tmp_path / "audits"
    folder.mkdir()
    home = (ROOT / "templates" / "audits" / "home.html").read_text()
    (folder / "home.html").write_text(home.replace("<h1 ", '<h1 style="color: red" ', 1))
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    response = login(site.alice).get(reverse("audits:home"))
    assert inline_styles(response) == ['<h1 style="color: red">']
