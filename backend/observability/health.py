"""Liveness and readiness probes for the orchestrator and the Dockerfile healthcheck.

/healthz: the process answers. /readyz: which dependency is down, by name. Only the database
makes the API unready (503): without Redis it keeps answering and writing (tasks wait in the
outbox for the sweep), so a broker or cache outage is reported as "degraded" with 200, and a
load balancer does not take every API process out for it. See docs/operations.md.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

BROKER_TIMEOUT_SECONDS = 2


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from celery import current_app as app  # the project's app (backend/celery.py), not imported

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


def _cache() -> None:
    from django.core.cache import cache

    cache.get("readyz")


def _checks() -> dict:
    checks = {"database": _database}
    from backend.celery import app

    broker = str(app.conf.broker_url or "")
    if broker and not broker.startswith("memory://"):
        checks["broker"] = _broker
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        checks["cache"] = _cache
    return checks


ESSENTIAL = {"database"}


def readyz(request):
    checks, errors = {}, {}
    for name, check in _checks().items():
        try:
            check()
            checks[name] = "ok"
        except Exception as error:  # any failure means down: say which, and how
            checks[name] = "unavailable"
            errors[name] = type(error).__name__
    down = sorted(errors)
    body = {"checks": checks, "down": down, "errors": errors}
    if not down:
        return JsonResponse({"status": "ok", **body})
    if ESSENTIAL.intersection(down):
        message = f"Not ready: {', '.join(down)} unavailable."
        return JsonResponse(
            {
                "code": "not_ready",
                "message": message,
                "fields": {},
                "status": "unavailable",
                **body,
            },
            status=503,
        )
    return JsonResponse({"status": "degraded", **body})
