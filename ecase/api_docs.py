"""The API's documentation page: Swagger UI served by the app itself (drf-spectacular-sidecar).

Its HTML here carries no inline script or style, and its start-up script comes from
``/api/docs/?script`` (drf-spectacular's split view), so the site's CSP (scripts and styles
from 'self' only) holds unchanged; the one relaxation on this page is ``img-src data:`` for
the icons Swagger UI's stylesheet embeds. Nothing is loaded from a CDN.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template import Context, Template
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

DOCS_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="icon" href="{{ favicon_href }}">
<link rel="stylesheet" href="{{ swagger_ui_css }}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{{ swagger_ui_bundle }}"></script>
<script src="{{ swagger_ui_standalone }}"></script>
<script src="{{ script_url }}"></script>
</body>
</html>
""")


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI under the site's CSP: no inline script or style, every asset from 'self'."""

    title = "ecase JSON API"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is not None:
            return response
        page = HttpResponse(DOCS_PAGE.render(Context(response.data)), content_type="text/html; charset=utf-8")
        # Swagger UI's stylesheet draws its icons as data: images; nothing else is relaxed.
        page._csp_update = {"img-src": ["data:"]}
        return page
