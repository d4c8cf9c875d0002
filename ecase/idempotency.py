"""``Idempotency-Key`` on API writes (issue #20, docs/API.md "Retrying a write"): a client that got no
answer repeats the request with the same key and learns the outcome instead of writing twice.

``IdempotentWrites`` is mixed into cases.access.api.ScopedAPIView, so every POST and PATCH of the
API takes the header; nothing is done per view. For a request with a key:

- the whole request runs in one transaction (the services' own blocks become savepoints), and
  before the handler a row ``IdempotentRequest(principal, key)`` is inserted in it. The outcome
  of a 2xx answer is stored on that row before the commit, so a write that committed always has
  its record and a rolled-back one never does. A refusal (4xx) removes the row — nothing was
  written and a retry may run — but keeps the refusal's own audit row; a 5xx rolls everything back;
- a concurrent duplicate's insert blocks on the unique index until the first commits, then
  fails, and the duplicate replays the committed outcome (or runs, if the first left no row);
- a replay writes nothing and answers the stored status, body, Location and ETag with
  ``Idempotent-Replayed: true`` — after checking through ``restrict`` that the caller may still
  view the case the answer is about; otherwise 404, as an absent object;
- the same key with another method, path or body is 422 ``idempotency_key_reused``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from accounts.authentication import api_token_of
from accounts.models import IdempotentRequest

HEADER = "Idempotency-Key"
WRITE_METHODS = frozenset({"POST", "PATCH"})
REPLAYED_HEADERS = ("Location", "ETag")
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,128}")


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used for a different request: use a new key.")
    default_code = "idempotency_key_reused"


class _Replay(Exception):
    """Raised from ``initial`` when the key's outcome is already recorded: answered by ``handle_exception``."""

    def __init__(self, record: IdempotentRequest):
        self.record = record


def lifetime() -> timedelta:
    return timedelta(hours=settings.ECASE_IDEMPOTENCY_HOURS)


def principal_of(request) -> str:
    """Keys are the caller's own: a token's, or (in a browser session) the user's."""
    token = api_token_of(request)
    return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"


def request_digest(request) -> str:
    try:
        return hashlib.sha256(request._request.body).hexdigest()
    except RawPostDataException:
        # A form body already consumed (a session's CSRF check reads multipart forms): the API takes
        # JSON only, so this is the 415 its parser would answer anyway.
        raise exceptions.UnsupportedMediaType(request.content_type) from None


def purge_expired(now=None) -> int:
    """Delete the records older than their lifetime. They are a response cache, not case data."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=(now or timezone.now()) - lifetime()).delete()
    return deleted


class IdempotentWrites:
    """The mixin (see the module's docstring). ``idempotent_case_id`` is set by the view's object lookup."""

    idempotent_case_id: int | None = None
    _idempotency_record: IdempotentRequest | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.method in WRITE_METHODS and HEADER in request.headers:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated, allowed and throttled before the key counts
        if request.method in WRITE_METHODS and HEADER in request.headers:
            self._claim_key(request)

    def _claim_key(self, request) -> None:
        key = request.headers[HEADER]
        if not _VALID_KEY.fullmatch(key):
            raise exceptions.ValidationError(
                {HEADER: [_("Idempotency-Key must be 1 to 128 printable ASCII characters.")]}
            )
        principal, digest = principal_of(request), request_digest(request)
        IdempotentRequest.objects.filter(
            principal=principal, key=key, created_at__lt=timezone.now() - lifetime()
        ).delete()
        try:
            with transaction.atomic():
                self._idempotency_record = IdempotentRequest.objects.create(
                    principal=principal, key=key, method=request.method, path=request.path[:500], body_sha256=digest
                )
            return
        except IntegrityError:
            # Another request holds or held the key; the insert waited for its transaction to end.
            pass
        record = IdempotentRequest.objects.get(principal=principal, key=key)
        if (record.method, record.path, record.body_sha256) != (request.method, request.path[:500], digest):
            raise IdempotencyKeyReused()
        raise _Replay(record)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return self._replay(exc.record)
        return super().handle_exception(exc)

    def _replay(self, record: IdempotentRequest) -> HttpResponse:
        from cases import access
        from cases.access.api import api_reach
        from cases.models import Case

        from .errors import OutOfScope

        if (
            record.case_id is not None
            and not api_reach(self.request, Case.objects.all(), access.VIEW).filter(pk=record.case_id).exists()
        ):
            # The caller lost the case since: the stored answer would show what it may no longer see.
            return super().handle_exception(OutOfScope("replay of a case no longer visible", case_id=record.case_id))
        response = HttpResponse(record.body, status=record.status, content_type="application/json")
        for name, value in record.headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self._idempotency_record
        if record is None:
            return response
        self._idempotency_record = None
        if response.status_code >= 500 or transaction.get_rollback():
            # Nothing of a failed write is kept, nor a record of it; a transaction already marked
            # for rollback (a database error answered 4xx) can take no more statements either.
            transaction.set_rollback(True)
        elif response.status_code >= 300:
            record.delete()  # a refusal wrote nothing: a retry with the key runs anew
        else:
            response.render()
            record.status = response.status_code
            record.body = response.content.decode()
            record.headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
            record.case_id = self.idempotent_case_id
            record.save(update_fields=["status", "body", "headers", "case_id"])
        return response
