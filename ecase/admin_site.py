"""The administrators' site: units, users, reference data. No case content is registered here."""
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models.base import ModelBase
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from accounts.choices import Role


# Models that would let an administrator grant rights or rewrite what was done: memberships and
# grants follow role and assignment (DESIGN §4), the admin log is append-only. Never on this site.
NEVER_REGISTERED = frozenset({
    "auth.group", "auth.permission", "admin.logentry", "guardian.userobjectpermission",
    "guardian.groupobjectpermission", "cases.caseuserobjectpermission", "cases.casegroupobjectpermission",
})


class AdministratorsSite(admin.AdminSite):
    site_header = "ecase — administration"
    site_title = "ecase"

    def has_permission(self, request) -> bool:
        # The IT administrator role, a verified second factor; other roles never, whatever their flags.
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "role", None) == Role.ADMINISTRATOR
                    and user.is_verified())

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        refused = [m._meta.label_lower for m in models if m._meta.label_lower in NEVER_REGISTERED]
        if refused:
            raise ImproperlyConfigured(f"{refused} may not be administered on the administrators' site")
        return super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        # One sign-in for everybody: the main login page, with its lockout and second factor.
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


site = AdministratorsSite(name="admin")
