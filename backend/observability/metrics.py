"""Prometheus metrics, served at /metrics to a scraper that shows METRICS_TOKEN.

Counters and histograms (requests, task outcomes, publish failures) live in each process;
under gunicorn or a prefork worker, set PROMETHEUS_MULTIPROC_DIR so that every process
writes them there and one answer adds them up. The domain's figures (the outbox, matches,
the waitlist, the points ledger) are gauges read from the database at scrape time, so they
are the same whichever process answers.
"""

import hmac
import logging
import os
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "voisinage_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "voisinage_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30),
)
CELERY_TASKS = Counter(
    "voisinage_celery_tasks_total",
    "Celery task runs by outcome (success, failure, retry, rejected, revoked).",
    ["task", "outcome"],
)
TASK_PUBLISH_FAILURES = Counter(
    "voisinage_task_publish_failures_total",
    "Tasks that could not be handed to the broker after commit (the sweep re-schedules them).",
    ["task"],
)

# A delivery's last attempt counted in the "recent" outcome gauges: this far back.
OUTBOX_WINDOW = timedelta(hours=1)
# A ledger entry older than this belongs to a committed transaction (requests time out at
# 30 s): its sum is kept, and only newer entries are read again at each scrape.
LEDGER_SETTLED_AFTER = timedelta(minutes=2)


class _Ledger:
    """Running sums of the append-only points ledger per kind: each scrape reads only the
    entries after the last settled id (a primary-key range), not the whole table."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settled_id = 0
        self.settled: dict[str, int] = {}

    def sums(self) -> dict[str, int]:
        from django.db.models import Min, Sum

        from services.loyalty.models import Entry

        with self.lock:
            cutoff = timezone.now() - LEDGER_SETTLED_AFTER
            after = Entry.objects.filter(pk__gt=self.settled_id)
            first_recent = after.filter(created_at__gte=cutoff).aggregate(m=Min("pk"))["m"]
            settling = after if first_recent is None else after.filter(pk__lt=first_recent)
            rows = settling.order_by().values("kind").annotate(points=Sum("points"))
            last = settling.order_by("-pk").values_list("pk", flat=True).first()
            for row in rows:
                self.settled[row["kind"]] = self.settled.get(row["kind"], 0) + row["points"]
            if last is not None:
                self.settled_id = last
            totals = dict(self.settled)
            tail = Entry.objects.filter(pk__gt=self.settled_id).order_by().values("kind")
            for row in tail.annotate(points=Sum("points")):
                totals[row["kind"]] = totals.get(row["kind"], 0) + row["points"]
            return totals


_ledger = _Ledger()


class DomainCollector:
    """Gauges computed from the database when scraped; each query is bounded by an index
    (deliveries by status, matches by state, sign-ups by status) or by the ledger's tail."""

    def collect(self):
        from django.db.models import Count, Min, Q

        from notifications.models import Delivery
        from services.jobs.models import Match
        from services.volunteering.models import Signup

        now = timezone.now()
        pending = GaugeMetricFamily(
            "voisinage_outbox_pending",
            "Push deliveries waiting to be sent (due or retrying later).",
            labels=["channel", "platform"],
        )
        oldest = GaugeMetricFamily(
            "voisinage_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending push delivery.",
            labels=["channel", "platform"],
        )
        for row in (
            Delivery.objects.filter(status=Delivery.Status.PENDING)
            .order_by()
            .values("device__platform")
            .annotate(n=Count("pk"), first=Min("created_at"))
        ):
            labels = ["push", row["device__platform"]]
            pending.add_metric(labels, row["n"])
            oldest.add_metric(labels, max(0.0, (now - row["first"]).total_seconds()))
        yield pending
        yield oldest

        recent = GaugeMetricFamily(
            "voisinage_outbox_recent",
            "Push deliveries finished in the last hour, by outcome (sent, failed, skipped).",
            labels=["channel", "platform", "status"],
        )
        retried = GaugeMetricFamily(
            "voisinage_outbox_recent_retried",
            "Of those, deliveries that needed more than one attempt.",
            labels=["channel", "platform", "status"],
        )
        for row in (
            Delivery.objects.filter(
                status__in=[
                    Delivery.Status.SENT,
                    Delivery.Status.FAILED,
                    Delivery.Status.SKIPPED,
                ],
                next_attempt_at__gte=now - OUTBOX_WINDOW,
            )
            .order_by()
            .values("status", "device__platform")
            .annotate(n=Count("pk"), again=Count("pk", filter=Q(attempts__gt=1)))
        ):
            labels = ["push", row["device__platform"], row["status"]]
            recent.add_metric(labels, row["n"])
            retried.add_metric(labels, row["again"])
        yield recent
        yield retried

        matches = GaugeMetricFamily(
            "voisinage_job_matches", "Job matches by state.", labels=["state"]
        )
        for row in Match.objects.order_by().values("state").annotate(n=Count("pk")):
            matches.add_metric([row["state"]], row["n"])
        yield matches

        waitlisted = GaugeMetricFamily(
            "voisinage_volunteering_signups_waitlisted", "Volunteer sign-ups on a waitlist."
        )
        waitlisted.add_metric([], Signup.objects.filter(status=Signup.Status.WAITLISTED).count())
        yield waitlisted

        points = GaugeMetricFamily(
            "voisinage_loyalty_points",
            "Signed sum of the points ledger by entry kind: earn is what was issued, spend "
            "(negative) what was spent.",
            labels=["kind"],
        )
        for kind, total in sorted(_ledger.sums().items()):
            points.add_metric([kind], total)
        yield points


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    domain = CollectorRegistry()
    domain.register(DomainCollector())
    try:
        figures, up = generate_latest(domain), 1
    except DatabaseError:
        # The database is down: the request and task counters still answer, and say so.
        logger.warning("metrics: the database did not answer", exc_info=True)
        figures, up = b"", 0
    health = CollectorRegistry()
    gauge = GaugeMetricFamily("voisinage_database_up", "1 if the domain gauges could be read.")
    gauge.add_metric([], up)
    health.register(_Fixed([gauge]))
    return generate_latest(counters) + figures + generate_latest(health)


class _Fixed:
    def __init__(self, families) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


@require_GET
def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404  # not configured: the endpoint does not exist
    shown = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(shown.encode(), token.encode()):
        return JsonResponse(
            {
                "code": "not_authenticated",
                "message": "A valid metrics token is required.",
                "fields": {},
            },
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
