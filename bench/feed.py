"""Feed benchmark: the tenant app's first screen and job feed over HTTP, against a bare view.

Seeds a landlord with N tenants (default 5,000) with rich data (a job profile, three matches,
sign-ups, a points ledger, ten inbox rows each; 30 published offers, 5 missions), kept for
the next run of the same size. Serves the project with gunicorn on PostgreSQL as in
production (`DEBUG` off, several sync workers, `backend/gunicorn_conf.py`), and in the same
processes a bare Django view of the same home payload (bench/feed_urls.py: no DRF, no JWT,
a session cookie and `.values()` queries). A bounded pool of client threads drives each
phase with the same concurrency, the phases interleaved (home, bare, feed, 304, then again)
so that each sees the same machine.

Printed per phase: requests/s, p50/p95/p99 and errors; the load average before and after
(with a warning, not a claim, above 1.5 per core). Then the ratios: `/home/` to the bare
view, the 304 answer to the full one; and the queries per request for a tenant with 1 row
of everything and one with 100 (they must be equal).

    .venv/bin/python bench/feed.py                      # 5,000 tenants, 20 clients, 2 rounds
    .venv/bin/python bench/feed.py --tenants 500 --seconds 5 --rounds 1   # a quick check

DATABASE_URL default postgres://postgres@127.0.0.1:5432/vsg_bench_feed (created if missing).
Targets (issue #15): /home/ ≥ 0.6× the bare view's rate, p95 ≤ 50 ms at 20 clients on a
2-core machine, 304 ≥ 3× the full answer's rate, the same query count at 1 and 100 rows.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.push_fanout import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/vsg_bench_feed"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load() -> float:
    return os.getloadavg()[0]


def cores() -> int:
    return len(os.sched_getaffinity(0))


# --------------------------------------------------------------------------- seeding


def fresh_factory_sequences() -> None:
    """The test factories number their rows from 0 in each process; this database is kept
    between runs, so each run starts its numbers where no earlier run went."""
    import factory

    from tests.factories import accounts, jobs, loyalty, notifications, volunteering

    start = int(time.time() * 10) % 10**9 * 100
    for module in (accounts, jobs, loyalty, notifications, volunteering):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
                value.reset_sequence(start)


def seed(n: int, sample: int) -> list:
    """The landlord `feed-N` and its tenants; returns the `sample` tenants the load drives."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from notifications.models import Notification
    from services.accounts.models import Landlord, Residence, Tenancy, Tenant, User
    from services.jobs.models import Match
    from services.volunteering.models import Signup
    from tests.factories.accounts import EmployerFactory
    from tests.factories.jobs import JobProfileFactory, OfferFactory, ensure_rome_reference
    from tests.factories.loyalty import give_points
    from tests.factories.volunteering import MissionFactory, SlotFactory, in_days

    call_command("migrate", verbosity=0)
    landlord, _ = Landlord.objects.get_or_create(
        slug=f"feed-{n}", defaults={"name": f"Feed HLM {n}"}
    )
    tenants = Tenant.objects.filter(landlord=landlord).select_related("user").order_by("id")
    if tenants.count() == n:
        return list(tenants[:sample])
    started = time.monotonic()
    ensure_rome_reference()
    residence, _ = Residence.objects.get_or_create(
        landlord=landlord,
        name="Résidence du Feed",
        defaults={
            "address": "1 rue du Fil",
            "postcode": "17000",
            "city": "La Rochelle",
            "latitude": "46.16",
            "longitude": "-1.15",
        },
    )
    employer = EmployerFactory(name=f"Feed Services {n}", landlords=[landlord])
    romes = ["K2204", "G1602", "N1103", "K1302", "H2102", "G1603"]
    offers = [
        OfferFactory(
            employer=employer,
            title=f"Offre {i}",
            rome_code=romes[i % len(romes)],
            contract_type=["cdi", "cdd", "interim"][i % 3],
            latitude=46.15 + (i % 7) / 100,
            longitude=-1.16 + (i % 5) / 100,
        )
        for i in range(30)
    ]
    slots = [
        SlotFactory(
            mission=MissionFactory(landlord=landlord, residence=residence),
            starts_at=in_days(3 + m * 2 + k),
            capacity=10_000,
        )
        for m in range(5)
        for k in range(2)
    ]
    with transaction.atomic():
        rng = range(n)
        users = User.objects.bulk_create(
            User(
                email=f"t{i}.feed{n}@tenants.bench.voisinage.test",
                role="tenant",
                password="!",
                first_name="Camille",
                last_name=f"Feed{i}",
                language="fr",
            )
            for i in rng
        )
        tenancies = Tenancy.objects.bulk_create(
            Tenancy(
                landlord=landlord,
                residence=residence,
                unit_reference=f"F{i}",
                tenant_reference=f"FEED{n}-{i:06d}",
                holder_names="Feed",
                start_date=datetime.date(2024, 1, 1),
            )
            for i in rng
        )
        created = Tenant.objects.bulk_create(
            Tenant(user=u, landlord=landlord, tenancy=t)
            for u, t in zip(users, tenancies, strict=True)
        )
        now = datetime.datetime.now(datetime.UTC)
        Notification.objects.bulk_create(
            Notification(
                recipient=u,
                kind="announcements.announcement" if k % 3 == 0 else "jobs.match_proposed",
                category="announcements" if k % 3 == 0 else "jobs",
                title=f"Message {k}",
                body="Coupure d'eau jeudi de 9 h à 12 h.",
                read_at=now if k % 2 else None,
            )
            for u in users
            for k in range(10)
        )
    print(f"  {n:,} tenants and their inbox in {time.monotonic() - started:.0f} s", flush=True)
    for i, tenant in enumerate(created):
        profile = JobProfileFactory(tenant=tenant)
        Match.objects.bulk_create(
            Match(
                tenant=tenant,
                offer=offers[(i + k) % len(offers)],
                landlord=landlord,
                state=["suggested", "interested", "proposed"][k],
                score=60 + k,
                reasons=[],
                state_changed_at=now,
                introduced_at=now if k else None,
                proposed_at=now if k == 2 else None,
            )
            for k in range(3)
        )
        Signup.objects.bulk_create(
            Signup(slot=slots[(i + k) % len(slots)], tenant=tenant, status=Signup.Status.CONFIRMED)
            for k in range(2)
        )
        give_points(tenant, 50 + i % 100, key=f"feed-{n}-{i}")
        if i % 500 == 499:
            print(f"  {i + 1:,} tenants given a profile, matches, sign-ups, points", flush=True)
        del profile
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
    return list(tenants[:sample])


def query_counts() -> dict[str, tuple[int, int]]:
    """Queries per request for a tenant with 1 row of everything and one with 100."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from notifications.models import Notification
    from services.accounts.tokens import refresh_for
    from services.jobs.models import Match
    from services.volunteering.models import Signup
    from tests.factories.accounts import (
        EmployerFactory,
        LandlordFactory,
        ResidenceFactory,
        TenantFactory,
    )
    from tests.factories.jobs import JobProfileFactory, OfferFactory
    from tests.factories.loyalty import give_points
    from tests.factories.volunteering import MissionFactory, SlotFactory, in_days

    tag = time.time_ns()
    landlord = LandlordFactory(name=f"Feed counts {tag}", slug=f"feed-counts-{tag}")
    residence = ResidenceFactory(landlord=landlord)
    employer = EmployerFactory(landlords=[landlord])
    offers = [OfferFactory(employer=employer, title=f"Offre {i}") for i in range(100)]
    mission = MissionFactory(landlord=landlord, residence=residence)
    slots = [
        SlotFactory(mission=mission, starts_at=in_days(2 + i / 10), capacity=5) for i in range(100)
    ]
    counts: dict[str, list[int]] = {}
    now = datetime.datetime.now(datetime.UTC)
    for rows in (1, 100):
        tenant = TenantFactory(residence=residence)
        JobProfileFactory(tenant=tenant)
        for i in range(rows):
            Match.objects.create(
                tenant=tenant,
                offer=offers[i],
                landlord=landlord,
                state="proposed",
                score=70,
                state_changed_at=now,
                introduced_at=now,
                proposed_at=now,
            )
            Signup.objects.create(slot=slots[i], tenant=tenant, status="confirmed")
            Notification.objects.create(
                recipient=tenant.user,
                kind="announcements.announcement",
                category="announcements",
                title=f"M{i}",
                body="x",
            )
            give_points(tenant, 10, key=f"counts-{tenant.pk}-{i}")
        token = str(refresh_for(tenant.user).access_token)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        bare = Client()
        bare.force_login(tenant.user)
        for name, client, path in (
            ("/api/v1/home/", api, "/api/v1/home/"),
            ("/api/v1/jobs/offers/", api, "/api/v1/jobs/offers/"),
            ("bare view", bare, "/bare/home/"),
        ):
            client.get(path)  # warm: the first request loads caches (ROME labels, ...)
            with CaptureQueriesContext(connection) as captured:
                status = client.get(path).status_code
            assert status == 200, (path, status)
            counts.setdefault(name, []).append(len(captured))
    return {name: (one, hundred) for name, (one, hundred) in counts.items()}


# --------------------------------------------------------------------------- load


class Phase:
    def __init__(self, name: str, requests: list[tuple[str, dict]]) -> None:
        self.name, self.requests = name, requests


def drive(port: int, phase: Phase, clients: int, seconds: float, rate: float | None = None) -> dict:
    """`clients` threads for `seconds`: each sends its next request as soon as the last one
    is answered (saturation), or, with `rate`, at its turn of a fixed schedule of `rate`
    requests a second over all clients (an app's users, not a flood). A paced request's
    latency counts from its scheduled time, so a late answer also delays what queued behind."""
    latencies: list[float] = []
    statuses: dict[int | str, int] = {}
    lock = threading.Lock()
    began_at = time.perf_counter()
    stop_at = time.monotonic() + seconds
    period = clients / rate if rate else 0.0

    def client(offset: int) -> None:
        mine: list[float] = []
        seen: dict[int | str, int] = {}
        i = offset
        due = began_at + offset * period / clients
        while time.monotonic() < stop_at:
            path, headers = phase.requests[i % len(phase.requests)]
            i += clients
            if rate:
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                started = due
                due += period
            else:
                started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status: int | str = response.status
                conn.close()
            except OSError as error:
                status = type(error).__name__
            mine.append(time.perf_counter() - started)
            seen[status] = seen.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for key, value in seen.items():
                statuses[key] = statuses.get(key, 0) + value

    before = load()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "name": phase.name + (f" at {rate:.0f}/s" if rate else ""),
        "rps": len(latencies) / took,
        "p50": statistics.median(latencies) * 1000,
        "p95": pct(0.95),
        "p99": pct(0.99),
        "statuses": statuses,
        "load": (before, load()),
    }


def bench_cache(url: str) -> str:
    """Production keeps its cache in Redis, shared by the workers: an emptied Redis database
    for this run, or "" (each worker's own memory) when none answers."""
    if not url:
        return ""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError as error:
        print(f"no Redis at {url} ({error}): each worker caches in its own memory")
        return ""
    return url


def wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=200, help="tenants the load drives")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * cores() + 1)
    parser.add_argument(
        "--cache",
        default="redis://127.0.0.1:6379/14",
        help="Redis database the workers share as their cache (emptied first); '' for none",
    )
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="paced phases' rate, as a share of /home/'s saturated rate in the same round",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.feed_settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-feed-secret-key-0123456789abcdef"),
        "JWT_SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY", "bench-feed-jwt-key-0123456789abcd"),
    }
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from services.accounts.tokens import refresh_for

    print(f"load average {load():.2f} on {cores()} cores before seeding", flush=True)
    fresh_factory_sequences()
    sample = seed(args.tenants, args.sample)
    # Fresh planner statistics, as autovacuum keeps them in production: a table seeded
    # seconds ago is planned as if it were empty.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = query_counts()

    port = free_port()
    gunicorn_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_MAX_REQUESTS": "0",
        # As production (backend/settings/production.py): a worker keeps its database
        # connection instead of opening one per request.
        "CONN_MAX_AGE": "60",
    }
    cache_url = bench_cache(args.cache)
    if cache_url:
        gunicorn_env["BENCH_CACHE_URL"] = cache_url
    tmp = Path(tempfile.mkdtemp(prefix="feed-bench-"))
    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "backend.wsgi:application",
            "--config",
            "python:backend.gunicorn_conf",
        ],
        cwd=ROOT,
        env=gunicorn_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(port)
        home, bare, feed, cached = [], [], [], []
        for tenant in sample:
            token = str(refresh_for(tenant.user).access_token)
            auth = {"Authorization": f"Bearer {token}", "Accept-Language": "fr"}
            session = SessionStore()
            session[SESSION_KEY] = str(tenant.user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = tenant.user.get_session_auth_hash()
            session.create()
            home.append(("/api/v1/home/", auth))
            bare.append(("/bare/home/", {"Cookie": f"sessionid={session.session_key}"}))
            feed.append(("/api/v1/jobs/offers/", auth))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/home/", headers=auth)
            response = conn.getresponse()
            response.read()
            cached.append(("/api/v1/home/", {**auth, "If-None-Match": response.getheader("ETag")}))
            conn.close()
        phases = [
            Phase("/api/v1/home/", home),
            Phase("bare view", bare),
            Phase("/api/v1/jobs/offers/", feed),
            Phase("/home/ 304", cached),
        ]
        # The same clients paced at a share of /home/'s saturated rate: the latency an app's
        # user sees when the server is busy but not flooded.
        paced = [Phase("/api/v1/home/ paced", home), Phase("bare view paced", bare)]
        # Warm every worker's caches (imports, ROME labels, connections) before measuring,
        # and the shared cache with each driven tenant's ranking of offers (kept for the day:
        # a steady state, not the first visit of the day).
        for phase in phases:
            drive(port, phase, args.clients, 2)
        for path, headers in home:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
            conn.close()
        results: list[dict] = []
        print(
            f"\n{args.tenants:,} tenants, {len(sample)} driven, {args.clients} clients, "
            f"{args.workers} gunicorn workers, {args.seconds:.0f} s per phase\n"
        )
        print(f"{'phase':<28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
        for round_no in range(1, args.rounds + 1):
            saturated_home = None
            for phase in phases + paced:
                rate = None
                if phase in paced:
                    rate = args.paced_share * saturated_home
                result = drive(port, phase, args.clients, args.seconds, rate=rate)
                result["round"] = round_no
                result["paced"] = rate is not None
                if phase is phases[0]:
                    saturated_home = result["rps"]
                results.append(result)
                before, after = result["load"]
                warn = (
                    "  WARNING: load above 1.5 per core"
                    if max(before, after) > 1.5 * cores()
                    else ""
                )
                print(
                    f"{result['name']:<28} {result['rps']:8.1f} {result['p50']:8.1f} "
                    f"{result['p95']:8.1f} {result['p99']:8.1f}  {result['statuses']}  "
                    f"load {before:.2f}->{after:.2f}{warn}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    def rate(name: str, round_no: int) -> dict:
        return next(
            r
            for r in results
            if r["name"].startswith(name)
            and r["paced"] == ("paced" in name)
            and r["round"] == round_no
        )

    print()
    for round_no in range(1, args.rounds + 1):
        full = rate("/api/v1/home/", round_no)
        ratio = full["rps"] / rate("bare view", round_no)["rps"]
        not_modified = rate("/home/ 304", round_no)["rps"] / full["rps"]
        print(
            f"round {round_no}: /home/ at {ratio:.2f}x the bare view (target >= 0.6); "
            f"304 at {not_modified:.1f}x the full answer (target >= 3); "
            f"/home/ p95 {full['p95']:.0f} ms saturated, "
            f"{rate('/api/v1/home/ paced', round_no)['p95']:.0f} ms paced at "
            f"{args.paced_share:.0%} of that rate (target <= 50; bare view paced: "
            f"{rate('bare view paced', round_no)['p95']:.0f} ms)"
        )
    print("\nqueries per request (1 row of everything / 100 rows):")
    for name, (one, hundred) in counts.items():
        same = "same" if one == hundred else "GROWS"
        print(f"  {name:<22} {one:3d} / {hundred:3d}  {same}")
    errors = sum(
        count
        for r in results
        for status, count in r["statuses"].items()
        if status not in (200, 304)
    )
    print(f"\nerrors: {errors}; gunicorn log: {tmp / 'gunicorn.log'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
