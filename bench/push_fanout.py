"""Benchmark: one announcement fanned out to N devices through the real stack.

A real Celery worker on Redis and PostgreSQL, the real firebase-admin SDK, and a local
fake FCM (bench/fake_fcm.py: configurable latency, 1 % UNREGISTERED, 0.5 % 503 once)
reached through settings.FCM_ENDPOINT. Then, on the same fake server, the same messages
sent the way fcm-django does it (sequential `send_each` batches of 500) for comparison.

    .venv/bin/python bench/push_fanout.py                    # 5,000 devices
    .venv/bin/python bench/push_fanout.py --devices 100000   # full scale

Needs PostgreSQL and Redis (DATABASE_URL default postgres://postgres@127.0.0.1:5432/
vsg_notif_bench, created if missing; REDIS_URL default redis://127.0.0.1:6379/14).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_fcm import FakeFcmProcess, service_account_info  # noqa: E402

UNREGISTERED_EVERY = 100  # 1 %
FLAKY_EVERY = 200  # 0.5 %


def token_for(i: int, n: int) -> str:
    if i % UNREGISTERED_EVERY == 0:
        return f"dead-{n}-{i:07d}-{'d' * 140}"
    if i % FLAKY_EVERY == 1:
        return f"flaky-{n}-{i:07d}-{'f' * 140}"
    return f"tok-{n}-{i:07d}-{'t' * 140}"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def seed(n: int) -> tuple:
    """N tenants with one device each, under a landlord of their own ("bench-N"), kept
    for the next run of the same size (nothing is ever deleted but notifications)."""
    import datetime

    from django.core.management import call_command
    from django.db import connection, transaction

    from notifications.models import Announcement, Device, Notification
    from services.accounts.models import Landlord, Residence, Staff, Tenancy, Tenant, User

    call_command("migrate", verbosity=0)
    landlord, _ = Landlord.objects.get_or_create(
        slug=f"bench-{n}", defaults={"name": f"Bench HLM {n}"}
    )
    residence, _ = Residence.objects.get_or_create(
        landlord=landlord,
        name="Résidence Bench",
        defaults={
            "address": "1 rue du Banc",
            "postcode": "17000",
            "city": "La Rochelle",
            "latitude": "46.16",
            "longitude": "-1.15",
        },
    )
    staff_email = f"staff-{n}@bench.voisinage.test"
    staff_user = User.objects.filter(email=staff_email).first()
    if staff_user is None:
        staff_user = User.objects.create_user(staff_email, "Bench-password-42", role="staff")
        Staff.objects.create(user=staff_user, landlord=landlord, role="community")
    Notification.objects.all().delete()  # cascades to deliveries
    Announcement.objects.all().delete()
    have = Tenant.objects.filter(landlord=landlord).count()
    if have != n:
        started = time.monotonic()
        with transaction.atomic():
            for start in range(0, n, 10_000):
                rng = range(start, min(n, start + 10_000))
                users = User.objects.bulk_create(
                    [
                        User(
                            email=f"t{i}.n{n}@tenants.bench.voisinage.test",
                            role="tenant",
                            password="!",
                            language="fr" if i % 5 else "en",
                        )
                        for i in rng
                    ]
                )
                tenancies = Tenancy.objects.bulk_create(
                    [
                        Tenancy(
                            landlord=landlord,
                            residence=residence,
                            unit_reference=f"U{i}",
                            tenant_reference=f"B{i:07d}",
                            holder_names="Bench",
                            start_date=datetime.date(2024, 1, 1),
                        )
                        for i in rng
                    ]
                )
                Tenant.objects.bulk_create(
                    [
                        Tenant(user=u, landlord=landlord, tenancy=t)
                        for u, t in zip(users, tenancies, strict=True)
                    ]
                )
                now = datetime.datetime.now(datetime.UTC)
                Device.objects.bulk_create(
                    [
                        Device(
                            user=u,
                            identifier=token_for(i, n),
                            platform="android",
                            last_seen_at=now,
                        )
                        for i, u in zip(rng, users, strict=True)
                    ]
                )
        print(f"seeded {n:,} tenants and devices in {time.monotonic() - started:.1f} s")
    else:
        Device.objects.filter(user__tenant__landlord=landlord).update(
            is_active=True, deactivated_at=None, deactivation_reason="", last_error=""
        )
    # What autovacuum keeps doing on a live database (it is off on some machines): without
    # it each run inherits the previous runs' dead rows and stale statistics.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return staff_user, landlord


def start_worker(env: dict, concurrency: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backend",
            "worker",
            "-Q",
            env["BENCH_QUEUE"],
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def tree_peak_rss_mb(pid: int) -> tuple[float, float]:
    """(largest process, whole worker tree) peak RSS (VmHWM), in MB."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    peaks = []
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return (max(peaks, default=0.0), sum(peaks))


def fcm_django_way(n: int, fake: FakeFcmProcess) -> float:
    """fcm-django's FCMDeviceQuerySet.send_message: messages for every token, then
    `messaging.send_each` on sequential batches of 500, the SDK's default transport."""
    import firebase_admin
    from django.conf import settings
    from firebase_admin import credentials, messaging

    from notifications.channels import fcm

    info = fcm.load_service_account(settings.FIREBASE_CREDENTIALS)
    app = firebase_admin.initialize_app(
        credentials.Certificate(info), {"projectId": info["project_id"]}, name="fcm-django"
    )
    fcm.configure_transport(app, endpoint=settings.FCM_ENDPOINT, concurrency=100, sdk_retries=True)
    tokens = [token_for(i, n) for i in range(n)]
    started = time.monotonic()
    for start in range(0, n, 500):
        batch = []
        for token in tokens[start : start + 500]:
            message = messaging.Message(
                notification=messaging.Notification(title="Coupure d'eau", body="Jeudi 9-12 h"),
                data={"kind": "announcements.announcement"},
            )
            message.token = token
            batch.append(message)
        messaging.send_each(batch, app=app)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Push fan-out benchmark")
    parser.add_argument("--devices", type=int, default=5_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--worker-concurrency", type=int, default=3)
    parser.add_argument("--fcm-concurrency", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vsg_notif_bench"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    ensure_database(database_url)
    tmp = Path(tempfile.mkdtemp(prefix="push-fanout-"))

    with FakeFcmProcess(latency_ms=args.latency_ms) as fake:
        key_file = tmp / "service-account.json"
        key_file.write_text(json.dumps(service_account_info(token_uri=f"{fake.url}/token")))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "FIREBASE_CREDENTIALS": str(key_file),
            "FCM_ENDPOINT": fake.url,
            "FCM_CONCURRENCY": str(args.fcm_concurrency),
            "BENCH_QUEUE": f"bench-notifications-{uuid.uuid4().hex[:6]}",
            "PYTHONPATH": str(ROOT),
            "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        }
        setup_django(env)
        from django.db.models import Q

        from notifications.models import Delivery, Device
        from services.accounts.tokens import issue_tokens

        staff_user, landlord = seed(args.devices)
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(staff_user)['access']}")
        client.get("/api/v1/devices/")  # warm the URLconf and the JWT path

        worker = start_worker(env, args.worker_concurrency, tmp / "worker.log")
        time.sleep(4)  # let the worker boot before the clock starts
        try:
            # Warm-up (first broker connection, lazy imports): an announcement to a
            # residence nobody lives in.
            from services.accounts.models import Residence

            empty, _ = Residence.objects.get_or_create(
                landlord=landlord,
                name="Résidence vide",
                defaults={
                    "address": "2 rue du Banc",
                    "postcode": "17000",
                    "city": "La Rochelle",
                    "latitude": "46.16",
                    "longitude": "-1.15",
                },
            )
            client.post(
                "/api/v1/announcements/",
                {"title": "x", "body": "y", "residences": [str(empty.public_id)]},
                format="json",
            )
            time.sleep(1)
            fake.reset()
            started = time.monotonic()
            response = client.post(
                "/api/v1/announcements/",
                {"title": "Coupure d'eau", "body": "Jeudi de 9 h à 12 h, bâtiments A et B."},
                format="json",
            )
            api_ms = (time.monotonic() - started) * 1000
            assert response.status_code == 202, response.content

            attempted_at = settled_at = None
            deadline = started + args.timeout
            while time.monotonic() < deadline:
                attempted = Delivery.objects.filter(attempts__gte=1).count()
                if attempted_at is None and attempted >= args.devices:
                    attempted_at = time.monotonic() - started
                if (
                    attempted_at is not None
                    and not Delivery.objects.filter(Q(status="pending")).exists()
                ):
                    settled_at = time.monotonic() - started
                    break
                time.sleep(1.0)
            peak_one, peak_tree = tree_peak_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=60)

        from notifications.models import Announcement

        announcement = Announcement.objects.order_by("-id").first()
        fan_out_s = (
            (announcement.completed_at - announcement.created_at).total_seconds()
            if announcement.completed_at
            else float("nan")
        )
        stats = fake.stats()
        accepted = stats["accepted"]
        tokens = [token_for(i, args.devices) for i in range(args.devices)]
        expected = {t for t in tokens if not t.startswith("dead-")}
        dead = args.devices // UNREGISTERED_EVERY + (1 if args.devices % UNREGISTERED_EVERY else 0)
        lost = len(expected - set(accepted))
        duplicated = sum(c - 1 for c in accepted.values() if c > 1)
        deactivated = Device.objects.filter(
            deactivation_reason="unregistered", user__tenant__landlord=landlord
        ).count()
        done = attempted_at or float("nan")

        print()
        print(
            f"devices                          {args.devices:,}  (fake FCM latency "
            f"{args.latency_ms:g} ms, worker -c {args.worker_concurrency}, "
            f"FCM_CONCURRENCY {args.fcm_concurrency})"
        )
        print(f"API answer (POST /announcements/) {api_ms:.1f} ms")
        print(f"inbox rows + deliveries written  {fan_out_s:.1f} s (fan-out task)")
        print(f"every delivery attempted after   {done:.1f} s")
        print(f"all settled (retries included)   {settled_at or float('nan'):.1f} s")
        print(f"messages per second              {args.devices / done:,.0f}")
        print(f"lost                             {lost}")
        print(f"duplicated                       {duplicated}")
        print(
            f"UNREGISTERED deactivated         {deactivated} of {dead} "
            f"({100 * deactivated / max(dead, 1):.0f} %)"
        )
        print(f"503 answered once, then retried  {stats['unavailable']}")
        print(
            f"worker peak RSS                  {peak_one:.0f} MB per process, "
            f"{peak_tree:.0f} MB whole worker"
        )

        if not args.skip_baseline:
            fake.reset()
            baseline = fcm_django_way(args.devices, fake)
            print(
                f"fcm-django way (sequential send_each of 500, send only) {baseline:.1f} s "
                f"= {args.devices / baseline:,.0f} msg/s"
            )
            print(
                f"ratio fcm-django time / ours     {baseline / done:.2f}x "
                f"(ours includes writing the inbox rows and deliveries)"
            )


if __name__ == "__main__":
    main()
