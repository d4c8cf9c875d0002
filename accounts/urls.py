from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("2fa/setup/", views.otp_setup, name="otp-setup"),
    path("2fa/verify/", views.otp_verify, name="otp-verify"),
    path("reauthenticate/", views.reauthenticate, name="reauthenticate"),
    path("sessions/", views.sessions, name="sessions"),
    path("language/", views.set_language, name="language"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
]
