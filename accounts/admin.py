"""Administration of units and users (administrators only; see accounts/admin_site.py).

Every account change here goes through a service of accounts.services, which names the
administrator as actor and writes the audit event: nothing is saved by the admin's own
``obj.save()``. The user forms expose no groups, permissions, staff or superuser flag: groups
and the staff flag follow the role and unit (DESIGN §4), so there is nothing to grant by hand.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import AdministratorsOnly, site

from .models import Unit, User
from .services import (
    PROFILE_FIELDS,
    RIGHTS_FIELDS,
    UNIT_FIELDS,
    unit_create,
    unit_update,
    user_create,
    user_deactivate,
    user_reactivate,
    user_reset_second_factor,
    user_set_password,
    user_update,
)

# The only fields of a user an administrator edits; activity and password have their own services.
EDITABLE = (*PROFILE_FIELDS, *RIGHTS_FIELDS)


class UserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "last_name", "first_name", "middle_name", "email", "role", "unit", "position", "language")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("password", *EDITABLE, "is_active")


@admin.register(Unit, site=site)
class UnitAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("code", "name_ru", "kind", "parent", "city")
    search_fields = ("code", "name_ru", "name_kk")
    readonly_fields = ("path",)

    def get_readonly_fields(self, request, obj=None):
        # Code and place in the tree are fixed once the unit exists (accounts.services.UNIT_FIELDS says why).
        return self.readonly_fields if obj is None else (*self.readonly_fields, "code", "parent")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            unit_update(
                actor=request.user,
                unit=obj,
                **{name: data[name] for name in form.changed_data if name in UNIT_FIELDS},
            )
            obj.refresh_from_db()
            return
        created = unit_create(
            actor=request.user,
            code=data["code"],
            parent=data.get("parent"),
            **{name: data[name] for name in UNIT_FIELDS},
        )
        # The admin's own follow-up (log entry, redirect) needs the saved row's key.
        obj.pk, obj.path, obj._state.adding, obj._state.db = created.pk, created.path, False, created._state.db

    def save_related(self, request, form, formsets, change):
        return  # no many-to-many field, no inline: nothing else to save


@admin.register(User, site=site)
class UserAdmin(AdministratorsOnly, BaseUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    list_display = ("username", "last_name", "first_name", "role", "unit", "is_active")
    list_filter = ("role", "is_active", "unit")
    filter_horizontal = ()
    readonly_fields = ("username", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "middle_name", "email")}),
        (_("Service"), {"fields": ("role", "unit", "position", "language", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "middle_name", "email")}),
        (_("Service"), {"fields": ("role", "unit", "position", "language")}),
    )
    actions = ["reset_second_factor"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()  # the add form: username is typed in
        if obj.pk == request.user.pk:
            # An administrator never changes their own role, unit or activity (DESIGN §1).
            return (*self.readonly_fields, "role", "unit", "is_active")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            password = data.get("password1") if data.get("set_usable_password", True) else None
            created = user_create(
                actor=request.user,
                password=password or None,
                **{
                    name: data.get(name) or ""
                    for name in ("username", "first_name", "last_name", "middle_name", "email", "position")
                },
                role=data["role"],
                unit=data.get("unit"),
                language=data.get("language") or "ru",
            )
            # The admin's own follow-up (log entry, redirect) needs the saved row's key.
            obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db
            return
        user = User.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
        if changes:
            user = user_update(actor=request.user, user=user, **changes)
        if "is_active" in form.changed_data:
            if form.cleaned_data["is_active"]:
                user_reactivate(actor=request.user, user=user, reason=gettext("Reactivated by an administrator"))
            else:
                user_deactivate(actor=request.user, user=user, reason=gettext("Deactivated by an administrator"))

    def save_related(self, request, form, formsets, change):
        # No many-to-many field is on these forms (groups are derived); nothing else to save.
        return

    @admin.action(description=_("Reset the second factor: the user enrols a new authenticator at next sign-in"))
    def reset_second_factor(self, request, queryset):
        with transaction.atomic():
            names = [
                user_reset_second_factor(
                    actor=request.user, user=user, reason=gettext("Authenticator lost: reset by an administrator")
                ).username
                for user in queryset.order_by("pk")
            ]
        self.message_user(
            request, gettext("Second factor reset: %(names)s.") % {"names": ", ".join(names)}, messages.SUCCESS
        )

    def user_change_password(self, request, id, form_url=""):
        """Django's password page, saved by ``user_set_password`` (audited) instead of the form."""
        user = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if user is None:
            raise Http404
        form = AdminPasswordChangeForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            usable = form.cleaned_data["set_usable_password"]
            user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password1"] if usable else None
            )
            self.log_change(request, user, [{"changed": {"fields": ["password"]}}])
            messages.success(
                request,
                gettext("Password changed successfully.")
                if usable
                else gettext("Password-based authentication was disabled."),
            )
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:accounts_user_change", args=(user.pk,)))
        title = gettext("Change password: %s") if user.has_usable_password() else gettext("Set password: %s")
        context = {
            "title": title % escape(user.get_username()),
            "adminForm": admin.helpers.AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),
            "form_url": form_url,
            "form": form,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "is_popup_var": IS_POPUP_VAR,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
            **self.admin_site.each_context(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/change_password.html", context)
