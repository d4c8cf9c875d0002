"""One gate for control characters in what a request sends (issue #13 item 9): 400, nothing read or written.

PostgreSQL refuses NUL in text and JSON ("A string literal cannot contain NUL"), and a lone
surrogate cannot be encoded for it at all: either one in a search box, a filter, ``next`` or a form
field reached the database and answered 500. No form or query parameter of ecase has a use for
C0 control characters other than tab and line breaks, for DEL, or for surrogates, so they are
refused here, in one place, for every page, form and API call, before any view runs — rather than
cleaned silently (which would store something other than what was sent) or checked per form
(which the next form forgets). What is checked: the path, query parameter names and values, form
fields (urlencoded and multipart, with the uploaded files' names) and the strings of a JSON body.

Pages answer a 400 page that says what happened and that nothing was saved; the browser's Back
button returns to the form with what was typed. The API answers its usual error shape
(``code: "control_character"``) naming the parameter or field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .api_errors import error_response

# NUL and the other C0 controls except tab, LF and CR; DEL; UTF-16 surrogates (never valid alone in text).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
API_PREFIX = "/api/"


def _pairs(request: HttpRequest) -> Iterator[tuple[str, str]]:
    yield "path", request.path  # a route that takes any path (the API's not-found) passes it on
    for key, values in request.GET.lists():
        yield key, key
        for value in values:
            yield key, value
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            yield key, key
            for value in values:
                yield key, value
        for key, uploads in request.FILES.lists():
            for upload in uploads:
                yield key, upload.name or ""
    elif request.content_type == "application/json" and request.body:
        try:
            document = json.loads(request.body)
        except ValueError:  # not JSON: the API's parser says so in its own words
            return
        yield from _json_strings(document, "")


def _json_strings(value, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _json_strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{index}]")


def offending_parameter(request: HttpRequest) -> str | None:
    """The name of the first parameter or field that holds a forbidden character, or None."""
    return next((name for name, text in _pairs(request) if FORBIDDEN.search(text)), None)


class ControlCharacterMiddleware:
    """Answer 400 when a query parameter, form field or JSON string holds a control character."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        name = offending_parameter(request)
        if name is None:
            return None
        # The name is shown escaped, the character itself never (it is what the page could not hold).
        name = FORBIDDEN.sub("\N{REPLACEMENT CHARACTER}", name)[:100]
        message = _(
            "“%(field)s” contains a control character (such as NUL) that cannot be stored. Nothing was saved."
        ) % {"field": name}
        if request.path.startswith(API_PREFIX):
            return error_response(400, "control_character", message, request, fields={name: [message]})
        return render(request, "400_control_characters.html", {"message": message}, status=400)
