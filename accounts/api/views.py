"""Who am I: the caller's own account and, for a token, the token's state. No case data here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..authentication import api_token_of


class TokenInfoSerializer(serializers.Serializer):
    prefix = serializers.CharField()
    name = serializers.CharField()
    can_write = serializers.BooleanField(source="may_write", help_text="Whether the token may change data.")
    grave_cases = serializers.BooleanField(help_text="Whether the token reaches grave and especially grave cases.")
    expires_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    unit = serializers.CharField(allow_null=True, help_text="Code of the user's unit.")
    token = TokenInfoSerializer(allow_null=True, help_text="The token of this request; null in a browser session.")


@extend_schema(tags=["accounts"])
class MeView(APIView):
    """The account the request acts as; a system checks its token with it."""

    metadata_class = None

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "full_name": user.get_full_name(),
                    "role": user.role,
                    "unit": user.unit.code if user.unit else None,
                    "token": api_token_of(request),
                }
            ).data
        )
