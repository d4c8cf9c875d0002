"""The interagency JSON API under /api/ (issue #7): v1 routes, the OpenAPI schema, its docs.

Every route has an entry in tests/policy_api.py; tests/test_api_sweep.py requests each with
every role's token and session, against an own and a foreign case.
"""

from django.urls import path, re_path
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularJSONAPIView

from accounts.api.views import MeView
from cases.api import views as cases
from evidence import api as evidence

from . import api_schema  # noqa: F401  (registers the bearer-token scheme with drf-spectacular)
from .api_docs import ApiDocsView
from .api_errors import error_response

app_name = "api"


@csrf_exempt  # it changes nothing; a write to an unknown path is 404, not a CSRF page
def not_found(request, rest=""):
    """Unknown paths under /api/ answer 404 in the API's error shape, not with an HTML page."""
    return error_response(404, "not_found", gettext("Not found."), request)


v1 = [
    path("me/", MeView.as_view(), name="me"),
    path("cases/", cases.CaseListView.as_view(), name="case-list"),
    path("cases/<int:pk>/", cases.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<int:pk>/participants/", cases.CaseParticipantsView.as_view(), name="case-participants"),
    path("cases/<int:pk>/acts/", cases.CaseActsView.as_view(), name="case-acts"),
    path("cases/<int:pk>/evidence/", evidence.CaseEvidenceView.as_view(), name="case-evidence"),
    path("cases/<int:pk>/audit-events/", cases.CaseAuditEventsView.as_view(), name="case-audit-events"),
    path("participants/<int:pk>/", cases.ParticipantDetailView.as_view(), name="participant-detail"),
    path("persons/", cases.PersonListView.as_view(), name="person-list"),
    path("persons/<int:pk>/", cases.PersonDetailView.as_view(), name="person-detail"),
    path("acts/<int:pk>/", cases.ActDetailView.as_view(), name="act-detail"),
    path("acts/<int:pk>/transition/", cases.ActTransitionView.as_view(), name="act-transition"),
    path("acts/<int:pk>/pdf/", cases.ActPdfView.as_view(), name="act-pdf"),
    path("evidence/<int:pk>/", evidence.EvidenceItemView.as_view(), name="evidence-detail"),
    path("evidence/<int:pk>/files/", evidence.EvidenceFilesView.as_view(), name="evidence-files"),
    path("evidence/<int:pk>/custody/", evidence.CustodyView.as_view(), name="evidence-custody"),
    path("files/<int:pk>/download/", evidence.FileDownloadView.as_view(), name="file-download"),
]

urlpatterns = [
    *[path(f"v1/{p.pattern}", p.callback, name=p.name) for p in v1],
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    # [\s\S], not ".": a path with an encoded newline (%0A) must land here too, not on the HTML 404 page.
    re_path(r"^(?P<rest>[\s\S]*)$", not_found, name="not-found"),
]
