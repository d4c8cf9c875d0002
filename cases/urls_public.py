"""Public pages of the cases app (no login): the verification of signed acts (issue #5)."""

from django.urls import path

from .views import verify

app_name = "verify"

urlpatterns = [
    path("trust-roots.pem", verify.TrustRootView.as_view(), name="trust-roots"),
    path("<slug:token>/", verify.ActVerifyView.as_view(), name="act"),
]
