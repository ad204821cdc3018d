"""One error format for every status from 400 to 599: {code, message, fields}."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from services.core.errors import DomainError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


# The codes the interface answers itself (DRF's, authentication, the body and the server);
# with those declared through services.core.errors, docs/errors.md lists every code.
INTERFACE_CODES = {
    "invalid": 400,
    "bad_request": 400,
    "parse_error": 400,
    "not_authenticated": 401,
    "authentication_failed": 401,
    "token_not_valid": 401,
    "user_not_found": 401,
    "user_inactive": 401,
    "session_ended": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "idempotency_key_reused": 422,
    "throttled": 429,
    "server_error": 500,
    "service_unavailable": 503,
}


def error_body(code: str, message, fields=None, **extra) -> dict:
    body = {"code": code, "message": str(message), "fields": fields or {}}
    body.update(extra)
    return body


def _flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors for nested and list fields; the app wants `field.sub` keys."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            fields.update(_flatten_fields(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    fields.update(
                        _flatten_fields(item, f"{prefix}.{index}" if prefix else str(index))
                    )
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status
        )
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            error_body("invalid", _("Some fields are invalid."), fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", _("The request body is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable (restarting, connection cut, locked): a 503 the client
        # may retry; Django drops the broken connection and the next request opens a new one.
        logger.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        return Response(
            error_body(
                "service_unavailable",
                _("The service is briefly unavailable. Please try again in a moment."),
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side. Please try again.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid", _("Some fields are invalid."), _flatten_fields(exc.detail)
        )
        return response

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    detail = getattr(exc, "detail", "")
    if isinstance(detail, dict):
        message = detail.get("detail", "")
        code = code or str(getattr(detail.get("detail"), "code", "") or "error")
        if "code" in detail and isinstance(detail["code"], str):
            code = detail["code"]
    else:
        message = detail
        code = code or str(getattr(detail, "code", "") or "error")
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait)
    response.data = error_body(code, message, **extra)
    return response


def _json_error(status_code: int, code: str, message) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def handler400(request, exception=None):
    return _json_error(400, "bad_request", _("Bad request."))


def handler403(request, exception=None):
    return _json_error(403, "permission_denied", _("You do not have permission to do this."))


def handler404(request, exception=None):
    return _json_error(404, "not_found", _("Not found."))


def handler500(request):
    return _json_error(
        500, "server_error", _("Something went wrong on our side. Please try again.")
    )


def api_not_found(request, unmatched=""):
    """The last route under /api/: a URL that matches nothing is a JSON 404 even with DEBUG on
    (Django would show its HTML debug page). A GET missing its trailing slash is redirected as
    APPEND_SLASH did before this route made every /api/ path match."""
    if (
        settings.APPEND_SLASH
        and request.method in ("GET", "HEAD")
        and not request.path_info.endswith("/")
    ):
        match = _resolve(request.path_info + "/")
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return handler404(request)


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
