"""Redemptions per second on one hot reward: the action vs the same work as raw SQL.

Not a test. Runs against its own PostgreSQL database (created and migrated if missing):

    .venv/bin/python bench/redeem.py [--clients 50] [--per-client 20]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vsg_loyalty_bench (default)

Two phases start from identical state (50 tenants with the same lots, one reward with
exactly enough stock): phase 1 calls `services.loyalty.actions.reward_redeem`, phase 2 runs
the same statements by hand through psycopg (lock the account, read the open lots, consume
them, write the spend entry and its consumptions, move the balance, take the stock with a
conditional UPDATE, insert the redemption and the inbox row) — one transaction per
redemption, 50 threads, each with its own connection. After each phase the invariants are
checked: stock never below zero, issued == stock taken, no negative balance, every account's
balance equals the sum of its entries and of its open lots. Targets: action rate ≥ 1/3 of
raw SQL, 0 deadlocks, 0 violations.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/vsg_loyalty_bench"


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.test")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _make_world(tag: str, clients: int, per_client: int, cost: int):
    """A landlord, `clients` tenants each with points for exactly `per_client` redemptions in
    four lots, and one reward whose stock is exactly what they will take."""
    from services.accounts.models import Landlord, Residence, Tenancy, Tenant, User
    from services.loyalty import actions
    from services.loyalty.models import Reward, Rule

    landlord = Landlord.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    residence = Residence.objects.create(
        landlord=landlord,
        name="Bench",
        address="1 rue du Banc",
        postcode="17000",
        city="La Rochelle",
        latitude=46.16,
        longitude=-1.15,
    )
    tenants = []
    for index in range(clients):
        user = User.objects.create(email=f"{tag}-{index}@bench.test", role="tenant")
        tenancy = Tenancy.objects.create(
            landlord=landlord,
            residence=residence,
            unit_reference=f"U{index}",
            tenant_reference=f"{tag}-{index}",
            holder_names="Bench",
            start_date="2024-01-01",
        )
        tenant = Tenant.objects.create(user=user, landlord=landlord, tenancy=tenancy)
        points = per_client * cost
        for lot in range(4):
            share = points // 4 + (points % 4 if lot == 0 else 0)
            actions.points_award(
                tenant=tenant,
                rule=Rule.VOLUNTEER_ATTENDANCE,
                source=None,
                idempotency_key=f"bench-{lot}",
                points=share,
            )
        tenants.append(Tenant.objects.select_related("user").get(pk=tenant.pk))
    reward = Reward.objects.create(
        landlord=landlord,
        title=f"Hot reward {tag}",
        cost_points=cost,
        stock=clients * per_client,
        validity_days=30,
    )
    return landlord, tenants, reward


def _run(clients: int, per_client: int, work) -> dict:
    barrier = threading.Barrier(clients)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    ok = [0]
    lock = threading.Lock()

    def client(index: int):
        from django.db import connection

        state = work.prepare(index)
        barrier.wait()
        for _ in range(per_client):
            started = time.perf_counter()
            try:
                work.once(state)
                with lock:
                    ok[0] += 1
                    latencies.append(time.perf_counter() - started)
            except Exception as exc:
                label = "deadlock" if "deadlock" in str(exc).lower() else type(exc).__name__
                with lock:
                    errors[label] = errors.get(label, 0) + 1
        work.close(state)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "ok": ok[0],
        "errors": errors,
        "elapsed": elapsed,
        "rate": ok[0] / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95) - 1] if latencies else 0.0,
    }


class ActionWork:
    def __init__(self, tenants, reward):
        self.tenants, self.reward = tenants, reward

    def prepare(self, index):
        from services.loyalty.models import Reward

        return (self.tenants[index], Reward.objects.get(pk=self.reward.pk))

    def once(self, state):
        from services.loyalty import actions

        tenant, reward = state
        actions.reward_redeem(tenant=tenant, reward=reward)

    def close(self, state):
        pass


class RawSQLWork:
    """The redemption written by hand: the same rows, locks and checks, no ORM."""

    def __init__(self, url, tenants, reward):
        from notifications.models import Notification
        from services.loyalty.models import Account, Consumption, Entry, Lot, Redemption, Reward

        self.url, self.tenants, self.reward = url, tenants, reward
        # Every column the inbox row has today (the notifications app may add some).
        self.notification_defaults = {
            f.column: (f.get_default() if not isinstance(f.get_default(), dict) else "{}")
            for f in Notification._meta.concrete_fields
            if f.column not in ("id", "created_at", "updated_at") and f.has_default()
        }
        self.notification_defaults.update(
            kind="loyalty.redemption_issued",
            category="loyalty",
            link_type="redemption",
            link_id="",
            data="{}",
        )
        self.t = {
            m.__name__: m._meta.db_table
            for m in (Account, Consumption, Entry, Lot, Redemption, Reward, Notification)
        }

    def prepare(self, index):
        import psycopg

        conn = psycopg.connect(self.url)
        return (conn, self.tenants[index])

    def once(self, state):
        conn, tenant = state
        t = self.t
        reward = self.reward
        with conn.transaction():
            cur = conn.cursor()
            account_id, balance = cur.execute(
                f"SELECT id, balance FROM {t['Account']} WHERE tenant_id = %s FOR UPDATE",
                (tenant.pk,),
            ).fetchone()
            lots = cur.execute(
                f"SELECT id, remaining FROM {t['Lot']} WHERE account_id = %s AND remaining > 0 "
                "AND expires_at > now() ORDER BY expires_at, id",
                (account_id,),
            ).fetchall()
            cost = reward.cost_points
            if balance < cost:
                raise RuntimeError("insufficient_points")
            now = "now()"
            entry_id = cur.execute(
                f"INSERT INTO {t['Entry']} (public_id, created_at, updated_at, account_id, kind, "
                "points, reason, note, source_type, source_id, idempotency_key) VALUES "
                f"(%s, {now}, {now}, %s, 'spend', %s, 'redemption', '', 'loyalty.reward', %s, "
                "NULL) RETURNING id",
                (uuid.uuid4(), account_id, -cost, str(reward.public_id)),
            ).fetchone()[0]
            need = cost
            for lot_id, remaining in lots:
                if need == 0:
                    break
                take = min(need, remaining)
                need -= take
                cur.execute(
                    f"UPDATE {t['Lot']} SET remaining = remaining - %s WHERE id = %s",
                    (take, lot_id),
                )
                cur.execute(
                    f"INSERT INTO {t['Consumption']} (entry_id, lot_id, points) VALUES (%s,%s,%s)",
                    (entry_id, lot_id, take),
                )
            cur.execute(
                f"UPDATE {t['Account']} SET balance = balance - %s, updated_at = now() "
                "WHERE id = %s",
                (cost, account_id),
            )
            code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10))
            cur.execute(
                f"INSERT INTO {t['Redemption']} (public_id, created_at, updated_at, account_id, "
                "tenant_id, landlord_id, reward_id, status, points, code, spend_entry_id, "
                "expires_at) VALUES (%s, now(), now(), %s, %s, %s, %s, 'issued', %s, %s, %s, "
                "now() + interval '30 days')",
                (
                    uuid.uuid4(),
                    account_id,
                    tenant.pk,
                    reward.landlord_id,
                    reward.pk,
                    cost,
                    code,
                    entry_id,
                ),
            )
            values = {
                **self.notification_defaults,
                "public_id": uuid.uuid4(),
                "recipient_id": tenant.user_id,
                "title": f"Votre récompense : {reward.title}",
                "body": f"Votre code {code} est valable 30 jours.",
            }
            columns = ", ".join(values)
            cur.execute(
                f"INSERT INTO {t['Notification']} (created_at, updated_at, {columns}) "
                f"VALUES (now(), now(), {', '.join(['%s'] * len(values))})",
                list(values.values()),
            )
            # Last, as in the action: the hot reward row is held only until the commit.
            cur.execute(
                f"UPDATE {t['Reward']} SET stock = stock - 1 WHERE id = %s AND stock > 0",
                (reward.pk,),
            )
            if cur.rowcount != 1:
                raise RuntimeError("out_of_stock")

    def close(self, state):
        state[0].close()


def _violations(landlord, reward, expected: int) -> list[str]:
    from services.loyalty.models import Account, Redemption, Reward
    from services.loyalty.selectors import ledger_audit

    problems = []
    stock = Reward.objects.get(pk=reward.pk).stock
    issued = Redemption.objects.filter(reward=reward).count()
    if stock < 0:
        problems.append(f"negative stock {stock}")
    if issued + stock != reward.stock:
        problems.append(f"issued {issued} + stock {stock} != {reward.stock}")
    if issued != expected:
        problems.append(f"issued {issued}, expected {expected}")
    negative = Account.objects.filter(landlord=landlord, balance__lt=0).count()
    if negative:
        problems.append(f"{negative} negative balances")
    audit = [
        p
        for p in ledger_audit()
        if p["account_id"]
        in set(Account.objects.filter(landlord=landlord).values_list("id", flat=True))
    ]
    if audit:
        problems.append(f"{len(audit)} accounts whose ledger does not sum to the balance")
    return problems


def _line(name: str, result: dict, problems: list[str]) -> str:
    return (
        f"{name}: {result['ok']:5d} ok in {result['elapsed']:6.2f}s = "
        f"{result['rate']:7.1f} redemptions/s  p50 {result['p50_ms']:6.1f} ms  "
        f"p95 {result['p95_ms']:6.1f} ms  errors {result['errors'] or 0}  "
        f"violations {len(problems)} {problems or ''}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=20)
    parser.add_argument("--cost", type=int, default=10)
    parser.add_argument(
        "--rounds", type=int, default=2, help="action/raw pairs, alternated to share the noise"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    _setup_django(url)
    from django.conf import settings

    from services.loyalty.models import Redemption

    raw_url = url.replace("postgres://", "postgresql://", 1)
    total = args.clients * args.per_client
    print(
        f"clients={args.clients} redemptions per phase={total} rounds={args.rounds} "
        f"database={settings.DATABASES['default']['NAME']}"
    )
    sums = {"action": [0, 0.0], "raw": [0, 0.0]}
    deadlocks, violations, missing = 0, 0, 0
    for round_no in range(1, args.rounds + 1):
        tag = secrets.token_hex(3)
        landlord_a, tenants_a, reward_a = _make_world(
            f"{tag}-orm", args.clients, args.per_client, args.cost
        )
        landlord_b, tenants_b, reward_b = _make_world(
            f"{tag}-sql", args.clients, args.per_client, args.cost
        )
        action = _run(args.clients, args.per_client, ActionWork(tenants_a, reward_a))
        action_problems = _violations(landlord_a, reward_a, action["ok"])
        raw = _run(args.clients, args.per_client, RawSQLWork(raw_url, tenants_b, reward_b))
        raw_problems = _violations(
            landlord_b, reward_b, Redemption.objects.filter(reward=reward_b).count()
        )
        print(f"round {round_no}")
        print("  " + _line("action ", action, action_problems))
        print("  " + _line("raw SQL", raw, raw_problems))
        for key, result in (("action", action), ("raw", raw)):
            sums[key][0] += result["ok"]
            sums[key][1] += result["elapsed"]
            deadlocks += result["errors"].get("deadlock", 0)
        violations += len(action_problems) + len(raw_problems)
        missing += total - action["ok"]

    # Sold out under load: the same clients on a reward with 10 units: exactly 10 issued.
    landlord_c, tenants_c, reward_c = _make_world(
        f"{secrets.token_hex(3)}-out", args.clients, 2, args.cost
    )
    from services.loyalty.models import Reward

    Reward.objects.filter(pk=reward_c.pk).update(stock=10)
    reward_c.stock = 10
    sold_out = _run(args.clients, 2, ActionWork(tenants_c, reward_c))
    sold_problems = _violations(landlord_c, reward_c, 10)
    print("sold out: " + _line("action ", sold_out, sold_problems))
    violations += len(sold_problems)
    deadlocks += sold_out["errors"].get("deadlock", 0)
    unexpected = {k: v for k, v in sold_out["errors"].items() if k != "OutOfStock"}

    action_rate = sums["action"][0] / sums["action"][1]
    raw_rate = sums["raw"][0] / sums["raw"][1]
    ratio = action_rate / raw_rate if raw_rate else 0.0
    print(
        f"overall: action {action_rate:.1f}/s, raw SQL {raw_rate:.1f}/s, ratio {ratio:.2f} "
        f"(target >= 0.33); deadlocks {deadlocks}; violations {violations}"
    )
    passed = ratio >= 1 / 3 and not deadlocks and not violations and not missing
    passed = passed and sold_out["ok"] == 10 and not unexpected
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
