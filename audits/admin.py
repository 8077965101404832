"""Admin of the QA tool library, for QA leads and platform admins.

- Platform admins edit the standard library: tools, and draft versions with their sections and
  items; they publish, retire and start new draft versions. They see adaptations read-only.
- QA leads see the standard library read-only, adopt or adapt a standard tool for their authority,
  edit the draft adaptation's item changes, preview, publish and upgrade it; they also edit their
  authority's own tools.
- A published or retired version (or adaptation) is read-only here, as it is in the model layer.
- Tools are also authored in a spreadsheet: any version, or an adaptation as its authority uses
  it, downloads as an XLSForm workbook; a workbook uploads as a new draft version of a tool, for
  whoever may start one ("Import from XLSForm"). Adaptations are not imported: they are lists of
  changes, edited on their page.

Rows are scoped by ``get_queryset``; each object is checked by the rules of ``audits.rules``;
every change is kept by django-simple-history (who, when, before and after).
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from accounts import access
from accounts.admin import AuthorityScopedMixin, ReadOnlyAdminMixin, managed_authorities
from accounts.models import Authority, Role
from audits import selectors, services
from audits.admin_views import preview_context, xlsform_download
from audits.forms import ItemChangeForm, ItemChangeFormSet, ItemForm, ToolForm, XLSFormImportForm
from audits.models import (
    Adaptation,
    Adoption,
    Item,
    ItemChange,
    Section,
    Tool,
    ToolVersion,
    VersionStatus,
)
from audits.xlsform import xlsform_to_draft
from qa_system.uploads import Limit, limit_uploads


def acting_authority(request) -> Authority | None:
    """The authority a QA lead acts for: the active one (authority switcher) when they lead it,
    else the only authority they lead; ``None`` when they lead none, or several and the active
    one is not among them."""
    led = access.authority_ids(request.user, [Role.QA_LEAD])
    membership = getattr(request, "membership", None)
    if membership is not None and membership.authority_id in led:
        return membership.authority
    if len(led) == 1:
        return Authority.objects.get(pk=next(iter(led)))
    return None


def tools_for(request):
    """The standard library and the own tools of the authorities the user leads (all, for platform admins)."""
    queryset = Tool.objects.for_user(request.user)
    if access.is_platform_admin(request.user):
        return queryset
    return queryset.filter(Q(authority__isnull=True) | Q(authority__in=managed_authorities(request)))


def change_url(obj) -> str:
    return reverse(f"admin:audits_{obj._meta.model_name}_change", args=[obj.pk])


def report_problems(request, error: ValidationError, *, subject: Any) -> None:
    """Every problem of a refused publish or upgrade as its own error message."""
    for problem in error.messages:
        messages.error(request, f"{subject}: {problem}")


class StandardFilter(admin.SimpleListFilter):
    title = "library"
    parameter_name = "library"
    tool_path = ""

    def lookups(self, request, model_admin):
        return [("standard", "Standard library"), ("own", "An authority's own")]

    def queryset(self, request, queryset):
        field = f"{self.tool_path}authority__isnull"
        if self.value() == "standard":
            return queryset.filter(**{field: True})
        if self.value() == "own":
            return queryset.filter(**{field: False})
        return queryset


class VersionStandardFilter(StandardFilter):
    tool_path = "tool__"


class AuditsAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    """Object permissions from ``audits.rules`` and history beside every row."""

    def history_view(self, request, object_id, extra_context=None):
        if not self._history_visible(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._history_visible(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _history_visible(self, request, object_id) -> bool:
        """A row in scope, or a deleted row the user could see: another authority's rows get the
        admin's "doesn't exist", as on their change pages, not a "forbidden" that reveals them."""
        if self.get_object(request, unquote(object_id)) is not None:
            return True
        try:
            last = self.model.history.filter(id=unquote(object_id)).order_by("-history_date").first()  # type: ignore[attr-defined]
            return last is not None and bool(self.has_view_permission(request, last.instance))
        except (ValueError, TypeError, ValidationError, ObjectDoesNotExist):
            return False

    def object_view(self, request, object_id, view):
        """Run ``view(request, obj)`` on a row of this admin's scope, as the change page would."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return view(request, obj)

    def object_url(self, name: str, view, *, upload_max_bytes: Limit | None = None):
        """The URL of ``view`` on one row; ``upload_max_bytes``: the view takes a file of up to so
        many bytes, refused while it is received (``qa_system.uploads``)."""

        def wrapped(request, object_id):
            return self.object_view(request, object_id, view)

        if upload_max_bytes is not None:
            wrapped = limit_uploads(upload_max_bytes)(wrapped)
        info = (self.opts.app_label, self.opts.model_name)
        return path(
            f"<path:object_id>/{name}/",
            self.admin_site.admin_view(wrapped),
            name="{}_{}_{}".format(*info, name.replace("-", "_")),
        )

    def page(self, request, obj, template: str, title: str, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": obj,
                "title": title,
                "change_url": change_url(obj),
                **context,
            },
        )


# --- tools ------------------------------------------------------------------------------------


class FrozenUnlessDraftAdmin(AuditsAdmin):
    """Versions and adaptations: editable while a draft (only their notes, the rest through their
    buttons and inlines), read-only once published or retired, as in the model layer."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None or not self.has_change_permission(request, obj):
            return self.fields
        return [field for field in self.fields if field != "notes"]


@admin.register(Tool)
class ToolAdmin(AuditsAdmin):
    form = ToolForm
    list_display = ["name", "key", "kind", "library", "latest_version"]
    list_filter = ["kind", StandardFilter]
    search_fields = ["name", "key"]
    actions = ["new_draft_version", "adapt_for_my_authority", "adopt_whole"]
    change_form_template = "admin/audits/tool/change_form.html"

    def get_queryset(self, request):
        queryset = Tool.objects.for_user(request.user).select_related("authority")
        if not access.is_platform_admin(request.user):
            queryset = queryset.filter(
                Q(authority__isnull=True) | Q(authority__in=managed_authorities(request))
            )
        latest = ToolVersion.objects.filter(tool=OuterRef("pk")).order_by("-number")
        return queryset.annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
        )

    def get_fields(self, request, obj=None):
        fields = ["key", "name", "kind", "description", "authority"]
        if obj is None and access.is_platform_admin(request.user):
            # Platform admins make standard tools; an authority's own tools are its QA leads'.
            fields.remove("authority")
        return fields + (["versions"] if obj is not None else [])

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not self.has_change_permission(request, obj):
            return self.get_fields(request, obj)
        # Answers and adoptions are keyed by the tool's key; it does not move between authorities.
        return ["key", "authority", "versions"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        authority_required = not access.is_platform_admin(request.user)

        class RequestToolForm(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args, **kw):
                super().__init__(
                    *args,
                    authorities=managed_authorities(request),
                    authority_required=authority_required,
                    **kw,
                )

        return RequestToolForm

    @admin.display(description="Library", ordering="authority__name")
    def library(self, obj: Tool) -> str:
        return "Standard" if obj.authority is None else obj.authority.name

    @admin.display(description="Latest version")
    def latest_version(self, obj: Tool) -> str:
        number = getattr(obj, "latest_number", None)
        if number is None:
            return "—"
        return f"v{number} ({VersionStatus(obj.latest_status).label})"  # type: ignore[attr-defined]

    @admin.display(description="Versions")
    def versions(self, obj: Tool):
        rows = [
            (change_url(version), version.number, version.get_status_display())
            for version in obj.versions.order_by("-number")
        ]
        if not rows:
            return "None yet: use “New draft version”."
        return format_html_join(", ", '<a href="{}">v{}</a> ({})', rows)

    # The buttons of the tool page and the actions of the list call the same services.
    def get_urls(self):
        return [
            self.object_url("new-version", self.new_version_view),
            self.object_url("adapt", self.adapt_view),
            self.object_url("adopt", self.adopt_view),
            self.object_url(
                "import-xlsform",
                self.import_xlsform_view,
                upload_max_bytes=lambda: XLSFormImportForm.MAX_BYTES,
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.buttons(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def buttons(self, request, tool: Tool) -> dict:
        can_new_version = self.has_change_permission(request, tool)
        return {
            "can_new_version": can_new_version,
            # Importing makes a new draft version: the same people as "New draft version".
            "can_import": can_new_version,
            "can_adopt": tool.authority_id is None and self.has_adopt_permission(request),
            "acting_authority": acting_authority(request),
        }

    def has_adopt_permission(self, request) -> bool:
        return bool(access.is_qa_lead_somewhere(request.user))

    def new_version_view(self, request, tool: Tool):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        version = self._new_version(request, tool)
        return HttpResponseRedirect(change_url(version) if version else change_url(tool))

    def _new_version(self, request, tool: Tool) -> ToolVersion | None:
        if not request.user.has_perm("audits.change_tool", tool):
            messages.error(request, f"You cannot start a new version of {tool}.")
            return None
        try:
            version = services.tool_version_create_next(tool=tool, acting_user=request.user)
        except ValidationError as error:
            report_problems(request, error, subject=tool)
            return None
        messages.success(request, f"{version} is a new draft: edit it, preview it, then publish it.")
        return version

    def import_xlsform_view(self, request, tool: Tool):
        """GET: the upload form. POST: the workbook becomes a new draft version of the tool, and
        every line of the import's report is shown as its own warning; a workbook that cannot be
        imported shows why on the form, and nothing is stored."""
        if not request.user.has_perm("audits.change_tool", tool):
            raise PermissionDenied
        if request.method == "POST":
            form = XLSFormImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["workbook"]
                try:
                    version, report = xlsform_to_draft(
                        tool=tool, data=upload.read(), filename=upload.name, acting_user=request.user
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    self._report_import(request, version, upload.name, report)
                    return HttpResponseRedirect(change_url(version))
        else:
            form = XLSFormImportForm()
        versions = tool.versions.order_by("-number")
        return self.page(
            request,
            tool,
            "admin/audits/tool/import_xlsform.html",
            f"Import a new version of {tool} from XLSForm",
            form=form,
            draft=versions.filter(status=VersionStatus.DRAFT).first(),
            latest=versions.first(),
        )

    @staticmethod
    def _report_import(request, version: ToolVersion, filename: str, report: list[str]) -> None:
        sections = version.sections.count()
        items = version.items.count()
        messages.success(
            request,
            f"{version} is a new draft, imported from {filename}: {sections} section{'s' * (sections != 1)}, "
            f"{items} item{'s' * (items != 1)}. Check it, preview it, then publish it.",
        )
        # Every unsupported feature on its own line, as in the version's notes: none is dropped quietly.
        for line in report:
            messages.warning(request, f"{filename}: {line}")

    def adapt_view(self, request, tool: Tool):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        adaptation = self._adapt(request, tool)
        return HttpResponseRedirect(change_url(adaptation) if adaptation else change_url(tool))

    def _adapt(self, request, tool: Tool) -> Adaptation | None:
        authority = self._authority_for(request, tool)
        if authority is None:
            return None
        try:
            adaptation = services.tool_adapt(authority=authority, tool=tool, acting_user=request.user)
        except ValidationError as error:
            report_problems(request, error, subject=tool)
            return None
        messages.success(
            request,
            f"{adaptation} is a draft: add your changes, preview, then publish it for {authority.name}.",
        )
        return adaptation

    def adopt_view(self, request, tool: Tool):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._adopt(request, tool)
        return HttpResponseRedirect(change_url(tool))

    def _adopt(self, request, tool: Tool) -> Adoption | None:
        authority = self._authority_for(request, tool)
        if authority is None:
            return None
        try:
            adoption = services.tool_adopt(authority=authority, tool=tool, acting_user=request.user)
        except ValidationError as error:
            report_problems(request, error, subject=tool)
            return None
        messages.success(request, f"{authority.name} uses {tool} as the standard publishes it.")
        return adoption

    def _authority_for(self, request, tool: Tool) -> Authority | None:
        if tool.authority_id is not None:
            messages.error(request, f"{tool} is an authority's own tool: only standard tools are adopted.")
            return None
        if not request.user.has_perm("audits.adopt_tool", tool):
            messages.error(request, "Only QA leads adopt or adapt tools for their authority.")
            return None
        authority = acting_authority(request)
        if authority is None:
            messages.error(request, "Switch to the authority you lead (top of the page) first.")
        return authority

    @admin.action(description="Start a new draft version")
    def new_draft_version(self, request, queryset):
        for tool in queryset:
            self._new_version(request, tool)

    @admin.action(description="Adapt for my authority", permissions=["adopt"])
    def adapt_for_my_authority(self, request, queryset):
        adaptations = [self._adapt(request, tool) for tool in queryset]
        done = [adaptation for adaptation in adaptations if adaptation is not None]
        if len(done) == 1:
            return HttpResponseRedirect(change_url(done[0]))
        return None

    @admin.action(description="Adopt whole for my authority", permissions=["adopt"])
    def adopt_whole(self, request, queryset):
        for tool in queryset:
            self._adopt(request, tool)


# --- versions, sections and items ------------------------------------------------------------


class DraftPartInline(admin.TabularInline):
    """Rows of a draft (a version's sections and items, an adaptation's changes): editable by whoever
    may change the parent while it is a draft, read-only after. ``parent`` names the parent's
    permissions ("toolversion", "adaptation")."""

    extra = 0
    parent = ""

    def has_view_permission(self, request, obj=None):
        # Without a parent (the inline's own queryset), rows are limited by the parent shown.
        return request.user.has_perm(f"audits.view_{self.parent}", obj)

    def _edits(self, request, obj) -> bool:
        return obj is not None and obj.is_draft and request.user.has_perm(f"audits.change_{self.parent}", obj)

    def has_add_permission(self, request, obj=None):
        return self._edits(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._edits(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._edits(request, obj)


class VersionPartInline(DraftPartInline):
    """Sections or items of a version."""

    parent = "toolversion"


class SectionInline(VersionPartInline):
    model = Section
    fields = ["key", "title", "description", "order"]
    ordering = ["order", "key"]


class ItemInline(VersionPartInline):
    model = Item
    form = ItemForm
    ordering = ["section__order", "order", "key"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section", "rubric_element", "node")

    def get_formset(self, request, obj=None, **kwargs):
        # The section choices are the version's own sections.
        request._audits_version = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            version = getattr(request, "_audits_version", None)
            kwargs["queryset"] = (
                Section.objects.filter(version=version) if version else Section.objects.none()
            )
        elif db_field.name == "rubric_element":
            kwargs["queryset"] = db_field.related_model.objects.select_related("rubric")
        elif db_field.name == "node":
            kwargs["queryset"] = db_field.related_model.objects.order_by("key")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "node" and field is not None:
            # The key places the node in the results-logic tree.
            field.label_from_instance = lambda node: f"{node.key} ({node.name})"
        if field is not None:
            # Read the choices once for the page, not once per item row.
            field.choices = list(field.choices)
        return field


@admin.register(ToolVersion)
class ToolVersionAdmin(FrozenUnlessDraftAdmin):
    list_display = ["__str__", "tool", "number", "status", "item_count", "published_at", "published_by"]
    list_filter = ["status", "tool__kind", VersionStandardFilter]
    list_select_related = ["tool", "published_by"]
    search_fields = ["tool__name", "tool__key"]
    fields = [
        "tool",
        "number",
        "status",
        "notes",
        "derived_from",
        "created_at",
        "published_at",
        "published_by",
        "retired_at",
    ]
    inlines = [SectionInline, ItemInline]
    actions = ["publish_selected", "retire_selected"]
    change_form_template = "admin/audits/toolversion/change_form.html"

    def get_queryset(self, request):
        return (
            ToolVersion.objects.filter(tool__in=tools_for(request).values("pk"))
            .select_related("tool", "tool__authority", "derived_from__tool", "published_by")
            .annotate(item_total=Count("items"))
        )

    def has_add_permission(self, request):
        # A version starts as a copy of the latest one: "New draft version" on the tool.
        return False

    @admin.display(description="Items", ordering="item_total")
    def item_count(self, obj: ToolVersion) -> int:
        return obj.item_total  # type: ignore[attr-defined]

    def get_urls(self):
        return [
            self.object_url("publish", self.publish_view),
            self.object_url("retire", self.retire_view),
            self.object_url("preview", self.preview_view),
            self.object_url("export-xlsform", self.export_xlsform_view),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                can_publish=request.user.has_perm("audits.publish_toolversion", obj),
                can_retire=request.user.has_perm("audits.retire_toolversion", obj),
                can_new_version=request.user.has_perm("audits.change_tool", obj.tool),
                tool_url=change_url(obj.tool),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _publish(self, request, version: ToolVersion) -> bool:
        if not request.user.has_perm("audits.publish_toolversion", version):
            messages.error(request, f"{version}: only a draft you may edit can be published.")
            return False
        try:
            services.tool_version_publish(version=version, acting_user=request.user)
        except ValidationError as error:
            report_problems(request, error, subject=version)
            return False
        messages.success(request, f"{version} is published: it can no longer change.")
        return True

    def _retire(self, request, version: ToolVersion) -> bool:
        if not request.user.has_perm("audits.retire_toolversion", version):
            messages.error(request, f"{version}: only a published version you manage can be retired.")
            return False
        try:
            services.tool_version_retire(version=version, acting_user=request.user)
        except ValidationError as error:
            report_problems(request, error, subject=version)
            return False
        messages.success(request, f"{version} is retired.")
        return True

    def publish_view(self, request, version: ToolVersion):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._publish(request, version)
        return HttpResponseRedirect(change_url(version))

    def retire_view(self, request, version: ToolVersion):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._retire(request, version)
        return HttpResponseRedirect(change_url(version))

    def preview_view(self, request, version: ToolVersion):
        return preview_page(request, version=version, back_url=change_url(version))

    def export_xlsform_view(self, request, version: ToolVersion):
        """The version as an XLSForm workbook, whatever its status (``object_view`` checked who)."""
        return xlsform_download(version=version)

    @admin.action(description="Publish (validates first)")
    def publish_selected(self, request, queryset):
        for version in queryset:
            self._publish(request, version)

    @admin.action(description="Retire")
    def retire_selected(self, request, queryset):
        for version in queryset:
            self._retire(request, version)


def preview_page(request, *, version: ToolVersion, adaptation: Adaptation | None = None, back_url: str):
    """The version (or adaptation) as practitioners will see it."""
    return TemplateResponse(
        request,
        "audits/preview.html",
        preview_context(version=version, adaptation=adaptation, back_url=back_url),
    )


# --- adoption and adaptation ----------------------------------------------------------------


@admin.register(Adoption)
class AdoptionAdmin(ReadOnlyAdminMixin, AuthorityScopedMixin, AuditsAdmin):
    """Which standard tools an authority uses, and how. Changed through the tool's buttons; never
    deleted, since adaptations and the answers given against them hang off the adoption."""

    list_display = ["tool", "authority", "mode", "created_at", "adaptation_link"]
    list_filter = ["mode"]
    list_select_related = ["tool", "authority"]
    search_fields = ["tool__name", "authority__name"]
    fields = ["authority", "tool", "mode", "created_at", "adaptation_link"]
    readonly_fields = fields

    @admin.display(description="Latest adaptation")
    def adaptation_link(self, obj: Adoption):
        latest = obj.adaptations.order_by("-number").first()
        if latest is None:
            return "—"
        return format_html(
            '<a href="{}">v{} ({})</a>', change_url(latest), latest.number, latest.get_status_display()
        )


class ItemChangeInline(DraftPartInline):
    model = ItemChange
    form = ItemChangeForm
    formset = ItemChangeFormSet
    parent = "adaptation"


@admin.register(Adaptation)
class AdaptationAdmin(AuthorityScopedMixin, FrozenUnlessDraftAdmin):
    authority_path = "adoption__authority"
    list_display = ["__str__", "authority", "number", "base_version", "status", "published_at"]
    list_filter = ["status"]
    list_select_related = ["adoption__tool", "adoption__authority", "base_version__tool"]
    search_fields = ["adoption__tool__name", "adoption__authority__name"]
    fields = [
        "adoption",
        "number",
        "base_version",
        "status",
        "notes",
        "created_at",
        "published_at",
        "published_by",
        "retired_at",
    ]
    inlines = [ItemChangeInline]
    actions = ["publish_selected", "upgrade_selected"]
    change_form_template = "admin/audits/adaptation/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("adoption__tool", "adoption__authority", "base_version__tool", "published_by")
        )

    def has_add_permission(self, request):
        # An adaptation starts from "Adapt for my authority" on a standard tool, or an upgrade.
        return False

    @admin.display(description="Authority", ordering="adoption__authority__name")
    def authority(self, obj: Adaptation) -> str:
        return obj.adoption.authority.name

    def get_urls(self):
        return [
            self.object_url("publish", self.publish_view),
            self.object_url("preview", self.preview_view),
            self.object_url("upgrade", self.upgrade_view),
            self.object_url("divergence", self.divergence_view),
            self.object_url("export-xlsform", self.export_xlsform_view),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                can_publish=request.user.has_perm("audits.publish_adaptation", obj),
                can_upgrade=request.user.has_perm("audits.upgrade_adaptation", obj),
                newer_version=self.newer_version(obj),
                base_url=change_url(obj.base_version),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def newer_version(adaptation: Adaptation) -> ToolVersion | None:
        """The latest published standard version, when it is newer than the adaptation's base."""
        latest = (
            ToolVersion.objects.filter(
                tool_id=adaptation.base_version.tool_id, status=VersionStatus.PUBLISHED
            )
            .order_by("-number")
            .first()
        )
        if latest is None or latest.number <= adaptation.base_version.number:
            return None
        return latest

    def _publish(self, request, adaptation: Adaptation) -> bool:
        if not request.user.has_perm("audits.publish_adaptation", adaptation):
            messages.error(request, f"{adaptation}: only a draft of an authority you lead can be published.")
            return False
        try:
            services.adaptation_publish(adaptation=adaptation, acting_user=request.user)
        except ValidationError as error:
            report_problems(request, error, subject=adaptation)
            return False
        messages.success(
            request, f"{adaptation} is published: it is what {adaptation.adoption.authority.name} uses now."
        )
        return True

    def publish_view(self, request, adaptation: Adaptation):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._publish(request, adaptation)
        return HttpResponseRedirect(change_url(adaptation))

    def preview_view(self, request, adaptation: Adaptation):
        return preview_page(
            request, version=adaptation.base_version, adaptation=adaptation, back_url=change_url(adaptation)
        )

    def export_xlsform_view(self, request, adaptation: Adaptation):
        """The tool as the authority uses it with this adaptation, as an XLSForm workbook. There is
        no import: an adaptation is a list of changes to a standard version, edited on its page."""
        return xlsform_download(version=adaptation.base_version, adaptation=adaptation)

    def divergence_view(self, request, adaptation: Adaptation):
        rows = selectors.divergence_report(adaptation=adaptation)
        return self.page(
            request,
            adaptation,
            "admin/audits/adaptation/divergence.html",
            f"How {adaptation.adoption.authority.name}’s {adaptation.adoption.tool} differs from the standard",
            rows=rows,
            adaptation=adaptation,
        )

    def upgrade_view(self, request, adaptation: Adaptation):
        """GET: what the upgrade would do. POST: do it (to the version that was shown)."""
        if not request.user.has_perm("audits.upgrade_adaptation", adaptation):
            raise PermissionDenied
        target = self.newer_version(adaptation)
        if target is None:
            messages.info(request, f"{adaptation} is already based on the latest published standard version.")
            return HttpResponseRedirect(change_url(adaptation))
        if request.method == "POST" and request.POST.get("target") == str(target.pk):
            try:
                upgraded, _report = services.adaptation_upgrade(
                    adaptation=adaptation, acting_user=request.user, target_version=target
                )
            except ValidationError as error:
                report_problems(request, error, subject=adaptation)
                return HttpResponseRedirect(change_url(adaptation))
            messages.success(
                request, f"{upgraded} is a draft on {target}: check it, preview it, then publish it."
            )
            return HttpResponseRedirect(change_url(upgraded))
        report = selectors.upgrade_preview(adaptation=adaptation, target_version=target)
        return self.page(
            request,
            adaptation,
            "admin/audits/adaptation/upgrade.html",
            f"Upgrade {adaptation} to {target}",
            report=report,
            target=target,
            adaptation=adaptation,
        )

    @admin.action(description="Publish adaptation (validates first)")
    def publish_selected(self, request, queryset):
        for adaptation in queryset:
            self._publish(request, adaptation)

    @admin.action(description="Upgrade to the latest standard version")
    def upgrade_selected(self, request, queryset):
        if queryset.count() != 1:
            messages.error(
                request, "Choose one adaptation to upgrade: each upgrade is checked on its own page."
            )
            return None
        adaptation = queryset.get()
        return HttpResponseRedirect(reverse("admin:audits_adaptation_upgrade", args=[adaptation.pk]))


# The sampling plans and draws register their own admin.
import audits.admin_sampling  # noqa: E402, F401
