"""The bases every view of the JSON API inherits (issue #7; the API twin of scoped_views.py).

``ScopedAPIView`` will not run without a ``queryset`` whose QuerySet has ``restrict`` and a
``permission_action``: lists come from ``queryset.restrict(user, action)`` and objects are
looked up there only. Absent and out-of-scope objects raise OutOfScope (404, identical),
visible-but-not-allowed raise NotAllowed (403); ecase.api_errors answers and logs both.
Writes call the services, which lock the case and check the scope again in their transaction.
"""
from __future__ import annotations

import base64
import re

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework import generics, permissions

from accounts.authentication import TokenWriteScope, api_token_of
from audit.services import audit_record

from .api_errors import PreconditionFailed, PreconditionRequired
from .errors import NotAllowed, OutOfScope

_ETAG_VERSION = re.compile(r'(?:W/)?"v(\d{1,18})"')


class ScopedAPIView(generics.GenericAPIView):
    queryset: models.QuerySet | None = None
    permission_action: str | None = None
    permission_classes = [permissions.IsAuthenticated, TokenWriteScope]
    metadata_class = None  # OPTIONS answers 405: nothing is described outside the schema
    lookup_url_kwarg = "pk"

    @classmethod
    def as_view(cls, **initkwargs):
        # Refused when the URL map is built, not at the first request.
        cls.check_configured()
        return super().as_view(**initkwargs)

    @classmethod
    def check_configured(cls) -> None:
        if cls.queryset is None or cls.permission_action is None or not hasattr(cls.queryset, "restrict"):
            raise ImproperlyConfigured(f"{cls.__name__} needs a restrictable queryset and a permission_action")

    @property
    def is_schema_generation(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def scoped(self, action: str | None = None) -> models.QuerySet:
        return self.queryset.restrict(self.request.user, action or self.permission_action)

    def get_queryset(self) -> models.QuerySet:
        return self.scoped()

    def get_object(self, action: str | None = None):
        """The object of the URL, if the user may ``action`` it; else OutOfScope (404) or NotAllowed (403)."""
        pk = self.kwargs[self.lookup_url_kwarg]
        obj = self.scoped(action).filter(pk=pk).first()
        if obj is None:
            # Persons belong to no single case: a refusal is logged without one.
            case_id = self.queryset.case_id_of(pk) if hasattr(self.queryset, "case_id_of") else None
            if case_id is not None and self.scoped("view").filter(pk=pk).exists():
                raise NotAllowed(f"{self.request.user} may not {action or self.permission_action}", case_id=case_id)
            raise OutOfScope("not found", case_id=case_id)
        self.check_object_permissions(self.request, obj)
        return obj

    def audit_data(self, **extra) -> dict:
        """What the audit row of a read through the API records besides the browser's: channel and token."""
        token = api_token_of(self.request)
        return {"channel": "api", **({"token": token.prefix} if token else {}), **extra}


class ChildrenListView(ScopedAPIView, generics.ListAPIView):
    """A paged list of one object's children (``cases/<pk>/acts/``, ``evidence/<pk>/files/``).

    ``queryset`` and ``permission_action`` scope the parent exactly like a detail view (404 /
    403); ``children(parent)`` returns the rows, restricted again where the model allows it.
    Set ``audit_event`` when reading the list is a read the browser audits (the case page).
    """

    audit_event: str | None = None

    def children(self, parent) -> models.QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> models.QuerySet:
        if self.is_schema_generation:
            return self.get_serializer_class().Meta.model.objects.none()
        parent = self.get_object()
        if self.audit_event:
            audit_record(actor=self.request.user, event=self.audit_event, case_id=case_id_of(parent), target=parent,
                         data=self.audit_data(part=self.request.resolver_match.url_name))
        return self.children(parent)


def case_id_of(obj) -> int | None:
    """The case an object of case data belongs to (the case itself, an act, an item, a file)."""
    for path in ("case_id", "item.case_id"):
        value = obj
        for attribute in path.split("."):
            value = getattr(value, attribute, None)
        if value is not None:
            return value
    return obj.pk if obj._meta.label_lower == "cases.case" else None


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(request, current: int) -> int:
    """The version the client's If-Match names: required (428), and one of ours or 412.

    ``If-Match: *`` is refused like a missing header: it would let a blind overwrite through.
    The service compares the version again under the row lock, so a race still ends in 412.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    versions = [int(v) for v in _ETAG_VERSION.findall(header)]
    if not versions:
        raise PreconditionFailed()
    if current in versions:
        return current
    raise PreconditionFailed()


def with_digest(response, sha256_hex: str):
    """Repr-Digest (RFC 9530) of a download: the receiving system checks the bytes it got."""
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"
    response["Cache-Control"] = "private, no-store"
    return response
