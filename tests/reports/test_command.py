"""``manage.py outcome_report``: the clear errors (the PDF itself is tested in ``test_pdf``)."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from reports import quarters, services
from tests.reports.builders import store_values

LAST = quarters.last_complete_quarter(timezone.localdate())


def _run(tmp_path, **options):
    defaults = {"authority": "991", "quarter": quarters.quarter_code(LAST), "output": str(tmp_path / "r.pdf")}
    call_command("outcome_report", **(defaults | options))


def test_an_unknown_authority(personas, tmp_path):
    with pytest.raises(CommandError, match="No authority has the DfE number '123'"):
        _run(tmp_path, authority="123")


@pytest.mark.parametrize("quarter", ["2024-25", "2024 Q1", "2024-26-Q2", "Q1"])
def test_a_bad_quarter(personas, tmp_path, quarter):
    with pytest.raises(CommandError, match="Write the quarter as YYYY-YY-QN"):
        _run(tmp_path, quarter=quarter)


def test_a_quarter_with_no_data(personas, tmp_path):
    with pytest.raises(
        CommandError, match=r"Ashdown has no stored measure values for 2019-20 Q1 \(1 April to 30 June 2019\)"
    ):
        _run(tmp_path, quarter="2019-20-Q1")
    assert not (tmp_path / "r.pdf").exists()


def test_a_quarter_that_is_not_over(personas, tmp_path):
    current = quarters.shift(LAST, 1)
    store_values(personas.authority_a, current, referrals=10)
    with pytest.raises(CommandError, match=f"{quarters.quarter_label(current)} is not over yet"):
        _run(tmp_path, quarter=quarters.quarter_code(current))


def test_a_missing_folder(personas, tmp_path):
    store_values(personas.authority_a, LAST, referrals=10)
    with pytest.raises(CommandError, match="does not exist"):
        _run(tmp_path, output=str(tmp_path / "nowhere" / "r.pdf"))


def test_it_writes_the_pdf_and_does_not_store_it(personas, tmp_path, monkeypatch, capsys):
    from reports.models import OutcomeReport

    store_values(personas.authority_a, LAST, referrals=10)
    monkeypatch.setattr(services, "pdf_from_html", lambda html: services.RenderedPdf(b"%PDF-stub", 2))
    _run(tmp_path)
    assert (tmp_path / "r.pdf").read_bytes() == b"%PDF-stub"
    assert "2 pages" in capsys.readouterr().out
    assert not OutcomeReport.objects.exists()
