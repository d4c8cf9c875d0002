"""URL map of the whole project. Every route here must have an entry in tests/policy.py."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.http import require_safe

from cases.views.dashboard import home

from .health import healthz

urlpatterns = [
    # Each route answers the methods it has a use for and 405 to the rest (tests/test_access_sweep.py):
    # Django's function views take any method, its form views answer PUT like POST.
    path("", require_safe(home), name="home"),
    path("healthz", require_safe(healthz), name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, http_method_names=["get", "head", "post"]),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(http_method_names=["post"]), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("evidence/", include("evidence.urls")),
    path("verify/", include("cases.urls_public")),
    path("api/", include("ecase.api_urls")),
    # The administration workspace (issue #16): units, users, reference data. Django's admin is not mounted.
    path("manage/", include("accounts.workspace.urls")),
    path("manage/reference/", include("cases.urls_reference")),
]
