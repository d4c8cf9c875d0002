"""The bases every view of the JSON API inherits (issue #7; the API twin of views.py).

``ScopedAPIView`` will not run without a ``queryset`` whose QuerySet has ``restrict`` and a
``permission_action``: lists come from ``api_restrict`` (``restrict(user, action)``, narrowed to
the token's scope) and objects are looked up there only. Absent and out-of-scope objects raise
OutOfScope (404, identical), visible-but-not-allowed raise NotAllowed (403); ecase.api_errors
answers and logs both. Writes call the services, which lock the case and check the scope again
in their transaction.

Grave and especially grave cases: a token not issued with ``grave_cases`` does not reach them
or anything of them (404, logged with the reason); in a browser session every object of such a
case needs a second factor confirmed within ECASE_GRAVE_CASE_OTP_MINUTES, as the case page does
(403 ``second_factor_required``), and lists leave their rows out until then
(``accounts.freshness.grave_data_needs_fresh_factor``, the one rule of pages and API).
The same rule is checked again by every service a view calls, on the case row it has locked
(``cases.access.locking.case_check``): a case requalified as grave after the view's lookup is
refused there, and nothing is written.
"""

from __future__ import annotations

import base64
import re
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, generics, permissions, serializers
from rest_framework.pagination import PageNumberPagination

from accounts.authentication import TokenWriteScope, api_token_of
from accounts.idempotency import IdempotentWrites
from audit.services import audit_record
from ecase.api_errors import PreconditionFailed, PreconditionRequired
from ecase.errors import NotAllowed, OutOfScope, SecondFactorRequired

from ..models import Case
from ..models.case import CaseScopedQuerySet
from .grave import grave_hidden_for, is_grave, second_factor_check, without_grave
from .locking import case_check, lock_case
from .objects import case_id_for, case_id_of, case_path
from .rules import VIEW

_ETAG_VERSION = re.compile(r'(?:W/)?"v(\d{1,18})"')


class OutsideTokenScope(OutOfScope):
    """Part of a grave case, asked for with a token not issued for grave cases: 404 like an absent object.

    ``reason`` goes into the access log only, so the case's readers see the attempt; the answer
    does not differ from an absent object's.
    """

    reason = "grave_case_outside_token_scope"


def grave_cases_open(request) -> bool:
    """Whether grave cases are within the request's reach: always in a session, for a token only when granted."""
    token = api_token_of(request)
    return token is None or token.grave_cases


def api_restrict(request, queryset: CaseScopedQuerySet, action: str) -> models.QuerySet:
    """What a list shows: ``queryset.restrict(user, action)``, narrowed to the token, and without the rows
    of grave cases while a session's second factor is not recent (``listable``)."""
    return listable(request, queryset.restrict(request.user, action), action)


def api_reach(request, queryset: CaseScopedQuerySet, action: str) -> models.QuerySet:
    """What an object may be looked up in: ``restrict`` narrowed to the token. A grave case's object found
    here in a session then asks for the recent second factor (403), as the case page does."""
    return narrow_to_token(request, queryset.restrict(request.user, action), action)


def narrow_to_token(request, rows: models.QuerySet, action: str) -> models.QuerySet:
    """Rows already restricted to the user (a selector's result), narrowed to the request's token."""
    if grave_cases_open(request):
        return rows
    return without_grave(rows, case_path(rows))


def listable(request, rows: models.QuerySet, action: str) -> models.QuerySet:
    """Rows already restricted to the user, as a list shows them to this request: the token's scope, and
    no grave case's row while the one rule (``grave_data_needs_fresh_factor``) withholds them."""
    rows, _hidden = grave_hidden_for(request, narrow_to_token(request, rows, action), case_path(rows))
    return rows


class ScopedAPIView(IdempotentWrites, generics.GenericAPIView):
    queryset: CaseScopedQuerySet | None = None
    permission_action: str | None = None
    # The filters a list takes from the query string, if any.
    query_serializer: type[serializers.Serializer] | None = None
    permission_classes = [permissions.IsAuthenticated, TokenWriteScope]
    metadata_class = None  # OPTIONS answers 405: nothing is described outside the schema
    lookup_url_kwarg = "pk"

    def dispatch(self, request, *args, **kwargs):
        # Every service this request calls checks the grave-case rule again under its row lock.
        with case_check(self.check_locked_case):
            return super().dispatch(request, *args, **kwargs)

    @classmethod
    def as_view(cls, **initkwargs):
        # Refused when the URL map is built, not at the first request.
        cls.check_configured()
        return super().as_view(**initkwargs)

    @classmethod
    def check_configured(cls) -> None:
        if cls.permission_action is None or not isinstance(cls.queryset, CaseScopedQuerySet):
            raise ImproperlyConfigured(f"{cls.__name__} needs a restrictable queryset and a permission_action")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.refuse_unknown_query_parameters(request)

    def refuse_unknown_query_parameters(self, request) -> None:
        """400 for a query parameter the operation does not take. A misspelt filter (``?iin_number=``)
        would otherwise be ignored and return everything the caller may see instead of the one person."""
        known = set(self.query_serializer().fields) if self.query_serializer else set()
        paging = self.pagination_class
        if isinstance(self, generics.ListAPIView) and paging is not None and issubclass(paging, PageNumberPagination):
            known |= {name for name in (paging.page_query_param, paging.page_size_query_param) if name is not None}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise exceptions.ValidationError({name: [_("Unknown parameter.")] for name in unknown})

    def query(self) -> dict:
        """The list's filters, validated. A parameter given empty is a value to check, not an absent one:
        ``?iin=`` is refused rather than read as "no filter" (which would list every visible person)."""
        if self.query_serializer is None:
            raise ImproperlyConfigured(f"{type(self).__name__} takes no filters: it has no query_serializer")
        query = self.query_serializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return query.validated_data

    @property
    def is_schema_generation(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def restrictable(self) -> CaseScopedQuerySet:
        """``queryset``, which ``check_configured`` made sure of when the URL map was built."""
        if self.queryset is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a restrictable queryset")
        return self.queryset

    def chosen_action(self, action: str | None = None) -> str:
        """``action``, or else the view's ``permission_action`` (which ``check_configured`` made sure of)."""
        action = action or self.permission_action
        if action is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a permission_action")
        return action

    def scoped(self, action: str | None = None) -> models.QuerySet:
        """The rows a list of this view shows."""
        return api_restrict(self.request, self.restrictable(), self.chosen_action(action))

    def reachable(self, action: str | None = None) -> models.QuerySet:
        """The rows an object of this view is looked up in (grave ones then ask for the second factor)."""
        return api_reach(self.request, self.restrictable(), self.chosen_action(action))

    def restricted(self, queryset: CaseScopedQuerySet, action: str = VIEW) -> models.QuerySet:
        """Rows of another model (a parent's children) through the same path as this view's own."""
        return api_restrict(self.request, queryset, action)

    def get_queryset(self) -> models.QuerySet:
        return self.scoped()

    def replay_visible(self, case_id: int) -> bool:
        """A replayed write's answer is shown only while the caller still sees its case (accounts/idempotency.py)."""
        return api_reach(self.request, Case.objects.all(), VIEW).filter(pk=case_id).exists()

    def get_object(self, action: str | None = None):
        """The object of the URL, if the user may ``action`` it; else OutOfScope (404) or NotAllowed (403)."""
        pk = self.kwargs[self.lookup_url_kwarg]
        obj = self.reachable(action).filter(pk=pk).first()
        if obj is None:
            case_id = case_id_for(self.restrictable(), pk)
            if case_id is not None and self.reachable("view").filter(pk=pk).exists():
                raise NotAllowed(f"{self.request.user} may not {self.chosen_action(action)}", case_id=case_id)
            if (
                not grave_cases_open(self.request)
                and self.restrictable().restrict(self.request.user, "view").filter(pk=pk).exists()
            ):
                raise OutsideTokenScope("a grave case, and the token is not issued for them", case_id=case_id)
            raise OutOfScope("not found", case_id=case_id)
        self.check_object_permissions(self.request, obj)
        self.require_second_factor_for_grave(obj)
        self.idempotent_case_id = case_id_of(obj)  # a replay of this write re-checks that case (idempotency.py)
        return obj

    def require_second_factor_for_grave(self, obj) -> None:
        """In a session, an object of a grave case needs a second factor from the last minutes, as the case page.

        A token reached the object only if an administrator issued it for grave cases (api_restrict).
        """
        try:
            second_factor_check(self.request, obj)
        except SecondFactorRequired:
            raise exceptions.PermissionDenied(
                _(
                    "A grave case opens only with a second factor confirmed in the last minutes: "
                    "confirm it in the browser."
                ),
                code="second_factor_required",
            ) from None

    def check_locked_case(self, case: Case) -> None:
        """The grave-case rule on a case a service has locked: authoritative, whatever the lookup saw before.

        A token not issued for grave cases: 404, as an absent case (logged with the reason); a
        session: a second factor from the last minutes.
        """
        if is_grave(case.gravity) and not grave_cases_open(self.request):
            raise OutsideTokenScope("the case is grave, and the token is not issued for them", case_id=case.pk)
        self.require_second_factor_for_grave(case)

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
            serializer = self.get_serializer_class()
            if not issubclass(serializer, serializers.ModelSerializer):
                raise ImproperlyConfigured(f"{type(self).__name__}: the schema needs a model serializer")
            model: type[models.Model] = serializer.Meta.model
            return model._default_manager.none()
        parent = self.get_object()
        if self.audit_event:
            match = self.request.resolver_match  # set: the view was reached through the URL map
            audit_record(
                actor=self.request.user,
                event=self.audit_event,
                case_id=case_id_of(parent),
                target=parent,
                data=self.audit_data(part=match.url_name if match else None),
            )
        return self.children(parent)


def etag(version: int) -> str:
    return f'"v{version}"'


@contextmanager
def matching_version(request, case_id: int, current):
    """A write that must name, in If-Match, the version it changes (``current()``, read under the case's lock).

    The case row stays locked (the lock order of every case write) until the block ends, so no
    other write slips in between the comparison and the service the block calls.
    """
    with transaction.atomic():
        lock_case(case_id, actor=request.user, action=VIEW)
        yield expected_version(request, current())


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
