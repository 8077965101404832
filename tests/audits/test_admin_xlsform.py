"""XLSForm from the admin: "Export to XLSForm" on a version's and an adaptation's page, and
"Import from XLSForm" on a tool's page, with the same permissions as the other buttons."""

from io import BytesIO

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.forms import XLSFormImportForm
from audits.models import Item, Tool, ToolVersion, VersionStatus
from audits.xlsform import xlsform_to_draft
from tests.audits import builders

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Unknown extension is not supported:UserWarning"),
]

CASE_AUDIT_KEYS = [
    *(f"p{n}" for n in range(1, 15)),
    "what-working-well",
    "what-worried-about",
    "what-needs-to-happen",
    "proudest",
    "overall-safety-scale",
]
GROUP_REPORT = (
    "group.xlsx: row 4, name 'phone_number': phone number questions are not supported; "
    "imported as a free text item"
)


def url(name: str, obj) -> str:
    return reverse(f"admin:audits_{name}", args=[obj.pk])


def survey_names(data: bytes) -> list[str]:
    rows = list(openpyxl.load_workbook(BytesIO(data))["survey"].iter_rows(values_only=True))
    column = rows[0].index("name")
    return [row[column] for row in rows[1:] if row[column]]


def item_keys(version: ToolVersion) -> list[str]:
    return list(
        Item.objects.filter(version=version).order_by("section__order", "order").values_list("key", flat=True)
    )


def upload(name: str, data: bytes) -> dict:
    return {"workbook": SimpleUploadedFile(name, data, content_type="application/octet-stream")}


def shown_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


@pytest.fixture
def adapted(personas):
    """A's draft adaptation of the small standard tool, hiding the non-core item "worry"."""
    small = builders.small_standard_tool(user=personas.pat)
    adaptation = services.tool_adapt(
        authority=personas.authority_a, tool=small.tool, acting_user=personas.quinn
    )
    services.item_change_set(adaptation=adaptation, item_key="worry", kind="hide", acting_user=personas.quinn)
    return adaptation


# --- export ---------------------------------------------------------------------------------------


def test_pat_exports_the_standard_case_audit_and_it_reads_back(personas, login):
    version = ToolVersion.objects.get(tool__key="case-audit", number=1)
    client = login(personas.pat)
    page = client.get(url("toolversion_change", version))
    assert url("toolversion_export_xlsform", version) in page.content.decode()

    response = client.get(url("toolversion_export_xlsform", version))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="case-audit-v1.xlsx"'
    fresh = builders.tool("t-fresh")
    draft, report = xlsform_to_draft(
        tool=fresh, data=response.content, filename="case-audit-v1.xlsx", acting_user=personas.pat
    )
    assert item_keys(version) == CASE_AUDIT_KEYS
    assert item_keys(draft) == CASE_AUDIT_KEYS
    assert report == [
        "settings sheet: form_id 'case-audit' is not this tool's key 't-fresh'; imported as a new version of 't-fresh'"
    ]


def test_any_status_exports_for_whoever_sees_the_version(personas, login):
    small = builders.small_standard_tool(user=personas.pat)
    draft = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    services.tool_version_publish(version=draft, acting_user=personas.pat)  # v1 is now retired
    v3 = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    client = login(personas.quinn)  # sees the standard library read-only
    for number, version in ((1, small.version), (2, draft), (3, v3)):
        response = client.get(url("toolversion_export_xlsform", version))
        assert response.status_code == 200, number
        assert response["Content-Disposition"] == f'attachment; filename="t-audit-v{number}.xlsx"'
        assert survey_names(response.content)[:3] == ["map", "r1", "r2"]


def test_quinn_exports_a_adaptation_without_the_hidden_item(adapted, personas, login):
    client = login(personas.quinn)
    page = client.get(url("adaptation_change", adapted)).content.decode()
    assert url("adaptation_export_xlsform", adapted) in page
    assert "to change the adaptation, edit its changes here." in page

    response = client.get(url("adaptation_export_xlsform", adapted))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="t-audit-v1-991-a1.xlsx"'
    names = survey_names(response.content)
    assert "worry" not in names
    assert [name for name in names if name in {"r1", "r2", "r3", "s1", "c1"}] == [
        "r1",
        "r2",
        "r3",
        "s1",
        "c1",
    ]


def test_pat_exports_an_adaptation_too(adapted, personas, login):
    response = login(personas.pat).get(url("adaptation_export_xlsform", adapted))
    assert response.status_code == 200
    assert "worry" not in survey_names(response.content)


def test_quentin_gets_doesnt_exist_for_a_exports(adapted, personas, login):
    own = builders.version(builders.tool("t-own-a", authority=personas.authority_a))
    client = login(personas.quentin)
    for path in (
        url("adaptation_export_xlsform", adapted),
        url("toolversion_export_xlsform", own),
        url("tool_import_xlsform", own.tool),
    ):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, reverse("admin:index")), path
    followed = client.get(url("adaptation_export_xlsform", adapted), follow=True)
    assert "doesn’t exist" in followed.content.decode()
    client.post(url("tool_import_xlsform", own.tool), upload("x.xlsx", b"x"))
    assert own.tool.versions.count() == 1


def test_alice_is_kept_out(adapted, personas, login):
    client = login(personas.alice)
    for path in (
        url("adaptation_export_xlsform", adapted),
        url("toolversion_export_xlsform", adapted.base_version),
        url("tool_import_xlsform", adapted.base_version.tool),
    ):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0] == reverse("home"), path


# --- import ---------------------------------------------------------------------------------------


def test_quinn_imports_a_workbook_into_an_own_tool(personas, login, external_data):
    tool = builders.tool("t-own", authority=personas.authority_a)
    client = login(personas.quinn)
    tool_page = client.get(url("tool_change", tool)).content.decode()
    assert url("tool_import_xlsform", tool) in tool_page
    form_page = client.get(url("tool_import_xlsform", tool))
    assert form_page.status_code == 200
    assert "workbook" in form_page.context["form"].fields

    data = (external_data / "xlsform" / "group.xlsx").read_bytes()
    response = client.post(url("tool_import_xlsform", tool), upload("group.xlsx", data), follow=True)

    draft = tool.versions.get()
    assert response.redirect_chain == [(url("toolversion_change", draft), 302)]
    assert (draft.number, draft.status) == (1, VersionStatus.DRAFT)
    assert item_keys(draft) == ["family_name", "phone_number", "age"]
    assert draft.history.first().history_user == personas.quinn
    assert shown_messages(response) == [
        (
            "success",
            "Tool t-own v1 is a new draft, imported from group.xlsx: 2 sections, 3 items. "
            "Check it, preview it, then publish it.",
        ),
        ("warning", GROUP_REPORT),
    ]
    assert "phone number questions are not supported" in response.content.decode()


def test_every_report_line_is_its_own_warning(personas, login, external_data):
    tool = builders.tool("t-own", authority=personas.authority_a)
    data = (external_data / "xlsform" / "xlsform_spec_test.xlsx").read_bytes()
    response = login(personas.quinn).post(
        url("tool_import_xlsform", tool), upload("xlsform_spec_test.xlsx", data)
    )
    draft = tool.versions.get()
    expected = draft.notes.split("What the import reported:\n", 1)[1].splitlines()
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == len(expected) > 1
    assert warnings == [f"xlsform_spec_test.xlsx: {line.removeprefix('- ')}" for line in expected]


def test_a_corrupt_upload_shows_the_error_and_stores_nothing(personas, login):
    tool = builders.tool("t-own", authority=personas.authority_a)
    client = login(personas.quinn)

    response = client.post(url("tool_import_xlsform", tool), upload("broken.xlsx", b"\x00garbage\xff" * 40))

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and errors[0].startswith("'broken.xlsx' could not be read as an XLSForm")
    html = response.content.decode()
    assert "nothing was stored" in html
    assert "could not be read as an XLSForm" in html
    assert not tool.versions.exists()

    response = client.post(url("tool_import_xlsform", tool), upload("questions.csv", b"type,name\ntext,a\n"))
    assert "must end in .xlsx, .xlsm or .xls" in str(response.context["form"].non_field_errors())
    response = client.post(url("tool_import_xlsform", tool), {})
    assert "workbook" in response.context["form"].errors
    assert not tool.versions.exists()


def test_an_import_while_a_draft_exists_is_refused_on_the_form(personas, login):
    small = builders.small_standard_tool(user=personas.pat)
    draft = services.tool_version_create_next(tool=small.tool, acting_user=personas.pat)
    client = login(personas.pat)
    page = client.get(url("tool_import_xlsform", small.tool))
    assert 'data-testid="draft-exists"' in page.content.decode()
    exported = client.get(url("toolversion_export_xlsform", small.version)).content

    response = client.post(url("tool_import_xlsform", small.tool), upload("t-audit-v1.xlsx", exported))

    assert response.status_code == 200
    assert "already has a draft (version 2)" in str(response.context["form"].non_field_errors())
    assert list(small.tool.versions.order_by("number")) == [small.version, draft]


def test_pat_imports_into_a_standard_tool(personas, login):
    small = builders.small_standard_tool(user=personas.pat)
    client = login(personas.pat)
    assert (
        url("tool_import_xlsform", small.tool) in client.get(url("tool_change", small.tool)).content.decode()
    )
    exported = client.get(url("toolversion_export_xlsform", small.version)).content

    response = client.post(url("tool_import_xlsform", small.tool), upload("t-audit-v1.xlsx", exported))

    v2 = small.tool.versions.get(number=2)
    assert response["Location"] == url("toolversion_change", v2)
    assert (v2.derived_from, v2.status) == (small.version, VersionStatus.DRAFT)
    assert item_keys(v2) == item_keys(small.version)
    assert [level for level, _text in shown_messages(client.get(response["Location"]))] == ["success"]


def test_quinn_cannot_import_into_the_standard_case_audit(personas, login, external_data):
    tool = Tool.objects.get(key="case-audit")
    client = login(personas.quinn)
    assert url("tool_import_xlsform", tool) not in client.get(url("tool_change", tool)).content.decode()
    assert client.get(url("tool_import_xlsform", tool)).status_code == 403

    data = (external_data / "xlsform" / "group.xlsx").read_bytes()
    response = client.post(url("tool_import_xlsform", tool), upload("group.xlsx", data))

    assert response.status_code == 403
    assert list(tool.versions.values_list("number", flat=True)) == [1]


def test_an_oversized_upload_is_refused_before_it_is_read(personas, login, monkeypatch):
    monkeypatch.setattr(XLSFormImportForm, "MAX_BYTES", 100)
    tool = builders.tool("t-own", authority=personas.authority_a)
    client = login(personas.quinn)
    response = client.post(url("tool_import_xlsform", tool), upload("big.xlsx", b"x" * 101))
    # Refused while it is received (qa_system/uploads.py): back to the form, with the limit.
    assert response.status_code == 302 and response["Location"] == url("tool_import_xlsform", tool)
    assert shown_messages(client.get(response["Location"])) == [
        (
            "error",
            "The file is too large: files of up to 100\xa0bytes can be uploaded here. Nothing was stored.",
        )
    ]
    assert not tool.versions.exists()
