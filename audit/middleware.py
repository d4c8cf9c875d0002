"""Request middleware that writes the audit trail: every request's origin, and refusals (404/403) as access-log rows.

It knows no app above audit: OutOfScope and NotAllowed are ecase's neutral errors, the address is
ecase.client_ip's.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ecase.client_ip import client_ip
from ecase.errors import NotAllowed, OutOfScope

from .choices import EventType, Outcome
from .context import Origin, current_origin
from .services import audit_record


class IdentifiedRequest(HttpRequest):
    """A request as RequestContextMiddleware leaves it (for the type checker; the class stays Django's)."""

    request_id: str


class RequestContextMiddleware:
    """Give every request an id (returned in X-Request-ID) and expose its origin to audit rows.

    The id is always the server's own (a random uuid4): a client-sent X-Request-ID is ignored,
    because the audit trail stores this id with every row, and a caller who could choose it
    could make his requests look like someone else's, or all alike (issue #13 item 9).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: IdentifiedRequest) -> HttpResponse:
        request.request_id = uuid.uuid4().hex
        token = current_origin.set(Origin(ip=client_ip(request) or None, request_id=request.request_id))
        try:
            response = self.get_response(request)
        finally:
            current_origin.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class ScopeErrorMiddleware:
    """OutOfScope answers 404 exactly like an absent object; NotAllowed answers 403. Both are logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OutOfScope):
            status, template = 404, "404.html"
        elif isinstance(exception, NotAllowed):
            status, template = 403, "403.html"
        else:
            return None
        user = request.user if getattr(request, "user", None) is not None and request.user.is_authenticated else None
        audit_record(
            actor=user,
            event=EventType.ACCESS_DENIED,
            outcome=Outcome.DENIED,
            case_id=getattr(exception, "case_id", None),
            data={"path": request.path, "method": request.method, "status": status},
        )
        return render(request, template, status=status)
