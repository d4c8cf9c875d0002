"""Request bodies are measured before anything reads them (issue #13 item 8).

The first middleware of all: sessions, CSRF and authentication may read ``request.POST``, and
Django's upload handlers spool a multipart body to a temporary file while parsing it. So the
size is decided here, from the headers alone, against one table (``settings.ECASE_BODY_LIMITS``:
per route name, a limit for signed-in callers and one for anonymous ones):

* a ``Content-Length`` over the limit is answered 413 at once, without waiting for the body;
* a chunked body has no length: it is read here through a cap, and the first byte past the
  limit ends the reading with a 413 (what was under the cap is handed on, spooled like an upload);
* an anonymous caller gets the anonymous limit (about a login form) everywhere except the public
  verification page, whose limit is a signed PDF's. Whether the caller is signed in is read from
  the session row or the API token the headers name, never from the body (the token through
  ``settings.ECASE_BEARER_TOKEN_USABLE``: this module knows no app).

The front proxy (docker-compose.yml) refuses bodies past the largest limit before they reach
gunicorn at all; this is the limit that knows the route and the caller.
"""

from __future__ import annotations

import tempfile
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .api_errors import error_response

_CHUNK = 64 * 1024


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._within_limits(request)
        refusal = getattr(response, "body_refusal", None)
        if refusal is not None and request.path.startswith("/api/"):
            # The API answers in its one error shape (documented as 413 on every write, ecase/api_schema.py).
            status, text = refusal
            return error_response(status, "too_large" if status == 413 else "invalid", text)
        return response

    def _within_limits(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        raw_length = meta.get("CONTENT_LENGTH") or ""
        if not raw_length and not chunked:
            return self.get_response(request)  # no body at all
        if raw_length and not raw_length.isdigit():
            return _refuse(400, _("The request's Content-Length is not a number."))
        length = int(raw_length) if raw_length else None
        # The common case costs nothing: a body within every route's limit needs no route or session look-up.
        if length is not None and length <= _smallest_limit():
            return self.get_response(request)
        signed_limit, anonymous_limit = limits_for(request.path_info)
        if length is not None and length <= min(signed_limit, anonymous_limit):
            return self.get_response(request)
        limit = signed_limit if signed_limit > anonymous_limit and _signed_in(request) else anonymous_limit
        if length is not None:
            if length > limit:
                return _too_large(limit)
            return self.get_response(request)
        spooled = _read_capped(meta["wsgi.input"], limit)
        if spooled is None:
            return _too_large(limit)
        # Handed on as a body of known length, so Django parses it like any other.
        meta["CONTENT_LENGTH"] = str(spooled.tell())
        spooled.seek(0)
        request._stream = spooled
        # Django's private flag (set by WSGIRequest), which django-stubs leave out.
        request._read_started = False  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            spooled.close()


def _smallest_limit() -> int:
    return min(min(pair) for pair in settings.ECASE_BODY_LIMITS.values())


def limits_for(path: str) -> tuple[int, int]:
    """(signed-in limit, anonymous limit) of the route ``path`` resolves to; the table's "*" otherwise."""
    table = settings.ECASE_BODY_LIMITS
    try:
        name = resolve(path).view_name
    except Resolver404:
        name = "*"
    return table.get(name, table["*"])


def _signed_in(request: HttpRequest) -> bool:
    """A live session with a user, or a usable API token: read from their rows, not from the body."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if key and import_module(settings.SESSION_ENGINE).SessionStore(key).get(SESSION_KEY):
        return True
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) == 2 and header[0].lower() == "bearer":
        return import_string(settings.ECASE_BEARER_TOKEN_USABLE)(header[1])
    return False


def _read_capped(stream, limit: int):
    """The chunked body in a spooled file, or None as soon as it grows past ``limit`` (nothing more is read)."""
    spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    remaining = limit + 1  # one byte past the limit is enough to know
    while remaining > 0:
        chunk = stream.read(min(_CHUNK, remaining))
        if not chunk:
            return spooled
        spooled.write(chunk)
        remaining -= len(chunk)
    spooled.close()
    return None


def _too_large(limit: int) -> HttpResponse:
    return _refuse(413, _("The request is larger than this address accepts (%(limit)s bytes).") % {"limit": limit})


def _refuse(status: int, text: str) -> HttpResponse:
    # The unread body stays unread; gunicorn's sync workers close the connection after every answer.
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response.body_refusal = (status, text)  # type: ignore[attr-defined]  # read by BodyLimitMiddleware
    return response
