"""The administrators' site: units, users, reference data. No case content is registered here."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.db.models.base import ModelBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .choices import Role

# Models that would let an administrator grant rights or rewrite what was done: memberships and
# grants follow role and assignment (DESIGN §4), the admin log is append-only. Never on this site.
NEVER_REGISTERED = frozenset(
    {
        "auth.group",
        "auth.permission",
        "admin.logentry",
        "guardian.userobjectpermission",
        "guardian.groupobjectpermission",
        "cases.caseuserobjectpermission",
        "cases.casegroupobjectpermission",
    }
)


class AdministratorsOnly:
    """Permissions by role, for every model admin and inline of the administrators' site.

    Django's admin asks the user's model permissions, which only the superuser flag or hand-given
    permissions would grant — and neither may decide anything here (rights follow role, DESIGN §4;
    the user form exposes neither). So: whoever the site lets in (an active, verified administrator)
    may view, add and change what is registered; nobody deletes anything (nothing of a case, a user
    or the law in force is ever deleted: withdrawal, deactivation and new versions instead).
    """

    admin_site: admin.AdminSite  # set by the ModelAdmin or InlineModelAdmin this is mixed into

    def has_module_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request, *args) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AdministratorsSite(admin.AdminSite):
    site_header = "ecase — administration"
    site_title = "ecase"

    def has_permission(self, request) -> bool:
        # The IT administrator role, a verified second factor; other roles never, whatever their flags.
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and getattr(user, "role", None) == Role.ADMINISTRATOR
            and user.is_verified()
        )

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        refused = [m._meta.label_lower for m in models if m._meta.label_lower in NEVER_REGISTERED]
        if refused:
            raise ImproperlyConfigured(f"{refused} may not be administered on the administrators' site")
        if admin_class is None or not issubclass(admin_class, AdministratorsOnly):
            raise ImproperlyConfigured(
                f"the admin of {[m._meta.label for m in models]} must inherit AdministratorsOnly"
            )
        unchecked = [i for i in admin_class.inlines if not issubclass(i, AdministratorsOnly)]
        if unchecked:
            raise ImproperlyConfigured(f"inlines {unchecked} must inherit AdministratorsOnly")
        return super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        # One sign-in for everybody: the main login page, with its lockout and second factor.
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))

    def admin_view(self, view, cacheable=False):
        # Every page of the site is a page or a form: GET (and HEAD) and POST. Django's admin views
        # render their form for any other method, which would answer 200 to a PUT or DELETE.
        return require_http_methods(["GET", "HEAD", "POST"])(super().admin_view(view, cacheable))

    def password_change(self, request, extra_context=None):
        # The one audited page (``user_change_own_password``); Django's own would save the form
        # directly, with no event in the audit chain.
        return redirect("accounts:password-change")


site = AdministratorsSite(name="admin")
