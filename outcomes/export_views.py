"""Downloads of measure values and audit answers as CSV and XLSX, scoped to the user's authority.

- ``export_index``: the downloads the user may make, with their filters.
- ``export_measures``: the stored measure values of the active authority, in the columns of the
  spec's CSV (``outcomes.selectors``), exact figures (no suppression: the file is for the
  authority's own analysts). QA leads and leaders (``access.may_export_measures``).
- ``export_answers``: every audit answer of the active authority (``audits.exports``), with the
  child's LA id, since only the authority's own QA leads may download it
  (``access.may_export_answers``).

Someone who may not make a download gets 403, as on the other pages a role may not use; an
unknown format is a 404. The files are never cached.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from io import StringIO

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts import access
from audits import exports
from audits.models import Tool
from outcomes.periods import PeriodType
from outcomes.selectors import EXPORT_HEADER, measure_rows
from qa_system import spreadsheets
from qa_system.spreadsheets import Cell, Sheet

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class MeasureExportForm(forms.Form):
    period_type = forms.ChoiceField(
        label="Periods",
        choices=[("", "Months, quarters and years"), *PeriodType.choices],
        required=False,
    )
    date_from = forms.DateField(
        label="Periods starting from", required=False, widget=DATE_INPUT, help_text="Leave empty for all."
    )
    date_to = forms.DateField(label="to", required=False, widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end is before the start.")
        return cleaned


class AnswerExportForm(MeasureExportForm):
    period_type = None  # type: ignore[assignment]
    tool = forms.ModelChoiceField(
        queryset=Tool.objects.none(),
        required=False,
        empty_label="Every tool",
        to_field_name="key",
        label="Tool",
    )
    date_from = forms.DateField(
        label="Audits started from", required=False, widget=DATE_INPUT, help_text="Leave empty for all."
    )

    field_order = ["tool", "date_from", "date_to"]

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        tool = self.fields["tool"]
        assert isinstance(tool, forms.ModelChoiceField)
        tool.queryset = exports.export_tools(authority=authority)


def _membership(request, allowed, message: str):
    membership = request.membership
    if membership is None or not allowed(request.user, membership.authority_id):
        raise PermissionDenied(message)
    return membership


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Http404("Exports come as .csv or .xlsx.")


def _download(*, name: str, fmt: str, header: list[str], rows: list[list[Cell]], sheets=None) -> HttpResponse:
    if fmt == "csv":
        out = StringIO()
        spreadsheets.write_csv(out, header, rows)
        content: bytes | str = out.getvalue()
    else:
        content = spreadsheets.xlsx_bytes(sheets or [Sheet(title="Export", header=header, rows=rows)])
    filename = f"{name}-{timezone.localdate().isoformat()}.{fmt}"
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _index(request, *, measure_form=None, answer_form=None, status=200) -> HttpResponse:
    membership = request.membership
    authority_id = membership.authority_id
    may_measures = access.may_export_measures(request.user, authority_id)
    may_answers = access.may_export_answers(request.user, authority_id)
    if not (may_measures or may_answers):
        raise PermissionDenied("Exports are for the authority's QA leads and leaders.")
    context = {
        "authority": membership.authority,
        "measure_form": (measure_form or MeasureExportForm()) if may_measures else None,
        "answer_form": (answer_form or AnswerExportForm(authority=membership.authority))
        if may_answers
        else None,
    }
    return render(request, "outcomes/exports/index.html", context, status=status)


@login_required
@never_cache
def export_index(request):
    _membership(
        request,
        lambda user, authority: (
            access.may_export_measures(user, authority) or access.may_export_answers(user, authority)
        ),
        "Exports are for the authority's QA leads and leaders.",
    )
    return _index(request)


def _typed_measure_row(row: list[str]) -> list[Cell]:
    """A row of the measures CSV with its figures as numbers and its dates as dates (for XLSX)."""
    typed: list[Cell] = list(row)
    for index in (4, 5):
        typed[index] = date.fromisoformat(row[index])
    for index in (6, 7):
        typed[index] = int(row[index]) if row[index] else None
    try:
        typed[8] = Decimal(row[8]) if row[8] else None
    except InvalidOperation:
        typed[8] = row[8]
    return typed


@login_required
@never_cache
def export_measures(request, fmt: str):
    membership = _membership(
        request, access.may_export_measures, "Measure exports are for the authority's QA leads and leaders."
    )
    _check_format(fmt)
    form = MeasureExportForm(request.GET)
    if not form.is_valid():
        return _index(request, measure_form=form, status=400)
    rows = list(
        measure_rows(
            authority_codes=[membership.authority.code],
            period_type=form.cleaned_data["period_type"] or None,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )
    )
    typed: list[list[Cell]] = [_typed_measure_row(row) if fmt == "xlsx" else list(row) for row in rows]
    return _download(
        name=f"measures-{membership.authority.code}",
        fmt=fmt,
        header=EXPORT_HEADER,
        rows=typed,
        sheets=[Sheet(title="Measures", header=EXPORT_HEADER, rows=typed, widths={2: 24})],
    )


@login_required
@never_cache
def export_answers(request, fmt: str):
    membership = _membership(
        request, access.may_export_answers, "Answer exports are for the authority's QA leads."
    )
    _check_format(fmt)
    form = AnswerExportForm(request.GET, authority=membership.authority)
    if not form.is_valid():
        return _index(request, answer_form=form, status=400)
    table = exports.answer_table(
        authority=membership.authority,
        tool=form.cleaned_data["tool"],
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        # The authority's own QA lead: the child's LA id is their data.
        include_child=True,
    )
    return _download(
        name=f"audit-answers-{membership.authority.code}",
        fmt=fmt,
        header=table.header,
        rows=table.rows,
        sheets=exports.answer_sheets(table),
    )
