"""The knowledge library (search and filters, a resource, its download) and the access records page.

Resources are looked up through ``Resource.objects.for_user``: another authority's local resource
gives the same 404 as a missing one. The access page is for the authority's QA leads
(``access.may_manage_knowledge_access``); the writes are in ``knowledge.services``.
"""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import Authority
from knowledge import selectors, services
from knowledge.forms import AccessExtendForm, AccessGrantForm, ResourceFilter
from knowledge.models import REMINDER_DAYS, KnowledgeAccess, Resource

PAGE_SIZE = 25


@login_required
def library(request):
    if not access.may_read_knowledge(request.user):
        raise PermissionDenied("The knowledge library is for the people who work in the programme.")
    elements, nodes = selectors.filter_choices()
    filterset = ResourceFilter(
        request.GET or None, queryset=selectors.library(user=request.user), elements=elements, nodes=nodes
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "filtered": any(request.GET.get(name) for name in ("q", "element", "node", "kind")),
    }
    if request.htmx:
        return render(request, "knowledge/_results.html", context)
    today = timezone.localdate()
    own = selectors.own_access(user=request.user, today=today)
    context.update(
        {
            "own_access": [(record, record.state(today), record.days_left(today)) for record in own],
            "may_manage": access.may_manage_knowledge(request.user),
        }
    )
    return render(request, "knowledge/library.html", context)


def _resource(request, pk: int) -> Resource:
    return access.get_for_user_or_404(
        Resource.objects.select_related("authority").prefetch_related("rubric_elements", "nodes"),
        request.user,
        pk=pk,
    )


@login_required
def detail(request, pk: int):
    resource = _resource(request, pk)
    return render(request, "knowledge/detail.html", {"resource": resource})


@login_required
def download(request, pk: int):
    """The uploaded file, to those who may read the resource (404 for anyone else)."""
    resource = _resource(request, pk)
    if not resource.file:
        raise Http404("Not found.")
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError:
        raise Http404("Not found.") from None
    content_type = mimetypes.guess_type(resource.file_name)[0] or "application/octet-stream"
    return FileResponse(handle, as_attachment=True, filename=resource.file_name, content_type=content_type)


# --- access records ------------------------------------------------------------------------------


def _access_authority(request) -> Authority | None:
    """The authority whose records the page shows: ``?authority=CODE`` (for platform admins, or a QA
    lead of several authorities), else the one the person works in now. None: a platform admin who
    has not chosen yet."""
    code = (request.GET.get("authority") or request.POST.get("authority") or "").strip()
    if code:
        authority = Authority.objects.filter(code=code).first()
        if authority is None or not access.may_manage_knowledge_access(request.user, authority):
            raise Http404("Not found.")
        return authority
    membership = request.membership
    if membership is not None and access.may_manage_knowledge_access(request.user, membership.authority_id):
        return membership.authority
    if access.is_platform_admin(request.user):
        return None
    raise PermissionDenied("Knowledge bank access is managed by the authority's QA leads.")


def _record(request, pk: int) -> KnowledgeAccess:
    record = access.get_for_user_or_404(
        KnowledgeAccess.objects.select_related("authority", "user"), request.user, pk=pk
    )
    if not access.may_manage_knowledge_access(request.user, record.authority_id):
        raise Http404("Not found.")
    return record


def _access_page(
    request,
    authority: Authority | None,
    *,
    grant_form: AccessGrantForm | None = None,
    extend_errors: dict | None = None,
    status: int = 200,
):
    today = timezone.localdate()
    rows = []
    if authority is not None:
        rows = [
            {"record": record, "state": record.state(today), "days_left": record.days_left(today)}
            for record in selectors.authority_access(authority_id=authority.pk)
        ]
        if grant_form is None:
            grant_form = AccessGrantForm(members=selectors.grantable_members(authority_id=authority.pk))
    context = {
        "authority": authority,
        "rows": rows,
        "grant_form": grant_form,
        "extend_errors": extend_errors or {},
        "today": today,
        "reminder_days": sorted(REMINDER_DAYS, reverse=True),
        "picker": list(Authority.objects.order_by("name")) if access.is_platform_admin(request.user) else [],
    }
    return render(request, "knowledge/access.html", context, status=status)


def _back(authority: Authority) -> str:
    return f"{reverse('knowledge:access')}?authority={authority.code}"


@login_required
def access_list(request):
    return _access_page(request, _access_authority(request))


@login_required
@require_POST
def access_grant(request):
    authority = _access_authority(request)
    if authority is None:
        raise Http404("Not found.")
    form = AccessGrantForm(request.POST, members=selectors.grantable_members(authority_id=authority.pk))
    if form.is_valid():
        try:
            record = services.access_grant(
                authority=authority,
                user=form.cleaned_data["user"],
                what=form.cleaned_data["what"],
                expires_on=form.cleaned_data["expires_on"],
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{record.user} has access to {record.what} until {record.expires_on:%-d %B %Y}."
            )
            return redirect(_back(authority))
    return _access_page(request, authority, grant_form=form, status=400)


@login_required
@require_POST
def access_extend(request, pk: int):
    record = _record(request, pk)
    form = AccessExtendForm(request.POST)
    if form.is_valid():
        try:
            services.access_extend(
                record=record, expires_on=form.cleaned_data["expires_on"], acting_user=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Access of {record.user} extended to {record.expires_on:%-d %B %Y}.")
            return redirect(_back(record.authority))
    errors = [message for messages_ in form.errors.values() for message in messages_]
    return _access_page(request, record.authority, extend_errors={record.pk: errors}, status=400)


@login_required
@require_POST
def access_end(request, pk: int):
    record = _record(request, pk)
    try:
        services.access_end(record=record, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Access of {record.user} to {record.what} ended today.")
    return redirect(_back(record.authority))
