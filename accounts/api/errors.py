"""DRF's EXCEPTION_HANDLER: every error of an API view in the one shape of ecase.api_errors (issue #7).

OutOfScope answers 404 exactly like an absent object and NotAllowed 403; both are written to
the case's access log, as audit.middleware.ScopeErrorMiddleware does for pages. A service's
ValidationError is 400 with its field messages, StaleEdit 412. Anything unexpected is logged with
its traceback and answered 500 in the same shape, with no detail, whatever DEBUG says.

It lives in accounts (the API's tokens, authentication and throttles are here too) because writing
the refusal to the audit trail is app code; the shape itself knows no app and stays in ecase.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from audit.choices import EventType, Outcome
from audit.services import audit_record
from ecase.api_errors import error_body, server_error_message
from ecase.errors import NotAllowed, OutOfScope, StaleEdit
from ecase.query_budget import is_query_timeout, query_timeout_response

logger = logging.getLogger("django.request")
NON_FIELD = ("__all__", "non_field_errors")


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
    # Only some exceptions carry these (NotAuthenticated's challenge, Throttled's wait).
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _split(
            _flatten(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        )
        code = "invalid"
    else:
        message, fields, code = str(exc.detail), {}, _code_of(exc)
    set_rollback()
    return Response(error_body(code, message, fields, request), status=exc.status_code, headers=headers)
