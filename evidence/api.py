"""The evidence side of the JSON API (issue #7): items, their files (download) and custody chain.

Every view inherits cases.access.api.ScopedAPIView: reads through ``restrict``, writes through
evidence.services; a download is logged exactly as in the browser.
"""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from audit.choices import EventType
from audit.services import audit_record
from cases import access
from cases.access.api import ChildrenListView, ScopedAPIView, etag, expected_version, matching_version, with_digest
from cases.api.serializers import UserRefSerializer
from cases.models import Case
from ecase import blobs
from ecase.api_schema import NamedChoiceField

from .choices import EvidenceStatus
from .models import CustodyEvent, EvidenceFile, EvidenceItem
from .services import evidence_transfer


class EvidenceItemSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(choices=EvidenceStatus.choices, enum_name="EvidenceStatus")

    class Meta:
        model = EvidenceItem
        fields = [
            "id",
            "case",
            "number",
            "kind",
            "description",
            "seized_at",
            "seized_place",
            "seized_from",
            "seized_from_text",
            "storage_location",
            "seal_number",
            "status",
            "created_at",
            "withdrawn_at",
            "withdrawal_reason",
        ]


class EvidenceFileSerializer(serializers.ModelSerializer):
    uploaded_by = UserRefSerializer()

    class Meta:
        model = EvidenceFile
        fields = [
            "id",
            "item",
            "sha256",
            "size",
            "content_type",
            "original_name",
            "uploaded_by",
            "uploaded_at",
            "withdrawn_at",
            "withdrawal_reason",
        ]


class CustodyEventSerializer(serializers.ModelSerializer):
    recorded_by = UserRefSerializer()

    class Meta:
        model = CustodyEvent
        fields = [
            "id",
            "item",
            "occurred_at",
            "from_holder",
            "to_holder",
            "from_location",
            "to_location",
            "reason",
            "recorded_by",
            "recorded_at",
        ]


class TransferSerializer(serializers.Serializer):
    to_holder = serializers.CharField(max_length=200)
    to_location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the hand-over happened; now if left out."
    )
    from_holder = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who handed it over; the last holder if left out.",
    )
    reason = serializers.CharField(max_length=2000)


@extend_schema(tags=["evidence"])
class CaseEvidenceView(ChildrenListView):
    """The case's evidence items, by number."""

    queryset = Case.objects.all()
    permission_action = access.VIEW
    serializer_class = EvidenceItemSerializer
    audit_event = EventType.CASE_OPENED

    def children(self, case):
        return self.restricted(EvidenceItem.objects.all()).filter(case=case).order_by("number")


@extend_schema(tags=["evidence"])
class EvidenceItemView(ScopedAPIView):
    queryset = EvidenceItem.objects.all()
    permission_action = access.VIEW
    serializer_class = EvidenceItemSerializer

    def get(self, request, pk):
        """The item; reading it is logged, as opening it in the browser."""
        item = self.get_object()
        audit_record(
            actor=request.user,
            event=EventType.EVIDENCE_OPENED,
            case_id=item.case_id,
            target=item,
            data=self.audit_data(),
        )
        return Response(EvidenceItemSerializer(item).data)


@extend_schema(tags=["evidence"])
class EvidenceFilesView(ChildrenListView):
    """The item's files (metadata); the bytes come from ``files/<id>/download/``."""

    queryset = EvidenceItem.objects.all()
    permission_action = access.VIEW
    serializer_class = EvidenceFileSerializer
    audit_event = EventType.EVIDENCE_OPENED

    def children(self, item):
        return (
            self.restricted(EvidenceFile.objects.all())
            .filter(item=item)
            .select_related("uploaded_by")
            .order_by("uploaded_at", "id")
        )


def chain_length(item_id: int) -> int:
    """The custody chain's version: it only grows (append-only), so its length names its state."""
    return CustodyEvent.objects.filter(item_id=item_id).count()


CHAIN_ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The chain's version; send it in If-Match to record the next hand-over.",
)


@extend_schema(tags=["evidence"])
class CustodyView(ChildrenListView):
    """The item's chain of custody, oldest hand-over first; append-only."""

    queryset = EvidenceItem.objects.all()
    permission_action = access.VIEW
    serializer_class = CustodyEventSerializer
    requires_if_match = {"POST"}
    audit_event = EventType.EVIDENCE_OPENED

    def children(self, item):
        return (
            self.restricted(CustodyEvent.objects.all())
            .filter(item=item)
            .select_related("recorded_by")
            .order_by("occurred_at", "id")
        )

    @extend_schema(parameters=[CHAIN_ETAG])
    def get(self, request, *args, **kwargs):
        response = self.list(request, *args, **kwargs)
        response["ETag"] = etag(chain_length(self.kwargs["pk"]))
        return response

    @extend_schema(request=TransferSerializer, responses={201: CustodyEventSerializer}, parameters=[CHAIN_ETAG])
    def post(self, request, pk):
        """Record a hand-over of the item (investigators of the case). If-Match names the chain you read:
        "from whom" defaults to the last holder, so a hand-over recorded meanwhile must not be skipped."""
        item = self.get_object(access.CHANGE)
        expected_version(request, chain_length(item.pk))
        body = TransferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with matching_version(request, item.case_id, lambda: chain_length(item.pk)):
            event = evidence_transfer(item_id=item.pk, actor=request.user, **body.validated_data)
        return Response(CustodyEventSerializer(event).data, status=201, headers={"ETag": etag(chain_length(item.pk))})


@extend_schema(tags=["evidence"])
class FileDownloadView(ScopedAPIView):
    """The file's bytes, as an attachment; the download is logged in the case's access log."""

    queryset = EvidenceFile.objects.select_related("item")
    permission_action = access.VIEW

    def perform_content_negotiation(self, request, force=False):
        # The bytes are whatever was uploaded; the Accept header does not decide them (errors stay JSON).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file's bytes; Repr-Digest carries their SHA-256."
            )
        }
    )
    def get(self, request, pk):
        record = self.get_object()
        audit_record(
            actor=request.user,
            event=EventType.FILE_DOWNLOADED,
            case_id=record.item.case_id,
            target=record,
            data=self.audit_data(sha256=record.sha256),
        )
        response = FileResponse(
            blobs.open(record.sha256),
            as_attachment=True,
            filename=record.original_name,
            content_type=record.content_type,
        )
        response["Content-Length"] = record.size  # the decrypting stream cannot seek to measure itself
        return with_digest(response, record.sha256)
