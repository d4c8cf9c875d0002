"""Reference data in the administration workspace (``/manage/reference/``): read-only, administrators only."""

from django.urls import path

from .views import reference

app_name = "reference"

urlpatterns = [
    path("articles/", reference.article_list, name="articles"),
    path("articles/<int:pk>/", reference.article_detail, name="article"),
    path("act-types/", reference.act_type_list, name="act-types"),
    path("act-types/<int:pk>/", reference.act_type_detail, name="act-type"),
]
