"""Benchmark: an announcement to N tenants on the embedded default (SQLite, no Redis).

The `make run` setup: backend.settings.local, a SQLite file, no broker, the log push channel.
The staff POST /api/v1/announcements/ is timed through Django's full stack (middleware, JWT,
the view, the commit) in two ways, in the same run:

- inline (the baseline, what the embedded default did before): CELERY_TASK_ALWAYS_EAGER, so
  the fan-out and the pushes run inside the request;
- in-process (the default now, backend/taskqueue.py): the request answers once the
  announcement is committed; a thread of the process fans it out and sends the pushes.

For the in-process way it also prints how long the thread took to finish (every inbox row
written, every delivery sent).

    .venv/bin/python bench/embedded_announcement.py                 # 1,000 tenants, 5 runs
    .venv/bin/python bench/embedded_announcement.py --tenants 5000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database: Path) -> None:
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "TASKS_IN_PROCESS"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="backend.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        ALLOWED_HOSTS="testserver,localhost",
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    import django

    django.setup()


def seed(n: int):
    import datetime

    from django.core.management import call_command
    from django.db import transaction

    from notifications.models import Device
    from services.accounts.models import Landlord, Residence, Staff, Tenancy, Tenant, User

    call_command("migrate", verbosity=0)
    landlord = Landlord.objects.create(slug="bench-embedded", name="Bench HLM")
    residence = Residence.objects.create(
        landlord=landlord,
        name="Résidence Bench",
        address="1 rue du Banc",
        postcode="17000",
        city="La Rochelle",
        latitude="46.16",
        longitude="-1.15",
    )
    staff = User.objects.create_user(
        "staff@bench.voisinage.test", "Bench-password-42", role="staff"
    )
    Staff.objects.create(user=staff, landlord=landlord, role="community")
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(email=f"t{i}@tenants.bench.voisinage.test", role="tenant", password="!")
                for i in range(n)
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
                for i in range(n)
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
                    identifier=f"tok-{i:07d}-{'t' * 140}",
                    platform="android",
                    last_seen_at=now,
                )
                for i, u in enumerate(users)
            ]
        )
    return staff


def post(client) -> float:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/announcements/",
        {"title": "Coupure d'eau", "body": "Jeudi de 9 h à 12 h, bâtiment B."},
        content_type="application/json",
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.content
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        setup(Path(scratch) / "bench.sqlite3")
        from django.conf import settings
        from django.test import Client

        from backend import taskqueue
        from backend.celery import app
        from notifications.models import Announcement, Delivery
        from services.accounts.tokens import issue_tokens

        assert settings.TASKS_IN_PROCESS and not app.conf.task_always_eager
        staff = seed(args.tenants)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(staff)['access']}")
        post(client)  # warm-up: imports, first queries (not counted)
        runner = taskqueue.runner(app)
        assert runner.drain(300)

        app.conf.task_always_eager = True
        inline = [post(client) for _ in range(args.runs)]
        app.conf.task_always_eager = False

        answered, finished = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            answered.append(post(client))
            assert runner.drain(300)
            finished.append(time.perf_counter() - started)
        pending = Announcement.objects.exclude(status=Announcement.Status.DONE).count()
        unsent = Delivery.objects.exclude(status=Delivery.Status.SENT).count()
        assert pending == 0 and unsent == 0, (pending, unsent)

    def ms(values):
        return f"{statistics.median(values) * 1000:8.1f} ms (max {max(values) * 1000:.1f})"

    print(
        f"announcement to {args.tenants:,} tenants with a device each, SQLite, no broker, "
        f"median of {args.runs} runs"
    )
    print(f"  inline (eager, baseline)        answers in {ms(inline)}")
    print(f"  in-process thread (the default) answers in {ms(answered)}")
    print(f"  in-process thread: all sent after          {ms(finished)}")
    ratio = statistics.median(inline) / statistics.median(answered)
    print(f"  answer time, inline / in-process: {ratio:.1f}x")


if __name__ == "__main__":
    main()
