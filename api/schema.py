"""OpenAPI: every operation documents the error format, auth and the Idempotency-Key."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorOutput = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable snake_case code the apps switch on."),
        "message": serializers.CharField(help_text="Human text in the user's language."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Per-field messages; may be empty.",
        ),
    },
)

_ERROR_STATUSES = {
    "400": "Invalid input.",
    "401": "Not authenticated, or the token is invalid or expired.",
    "403": "Your role may not do this.",
    "404": "Not found, or not yours.",
    "409": "Conflict with the current state.",
    "422": "Idempotency-Key reused with another body.",
    "429": "Too many requests.",
}


class VersionedJWTScheme(SimpleJWTScheme):
    target_class = "api.authentication.VersionedJWTAuthentication"
    name = "jwtAuth"


class AutoSchema(BaseAutoSchema):
    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        method = getattr(self.view, self.method.lower(), None)
        action = getattr(self.view, getattr(self.view, "action", "") or "", None)
        if getattr(method, "idempotent", False) or getattr(action, "idempotent", False):
            params.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Replays the first response for the same key and body.",
                )
            )
        return params

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status, description in _ERROR_STATUSES.items():
            if status not in responses:
                responses[status] = self._get_response_for_code(
                    OpenApiResponse(ErrorOutput, description=description), status
                )
        return responses


def only_api_paths(endpoints):
    return [e for e in endpoints if e[0].startswith("/api/v1/")]
