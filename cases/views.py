from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import access
from audits.models import Audit
from cases import selectors, services
from cases.forms import CaseFilterForm, UploadForm
from cases.models import Child, ImportRun, ImportStatus
from cases.tasks import run_import
from fidelity.models import RubricLevel
from qa_system import background
from qa_system.uploads import limit_uploads

PAGE_SIZE = 50
STANDARD_RUBRIC = "sofs-case-practice"


def _authority_id(request, allowed, message: str) -> int:
    membership = request.membership
    if membership is None or not allowed(request.user, membership.authority_id):
        raise PermissionDenied(message)
    return membership.authority_id


@login_required
def case_list(request):
    authority_id = _authority_id(
        request, access.may_view_cases, "The case list is for the authority's staff."
    )
    form = CaseFilterForm(request.GET or None, authority_id=authority_id)
    filters = form.cleaned_data if form.is_valid() else {}
    children = selectors.case_list(
        user=request.user,
        authority_id=authority_id,
        team_id=filters["team"].pk if filters.get("team") else None,
        status=filters.get("status") or None,
        referred_from=filters.get("referred_from"),
        referred_to=filters.get("referred_to"),
    )
    page = Paginator(children, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "cases/_case_table.html" if request.htmx else "cases/case_list.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


@login_required
def case_detail(request, pk: int):
    child = access.get_for_user_or_404(Child.objects.select_related("team", "authority"), request.user, pk=pk)
    audits = list(
        Audit.objects.for_user(request.user)
        .filter(child=child)
        .select_related("auditor")
        .order_by("-created_at")
    )
    return render(
        request,
        "cases/case_detail.html",
        {
            "child": child,
            "timeline": selectors.child_timeline(child=child),
            "audits": audits,
            "levels": _level_labels() if audits else {},
        },
    )


def _level_labels() -> dict[int, str]:
    """Overall grades are on the standard case-practice rubric's levels."""
    return dict(RubricLevel.objects.filter(rubric__key=STANDARD_RUBRIC).values_list("value", "label"))


@login_required
@limit_uploads(lambda: settings.QA_IMPORT_MAX_BYTES, several=True)
def import_list(request):
    authority_id = _authority_id(
        request, access.may_view_authority_overview, "Imports are for QA leads and leaders."
    )
    may_upload = access.may_import_returns(request.user, authority_id)
    form = UploadForm()
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied("Only the authority's QA leads import returns.")
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            with transaction.atomic():
                runs = [
                    services.import_run_create(
                        authority=request.membership.authority,
                        file=upload,
                        acting_user=request.user,
                        allow_other_authority=form.cleaned_data["allow_other_authority"],
                    )
                    for upload in form.cleaned_data["returns"]
                ]
            # Committed: a worker can read the runs. A broker that is down loses nothing: the runs
            # wait, and the job that resumes imports queues them once it is back.
            queued = [background.start(run_import, run.pk) for run in runs]
            if not all(queued):
                messages.warning(
                    request,
                    "Your files are saved and waiting. The background service is not answering just now, "
                    "so the import starts on its own as soon as it is back: nothing needs uploading again.",
                )
            ids = ",".join(str(run.pk) for run in runs)
            return redirect(f"{reverse('cases:import_progress')}?runs={ids}")
    return render(
        request,
        "cases/import_list.html",
        {
            "form": form,
            "may_upload": may_upload,
            "runs": selectors.import_runs(authority_id=authority_id)[:50],
        },
    )


@login_required
def import_progress(request):
    try:
        ids = [int(part) for part in request.GET.get("runs", "").split(",") if part]
    except ValueError:
        ids = []
    runs = list(ImportRun.objects.for_user(request.user).filter(pk__in=ids).order_by("pk"))
    if not runs:
        return redirect("cases:imports")
    finished = all(run.status in (ImportStatus.DONE, ImportStatus.REJECTED) for run in runs)
    context = {"runs": runs, "finished": finished, "ids": ",".join(str(run.pk) for run in runs)}
    template = "cases/_import_progress.html" if request.htmx else "cases/import_progress.html"
    return render(request, template, context)


@login_required
def import_detail(request, pk: int):
    run = access.get_for_user_or_404(
        ImportRun.objects.select_related("imported_by", "authority"), request.user, pk=pk
    )
    return render(request, "cases/import_detail.html", {"run": run})
