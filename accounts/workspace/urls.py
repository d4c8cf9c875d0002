"""Routes of the administration workspace (``/manage/``); reference data is under ``cases.urls_reference``."""

from django.urls import path

from . import views

app_name = "manage"

urlpatterns = [
    path("", views.home, name="home"),
    path("units/", views.unit_list, name="units"),
    path("units/new/", views.unit_new, name="unit-new"),
    path("units/<int:pk>/", views.unit_edit, name="unit"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_new, name="user-new"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("users/<int:pk>/deactivate/", views.user_deactivate_view, name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate_view, name="user-reactivate"),
    path("users/<int:pk>/second-factor/", views.user_second_factor_view, name="user-second-factor"),
    path("users/<int:pk>/password/", views.user_password_view, name="user-password"),
]
