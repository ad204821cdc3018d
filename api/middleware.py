"""Refuse oversized request bodies before anything reads them."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return JsonResponse(
                {
                    "code": "request_too_large",
                    "message": _("The request body is too large."),
                    "fields": {},
                },
                status=413,
            )
        return self.get_response(request)
