"""A resource is a link or an uploaded file, never both and never neither; uploads are limited by
type and size."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge import models
from knowledge.models import KnowledgeAccess, Resource

pytestmark = pytest.mark.django_db


def _resource(**fields) -> Resource:
    return Resource(title="Three Houses", summary="A tool for hearing the child.", **fields)


def test_a_link_alone_is_valid():
    _resource(url="https://www.signsofsafety.net/").full_clean()


def test_a_file_alone_is_valid():
    _resource(file=SimpleUploadedFile("three-houses.pdf", b"%PDF-1.4 tiny")).full_clean()


def test_both_a_link_and_a_file_are_refused_with_a_clear_message():
    resource = _resource(url="https://www.signsofsafety.net/", file=SimpleUploadedFile("a.pdf", b"%PDF"))
    with pytest.raises(ValidationError, match="Give either a link or a file, not both."):
        resource.full_clean()


def test_neither_a_link_nor_a_file_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match="Give a link to the resource or upload its file."):
        _resource().full_clean()


@pytest.mark.parametrize("name", ["notes.exe", "page.html", "script.js", "archive.zip"])
def test_only_documents_and_images_may_be_uploaded(name):
    with pytest.raises(ValidationError) as raised:
        _resource(file=SimpleUploadedFile(name, b"x")).full_clean()
    assert "file" in raised.value.message_dict


@pytest.mark.parametrize("name", ["a.pdf", "a.docx", "a.pptx", "a.xlsx", "a.png", "a.jpg"])
def test_the_allowed_types(name):
    _resource(file=SimpleUploadedFile(name, b"x")).full_clean()


def test_a_file_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(models, "MAX_FILE_BYTES", 10)
    with pytest.raises(ValidationError, match="upload files of up to"):
        models.validate_file_size(SimpleUploadedFile("big.pdf", b"x" * 11))


def test_access_cannot_expire_before_it_is_granted(personas):
    from datetime import date

    record = KnowledgeAccess(
        authority=personas.authority_a,
        user=personas.alice,
        granted_on=date(2026, 5, 1),
        expires_on=date(2026, 4, 1),
    )
    with pytest.raises(ValidationError, match="cannot expire before it is granted"):
        record.full_clean()


def test_access_states():
    from datetime import date

    today = date(2026, 6, 1)
    record = KnowledgeAccess(granted_on=date(2025, 6, 1), expires_on=date(2026, 12, 1))
    assert record.state(today) == "active"
    record.expires_on = date(2026, 6, 20)
    assert record.state(today) == "expiring"
    record.expires_on = date(2026, 5, 31)
    assert record.state(today) == "expired"
    record.ended_on = date(2026, 5, 1)
    assert record.state(today) == "ended"
