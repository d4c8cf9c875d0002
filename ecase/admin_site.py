"""The administrators' site: units, users, reference data. No case content is registered here."""
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from accounts.choices import Role


class AdministratorsSite(admin.AdminSite):
    site_header = "ecase — administration"
    site_title = "ecase"

    def has_permission(self, request) -> bool:
        # The IT administrator role, a verified second factor; other roles never, whatever their flags.
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "role", None) == Role.ADMINISTRATOR
                    and user.is_verified())


    def login(self, request, extra_context=None):
        # One sign-in for everybody: the main login page, with its lockout and second factor.
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


site = AdministratorsSite(name="admin")
