"""Chaos benchmark: the production topology under load while its dependencies fail in turn.

Starts a private Redis (append-only, as in compose.yaml), a fake FCM (bench/fake_fcm.py),
gunicorn with 3 workers (backend/gunicorn_conf.py), 2 Celery workers (3 processes each, as
compose.yaml's worker: --worker-processes) and beat, all on the
local PostgreSQL. Load threads browse as tenants (GET /api/v1/me/, the inbox), register
devices (writes) and, as staff, post an announcement to every tenant now and then. Faults,
one phase each: Redis stopped, one worker SIGKILLed in the middle of a fan-out, every
database connection cut repeatedly, FCM answering 503 to every send. Then it waits until
the outbox settles and checks the database against what the API answered.

Printed per phase: requests answered (2xx) and failed (by status, or the exception), and
the time from the end of the fault to the last failed request (API recovery), and to the
moment every announcement accepted and every delivery written before the fault's end has
settled (outbox recovery; for the kill, counted from the kill). At the end: writes lost
(a 2xx device registration or announcement missing), pushes lost (a delivery of an accepted
announcement neither sent nor failed for a reason), pushes duplicated (FCM accepted more
messages than deliveries sent), and how long the outbox took to settle.

The machine's load average is printed at the start and the end: the figures depend on it.

    .venv/bin/python bench/chaos.py                     # 1,000 tenants, 20 s phases
    .venv/bin/python bench/chaos.py --tenants 5000 --phase-seconds 60

DATABASE_URL default postgres://postgres@127.0.0.1:5432/vsg_ops_chaos (created if missing).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_fcm import FakeFcmProcess, service_account_info  # noqa: E402
from bench.push_fanout import ensure_database, seed, setup_django  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Processes:
    def __init__(self, env: dict, tmp: Path, redis_port: int, worker_processes: int = 3) -> None:
        self.env, self.tmp, self.redis_port = env, tmp, redis_port
        self.worker_processes = worker_processes
        self.procs: dict[str, subprocess.Popen] = {}
        self.lock = threading.RLock()  # the supervisor thread restarts exited workers
        self.started = time.monotonic()

    def start(self, name: str, argv: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115
        with self.lock:
            self.procs[name] = subprocess.Popen(
                argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def redis(self) -> None:
        self.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.tmp),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis did not start")

    def worker(self, name: str) -> None:
        self.start(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "backend",
                "worker",
                "-n",
                f"{name}@%h",
                "-Q",
                self.env["BENCH_QUEUE"],
                "--concurrency",
                str(self.worker_processes),
                "--without-gossip",
                "--without-mingle",
                "-l",
                "warning",
            ],
        )

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        with self.lock:
            proc = self.procs.pop(name)
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart_exited(self) -> list[str]:
        """What compose's restart policy does: start again any worker that exited."""
        with self.lock:
            exited = [
                n for n, p in self.procs.items() if n.startswith("worker") and p.poll() is not None
            ]
            for name in exited:
                self.procs.pop(name)
                self.worker(name)
        return exited

    def supervise(self, stopping: threading.Event, restarted: list[str]) -> None:
        """Restart exited workers within a second or two, as compose does (a worker can
        exit on a Redis outage: kombu's "Unrecoverable error: AttributeError('NoneType'
        object has no attribute 'hostname')" on reconnecting, a known upstream bug)."""
        while not stopping.wait(1.0):
            for name in self.restart_exited():
                restarted.append(f"{name} at +{time.monotonic() - self.started:.0f} s")

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


DEVICES_PER_TENANT = 3


class Load:
    """Threads sending requests; every outcome is recorded with the phase it fell in."""

    def __init__(self, base: str, tenant_tokens: list[str], staff_token: str) -> None:
        self.base, self.tenant_tokens, self.staff_token = base, tenant_tokens, staff_token
        self.phase = "warm-up"
        self.results: list[tuple[float, str, str, str]] = []  # (t, phase, kind, outcome)
        self.devices: list[str] = []  # tokens registered with a 2xx
        self.announcements: list[str] = []  # ids answered 202
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def call(self, method: str, path: str, token: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Host": "127.0.0.1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return str(response.status), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return str(error.code), None
        except OSError as error:
            return type(error).__name__, None

    def record(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.results.append((time.monotonic(), self.phase, kind, outcome))

    def tenant(self) -> None:
        while not self.stopping.is_set():
            tenant = random.randrange(len(self.tenant_tokens))
            token = self.tenant_tokens[tenant]
            if random.random() < 0.2:
                # A phone registering again, or one of the tenant's others: a few devices
                # each, so every announcement reaches about as many devices at the end of
                # a long run as at the start (a steady load, not an ever bigger one).
                slot = random.randrange(DEVICES_PER_TENANT)
                identifier = f"chaos-{tenant}-{slot}-{'c' * 100}"
                status, _ = self.call(
                    "POST", "/api/v1/devices/", token, {"token": identifier, "platform": "android"}
                )
                self.record("device", status)
                if status.startswith("2"):
                    with self.lock:
                        self.devices.append(identifier)
            else:
                path = random.choice(["/api/v1/me/", "/api/v1/notifications/"])
                status, _ = self.call("GET", path, token)
                self.record("read", status)
            time.sleep(0.05)

    def staff(self, every: float) -> None:
        while not self.stopping.wait(every):
            self.announce()

    def announce(self) -> None:
        status, body = self.call(
            "POST",
            "/api/v1/announcements/",
            self.staff_token,
            {"title": "Coupure d'eau", "body": f"Jeudi de 9 h à 12 h ({self.phase})."},
        )
        self.record("announcement", status)
        if status.startswith("2"):
            with self.lock:
                self.announcements.append(body["id"])


def wait_until_serving(url: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Host": "127.0.0.1"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


class OutboxWatch:
    """For each fault: seconds from its end until nothing written before that end is left
    (announcements all fanned out, deliveries all sent, failed or skipped). Polls from its
    own thread and connection; the database cut phase cuts it too, so errors are retried."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.waiting: dict[str, tuple[float, object]] = {}  # name: (monotonic end, wall end)
        self.recovered: dict[str, float] = {}
        # name: [(seconds since the end, what is still left)]: the recovery's timeline.
        self.timeline: dict[str, list[tuple[float, dict]]] = collections.defaultdict(list)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def fault_ended(self, name: str) -> None:
        from services.core import clock

        self.waiting[name] = (time.monotonic(), clock.now())

    def _left(self, wall_end) -> dict:
        """What still holds the recovery, by the path that will pick it up: announcements
        not fanned out (and how long since their fan-out moved: the sweep resumes them),
        deliveries claimed (a worker holds them, alive or dead: the lease), due and
        unclaimed (waiting for a task or the sweep), handed over by the sweep (its task
        queued), or waiting for a retry (the backoff)."""
        from django.db.models import Count, Max, Q

        from notifications.models import Announcement, Delivery
        from services.core import clock

        now = clock.now()
        left: dict = {}
        idle = [
            (now - updated).total_seconds()
            for updated in Announcement.objects.filter(created_at__lte=wall_end)
            .exclude(status=Announcement.Status.DONE)
            .values_list("updated_at", flat=True)
        ]
        if idle:
            left["fan-outs"] = len(idle)
            left["fan-out idle s"] = round(max(idle))
        held = Q(claimed_until__gt=now)
        counts = Delivery.objects.filter(
            status=Delivery.Status.PENDING, created_at__lte=wall_end
        ).aggregate(
            claimed=Count("id", filter=held & Q(claim_token__isnull=False)),
            handed=Count("id", filter=held & Q(claim_token__isnull=True)),
            due=Count("id", filter=~held & Q(next_attempt_at__lte=now)),
            retry=Count("id", filter=~held & Q(next_attempt_at__gt=now)),
            last_retry=Max("next_attempt_at", filter=~held & Q(next_attempt_at__gt=now)),
            attempts=Max("attempts"),
        )
        for key in ("claimed", "handed", "due", "retry"):
            if counts[key]:
                left[key] = counts[key]
        if counts["retry"]:
            left["retry in s"] = round((counts["last_retry"] - now).total_seconds())
        if any(counts[key] for key in ("claimed", "handed", "due", "retry")):
            left["max attempts"] = counts["attempts"]
        return left

    def _run(self) -> None:
        from django.db import DatabaseError, connection

        while not self.stopping.wait(1.0):
            for name, (end, wall_end) in list(self.waiting.items()):
                if name in self.recovered:
                    continue
                try:
                    left = self._left(wall_end)
                    self.timeline[name].append((time.monotonic() - end, left))
                    if not left:
                        self.recovered[name] = time.monotonic() - end
                except DatabaseError:
                    connection.close()
                if time.monotonic() - end > self.limit:
                    self.recovered.setdefault(name, float("inf"))
        connection.close()

    def wait_for(self, name: str, *, at_least: float, at_most: float) -> None:
        """Until fault `name` has recovered (at least `at_least` seconds from now, at most
        `at_most`): the next fault then starts from a settled outbox, not in the middle of
        this one's recovery (which would be counted twice)."""
        started = time.monotonic()
        time.sleep(at_least)
        while name not in self.recovered and time.monotonic() - started < at_most:
            time.sleep(1)

    def report(self, name: str) -> list[str]:
        """The recovery's timeline: a line whenever what is left changes kind, and every
        5 s."""
        lines, shown_keys, shown_at = [], None, -10.0
        for at, left in self.timeline.get(name, []):
            if set(left) != shown_keys or at - shown_at >= 5 or not left:
                text = ", ".join(f"{k} {v}" for k, v in left.items()) or "settled"
                lines.append(f"    +{at:5.1f} s  {text}")
                shown_keys, shown_at = set(left), at
        return lines

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while set(self.waiting) - set(self.recovered) and time.monotonic() < deadline:
            time.sleep(1)
        self.stopping.set()
        self.thread.join(timeout=10)


def cut_database_connections(database: str) -> int:
    import psycopg
    from django.db import connection

    params = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=params["USER"],
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return len(rows)


FAULTS = ("redis", "kill", "database", "fcm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument(
        "--phase-seconds",
        type=float,
        default=20.0,
        help="the baseline, and the least time after a fault",
    )
    parser.add_argument("--announce-every", type=float, default=6.0)
    parser.add_argument("--settle", type=float, default=480.0)
    # The issue's faults: Redis stopped 60 s, FCM 503 for 120 s, the database cut 10 s.
    parser.add_argument("--redis-outage-seconds", type=float, default=60.0)
    parser.add_argument("--fcm-outage-seconds", type=float, default=120.0)
    parser.add_argument("--database-cut-seconds", type=float, default=10.0)
    parser.add_argument(
        "--restart-after", type=float, default=10.0, help="the killed worker starts again after"
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=3,
        help="processes per Celery worker (compose.yaml runs --concurrency=3)",
    )
    parser.add_argument(
        "--recovery-limit",
        type=float,
        default=150.0,
        help="the next fault waits for the outbox to recover from this one, at most this long",
    )
    parser.add_argument(
        "--only",
        choices=FAULTS,
        action="append",
        help="inject only this fault (repeatable; the default: all four, in this order)",
    )
    args = parser.parse_args()
    faults = set(args.only or FAULTS)
    load_at_start = os.getloadavg()

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vsg_ops_chaos"
    )
    ensure_database(database_url)
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    redis_port, api_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"

    with FakeFcmProcess(latency_ms=20) as fake:
        key_file = tmp / "service-account.json"
        key_file.write_text(json.dumps(service_account_info(token_uri=f"{fake.url}/token")))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.chaos_settings",
            # Production's retry backoff (bench/settings.py shortens it for the fan-out
            # benchmark): the FCM outage is measured with the delays it would have.
            "BENCH_RETRY_BASE_SECONDS": os.environ.get("BENCH_RETRY_BASE_SECONDS", "10"),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "FIREBASE_CREDENTIALS": str(key_file),
            "FCM_ENDPOINT": fake.url,
            "BENCH_QUEUE": f"chaos-{uuid.uuid4().hex[:6]}",
            "PYTHONPATH": str(ROOT),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "WEB_CONCURRENCY": "3",
            "GUNICORN_BIND": f"127.0.0.1:{api_port}",
            "CONN_MAX_AGE": "60",
        }
        setup_django(env)
        from notifications.models import Announcement, Delivery, Device
        from services.accounts.models import Tenant
        from services.accounts.tokens import issue_tokens

        staff_user, landlord = seed(args.tenants)
        Device.objects.filter(identifier__startswith="chaos-").delete()  # an earlier run's
        tenants = list(Tenant.objects.filter(landlord=landlord).select_related("user")[:50])
        load = Load(
            f"http://127.0.0.1:{api_port}",
            [issue_tokens(t.user)["access"] for t in tenants],
            issue_tokens(staff_user)["access"],
        )

        def refresh_tokens() -> None:
            """Access tokens last 10 minutes, a run with the issue's outages longer: new
            ones every 5 minutes (a 401 is the bench's failure, not the product's)."""
            from django.db import DatabaseError, connection

            while not load.stopping.wait(300):
                while not load.stopping.is_set():
                    try:
                        load.tenant_tokens = [issue_tokens(t.user)["access"] for t in tenants]
                        load.staff_token = issue_tokens(staff_user)["access"]
                        break
                    except DatabaseError:  # the database cut phase
                        connection.close()
                        time.sleep(2)
            connection.close()

        threading.Thread(target=refresh_tokens, daemon=True).start()

        procs = Processes(env, tmp, redis_port, args.worker_processes)
        procs.redis()
        procs.start(
            "api",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "backend.wsgi:application",
                "--config",
                "python:backend.gunicorn_conf",
            ],
        )
        procs.worker("worker1")
        procs.worker("worker2")
        procs.start(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "backend",
                "beat",
                "-l",
                "warning",
                "--schedule",
                str(tmp / "beat-schedule"),
            ],
        )
        wait_until_serving(f"http://127.0.0.1:{api_port}/healthz", timeout=120)
        time.sleep(5)  # the workers and beat boot meanwhile
        fake.reset()
        threads = [threading.Thread(target=load.tenant, daemon=True) for _ in range(3)]
        threads.append(
            threading.Thread(target=load.staff, args=(args.announce_every,), daemon=True)
        )
        for thread in threads:
            thread.start()

        fault_windows: dict[str, tuple[float, float]] = {}
        watch = OutboxWatch(limit=args.settle)
        restarted: list[str] = []
        threading.Thread(
            target=procs.supervise, args=(load.stopping, restarted), daemon=True
        ).start()
        started = time.monotonic()
        try:
            load.phase = "baseline"
            time.sleep(args.phase_seconds)
            watch.fault_ended(load.phase)  # no fault: the outbox's delay under this load

            def recover(name: str, at_least: float = args.phase_seconds) -> None:
                watch.wait_for(name, at_least=at_least, at_most=args.recovery_limit)

            recover("baseline", at_least=0)  # the lag alone, not the lag and a Redis outage

            if "redis" in faults:
                load.phase = "redis stopped"
                begin = time.monotonic()
                procs.stop("redis")
                time.sleep(args.redis_outage_seconds)
                procs.redis()
                fault_windows[load.phase] = (begin, time.monotonic())
                watch.fault_ended(load.phase)
                load.phase = "after redis"
                recover("redis stopped")

            if "kill" in faults:
                load.phase = "worker killed"
                begin = time.monotonic()
                load.announce()
                time.sleep(0.5)  # the fan-out is under way in one of the workers
                procs.stop("worker1", signal.SIGKILL)
                watch.fault_ended(load.phase)  # the kill is the fault: from here
                time.sleep(args.restart_after)
                procs.worker("worker1")  # as compose's restart policy would
                fault_windows[load.phase] = (begin, time.monotonic())
                load.phase = "after kill"
                recover("worker killed")

            if "database" in faults:
                load.phase = "database cut"
                begin = time.monotonic()
                database = database_url.rsplit("/", 1)[1]
                cuts = 0
                while time.monotonic() - begin < args.database_cut_seconds:
                    cuts += cut_database_connections(database)
                    time.sleep(0.5)
                fault_windows[load.phase] = (begin, time.monotonic())
                watch.fault_ended(load.phase)
                load.phase = "after database"
                recover("database cut")

            if "fcm" in faults:
                load.phase = "fcm 503"
                begin = time.monotonic()
                fake.outage(args.fcm_outage_seconds)
                load.announce()
                time.sleep(args.fcm_outage_seconds)
                fault_windows[load.phase] = (begin, time.monotonic())
                watch.fault_ended(load.phase)
                load.phase = "after fcm"
                recover("fcm 503")
        finally:
            load.stopping.set()
            for thread in threads:
                thread.join(timeout=40)
        load_seconds = time.monotonic() - started

        # Let the outbox settle: every accepted announcement fanned out, no delivery pending.
        settle_started = time.monotonic()
        from django.db import connection

        connection.close()
        while time.monotonic() - settle_started < args.settle:
            open_announcements = (
                Announcement.objects.filter(public_id__in=load.announcements)
                .exclude(status=Announcement.Status.DONE)
                .count()
            )
            pending = Delivery.objects.filter(status=Delivery.Status.PENDING).count()
            if open_announcements == 0 and pending == 0:
                break
            time.sleep(2)
        settled_after = time.monotonic() - settle_started
        watch.wait(timeout=max(0.0, args.settle - settled_after))
        time.sleep(2)
        stats = fake.stats()
        procs.stop_all()

        # --- the checks, against the database
        found_announcements = Announcement.objects.filter(public_id__in=load.announcements)
        announcements_lost = len(load.announcements) - found_announcements.count()
        devices_lost = (
            len(set(load.devices)) - Device.objects.filter(identifier__in=set(load.devices)).count()
        )
        accepted = Delivery.objects.filter(
            notification__link_id__in=[str(a) for a in load.announcements]
        )
        by_status = collections.Counter(accepted.values_list("status", flat=True))
        pushes_lost = by_status.get("pending", 0)
        sent_total = Delivery.objects.filter(status=Delivery.Status.SENT).count()
        fcm_accepted = sum(stats["accepted"].values())
        duplicated = max(0, fcm_accepted - sent_total)

    print(
        f"\nchaos: {args.tenants:,} tenants, {len(load.announcements)} announcements "
        f"accepted, {len(load.results):,} requests in {load_seconds:.0f} s; 2 workers of "
        f"{args.worker_processes} processes; logs in {tmp}"
    )
    print(
        f"load average (1, 5, 15 min): at start {', '.join(f'{x:.1f}' for x in load_at_start)}"
        f"; at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(
        f"{'phase':<16} {'2xx':>6} {'failed':>7}  failures by status       "
        "API recovery  outbox recovery"
    )
    phases = list(dict.fromkeys(phase for _, phase, _, _ in load.results))
    for phase in phases:
        rows = [r for r in load.results if r[1] == phase]
        ok = sum(1 for r in rows if r[3].startswith("2"))
        failed = collections.Counter(r[3] for r in rows if not r[3].startswith("2"))
        recovery = ""
        window = fault_windows.get(phase)
        if window:
            # The last failure between this fault's start and the next fault's.
            starts = sorted(a for a, _ in fault_windows.values() if a > window[0])
            until = starts[0] if starts else float("inf")
            later = [
                r[0] for r in load.results if window[0] <= r[0] < until and not r[3].startswith("2")
            ]
            recovery = f"{max(0.0, max(later) - window[1]):.1f} s" if later else "0 s"
        failures = ", ".join(f"{k}: {v}" for k, v in sorted(failed.items())) or "-"
        outbox = watch.recovered.get(phase)
        outbox_text = "" if outbox is None else f"{outbox:.0f} s"
        print(
            f"{phase:<16} {ok:>6} {sum(failed.values()):>7}  {failures:<24} "
            f"{recovery:<13} {outbox_text}"
        )
    outside = sum(
        1
        for t, phase, _, outcome in load.results
        if outcome.startswith("5") and not any(a <= t <= b + 30 for a, b in fault_windows.values())
    )
    print(f"5xx outside the fault windows (+30 s): {outside}")
    print(f"workers that exited by themselves and were restarted: {restarted or 'none'}")
    print(f"writes lost: announcements {announcements_lost}, devices {devices_lost}")
    print(f"deliveries of accepted announcements: {dict(by_status)}")
    print(f"FCM answered {stats.get('outage_rejected', 0):,} sends with 503 during its outage")
    print(
        f"pushes lost (still pending): {pushes_lost}; duplicated at FCM: {duplicated} "
        f"(FCM accepted {fcm_accepted:,}, deliveries sent {sent_total:,})"
    )
    print(
        f"outbox settled {settled_after:.0f} s after the load stopped (limit {args.settle:.0f} s)"
    )
    print(
        "\nWhat the outbox still had to do after each fault, by the path that picks it up "
        "(fan-outs: the sweep resumes one idle for tasks.ANNOUNCEMENT_IDLE; claimed: a "
        "worker's lease; handed: a task the sweep queued; due: a queued task or the sweep; "
        "retry: the backoff):"
    )
    for name in watch.waiting:
        print(f"  {name}:")
        print("\n".join(watch.report(name)))
    (tmp / "timeline.json").write_text(json.dumps(watch.timeline, indent=1))


if __name__ == "__main__":
    main()
