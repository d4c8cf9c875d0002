"""API views over cases, participants, persons, acts and a case's access log.

Each inherits cases.access.api.ScopedAPIView: reads through ``restrict``, 404 outside the scope,
403 inside it when the action is not the user's; writes through the services, as the browser.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response

from accounts.authentication import api_token_of
from accounts.freshness import REAUTH_AT, is_fresh
from audit.choices import EventType
from audit.models import AuditEvent
from audit.read_log import log_read
from audit.services import audit_record
from cases.access.api import (
    ChildrenListView,
    ScopedAPIView,
    etag,
    expected_version,
    listable,
    matching_version,
    with_digest,
)
from ecase import blobs

from .. import access
from ..act_transitions import ActAction
from ..models import Case, CaseArticle, Participant, Person, ProceduralAct
from ..pdf.current import current_pdf_sha256
from ..selectors import CaseFilters, case_list
from ..services.act_workflow import act_transition
from ..services.acts import act_create, act_update
from ..services.case import case_update, requalification_needs_decree
from .serializers import (
    ACT_LIST_RELATED,
    ActCreateSerializer,
    ActSerializer,
    ActTransitionSerializer,
    ActUpdateSerializer,
    AuditEventSerializer,
    CaseFilterSerializer,
    CaseListSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    ParticipantSerializer,
    PersonDetailSerializer,
    PersonFilterSerializer,
    PersonSerializer,
    act_list_prefetch,
    structured_fields,
)

ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The version of the object; send it back in If-Match to change it.",
)
# Deciding on another's act is a decision of a person: over the API only from a browser session
# re-authenticated within ECASE_REAUTH_MINUTES, never with a system's token. The author's own
# ``sign`` works with the author's personal write token (docs/API.md says why, and what is open).
INTERACTIVE_ACTIONS = {ActAction.APPROVE, ActAction.RETURN, ActAction.AGREE, ActAction.REFUSE}


def log_listed(request, response: Response, event: str, key: str, audit_data) -> Response:
    """One access-log row for a page of a list (issue #13 item 7): the ids it returned and the query that
    asked for them (an IIN searched for is itself worth knowing), never one row per object."""
    if response.status_code == 200:
        audit_record(
            actor=request.user,
            event=event,
            data=audit_data(
                part=request.resolver_match.url_name,
                query=request.query_params.dict(),
                **{key: [row["id"] for row in response.data["results"]]},
            ),
        )
    return response


def with_etag(data, version: int, status_code: int = 200) -> Response:
    return Response(data, status=status_code, headers={"ETag": etag(version)})


@extend_schema(tags=["cases"])
class CaseListView(ScopedAPIView, generics.ListAPIView):
    """Your cases, newest first; the filters and the search of the browser's case list."""

    queryset = Case.objects.all()
    permission_action = access.VIEW
    serializer_class = CaseListSerializer
    query_serializer = CaseFilterSerializer

    @extend_schema(parameters=[CaseFilterSerializer])
    def get(self, request, *args, **kwargs):
        return log_listed(
            request, self.list(request, *args, **kwargs), EventType.CASES_LISTED, "cases", self.audit_data
        )

    def get_queryset(self):
        if self.is_schema_generation:
            return Case.objects.none()
        data = self.query()
        # cases.selectors.case_list starts from Case.objects.restrict(user, "view"); the token's scope narrows
        # it, and grave cases (search hits in them included) stay out while a session's second factor is old.
        return listable(
            self.request,
            case_list(
                user=self.request.user,
                filters=CaseFilters(
                    q=data.get("q", ""),
                    status=data.get("status", ""),
                    gravity=data.get("gravity"),
                    investigator=data.get("investigator"),
                    overdue=data.get("overdue", False),
                ),
            ),
            access.VIEW,
        )


@extend_schema(tags=["cases"])
class CaseDetailView(ScopedAPIView):
    queryset = Case.objects.select_related("unit", "lead_investigator", "prosecutor", "supervisor")
    permission_action = access.VIEW
    serializer_class = CaseSerializer
    requires_if_match = {"PATCH"}

    @extend_schema(responses={200: CaseSerializer}, parameters=[ETAG])
    def get(self, request, pk):
        """The case; reading it is logged in the case's access log, as opening it in the browser."""
        case = self.get_object()
        audit_record(
            actor=request.user, event=EventType.CASE_OPENED, case_id=case.pk, target=case, data=self.audit_data()
        )
        return with_etag(CaseSerializer(case, context=self.get_serializer_context()).data, case.version)

    @extend_schema(request=CaseUpdateSerializer, responses={200: CaseSerializer}, parameters=[ETAG])
    def patch(self, request, pk):
        """Change the plot, the date of the offence or the form (investigators of the case).

        The qualification is not changed here: a different set of articles or points is refused (400),
        since only a qualification decree in force requalifies a case (issue #18). The case's own
        articles sent back are accepted as they are. A new offence date that would give the case's
        articles another gravity is refused.
        """
        case = self.get_object(access.CHANGE)
        version = expected_version(request, case.version)
        body = CaseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = changes.pop("reason")
        articles = changes.pop("articles", None)
        points = changes.pop("points", None)
        if (articles is not None and {a.pk for a in articles} != set(case.articles.values_list("pk", flat=True))) or (
            points is not None and not _same_points(case, points)
        ):
            # The qualification changes only as the effect of a qualification decree in force (issue #18):
            # the same qualification sent back is an ordinary edit, a new one is refused, nothing changed.
            raise ValidationError({"articles": requalification_needs_decree()})
        case = case_update(case_id=case.pk, actor=request.user, expected_version=version, reason=reason, **changes)
        return with_etag(CaseSerializer(case, context=self.get_serializer_context()).data, case.version)


def _stored_points(case: Case, keep=None) -> dict[int, str]:
    """The case's points, of the parts in ``keep`` only when given (articles sent without points keep theirs)."""
    links = CaseArticle.objects.filter(case=case, point__isnull=False)
    if keep is not None:
        links = links.filter(article__in=keep)
    return {pk: str(point) for pk, point in links.values_list("article_id", "point")}


def _same_points(case: Case, points: dict[int, str | None]) -> bool:
    return {pk: p for pk, p in points.items() if p} == _stored_points(case)


@extend_schema(tags=["cases"])
class CaseAuditEventsView(ChildrenListView):
    """The case's access log and domain events, newest first (supervisors and the prosecutor)."""

    queryset = Case.objects.all()
    permission_action = access.AUDIT
    serializer_class = AuditEventSerializer

    def children(self, case):
        # Logged in the global chain, naming the case: a row in the case's own log would shift the
        # very list being paged (newest first) with every read of it.
        audit_record(
            actor=self.request.user,
            event=EventType.AUDIT_LOG_OPENED,
            target=case,
            data=self.audit_data(part=self.request.resolver_match.url_name, case=case.pk),
        )
        return AuditEvent.objects.filter(case_id=case.pk).order_by("-occurred_at", "-id")


@extend_schema(tags=["participants"])
class CaseParticipantsView(ChildrenListView):
    """The case's participants, withdrawn ones included (with the withdrawal)."""

    queryset = Case.objects.all()
    permission_action = access.VIEW
    serializer_class = ParticipantSerializer
    audit_event = EventType.CASE_OPENED

    def children(self, case):
        return self.restricted(Participant.objects.all()).filter(case=case).select_related("person").order_by("id")


@extend_schema(tags=["participants"])
class ParticipantDetailView(ScopedAPIView):
    queryset = Participant.objects.select_related("person")
    permission_action = access.VIEW
    serializer_class = ParticipantSerializer

    def get(self, request, pk):
        participant = self.get_object()
        log_read(request, participant, page="participant-detail", **self.audit_data())
        return Response(ParticipantSerializer(participant).data)


@extend_schema(tags=["persons"])
class PersonListView(ScopedAPIView, generics.ListAPIView):
    """Persons as your cases record them (one entry per case); ``iin`` finds them by IIN. Nobody else is found:
    an IIN recorded only in cases you do not see answers exactly as an IIN recorded nowhere."""

    queryset = Person.objects.all()
    permission_action = access.VIEW
    serializer_class = PersonSerializer
    query_serializer = PersonFilterSerializer

    @extend_schema(parameters=[PersonFilterSerializer])
    def get(self, request, *args, **kwargs):
        return log_listed(
            request, self.list(request, *args, **kwargs), EventType.PERSONS_LISTED, "persons", self.audit_data
        )

    def get_queryset(self):
        persons = self.scoped().order_by("last_name", "first_name", "id")
        if self.is_schema_generation:
            return persons
        iin = self.query().get("iin")
        return persons.filter(iin=iin) if iin else persons


@extend_schema(tags=["persons"])
class PersonDetailView(ScopedAPIView):
    """A person as one case records them, with their roles in that case and in the cases where a person
    linked to them (the same real person) takes part, as far as you may see those cases."""

    queryset = Person.objects.all()
    permission_action = access.VIEW
    serializer_class = PersonDetailSerializer

    def get(self, request, pk):
        person = self.get_object()
        log_read(request, person, page="person-detail", **self.audit_data())
        return Response(PersonDetailSerializer(person, context=self.get_serializer_context()).data)


@extend_schema(tags=["acts"])
class CaseActsView(ChildrenListView):
    queryset = Case.objects.all()
    permission_action = access.VIEW
    serializer_class = ActSerializer
    audit_event = EventType.CASE_OPENED

    def children(self, case):
        return (
            self.restricted(ProceduralAct.objects.all())
            .filter(case=case)
            .select_related(*ACT_LIST_RELATED)
            .prefetch_related(*act_list_prefetch())
            .order_by("number")
        )

    @extend_schema(request=ActCreateSerializer, responses={201: ActSerializer}, parameters=[ETAG])
    def post(self, request, pk):
        """Draft an act in the case (investigators of the case)."""
        case = self.get_object(access.CHANGE)
        body = ActCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        act = act_create(
            case_id=case.pk,
            actor=request.user,
            act_type=data["act_type"],
            language=data["language"],
            place=data["place"],
            body=data["body"],
            participant_ids=data["participants"],
            fields=structured_fields(data["act_type"], case, data["fields"]),
        )
        return with_etag(ActSerializer(act, context=self.get_serializer_context()).data, act.version, 201)


@extend_schema(tags=["acts"])
class ActDetailView(ScopedAPIView):
    queryset = ProceduralAct.objects.select_related("case", "act_type", "author", "approved_by", "signed_by")
    permission_action = access.VIEW
    serializer_class = ActSerializer
    requires_if_match = {"PATCH"}

    @extend_schema(responses={200: ActSerializer}, parameters=[ETAG])
    def get(self, request, pk):
        """The act; reading it is logged, as opening it in the browser."""
        act = self.get_object()
        audit_record(
            actor=request.user, event=EventType.ACT_OPENED, case_id=act.case_id, target=act, data=self.audit_data()
        )
        return with_etag(ActSerializer(act, context=self.get_serializer_context()).data, act.version)

    @extend_schema(request=ActUpdateSerializer, responses={200: ActSerializer}, parameters=[ETAG])
    def patch(self, request, pk):
        """Edit a draft or a returned act; ``fields``, when given, replaces the structured fields whole."""
        act = self.get_object(access.CHANGE)
        version = expected_version(request, act.version)
        body = ActUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = changes.pop("reason", "")
        participants = changes.pop("participants", None)
        if "fields" in changes:
            changes["fields"] = structured_fields(act.act_type, act.case, changes["fields"])
        act = act_update(
            act_id=act.pk,
            actor=request.user,
            expected_version=version,
            reason=reason,
            participant_ids=participants,
            **changes,
        )
        return with_etag(ActSerializer(act, context=self.get_serializer_context()).data, act.version)


@extend_schema(tags=["acts"])
class ActTransitionView(ScopedAPIView):
    queryset = ProceduralAct.objects.select_related("case")
    permission_action = access.VIEW  # the service checks the right the action needs
    serializer_class = ActTransitionSerializer
    requires_if_match = {"POST"}

    @extend_schema(request=ActTransitionSerializer, responses={200: ActSerializer}, parameters=[ETAG])
    def post(self, request, pk):
        """Move the act through the steps its ``requirements`` call for: ``sign`` and ``revise`` (its
        author, also with their write token), ``approve`` and ``return`` (the head of unit), ``agree`` and ``refuse`` (the supervising prosecutor) — these four from a browser
        session re-authenticated in the last minutes, never with a token; ``return`` and ``refuse`` need
        a ``reason``. ``supersede`` (a signed act) drafts its
        correction, see ``superseded_by``. If-Match names the version of the act the step is taken on:
        nobody signs or decides on a text they have not read. ``in_force`` is derived, never set."""
        act = self.get_object()
        expected_version(request, act.version)  # 428 / 412 before anything else, as the PATCH of an act
        body = ActTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action = body.validated_data["action"]
        if action in INTERACTIVE_ACTIONS:
            self._require_reauthenticated_person()
        with matching_version(
            request, act.case_id, lambda: ProceduralAct.objects.values_list("version", flat=True).get(pk=act.pk)
        ):
            act = act_transition(act_id=act.pk, action=action, actor=request.user, reason=body.validated_data["reason"])
        return with_etag(ActSerializer(act, context=self.get_serializer_context()).data, act.version)

    def _require_reauthenticated_person(self) -> None:
        if api_token_of(self.request) is not None:
            raise exceptions.PermissionDenied(
                _("Deciding on an act is a person's decision: do it in the browser, not with a token."),
                code="interactive_only",
            )
        if not is_fresh(self.request._request, REAUTH_AT, settings.ECASE_REAUTH_MAX_AGE):
            raise exceptions.PermissionDenied(
                _("Confirm your password and second factor again (/accounts/reauthenticate/), then repeat."),
                code="reauthentication_required",
            )


@extend_schema(tags=["acts"])
class ActPdfView(ScopedAPIView):
    """The signed PDF of the act; each download is logged in the case's access log."""

    queryset = ProceduralAct.objects.select_related("case")
    permission_action = access.VIEW

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # errors stay JSON whatever Accept says

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=("The signed PDF (PAdES). Repr-Digest carries its SHA-256, the act's pdf_sha256."),
            )
        }
    )
    def get(self, request, pk):
        act = self.get_object()
        sha = current_pdf_sha256(act)
        if sha is None:
            raise exceptions.NotFound(_("The act has no signed PDF yet."), code="no_pdf")
        audit_record(
            actor=request.user,
            event=EventType.ACT_PDF_DOWNLOADED,
            case_id=act.case_id,
            target=act,
            data=self.audit_data(sha256=sha),
        )
        response = FileResponse(
            blobs.open(sha),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{act.case.registration_number}-act-{act.number}.pdf",
        )
        return with_digest(response, sha)
