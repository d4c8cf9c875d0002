"""The OpenAPI schema and its documentation page: complete, public, and served by the app itself."""

import re

from django.contrib.staticfiles import finders
from django.test import Client

from tests.test_access_sweep import route_names


def test_the_schema_is_openapi_3_and_documents_every_v1_route():
    response = Client().get("/api/schema/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "ecase_<prefix>_<secret>",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    v1 = {name for name in route_names() if name.startswith("api:")} - {"api:schema", "api:docs", "api:not-found"}
    assert len(schema["paths"]) == len(v1) and all(path.startswith("/api/v1/") for path in schema["paths"])


def test_every_operation_documents_its_errors_in_the_one_shape():
    schema = Client().get("/api/schema/").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403", "404", "429", "500"):
                content = operation["responses"][code]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            if method == "patch":
                assert {"412", "428"} <= set(operation["responses"]) and any(
                    p["name"] == "If-Match" and p["required"] for p in operation["parameters"]
                )


def test_the_docs_page_loads_everything_from_the_app_under_the_sites_csp():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == csp["style-src"] == "'self'" and csp["img-src"] == "'self' data:"
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/") for url in urls), urls  # nothing from a CDN
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    script = [url for url in urls if "script" in url and not url.startswith("/static/")][0]
    init = Client().get(script)
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in init.content.decode()
