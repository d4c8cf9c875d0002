"""The administrators' site: units, users, reference data. No case content is registered here."""
from django.contrib import admin

from accounts.choices import Role


class AdministratorsSite(admin.AdminSite):
    site_header = "ecase — administration"
    site_title = "ecase"

    def has_permission(self, request) -> bool:
        # The IT administrator role, a verified second factor; other roles never, whatever their flags.
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "role", None) == Role.ADMINISTRATOR
                    and user.is_verified())


site = AdministratorsSite(name="admin")
