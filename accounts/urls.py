from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("2fa/setup/", views.otp_setup, name="otp-setup"),
    path("2fa/verify/", views.otp_verify, name="otp-verify"),
    path("reauthenticate/", views.reauthenticate, name="reauthenticate"),
    path("sessions/", views.sessions, name="sessions"),
    path("language/", views.set_language, name="language"),
    path("password/", auth_views.PasswordChangeView.as_view(success_url="/"), name="password-change"),
]
