"""Upload limits enforced while a request is received: the returns on the Imports page, an XLSForm
workbook, a report logo and a knowledge resource's file. An upload over its limit is refused with a
message naming the limit, and leaves nothing behind: no row, no stored file, no temporary file."""

import io
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import Client, RequestFactory
from django.urls import reverse

from audits.forms import XLSFormImportForm
from audits.models import ToolVersion
from cases.models import ImportRun, ImportStatus
from knowledge.models import Resource
from qa_system.uploads import SizeLimitHandler, upload_refusal
from reports.models import ReportBranding
from tests.audits import builders
from tests.cases.test_imports import GOOD

pytestmark = pytest.mark.django_db

IMPORTS = reverse("cases:imports")
# More than one chunk (64 KB) of a file is written to its temporary file before the limit is passed.
LIMIT = 100 * 1024


@pytest.fixture
def storage(settings, tmp_path) -> tuple[Path, Path]:
    """Stored files and temporary upload files in folders of their own; every uploaded file goes
    to a temporary file at once, as a large one would."""
    media, incoming = tmp_path / "media", tmp_path / "incoming"
    media.mkdir()
    incoming.mkdir()
    settings.MEDIA_ROOT = media
    settings.FILE_UPLOAD_TEMP_DIR = str(incoming)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return media, incoming


def files_in(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


def returns(*files: tuple[str, bytes]) -> dict:
    return {"returns": [SimpleUploadedFile(name, content) for name, content in files]}


def error_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"] if message.level_tag == "error"]


# --- the returns ----------------------------------------------------------------------------------


def test_returns_over_the_limit_are_refused_and_leave_nothing(personas, login, settings, storage):
    settings.QA_IMPORT_MAX_BYTES = LIMIT
    client = login(personas.quinn)
    response = client.post(IMPORTS, returns(("big.xml", b"<x>" + b"a" * (3 * LIMIT) + b"</x>")))
    assert response.status_code == 302 and response["Location"] == IMPORTS
    page = client.get(IMPORTS)
    assert error_messages(page) == [
        "The files are too large: up to 100.0\xa0KB can be uploaded at once. "
        "Nothing was stored; upload fewer or smaller files."
    ]
    assert ImportRun.objects.count() == 0
    assert files_in(*storage) == []


def test_files_under_the_limit_one_by_one_share_it(personas, login, settings, storage):
    settings.QA_IMPORT_MAX_BYTES = LIMIT
    half = b"a" * (LIMIT // 2 + 1)
    response = login(personas.quinn).post(IMPORTS, returns(("one.csv", half), ("two.csv", half)))
    assert response.status_code == 302 and response["Location"] == IMPORTS
    assert ImportRun.objects.count() == 0
    assert files_in(*storage) == []


def test_returns_under_the_limit_are_imported(
    personas, login, settings, storage, django_capture_on_commit_callbacks
):
    settings.QA_IMPORT_MAX_BYTES = len(GOOD.encode()) + 10
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.quinn).post(IMPORTS, returns(("cin_2025.xml", GOOD.encode())))
    assert response.status_code == 302 and response["Location"].startswith(reverse("cases:import_progress"))
    [run] = ImportRun.objects.all()
    assert run.status == ImportStatus.DONE and run.stored == 5


def test_the_imports_page_states_the_limit(personas, login, settings):
    settings.QA_IMPORT_MAX_BYTES = 200 * 1024 * 1024
    page = login(personas.quinn).get(IMPORTS)
    assert "Up to 200.0\xa0MB in one upload." in page.content.decode()


def test_the_imports_page_still_checks_csrf(personas, settings, storage):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.quinn, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(IMPORTS, returns(("cin_2025.xml", GOOD.encode())))
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0


# --- the limit itself -----------------------------------------------------------------------------


class Unreadable(io.RawIOBase):
    def read(self, size=-1):
        raise AssertionError("the request body was read")


def test_a_declared_length_over_the_limit_is_refused_unread(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("a.bin", b"a" * 10)})
    request.META["CONTENT_LENGTH"] = str(10 * 1024**3)  # 10 GB on its way
    request._stream = Unreadable()  # type: ignore[attr-defined]
    message = upload_refusal(request, LIMIT)
    assert (
        message
        == "The file is too large: files of up to 100.0\xa0KB can be uploaded here. Nothing was stored."
    )


def test_the_handler_stops_at_the_first_chunk_past_the_limit():
    handler = SizeLimitHandler(RequestFactory().post("/"), 100)
    handler.new_file("file", "a.bin", "application/octet-stream", None)
    assert handler.receive_data_chunk(b"a" * 60, 0) == b"a" * 60
    assert handler.receive_data_chunk(b"a" * 40, 60) == b"a" * 40  # exactly the limit is allowed
    with pytest.raises(StopUpload) as stopped:
        handler.receive_data_chunk(b"a", 100)
    assert stopped.value.connection_reset is False  # the rest is read, so the browser gets the answer
    assert handler.refused is True


# --- the admin ------------------------------------------------------------------------------------


def test_an_xlsform_workbook_over_the_limit_is_refused(personas, login, storage, monkeypatch):
    monkeypatch.setattr(XLSFormImportForm, "MAX_BYTES", LIMIT)
    tool = builders.small_standard_tool(user=personas.pat).tool
    versions = ToolVersion.objects.count()
    url = reverse("admin:audits_tool_import_xlsform", args=[tool.pk])
    client = login(personas.pat)
    workbook = SimpleUploadedFile("big.xlsx", b"PK" + b"a" * (2 * LIMIT))
    response = client.post(url, {"workbook": workbook})
    assert response.status_code == 302 and response["Location"] == url
    assert error_messages(client.get(url)) == [
        "The file is too large: files of up to 100.0\xa0KB can be uploaded here. Nothing was stored."
    ]
    assert ToolVersion.objects.count() == versions
    assert files_in(*storage) == []


def test_a_report_logo_over_the_limit_is_refused(personas, login, storage, monkeypatch):
    monkeypatch.setattr(admin.site._registry[ReportBranding], "upload_max_bytes", LIMIT)
    add = reverse("admin:reports_reportbranding_add")
    client = login(personas.quinn)
    logo = SimpleUploadedFile("logo.png", b"\x89PNG" + b"a" * (2 * LIMIT), content_type="image/png")
    data = {
        "authority": personas.authority_a.pk,
        "logo": logo,
        "primary_colour": "#1f4e79",
        "accent_colour": "#c55a11",
        "introduction": "",
    }
    response = client.post(add, data)
    assert response.status_code == 302 and response["Location"] == add
    assert "The file is too large" in error_messages(client.get(add))[0]
    assert not ReportBranding.objects.exists()
    assert files_in(*storage) == []


def test_a_knowledge_file_over_the_limit_is_refused(personas, login, storage, monkeypatch):
    monkeypatch.setattr(admin.site._registry[Resource], "upload_max_bytes", LIMIT)
    add = reverse("admin:knowledge_resource_add")
    client = login(personas.pam)
    data = {
        "title": "Big guide",
        "summary": "Too big.",
        "kind": "guidance",
        "url": "",
        "authority": "",
        "is_published": "on",
        "file": SimpleUploadedFile("guide.pdf", b"%PDF-1.4" + b"a" * (2 * LIMIT)),
    }
    response = client.post(add, data)
    assert response.status_code == 302 and response["Location"] == add
    assert "files of up to 100.0\xa0KB" in error_messages(client.get(add))[0]
    assert not Resource.objects.exists()
    assert files_in(*storage) == []


def test_a_knowledge_file_under_the_limit_is_stored_and_csrf_is_checked(personas, storage):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.pam, backend="django.contrib.auth.backends.ModelBackend")
    add = reverse("admin:knowledge_resource_add")
    data = {
        "title": "Small guide",
        "summary": "Fits.",
        "kind": "guidance",
        "url": "",
        "authority": "",
        "is_published": "on",
        "file": SimpleUploadedFile("guide.pdf", b"%PDF-1.4 small"),
    }
    assert client.post(add, data).status_code == 403  # no CSRF token
    assert not Resource.objects.exists()
    client.get(add)
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    data["file"] = SimpleUploadedFile("guide.pdf", b"%PDF-1.4 small")
    assert client.post(add, data).status_code == 302
    stored = Resource.objects.get(title="Small guide")
    assert stored.file.read() == b"%PDF-1.4 small"
