"""Public pages of the cases app (no login): the verification page of signed acts (issue #5)."""
app_name = "verify"

urlpatterns: list = []
