"""The database connection lost in the middle of an import (PostgreSQL restarted, the network cut):
nothing of the file is stored, the run says what happened, and the next import works."""

from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.db.utils import InterfaceError

from cases import services
from cases.models import Child, ImportRun, ImportStatus, Referral
from tests.cases import cin_samples as cin

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="ends a PostgreSQL backend: run on PostgreSQL (make test-services)",
    ),
    # It commits; serialized_rollback puts back the rows the data migrations made for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CENSUS = cin.message(
    cin.child("L1", cin.episode("2024-05-02", cin.cp_plan("2024-06-01")))
    + cin.child("L2", cin.episode("2024-07-09")),
    lea="991",
    year=2025,
)


def cut_off(pid: int) -> None:
    """End the backend ``pid`` from another connection, as a restarted server would."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_lost_mid_import_stores_nothing_and_says_so(personas, tmp_path: Path, monkeypatch):
    path = tmp_path / "cin_census_2025.xml"
    path.write_text(CENSUS)
    stored = services.store_chunk

    def store_then_lose_the_connection(batch, authority):
        result = stored(batch, authority)  # the children are written, in the import's transaction
        assert Child.objects.filter(authority=authority).count() == 2
        cut_off(connection.connection.info.backend_pid)
        return result

    monkeypatch.setattr(services, "store_chunk", store_then_lose_the_connection)
    with pytest.raises((OperationalError, InterfaceError)):
        services.import_files(authority=personas.authority_a, paths=[path])

    assert not Child.objects.exists() and not Referral.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REJECTED
    assert "nothing of the file was stored" in run.error

    monkeypatch.setattr(services, "store_chunk", stored)
    [again] = services.import_files(authority=personas.authority_a, paths=[path])
    assert again.status == ImportStatus.DONE and Child.objects.count() == 2
