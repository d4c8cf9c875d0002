"""Administration of units and users (administrators only; see ecase.admin_site)."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from ecase.admin_site import site

from .models import Unit, User
from .services import user_deactivate


@admin.register(Unit, site=site)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "kind", "parent", "city")
    search_fields = ("code", "name_ru", "name_kk")
    readonly_fields = ("path",)


@admin.register(User, site=site)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "unit", "is_active")
    list_filter = ("role", "is_active", "unit")
    fieldsets = BaseUserAdmin.fieldsets + ((_("Service"), {"fields": ("role", "unit", "position", "middle_name", "language")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Service"), {"fields": ("role", "unit", "position")}),)

    def save_model(self, request, obj, form, change):
        # Deactivation goes through the service: it ends every session of the user at once.
        was_active = change and User.objects.filter(pk=obj.pk, is_active=True).exists()
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        if was_active and not obj.is_active:
            user_deactivate(actor=request.user, user=obj, reason=_("Deactivated by an administrator"))
