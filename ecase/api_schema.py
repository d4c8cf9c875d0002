"""The OpenAPI 3 schema (drf-spectacular): the error responses of every operation, the token scheme.

Every operation documents the errors it can answer, all in the one shape of ecase.api_errors,
so a client (and the schemathesis run in the test suite) can rely on the schema for 4xx too.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid: see `error.fields`.",
    "401": "No credentials, or a token that is invalid, expired or revoked.",
    "403": "In scope, but not allowed: wrong role, read-only token, or an action that needs the browser.",
    "404": "Absent, or outside your cases: the two are not distinguished.",
    "406": "The Accept header asks for something the API does not produce.",
    "409": "The change conflicts with a concurrent one.",
    "412": "If-Match names an older version: fetch the object again.",
    "413": "The body is larger than this address accepts.",
    "415": "The body is not JSON.",
    "428": "If-Match is missing: updates must name the version they change.",
    "429": "Too many requests for this token: wait `Retry-After` seconds.",
    "500": "Our fault; the body never contains details. Quote `error.request_id`.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: not_found, permission_denied, invalid, stale, …")
    message = serializers.CharField(help_text="For people, in the request's language.")
    # DRF's metaclass moves a declared field off the class: it does not replace Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; empty when the error is not about fields.",
    )
    request_id = serializers.CharField(help_text="The request's X-Request-ID.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag you read, e.g. "v3". A stale one is refused with 412, none with 428.',
)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the error responses every operation can give.

    A view lists in ``requires_if_match`` the methods that must name the version they change;
    those get the required If-Match header and the 412 and 428 answers in the schema.
    """

    def requires_if_match(self) -> bool:
        return self.method in getattr(self.view, "requires_if_match", ())

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *([IF_MATCH] if self.requires_if_match() else [])]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = {"400", "401", "403", "404", "406", "429", "500"}
        if self.method in WRITE_METHODS:
            codes |= {"409", "413", "415"}
        if self.requires_if_match():
            codes |= {"412", "428"}
        for code in sorted(codes - responses.keys()):
            responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            responses[code]["description"] = ERROR_DESCRIPTIONS[code]
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ecase_<prefix>_<secret>",
            "description": "An API token from `manage.py issue_api_token USERNAME` (see docs/API.md).",
        }


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose choices are one named enum of the schema (``CaseStatus`` …).

    drf-spectacular names enums after the field; three different ``status`` choice sets would
    otherwise get hashed names that change whenever a choice does (and a system-check warning).
    """

    def __init__(self, *args, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(*args, **kwargs)


class NamedChoiceFieldScheme(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema
