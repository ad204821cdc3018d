"""Liveness and readiness probes for the orchestrator and the Dockerfile healthcheck."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    broker = settings.CELERY_BROKER_URL
    if broker and not broker.startswith("memory://"):
        try:
            from celery import current_app as app  # backend/celery.py's

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception:
            checks["broker"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        body = {"code": "not_ready", "message": "Not ready.", "fields": {}, "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)
