"""The interagency JSON API under /api/ (issue #7)."""
app_name = "api"

urlpatterns: list = []
