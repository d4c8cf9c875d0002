"""Errors of the JSON API: one stable shape for every 4xx and 5xx (issue #7).

    {"error": {"code": "not_found", "message": "Not found.", "fields": {}, "request_id": "…"}}

``code`` is stable and meant for programs, ``message`` for people (in the request's language),
``fields`` maps a field name to its messages (empty when the error is not about fields) and
``request_id`` is the X-Request-ID of the request, to quote when asking about it.

OutOfScope answers 404 exactly like an absent object and NotAllowed 403; both are written to
the case's access log, as ScopeErrorMiddleware does for pages. A service's ValidationError is
400 with its field messages, StaleEdit 412. Anything unexpected is logged with its traceback
and answered 500 in the same shape, with no detail, whatever DEBUG says.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from audit.choices import EventType, Outcome
from audit.services import audit_record

from .errors import NotAllowed, OutOfScope, StaleEdit
from .query_budget import is_query_timeout, query_timeout_response

logger = logging.getLogger("django.request")
NON_FIELD = ("__all__", "non_field_errors")


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


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "field.sub": [...], "items.0": [...]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list) and any(isinstance(v, (dict, list)) for v in detail):
        out = {}
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix: [str(v) for v in (detail if isinstance(detail, list) else [detail])]}


def _split(fields: dict[str, list[str]]) -> tuple[str, dict[str, list[str]]]:
    general = [m for key in NON_FIELD for m in fields.pop(key, [])]
    message = " ".join(general) or (_("Check the fields.") if fields else _("The request is not valid."))
    return message, fields


def _from_django_validation(exc: DjangoValidationError) -> tuple[str, dict]:
    if hasattr(exc, "error_dict"):
        return _split({key: list(messages) for key, messages in exc.message_dict.items()})
    return " ".join(exc.messages), {}


def _audit_refusal(exc, request, status_code: int) -> None:
    user = getattr(request, "user", None)
    audit_record(
        actor=user if user is not None and user.is_authenticated else None,
        event=EventType.ACCESS_DENIED,
        outcome=Outcome.DENIED,
        case_id=getattr(exc, "case_id", None),
        data={
            "path": request.path,
            "method": request.method,
            "status": status_code,
            "channel": "api",
            **({"reason": exc.reason} if getattr(exc, "reason", None) else {}),
        },
    )


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error of an API view, in the one shape."""
    request = context.get("request")
    if isinstance(exc, OutOfScope):
        _audit_refusal(exc, request, 404)
        return Response(error_body("not_found", _("Not found."), request=request), status=404)
    if isinstance(exc, NotAllowed):
        _audit_refusal(exc, request, 403)
        return Response(
            error_body("permission_denied", _("You may not do this in this case."), request=request), status=403
        )
    if isinstance(exc, StaleEdit):
        return Response(error_body("stale", " ".join(exc.messages), request=request), status=412)
    if isinstance(exc, DjangoValidationError):
        message, fields = _from_django_validation(exc)
        return Response(error_body("invalid", message, fields, request), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError()
    elif is_query_timeout(exc):
        set_rollback()
        return query_timeout_response(getattr(request, "_request", request))
    elif isinstance(exc, IntegrityError):
        set_rollback()
        return Response(
            error_body("conflict", _("The change conflicts with another one; try again."), request=request), status=409
        )
    if isinstance(exc, exceptions.APIException):
        return _api_exception(exc, request)
    logger.error(
        "Internal Server Error: %s",
        getattr(request, "path", "?"),
        exc_info=exc,
        extra={"status_code": 500, "request": getattr(request, "_request", request)},
    )
    set_rollback()
    return Response(error_body("server_error", server_error_message(), request=request), status=500)


def _api_exception(exc: exceptions.APIException, request) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _split(
            _flatten(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        )
        code = "invalid"
    else:
        message, fields, code = str(exc.detail), {}, _code_of(exc)
    set_rollback()
    return Response(error_body(code, message, fields, request), status=exc.status_code, headers=headers)


class ApiServerErrorMiddleware:
    """The last net under /api/: a 500 that did not come from an API view is answered in the error shape too.

    DRF's handler above covers the views. An exception in a middleware or in Django's URL
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
