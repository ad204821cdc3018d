"""Candidate ranking benchmark (not a test): the SQL engine against the plain-Python way.

Seeds tenant job profiles around eight French cities in a SEPARATE PostgreSQL database,
then ranks the top 20 candidates of each of 200 offers with `matching.rank_candidates`
(one SQL query on indexes) and prints p50/p95 per offer; in the same run it ranks a sample
of the same offers the naive way (load every consenting profile of the targeted landlords
into Python and score it with `matching.score_pair`), checks both rankings are identical,
and prints the ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vsg_jobs_bench \\
        .venv/bin/python bench/matching.py --profiles 100000

Defaults: 20,000 profiles (a quick run), 200 offers, 10 offers ranked the Python way.
The database is created and migrated when missing and reseeded when the profile count
differs. It refuses to run on a database whose name does not contain "bench".
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vsg_jobs_bench")

CITIES = {  # name: (lat, lng)
    "La Rochelle": (46.1603, -1.1511),
    "Lyon": (45.7640, 4.8357),
    "Paris": (48.8566, 2.3522),
    "Marseille": (43.2965, 5.3698),
    "Lille": (50.6292, 3.0573),
    "Nantes": (47.2184, -1.5536),
    "Bordeaux": (44.8378, -0.5792),
    "Toulouse": (43.6047, 1.4442),
}
SKILLS = [
    "vitrerie",
    "autolaveuse",
    "accueil",
    "caces 1",
    "caces 3",
    "hygiene",
    "haccp",
    "cuisine",
    "plonge",
    "service en salle",
    "caisse",
    "mise en rayon",
    "preparation de commandes",
    "manutention",
    "conduite vl",
    "conduite pl",
    "peinture",
    "placo",
    "carrelage",
    "plomberie",
    "electricite",
    "jardinage",
    "taille de haies",
    "aide a la personne",
    "toilette",
    "repas",
    "bureautique",
    "excel",
    "saisie",
    "standard telephonique",
    "anglais",
    "espagnol",
    "securite incendie",
    "ssiap 1",
    "soudure",
    "menuiserie",
    "couture",
    "livraison",
    "inventaire",
    "nettoyage industriel",
]
CONTRACTS = ["cdi", "cdd", "interim", "alternance", "iae", "part_time"]


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if "bench" not in name:
        raise SystemExit(f"refusing to seed {name!r}: the database name must contain 'bench'")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup():
    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark needs PostgreSQL (DATABASE_URL)")
    call_command("migrate", verbosity=0)


def _seed(n_profiles: int, rng: random.Random) -> None:
    from django.db import connection, transaction

    from services.accounts.models import Landlord, Residence, Tenancy, Tenant, User
    from services.jobs.matching import travel_distance_km
    from services.jobs.models import (
        JobProfile,
        ProfileRome,
        ProfileSkill,
        RomeCode,
        contract_mask,
        rome_domain,
    )

    existing = JobProfile.objects.filter(landlord__slug__startswith="bench-").count()
    if existing == n_profiles:
        print(f"reusing {existing} seeded profiles")
        return
    t0 = time.perf_counter()
    with connection.cursor() as cursor:  # start again from an empty bench database
        cursor.execute(
            "TRUNCATE jobs_profileskill, jobs_profilerome, jobs_jobconsent, jobs_matchtransition,"
            " jobs_revealedprofileview, jobs_match, jobs_offer_target_landlords, jobs_offer,"
            " jobs_jobprofile, accounts_tenant, accounts_tenancy, accounts_residence,"
            " accounts_employer_landlords, accounts_employer CASCADE"
        )
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE 'bench%%@bench.invalid'")
        cursor.execute("DELETE FROM accounts_landlord WHERE slug LIKE 'bench-%%'")
    codes = sorted(RomeCode.objects.values_list("code", flat=True))
    pool = rng.sample(codes, 60)
    with transaction.atomic():
        cities = list(CITIES.items())
        landlords = [
            Landlord.objects.create(name=f"Bench bailleur {i}", slug=f"bench-{i}")
            for i in range(len(cities) // 2)
        ]
        residences = []
        for index, (city, (lat, lng)) in enumerate(cities):
            for r in range(25):
                residences.append(
                    Residence(
                        landlord=landlords[index // 2],
                        name=f"{city} résidence {r}",
                        address=f"{r} rue du Banc",
                        postcode="00000",
                        city=city,
                        latitude=round(lat + rng.uniform(-0.09, 0.09), 6),
                        longitude=round(lng + rng.uniform(-0.12, 0.12), 6),
                        is_qpv=rng.random() < 0.4,
                    )
                )
        Residence.objects.bulk_create(residences)
        step = 5000
        for start in range(0, n_profiles, step):
            size = min(step, n_profiles - start)
            users = User.objects.bulk_create(
                [
                    User(email=f"bench{start + i}@bench.invalid", role="tenant", password="!")
                    for i in range(size)
                ]
            )
            homes = [rng.choice(residences) for _ in range(size)]
            tenancies = Tenancy.objects.bulk_create(
                [
                    Tenancy(
                        landlord_id=home.landlord_id,
                        residence=home,
                        unit_reference=f"B{start + i}",
                        tenant_reference=f"BENCH-{start + i}",
                        holder_names="Bench",
                        start_date=datetime.date(2020, 1, 1),
                    )
                    for i, home in enumerate(homes)
                ]
            )
            tenants = Tenant.objects.bulk_create(
                [
                    Tenant(user=user, landlord_id=tenancy.landlord_id, tenancy=tenancy)
                    for user, tenancy in zip(users, tenancies, strict=True)
                ]
            )
            profiles = []
            for tenant, home in zip(tenants, homes, strict=True):
                mode = rng.choice(["km", "km", "bike", "transit", "car", "walk"])
                value = rng.randint(3, 30) if mode == "km" else rng.choice([20, 30, 45, 60])
                profiles.append(
                    JobProfile(
                        tenant=tenant,
                        landlord_id=home.landlord_id,
                        latitude=float(home.latitude),
                        longitude=float(home.longitude),
                        is_qpv=home.is_qpv,
                        search_status=rng.choice(["active", "active", "open", "not_searching"]),
                        travel_mode=mode,
                        travel_value=value,
                        max_distance_km=travel_distance_km(mode, value),
                        contract_types=contract_mask(rng.sample(CONTRACTS, rng.randint(0, 3))),
                        hours_per_week=rng.choice([None, 20, 24, 30, 35]),
                        has_driving_licence=rng.random() < 0.55,
                        available_from=rng.choice(
                            [None, datetime.date(2026, 11, 1), datetime.date(2027, 1, 15)]
                        ),
                        matching_consent=rng.random() < 0.9,
                        introduction_consent=True,
                    )
                )
            profiles = JobProfile.objects.bulk_create(profiles)
            romes, skills = [], []
            for profile in profiles:
                wished = rng.sample(pool, rng.randint(1, 3))
                practised = {rng.choice(pool): rng.randint(1, 10)} if rng.random() < 0.5 else {}
                for code in sorted(set(wished) | set(practised)):
                    romes.append(
                        ProfileRome(
                            profile=profile,
                            rome_code=code,
                            domain=rome_domain(code),
                            wished=code in wished,
                            experience_years=practised.get(code, 0),
                            **ProfileRome.copied_from(profile),
                        )
                    )
                for skill in rng.sample(SKILLS, rng.randint(0, 6)):
                    skills.append(ProfileSkill(profile=profile, skill=skill))
            ProfileRome.objects.bulk_create(romes)
            ProfileSkill.objects.bulk_create(skills)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {n_profiles} profiles in {time.perf_counter() - t0:.1f} s")
    _offers_pool.clear()
    _offers_pool.extend(pool)


_offers_pool: list[str] = []


def _offers(n_offers: int, rng: random.Random):
    from services.jobs.matching import OfferFeatures
    from services.jobs.models import ProfileRome

    pool = _offers_pool or sorted(set(ProfileRome.objects.values_list("rome_code", flat=True)))
    from services.accounts.models import Landlord

    landlords = list(Landlord.objects.filter(slug__startswith="bench-").order_by("slug"))
    offers = []
    cities = list(CITIES.values())
    for _ in range(n_offers):
        index = rng.randrange(len(cities))
        lat, lng = cities[index]
        features = OfferFeatures(
            rome_code=rng.choice(pool),
            latitude=lat + rng.uniform(-0.05, 0.05),
            longitude=lng + rng.uniform(-0.05, 0.05),
            contract_type=rng.choice(CONTRACTS),
            hours_per_week=rng.choice([None, 20, 24, 35]),
            start_date=datetime.date(2026, 12, 1),
            required_skills=frozenset(rng.sample(SKILLS, rng.randint(0, 4))),
            driving_licence_required=rng.random() < 0.3,
        )
        offers.append((features, [landlords[index // 2].pk]))
    return offers


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--python-offers", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per offer; its median is kept (noise)"
    )
    args = parser.parse_args()

    _setup()
    from django.db import connection

    from services.jobs.matching import (
        explain_candidates,
        rank_candidates,
        rank_candidates_python,
    )

    rng = random.Random(args.seed)
    _seed(args.profiles, rng)
    offers = _offers(args.offers, random.Random(args.seed + 1))
    today = datetime.date(2026, 11, 27)

    for features, landlord_ids in offers[:5]:  # warm-up (connection, plan cache)
        rank_candidates(features, landlord_ids=landlord_ids, today=today)

    sql_ms, sizes = [], []
    for features, landlord_ids in offers:
        runs = []
        for _ in range(max(1, args.repeat)):
            t = time.perf_counter()
            ranked = rank_candidates(features, landlord_ids=landlord_ids, today=today)
            runs.append((time.perf_counter() - t) * 1000)
        sql_ms.append(statistics.median(runs))
        sizes.append(len(ranked))

    py_ms, same = [], 0
    sample = offers[: args.python_offers]
    for features, landlord_ids in sample:
        t = time.perf_counter()
        slow = rank_candidates_python(features, landlord_ids=landlord_ids, today=today)
        py_ms.append((time.perf_counter() - t) * 1000)
        fast = rank_candidates(features, landlord_ids=landlord_ids, today=today)
        same += [(p.pk, s.rank_score) for p, s in fast] == [(p.pk, s.rank_score) for p, s in slow]

    features, landlord_ids = offers[0]
    plan = explain_candidates(features, landlord_ids=landlord_ids, today=today, analyze=True)
    sql_sample_ms = [sql_ms[offers.index(o)] for o in sample]

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"PostgreSQL {connection.pg_version}; {args.profiles} profiles, {len(offers)} offers, "
        f"median of {args.repeat} runs per offer; load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"SQL ranking, top 20 per offer: p50 {_pct(sql_ms, 0.5):.2f} ms, "
        f"p95 {_pct(sql_ms, 0.95):.2f} ms, max {max(sql_ms):.2f} ms "
        f"(mean {statistics.mean(sizes):.1f} results)"
    )
    print(
        f"Python ranking ({len(sample)} offers): p50 {_pct(py_ms, 0.5):.1f} ms, "
        f"p95 {_pct(py_ms, 0.95):.1f} ms"
    )
    ratio = statistics.median(py_ms) / statistics.median(sql_sample_ms)
    print(f"ratio Python / SQL (median, same offers): {ratio:.0f}x")
    print(f"identical rankings: {same}/{len(sample)}")
    print("plan of the first offer:")
    print(plan)


if __name__ == "__main__":
    main()
