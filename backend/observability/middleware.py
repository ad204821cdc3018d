"""Around every request: its id (X-Request-ID, taken or made, returned), one JSON log line,
and the request metrics. Outermost middleware, so the time covers everything."""

import logging
import time

from django.utils.functional import LazyObject, empty

from . import requestid
from .metrics import HTTP_LATENCY, HTTP_REQUESTS

logger = logging.getLogger("voisinage.request")


def _route(request) -> str:
    # The URL pattern, not the path: bounded label values, no ids in metrics.
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


def _role(request) -> str:
    # DRF sets the JWT user on the underlying request. A session user nobody asked for stays
    # unread: the log line never costs a query.
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        user = user._wrapped if user._wrapped is not empty else None
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return getattr(user, "role", "") or "user"


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = requestid.from_header(request.headers.get(requestid.HEADER))
        request.request_id = request_id
        token = requestid.current.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            requestid.current.reset(token)
        duration = time.perf_counter() - started
        response[requestid.HEADER] = request_id
        route = _route(request)
        status = str(response.status_code)
        HTTP_REQUESTS.labels(request.method, route, status).inc()
        HTTP_LATENCY.labels(request.method, route, status).observe(duration)
        logger.info(
            "%s %s %s",
            request.method,
            route,
            status,
            extra={
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
                "role": _role(request),
            },
        )
        return response
