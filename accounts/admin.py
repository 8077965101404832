"""Admin for authorities, teams, people and memberships.

A QA lead manages the teams and members of the authorities they lead and nothing else; a platform
admin manages every authority. Rows are scoped by ``get_queryset``, choices by
``formfield_for_foreignkey``, and each change is checked by the ``rules`` permissions registered in
``accounts.access``. django-simple-history keeps the before and after of every change.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from accounts import access, services
from accounts.models import PLATFORM_ROLES, Authority, Membership, Role, Team, User


def managed_authorities(request):
    if access.is_platform_admin(request.user):
        return Authority.objects.all()
    return Authority.objects.for_user(request.user).filter(
        id__in=access.authority_ids(request.user, [Role.QA_LEAD])
    )


def role_choices(request):
    if access.is_platform_admin(request.user):
        return Role.choices
    return [(value, label) for value, label in Role.choices if value not in PLATFORM_ROLES]


class AuthorityScopedMixin:
    """Rows limited to the authorities the user manages; foreign keys likewise."""

    authority_path = "authority"

    def get_queryset(self, request):
        queryset = self.model.objects.for_user(request.user)  # type: ignore[attr-defined]
        if not access.is_platform_admin(request.user):
            queryset = queryset.filter(**{f"{self.authority_path}__in": managed_authorities(request)})
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authority":
            kwargs["queryset"] = managed_authorities(request)
        elif db_field.name == "team":
            kwargs["queryset"] = Team.objects.filter(authority__in=managed_authorities(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ReadOnlyAdminMixin:
    """Rows written by the platform (imports, jobs, services), shown in the admin but never edited there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdmin(AuthorityScopedMixin, ObjectPermissionsModelAdminMixin, admin.ModelAdmin):
    pass


class ScopedHistoryAdmin(AuthorityScopedMixin, ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    """For models a person edits: their history is shown beside each row."""


@admin.register(Authority)
class AuthorityAdmin(ScopedHistoryAdmin):
    authority_path = "pk"
    list_display = ["code", "name", "region", "sofs_started_on", "practitioner_case_scope"]
    list_filter = ["region", "practitioner_case_scope"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # The DfE number identifies the authority in every return; only platform admins set it.
        if obj is not None and not access.is_platform_admin(request.user):
            return ["code"]
        return []


class TeamAdminForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["authority", "name", "service_area"]


@admin.register(Team)
class TeamAdmin(ScopedHistoryAdmin):
    form = TeamAdminForm
    list_display = ["name", "authority", "service_area"]
    list_filter = ["service_area"]
    search_fields = ["name"]


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "authority", "team", "role"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        if request is not None and "role" in self.fields:
            self.fields["role"].choices = role_choices(request)


@admin.register(Membership)
class MembershipAdmin(ScopedHistoryAdmin):
    form = MembershipForm
    list_display = ["user", "authority", "team", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class RequestMembershipForm(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestMembershipForm


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["authority", "team", "role"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("authority", "team")
        if access.is_platform_admin(request.user):
            return queryset
        return queryset.filter(authority__in=managed_authorities(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authority":
            kwargs["queryset"] = managed_authorities(request)
        elif db_field.name == "team":
            kwargs["queryset"] = Team.objects.filter(authority__in=managed_authorities(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = role_choices(request)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def _manages(self, request) -> bool:
        return access.may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self._manages(request)

    def has_add_permission(self, request, obj=None):
        return self._manages(request)

    def has_change_permission(self, request, obj=None):
        return self._manages(request)

    def has_delete_permission(self, request, obj=None):
        return self._manages(request)


class MemberCreationForm(AdminUserCreationForm):
    """A new person is created with their first membership, so they are never unreachable."""

    authority = forms.ModelChoiceField(queryset=Authority.objects.none(), required=False)
    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ["username", "first_name", "last_name", "email"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        if request is not None:
            self.fields["authority"].queryset = managed_authorities(request)
            self.fields["team"].queryset = Team.objects.filter(authority__in=managed_authorities(request))
            self.fields["role"].choices = role_choices(request)

    def clean(self):
        cleaned = super().clean()
        authority, role, team = cleaned.get("authority"), cleaned.get("role"), cleaned.get("team")
        if role in PLATFORM_ROLES and (authority or team):
            self.add_error("authority", "Analysts and platform admins have no authority or team.")
        if role and role not in PLATFORM_ROLES and authority is None:
            self.add_error("authority", "Choose the authority this person works in.")
        if team and authority and team.authority_id != authority.pk:
            self.add_error("team", "The team must belong to the chosen authority.")
        return cleaned


@admin.register(User)
class QAUserAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin, UserAdmin):
    add_form = MemberCreationForm
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                )
            },
        ),
        ("First role", {"fields": ("authority", "role", "team")}),
    )
    member_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )

    def get_inline_instances(self, request, obj=None):
        # A new person gets their first role from the creation form itself.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_queryset(self, request):
        queryset = User.objects.for_user(request.user)
        if not access.is_platform_admin(request.user):
            queryset = queryset.filter(memberships__authority__in=managed_authorities(request)).distinct()
        return queryset

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.member_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return ["last_login", "date_joined"]
        return super().get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            return form

        class RequestMemberCreationForm(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestMemberCreationForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.membership_ensure(
                user=obj,
                role=form.cleaned_data["role"],
                authority=form.cleaned_data.get("authority"),
                team=form.cleaned_data.get("team"),
                acting_user=request.user,
            )
