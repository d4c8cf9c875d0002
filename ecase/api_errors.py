"""Errors of the JSON API: one stable shape for every 4xx and 5xx (issue #7). Knows no app.

    {"error": {"code": "not_found", "message": "Not found.", "fields": {}, "request_id": "…"}}

``code`` is stable and meant for programs, ``message`` for people (in the request's language),
``fields`` maps a field name to its messages (empty when the error is not about fields) and
``request_id`` is the X-Request-ID of the request, to quote when asking about it.

This module is the shape and the net under /api/ (``ApiServerErrorMiddleware``); DRF's exception
handler, which also writes refusals to the access log, is accounts.api.errors.api_exception_handler.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status


def server_error_message() -> str:
    return _("Something went wrong on our side. Quote the request id if you report it.")


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The object changed since you read it: fetch it again and repeat the change.")
    default_code = "stale"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag you read: blind overwrites are refused.")
    default_code = "precondition_required"


def error_body(code: str, message: str, fields: dict | None = None, request=None) -> dict:
    return {
        "error": {
            "code": code,
            "message": str(message),
            "fields": fields or {},
            "request_id": getattr(request, "request_id", "") if request is not None else "",
        }
    }


def error_response(status_code: int, code: str, message: str, request=None, fields=None) -> JsonResponse:
    """The same shape outside DRF views (middleware, unknown API paths)."""
    return JsonResponse(error_body(code, message, fields, request), status=status_code)


class ApiServerErrorMiddleware:
    """The last net under /api/: a 500 that did not come from an API view is answered in the error shape too.

    DRF's handler (accounts.api.errors) covers the views. An exception in a middleware or in Django's URL
    resolver becomes Django's own 500 page (or, with DEBUG, the technical page with the
    traceback) before it reaches this middleware, which sits just inside RequestContextMiddleware;
    it replaces any such page under /api/. Django has logged the traceback already.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 500
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return error_response(500, "server_error", server_error_message(), request)
        return response
