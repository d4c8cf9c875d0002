"""A time bound on every request's SQL (issue #15): no single request holds a worker for seconds.

PostgreSQL's ``statement_timeout`` is set once per request, by the kind of request
(``ECASE_QUERY_BUDGETS``: URL names whose work is legitimately long, such as a case-file export,
get more; everything else the page budget), just before the request's first statement — a
request that reads nothing from the database (the API schema, a redirect) costs nothing. One
``SET`` per request that queries: every such request sets its own, so nothing carries over on a
persistent connection. A statement that runs past it is
cancelled by the server (SQLSTATE 57014, ``query_canceled``); the user gets a plain message
(a page, or the API's error shape) with 503 and ``Retry-After``, and the operator a log line
and an ``ops.query_timeout`` audit event naming the route, so a slow query is found, not guessed.
This module knows no app: it sends ``query_timed_out``, and the audit app records the event
(audit/receivers.py, connected in AuditConfig.ready()).

Workers and management commands are not requests: they keep the server's default (none).
SQLite has no such setting; the embedded default is a one-person installation.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError, connection
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .api_errors import error_body

logger = logging.getLogger("ecase.query_budget")
QUERY_CANCELED = "57014"

# Sent with ``request`` and ``budget_ms`` when a request's statement ran past its budget.
query_timed_out = Signal()


def budget_ms(request: HttpRequest) -> int:
    """The statement budget of this request, in milliseconds."""
    try:
        name = resolve(request.path_info).view_name
    except Resolver404:
        name = ""
    return settings.ECASE_QUERY_BUDGETS.get(name, settings.ECASE_QUERY_TIMEOUT_MS)


def is_query_timeout(error: BaseException) -> bool:
    cause = error.__cause__ if isinstance(error, OperationalError) else None
    return getattr(cause, "pgcode", None) == QUERY_CANCELED


def timeout_message() -> str:
    return _("The request took too long and was stopped. Narrow the search or the filters and try again.")


class QueryBudgetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if connection.vendor != "postgresql":
            return self.get_response(request)
        budget, pending = budget_ms(request), [True]

        def set_budget_first(execute, sql, params, many, context):
            if pending:
                pending.clear()
                context["cursor"].execute("SET statement_timeout = %s", [budget])
            return execute(sql, params, many, context)

        with connection.execute_wrapper(set_budget_first):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_query_timeout(exception):
            return None
        return query_timeout_response(request)


def query_timeout_response(request: HttpRequest) -> HttpResponse:
    """Log and record the timeout for the operator; tell the user plainly (503, retry later)."""
    budget = budget_ms(request)
    logger.error("query budget of %s ms exceeded: %s %s", budget, request.method, request.path)
    query_timed_out.send(sender=QueryBudgetMiddleware, request=request, budget_ms=budget)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body("query_timeout", timeout_message(), request=request), status=503
        )
    else:
        response = render(request, "query_timeout.html", {"message": timeout_message()}, status=503)
    response["Retry-After"] = "30"
    return response
