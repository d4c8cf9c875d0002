"""URL map of the whole project. Every route here must have an entry in tests/policy.py."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.admin_site import site as admin_site
from cases.views.dashboard import home

from .health import healthz

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("evidence/", include("evidence.urls")),
    path("verify/", include("cases.urls_public")),
    path("api/", include("ecase.api_urls")),
    path("admin/", admin_site.urls),
]
