"""Request ids, JSON request logs, /metrics, the request id inside tasks, Sentry's scrubber."""

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from celery import shared_task
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from backend.celery import app
from backend.observability import requestid
from backend.observability.logs import JsonFormatter, RequestIdFilter
from notifications.models import Delivery
from services.jobs.models import Match
from services.volunteering.models import Signup
from tests.conftest import client_for
from tests.factories.jobs import MatchFactory
from tests.factories.loyalty import give_points
from tests.factories.notifications import DeliveryFactory
from tests.factories.volunteering import SignupFactory

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scrape-token-0123456789abcdef"


@shared_task(name="tests.ops.request_id_probe")
def request_id_probe() -> str:
    logging.getLogger("tests.ops").info("inside the task")
    return requestid.get()


@shared_task(name="tests.ops.failing_probe")
def failing_probe() -> None:
    raise ValueError("boom")


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "voisinage.request"]


# --------------------------------------------------------------------------- request ids


def test_a_request_keeps_the_callers_id_and_logs_one_line(world, caplog):
    caplog.set_level(logging.INFO, logger="voisinage.request")
    response = client_for(world.tenant_a.user).get("/api/v1/me/", HTTP_X_REQUEST_ID="lb-42.a:b")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-42.a:b"
    (line,) = request_lines(caplog)
    assert line.request_id == "lb-42.a:b"
    assert (line.method, line.route, line.status, line.role) == ("GET", "api/v1/me/", 200, "tenant")
    assert 0 < line.duration_ms < 10_000
    parsed = json.loads(JsonFormatter().format(line))
    assert parsed["request_id"] == "lb-42.a:b"
    assert {"method", "route", "status", "duration_ms", "role", "time", "level"} <= set(parsed)


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 65, "new\nline", "é"])
def test_a_missing_or_implausible_id_is_replaced_by_a_new_one(db, api_client, caplog, given):
    caplog.set_level(logging.INFO, logger="voisinage.request")
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    response = api_client.get("/api/v1/no-such-thing/", **headers)
    assert response.status_code == 404
    made = response["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    (line,) = request_lines(caplog)
    assert (line.request_id, line.role, line.route, line.status) == (
        made,
        "anonymous",
        "unmatched" if line.route == "unmatched" else line.route,
        404,
    )


def test_each_request_gets_its_own_id(db, api_client):
    first = api_client.get("/healthz")["X-Request-ID"]
    second = api_client.get("/healthz")["X-Request-ID"]
    assert first != second
    assert requestid.get() == ""  # nothing leaks out of the request


def test_every_log_line_is_json_with_the_current_request_id():
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "WARNING", "msg": "queue %s", "args": ("full",), "n": 3}
    )
    token = requestid.current.set("req-7")
    try:
        RequestIdFilter().filter(record)
    finally:
        requestid.current.reset(token)
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["message"] == "queue full" and parsed["n"] == 3
    assert parsed["request_id"] == "req-7" and parsed["level"] == "WARNING"


# --------------------------------------------------------------------------- tasks


def test_a_published_task_carries_the_request_id_in_its_headers(settings):
    app.conf.task_always_eager = False
    try:
        token = requestid.current.set("req-publish")
        try:
            request_id_probe.apply_async(queue="ops-test-request-id")
        finally:
            requestid.current.reset(token)
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue("ops-test-request-id")
            message = queue.get(timeout=2)
            message.ack()
            queue.close()
    finally:
        app.conf.task_always_eager = True
    assert message.headers["request_id"] == "req-publish"
    assert message.headers["task"] == "tests.ops.request_id_probe"


def test_a_task_runs_under_the_request_id_it_was_sent_with(caplog):
    caplog.set_level(logging.INFO, logger="tests.ops")
    result = request_id_probe.apply(headers={"request_id": "req-from-header"})
    # Not result.get(): Celery's "would block" flag is process-wide, and any other thread
    # running an eager task at that instant would make get() refuse.
    assert result.successful() and result.result == "req-from-header"
    (line,) = [r for r in caplog.records if r.name == "tests.ops"]
    RequestIdFilter().filter(line)
    assert line.request_id == "req-from-header"
    assert requestid.get() == ""  # reset once the task is done


def test_a_task_the_request_scheduled_runs_under_its_id(transactional_db, world):
    """Eager (the tests): the fan-out runs at the request's commit and sees the request's id."""
    from celery import signals

    seen = []

    def record(task=None, **kwargs):
        seen.append((task.name, requestid.get()))

    signals.task_prerun.connect(record, weak=False)
    try:
        response = client_for(world.staff_a.user).post(
            "/api/v1/announcements/",
            {"title": "Coupure d'eau", "body": "Jeudi de 9 h à 12 h."},
            format="json",
            HTTP_X_REQUEST_ID="req-announce",
        )
    finally:
        signals.task_prerun.disconnect(record)
    assert response.status_code == 202, response.content
    assert ("notifications.fan_out_announcement", "req-announce") in seen
    assert {rid for _, rid in seen} == {"req-announce"}


# --------------------------------------------------------------------------- metrics


def scrape(client, token=TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def samples(body: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_do_not_exist_without_a_token(db, api_client, settings):
    settings.METRICS_TOKEN = ""
    response = scrape(api_client, token="")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("shown", ["", "wrong", TOKEN + "x"])
def test_metrics_refuse_a_wrong_token(db, api_client, settings, shown):
    settings.METRICS_TOKEN = TOKEN
    response = scrape(api_client, token=shown)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert b"voisinage_" not in response.content


def test_metrics_count_requests_by_route_and_status(db, api_client, settings):
    settings.METRICS_TOKEN = TOKEN
    labels = (("method", "GET"), ("route", "healthz"), ("status", "200"))
    before = REGISTRY.get_sample_value("voisinage_http_requests_total", dict(labels)) or 0
    api_client.get("/healthz")
    api_client.get("/healthz")
    found = samples(scrape(api_client).content.decode())
    assert found[("voisinage_http_requests_total", labels)] == before + 2
    bucket = ("voisinage_http_request_duration_seconds_count", labels)
    assert found[bucket] >= 2
    assert found[("voisinage_database_up", ())] == 1


def test_metrics_read_the_outbox_matches_waitlist_and_ledger(world, api_client, settings):
    settings.METRICS_TOKEN = TOKEN
    now = timezone.now()
    DeliveryFactory(notification__recipient=world.tenant_a.user)
    old = DeliveryFactory(notification__recipient=world.tenant_a2.user)
    Delivery.objects.filter(pk=old.pk).update(created_at=now - timedelta(minutes=10))
    DeliveryFactory(status=Delivery.Status.SENT, attempts=3)
    DeliveryFactory(status=Delivery.Status.SENT, attempts=1)
    DeliveryFactory(status=Delivery.Status.FAILED, attempts=5)
    DeliveryFactory(  # finished long ago: outside the recent window
        status=Delivery.Status.SENT, next_attempt_at=now - timedelta(hours=3)
    )
    MatchFactory.create_batch(2, state=Match.State.INTERESTED)
    MatchFactory(state=Match.State.HIRED)
    SignupFactory(status=Signup.Status.WAITLISTED, waitlist_ticket=1)
    SignupFactory(status=Signup.Status.CONFIRMED)
    give_points(world.tenant_a, 30)
    give_points(world.tenant_a2, 12)

    found = samples(scrape(api_client).content.decode())
    android = (("channel", "push"), ("platform", "android"))
    assert found[("voisinage_outbox_pending", android)] == 2
    assert 590 < found[("voisinage_outbox_oldest_pending_age_seconds", android)] < 900
    sent = (*android, ("status", "sent"))
    failed = (*android, ("status", "failed"))
    assert found[("voisinage_outbox_recent", sent)] == 2
    assert found[("voisinage_outbox_recent_retried", sent)] == 1
    assert found[("voisinage_outbox_recent", failed)] == 1
    assert found[("voisinage_job_matches", (("state", "interested"),))] == 2
    assert found[("voisinage_job_matches", (("state", "hired"),))] == 1
    assert found[("voisinage_volunteering_signups_waitlisted", ())] == 1
    earned = found[("voisinage_loyalty_points", (("kind", "earn"),))]
    assert earned >= 42  # other tests' entries may have been summed by this process before

    # Scraped again: the ledger's running sums take only what is new.
    give_points(world.tenant_a, 5)
    again = samples(scrape(api_client).content.decode())
    assert again[("voisinage_loyalty_points", (("kind", "earn"),))] == earned + 5


def test_task_outcomes_are_counted():
    def value(outcome, name):
        labels = {"task": name, "outcome": outcome}
        return REGISTRY.get_sample_value("voisinage_celery_tasks_total", labels) or 0

    ok, failed = (
        value("success", "tests.ops.request_id_probe"),
        value("failure", "tests.ops.failing_probe"),
    )
    request_id_probe.apply()
    # Without propagation, as a worker runs it (eager propagation re-raises before counting).
    assert failing_probe.apply(throw=False).failed()
    assert value("success", "tests.ops.request_id_probe") == ok + 1
    assert value("failure", "tests.ops.failing_probe") == failed + 1


# --------------------------------------------------------------------------- Sentry

SENTRY_SCRIPT = r"""
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()  # the test client's host is allowed
import sentry_sdk
from sentry_sdk.transport import Transport
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from backend.observability import sentry

captured = []

class Capture(Transport):
    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            captured.append(event)

import backend.observability.sentry as module
real_init = sentry_sdk.init
sentry_sdk.init = lambda **kw: real_init(transport=Capture, **kw)
sentry.init("https://public@sentry.example.invalid/1", environment="test")

def boom(request):
    secret = "hunter2-password"  # a local variable Sentry must not ship
    raise RuntimeError("cannot reach jeanne.martin@example.org at 06 12 34 56 78 token=abc123")

import backend.urls
backend.urls.urlpatterns.append(path("boom-for-sentry", boom))
client = Client(raise_request_exception=False)
response = client.post(
    "/boom-for-sentry?code=MAGIC-LINK-TOKEN&x=1",
    data=json.dumps({"email": "jeanne.martin@example.org", "password": "hunter2"}),
    content_type="application/json",
    HTTP_AUTHORIZATION="Bearer eyJhbGciOi.secret.jwt",
    HTTP_COOKIE="sessionid=abcdef",
    HTTP_X_REQUEST_ID="req-sentry",
    HTTP_USER_AGENT="Voisinage/1.4 Android",
)
sentry_sdk.flush()
print(json.dumps({"status": response.status_code, "events": captured}, default=str))
"""


def test_errors_go_to_sentry_without_personal_data(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
        "DATABASE_URL": "sqlite://:memory:",
        "ALLOWED_HOSTS": "testserver",
    }
    env.pop("SENTRY_DSN", None)
    result = subprocess.run(
        [sys.executable, "-c", SENTRY_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 500
    (event,) = [e for e in out["events"] if e.get("exception")]
    text = json.dumps(event)
    for secret in (
        "jeanne.martin@example.org",
        "hunter2",
        "MAGIC-LINK-TOKEN",
        "eyJhbGciOi",
        "sessionid=abcdef",
        "06 12 34 56 78",
        "abc123",
    ):
        assert secret not in text, secret
    # What the on-call person needs is still there.
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert "[email]" in exception["value"] and "[phone]" in exception["value"]
    assert event["request"]["data"] == "[Filtered]"
    assert event["tags"]["request_id"] == "req-sentry"
    assert all("vars" not in frame for frame in exception["stacktrace"]["frames"])


def test_the_scrubber_strips_a_full_event():
    """An event shaped as the Django integration sends one, with every field filled in."""
    from backend.observability.sentry import scrub

    event = {
        "level": "error",
        "message": "login failed for jeanne.martin@example.org",
        "logentry": {"message": "login failed for %s", "params": ["jeanne.martin@example.org"]},
        "request": {
            "url": "https://api.voisinage.test/console/magic/?sesame=AbCdEf123",
            "method": "POST",
            "query_string": "sesame=AbCdEf123",
            "data": {"password": "hunter2", "email": "jeanne.martin@example.org"},
            "cookies": {"sessionid": "abcdef"},
            "headers": {
                "Authorization": "Bearer eyJhbGciOi.secret",
                "Cookie": "sessionid=abcdef",
                "User-Agent": "Voisinage/1.4",
                "X-Request-Id": "req-1",
                "X-Forwarded-For": "203.0.113.9",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": "42", "email": "jeanne.martin@example.org", "ip_address": "203.0.113.9"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "bad phone +33 6 12 34 56 78 for password=hunter2",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"pwd": "hunter2"}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"message": "mail to jeanne.martin@example.org", "data": {"to": "jeanne"}},
            ]
        },
        "extra": {"sys.argv": ["manage.py", "--password", "hunter2"]},
    }
    scrubbed = json.dumps(scrub(event))
    for secret in ("jeanne", "hunter2", "AbCdEf123", "eyJhbGciOi", "abcdef", "203.0.113.9"):
        assert secret not in scrubbed, secret
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"] == "https://api.voisinage.test/console/magic/"
    assert event["request"]["headers"] == {"User-Agent": "Voisinage/1.4", "X-Request-Id": "req-1"}
    assert event["user"] == {"id": "42"}
    assert event["exception"]["values"][0]["value"] == ("bad phone [phone] for password=[Filtered]")


MULTIPROCESS_SCRIPT = r"""
import os, sys
import django
django.setup()
from multiprocessing import get_context

from backend.observability.metrics import HTTP_REQUESTS, exposition

def answer(_):
    HTTP_REQUESTS.labels("GET", "healthz", "200").inc()

with get_context("fork").Pool(2) as pool:
    pool.map(answer, range(3))
sys.stdout.write(exposition().decode())
"""


def test_under_several_processes_one_scrape_adds_them_up(tmp_path):
    """gunicorn's workers (PROMETHEUS_MULTIPROC_DIR); the database here has no tables, so the
    domain gauges are missing and say so, while the counters still answer."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
        "DATABASE_URL": "sqlite://:memory:",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = samples(result.stdout)
    labels = (("method", "GET"), ("route", "healthz"), ("status", "200"))
    assert found[("voisinage_http_requests_total", labels)] == 3
    assert found[("voisinage_database_up", ())] == 0
