"""The explainable matching engine.

One scoring rule, written twice on purpose:
- `score_pair` in plain Python (the tenant feed, the reference, the benchmark's baseline);
- `rank_candidates` as one SQL query (annotations on indexed columns) for an offer's
  candidates, so 100,000 profiles are never loaded into Python.
A test checks both give the same ranking on the same data. Every part is an integer and
every distance comparison is made on squared kilometres with the same float operations, so
the two agree exactly. See docs/jobs.md for the parts, the fairness rules and their reasons.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    CONTRACT_BITS,
    MAX_TRAVEL_KM,
    OPEN_MATCH_STATES,
    ContractType,
    JobProfile,
    Match,
    ProfileRome,
    ProfileSkill,
    normalize_text,
    rome_domain,
)

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LNG_AT_EQUATOR = 111.320

# Straight-line kilometres per minute of travel, by mode (deliberately cautious).
KM_PER_MINUTE = {"walk": 4.5 / 60, "bike": 13 / 60, "transit": 18 / 60, "car": 40 / 60}

OPEN_STATES = OPEN_MATCH_STATES

# Points of each part; they add up to 100.
ROME_EXACT, ROME_DOMAIN, ROME_EXPERIENCE = 35, 20, 5
SKILL_EACH, SKILLS_MAX, SKILLS_NONE_REQUIRED = 5, 20, 10
DIST_NEAR, DIST_MID, DIST_FAR = 15, 10, 5
CONTRACT_WANTED, CONTRACT_NO_PREFERENCE = 10, 5
HOURS_FIT, HOURS_UNKNOWN = 5, 3
AVAILABLE_NOW, AVAILABLE_SOON, SOON_DAYS = 5, 2, 30
LICENCE_OK = 5
# Fairness: each open match beyond the first costs points, up to a cap.
BUSY_PENALTY_EACH, BUSY_PENALTY_MAX_MATCHES = 5, 3
STRONG_MATCH = 70


def travel_distance_km(mode: str, value: int) -> float:
    """A travel limit in km, or in minutes by a mode, as a straight-line distance (capped)."""
    km = float(value) if mode == "km" else value * KM_PER_MINUTE[mode]
    return round(min(max(km, 0.0), MAX_TRAVEL_KM), 2)


@dataclass(frozen=True)
class OfferFeatures:
    rome_code: str
    latitude: float
    longitude: float
    contract_type: str
    hours_per_week: int | None
    start_date: date | None
    required_skills: frozenset[str]
    driving_licence_required: bool

    @property
    def domain(self) -> str:
        return rome_domain(self.rome_code)

    @property
    def kx2(self) -> float:
        kx = KM_PER_DEGREE_LNG_AT_EQUATOR * math.cos(math.radians(self.latitude))
        return kx * kx

    @property
    def ky2(self) -> float:
        return KM_PER_DEGREE_LAT * KM_PER_DEGREE_LAT

    @classmethod
    def of(cls, offer) -> OfferFeatures:
        return cls(
            rome_code=offer.rome_code,
            latitude=float(offer.latitude),
            longitude=float(offer.longitude),
            contract_type=offer.contract_type,
            hours_per_week=offer.hours_per_week,
            start_date=offer.start_date,
            required_skills=frozenset(normalize_text(s) for s in offer.required_skills or ()),
            driving_licence_required=offer.driving_licence_required,
        )


@dataclass(frozen=True)
class ProfileFeatures:
    pk: int
    latitude: float
    longitude: float
    max_distance_km: float
    romes: dict[str, tuple[bool, int]]  # rome_code -> (wished, experience years)
    skills: frozenset[str]
    contract_types: int
    hours_per_week: int | None
    available_from: date | None
    has_driving_licence: bool
    is_qpv: bool
    open_matches: int = 0


@dataclass
class Score:
    total: int
    parts: dict[str, int]
    eligible: bool
    distance_km: float
    common_skills: int
    penalty: int = 0
    reasons: list[dict] = field(default_factory=list)

    @property
    def rank_score(self) -> int:
        return self.total - self.penalty


def squared_km(offer: OfferFeatures, latitude: float, longitude: float) -> float:
    """Equirectangular distance, squared: the exact float operations of the SQL version."""
    dlng = longitude - offer.longitude
    dlat = latitude - offer.latitude
    return dlng * dlng * offer.kx2 + dlat * dlat * offer.ky2


def busy_penalty(open_matches: int) -> int:
    return BUSY_PENALTY_EACH * min(max(open_matches - 1, 0), BUSY_PENALTY_MAX_MATCHES)


def reference_date(offer: OfferFeatures, today: date) -> date:
    return max(offer.start_date or today, today)


def soon_date(ref: date) -> date:
    """`ref` + SOON_DAYS, capped at the last day a date can hold: an offer saved with a start
    date of 9999-12-31 (before the API bounded dates) overflowed here, a 500 and a stopped
    daily task."""
    try:
        return ref + timedelta(days=SOON_DAYS)
    except OverflowError:
        return date.max


def score_pair(offer: OfferFeatures, profile: ProfileFeatures, *, today: date) -> Score:
    """The score of one tenant for one offer, part by part."""
    parts: dict[str, int] = {}
    exact = profile.romes.get(offer.rome_code)
    same_domain = any(rome_domain(code) == offer.domain for code in profile.romes)
    if exact and exact[0]:
        parts["rome"] = ROME_EXACT
    elif same_domain:
        parts["rome"] = ROME_DOMAIN
    else:
        parts["rome"] = 0
    parts["experience"] = ROME_EXPERIENCE if exact and exact[1] > 0 else 0

    common = len(offer.required_skills & profile.skills)
    if not offer.required_skills:
        parts["skills"] = SKILLS_NONE_REQUIRED
    else:
        parts["skills"] = min(SKILL_EACH * common, SKILLS_MAX)

    d2 = squared_km(offer, profile.latitude, profile.longitude)
    limit = profile.max_distance_km
    within = d2 <= limit * limit
    if d2 * 9 <= limit * limit:
        parts["distance"] = DIST_NEAR
    elif d2 * 9 <= limit * limit * 4:
        parts["distance"] = DIST_MID
    elif within:
        parts["distance"] = DIST_FAR
    else:
        parts["distance"] = 0

    bit = CONTRACT_BITS[offer.contract_type]
    if profile.contract_types & bit:
        parts["contract"] = CONTRACT_WANTED
    elif profile.contract_types == 0:
        parts["contract"] = CONTRACT_NO_PREFERENCE
    else:
        parts["contract"] = 0

    if offer.hours_per_week is None or profile.hours_per_week is None:
        parts["hours"] = HOURS_UNKNOWN
    elif offer.hours_per_week <= profile.hours_per_week:
        parts["hours"] = HOURS_FIT
    else:
        parts["hours"] = 0

    ref = reference_date(offer, today)
    if profile.available_from is None or profile.available_from <= ref:
        parts["availability"] = AVAILABLE_NOW
    elif profile.available_from <= soon_date(ref):
        parts["availability"] = AVAILABLE_SOON
    else:
        parts["availability"] = 0

    ok_licence = not offer.driving_licence_required or profile.has_driving_licence
    parts["licence"] = LICENCE_OK if ok_licence else 0

    return Score(
        total=sum(parts.values()),
        parts=parts,
        eligible=same_domain and within,
        distance_km=math.sqrt(d2),
        common_skills=common,
        penalty=busy_penalty(profile.open_matches),
    )


def sort_key(score: Score, profile_pk: int, is_qpv: bool) -> tuple:
    """Best first; at equal score a QPV resident first; then the oldest profile."""
    return (-score.rank_score, 0 if is_qpv else 1, profile_pk)


DISTANCE_BANDS = ((2, "0-2 km"), (5, "2-5 km"), (10, "5-10 km"), (20, "10-20 km"))


def distance_band(km: float) -> str:
    """What an employer learns of where a candidate lives: a band, never an address."""
    for limit, label in DISTANCE_BANDS:
        if km <= limit:
            return label
    return "20+ km"


def reason_label(code: str, args: dict) -> str:
    """One reason's sentence in the active language. Matches store the `args` with each
    reason, so every reader (tenant, staff, employer) reads it in their own language."""
    if code == "rome_exact":
        return str(args.get("job", ""))
    if code == "rome_domain":
        return str(_("Related job: %s") % args.get("job", ""))
    if code == "experience":
        return str(_("Experience in this job"))
    if code == "distance":
        return str(args.get("distance", ""))
    if code == "skills":
        count = int(args.get("count", 0))
        return ngettext("%(count)d skill in common", "%(count)d skills in common", count) % {
            "count": count
        }
    if code == "contract":
        contract = str(ContractType(args["contract"]).label)
        if args.get("hours"):
            contract = str(_("%(contract)s %(hours)d h/week")) % {
                "contract": contract,
                "hours": args["hours"],
            }
        return contract
    if code == "availability":
        return str(_("Available in time"))
    if code == "licence":
        return str(_("Has a driving licence"))
    return str(args.get("label", ""))


def localized_reasons(reasons) -> list[dict]:
    """Stored reasons as `{code, label}` in the active language (older rows without `args`
    keep the label they were stored with)."""
    out = []
    for reason in reasons or ():
        label = reason.get("label", "")
        if "args" in reason:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                label = reason_label(reason["code"], reason["args"])
        out.append({"code": reason.get("code", ""), "label": label})
    return out


def reasons_for(
    *, score: Score, rome_label: str, offer: OfferFeatures, exact_distance: bool = False
) -> list[dict]:
    """The sentences the app shows: "Agent d'entretien — 4 km — 3 skills in common — CDI 24 h".

    The distance is a band ("2-5 km") unless `exact_distance` (the tenant's own feed): what
    an employer may see of where a candidate lives. Each reason keeps its `args` so a stored
    match renders it again in its reader's language (`localized_reasons`).
    """
    found: list[tuple[str, dict]] = []
    if score.parts["rome"] == ROME_EXACT:
        found.append(("rome_exact", {"job": str(rome_label)}))
    elif score.parts["rome"] == ROME_DOMAIN:
        found.append(("rome_domain", {"job": str(rome_label)}))
    if score.parts["experience"]:
        found.append(("experience", {}))
    distance = (
        f"{max(1, round(score.distance_km))} km"
        if exact_distance
        else distance_band(score.distance_km)
    )
    found.append(("distance", {"distance": distance}))
    if score.common_skills:
        found.append(("skills", {"count": score.common_skills}))
    if score.parts["contract"] == CONTRACT_WANTED:
        found.append(("contract", {"contract": offer.contract_type, "hours": offer.hours_per_week}))
    if score.parts["availability"] == AVAILABLE_NOW:
        found.append(("availability", {}))
    if offer.driving_licence_required and score.parts["licence"]:
        found.append(("licence", {}))
    return [{"code": code, "label": reason_label(code, args), "args": args} for code, args in found]


# --- The SQL version ---------------------------------------------------------------------


CANDIDATES_SQL = """
WITH r AS MATERIALIZED (
  SELECT d.profile_id,
    MAX(CASE WHEN d.rome_code = %(code)s AND d.wished THEN 1 ELSE 0 END) AS exact_wished,
    MAX(CASE WHEN d.rome_code = %(code)s AND d.experience_years > 0 THEN 1 ELSE 0 END)
      AS exact_experience
  FROM jobs_profilerome d
  WHERE d.searchable AND d.domain = %(domain)s
    AND d.latitude BETWEEN %(lat_min)s AND %(lat_max)s
    AND d.longitude BETWEEN %(lng_min)s AND %(lng_max)s
    AND d.landlord_id IN ({landlords})
    AND (d.longitude - %(lng)s) * (d.longitude - %(lng)s) * %(kx2)s
      + (d.latitude - %(lat)s) * (d.latitude - %(lat)s) * %(ky2)s
      <= d.max_distance_km * d.max_distance_km
  GROUP BY d.profile_id
),
c AS MATERIALIZED (
  SELECT p.*, r.exact_wished, r.exact_experience,
    (p.longitude - %(lng)s) * (p.longitude - %(lng)s) * %(kx2)s
      + (p.latitude - %(lat)s) * (p.latitude - %(lat)s) * %(ky2)s AS d2
  FROM r JOIN jobs_jobprofile p ON p.id = r.profile_id
  WHERE {pk_hint}p.matching_consent AND NOT (p.search_status = 'not_searching')
    AND p.landlord_id IN ({landlords})
),
q AS MATERIALIZED (
  SELECT c.*,
    CASE WHEN c.exact_wished = 1 THEN {rome_exact} ELSE {rome_domain} END AS p_rome,
    CASE WHEN c.exact_experience = 1 THEN {rome_experience} ELSE 0 END AS p_experience,
    {common_sql} AS common_skills,
    CASE WHEN c.d2 * 9 <= c.max_distance_km * c.max_distance_km THEN {dist_near}
         WHEN c.d2 * 9 <= c.max_distance_km * c.max_distance_km * 4 THEN {dist_mid}
         ELSE {dist_far} END AS p_distance,
    CASE WHEN c.contract_types = 0 THEN {contract_none}
         WHEN (c.contract_types & %(bit)s) <> 0 THEN {contract_wanted}
         ELSE 0 END AS p_contract,
    {hours_sql} AS p_hours,
    CASE WHEN c.available_from IS NULL OR c.available_from <= %(ref)s THEN {available_now}
         WHEN c.available_from <= %(soon)s THEN {available_soon}
         ELSE 0 END AS p_availability,
    {licence_sql} AS p_licence,
    (SELECT COUNT(*) FROM jobs_match m WHERE m.tenant_id = c.tenant_id
       AND m.state IN ({open_states})) AS open_matches
  FROM c
  WHERE c.d2 <= c.max_distance_km * c.max_distance_km
),
s AS (
  SELECT q.*, {skills_sql} AS p_skills FROM q
),
t AS (
  SELECT s.*,
    s.p_rome + s.p_experience + s.p_skills + s.p_distance + s.p_contract + s.p_hours
      + s.p_availability + s.p_licence AS total,
    CASE WHEN s.open_matches >= {busy_cap_plus_one} THEN {busy_max}
         WHEN s.open_matches >= 2 THEN (s.open_matches - 1) * {busy_each}
         ELSE 0 END AS penalty
  FROM s
)
SELECT t.*, t.total - t.penalty AS rank_score FROM t
ORDER BY rank_score DESC, t.is_qpv DESC, t.id
LIMIT %(limit)s
"""


def candidate_sql(offer: OfferFeatures, *, landlord_ids, today: date, limit: int):
    """The ranking as one SQL statement (the same on PostgreSQL and SQLite, but a hint).

    Starts from one partial covering index of the profiles' ROME rows (searchable rows of
    the offer's ROME domain, inside the bounding box, of the landlords, within their own
    travel limit: an index-only range scan on copied columns); only the profiles found there
    are read and checked again, and their skills and open matches are index lookups.
    """
    landlord_ids = [int(pk) for pk in landlord_ids] or [0]
    skills = sorted(offer.required_skills)
    params = {
        "code": offer.rome_code,
        "domain": offer.domain,
        "bit": CONTRACT_BITS[offer.contract_type],
        "ref": reference_date(offer, today),
        "soon": soon_date(reference_date(offer, today)),
        "lat": offer.latitude,
        "lng": offer.longitude,
        "kx2": offer.kx2,
        "ky2": offer.ky2,
        "lat_min": offer.latitude - MAX_TRAVEL_KM / KM_PER_DEGREE_LAT,
        "lat_max": offer.latitude + MAX_TRAVEL_KM / KM_PER_DEGREE_LAT,
        "lng_min": offer.longitude - MAX_TRAVEL_KM / math.sqrt(offer.kx2),
        "lng_max": offer.longitude + MAX_TRAVEL_KM / math.sqrt(offer.kx2),
        "limit": int(limit),
        "hours": offer.hours_per_week,
    }
    for index, skill in enumerate(skills):
        params[f"skill{index}"] = skill
    for index, state in enumerate(OPEN_STATES):
        params[f"state{index}"] = str(state)
    for index, pk in enumerate(landlord_ids):
        params[f"landlord{index}"] = pk
    if skills:
        placeholders = ", ".join(f"%(skill{i})s" for i in range(len(skills)))
        # Only placeholders are formatted into the text; values go as parameters.
        common = (
            "(SELECT COUNT(*) FROM jobs_profileskill k WHERE k.profile_id = c.id"  # noqa: S608
            f" AND k.skill IN ({placeholders}))"
        )
        skills_sql = (
            f"CASE WHEN q.common_skills * {SKILL_EACH} > {SKILLS_MAX} THEN {SKILLS_MAX}"
            f" ELSE q.common_skills * {SKILL_EACH} END"
        )
    else:
        common, skills_sql = "0", str(SKILLS_NONE_REQUIRED)
    if offer.hours_per_week is None:
        hours_sql = str(HOURS_UNKNOWN)
    else:
        hours_sql = (
            f"CASE WHEN c.hours_per_week IS NULL THEN {HOURS_UNKNOWN}"
            f" WHEN c.hours_per_week >= %(hours)s THEN {HOURS_FIT} ELSE 0 END"
        )
    licence_sql = (
        f"CASE WHEN c.has_driving_licence THEN {LICENCE_OK} ELSE 0 END"
        if offer.driving_licence_required
        else str(LICENCE_OK)
    )
    sql = CANDIDATES_SQL.format(
        busy_cap_plus_one=BUSY_PENALTY_MAX_MATCHES + 1,
        busy_max=BUSY_PENALTY_EACH * BUSY_PENALTY_MAX_MATCHES,
        busy_each=BUSY_PENALTY_EACH,
        rome_exact=ROME_EXACT,
        rome_domain=ROME_DOMAIN,
        rome_experience=ROME_EXPERIENCE,
        skills_sql=skills_sql,
        common_sql=common,
        dist_near=DIST_NEAR,
        dist_mid=DIST_MID,
        dist_far=DIST_FAR,
        contract_none=CONTRACT_NO_PREFERENCE,
        contract_wanted=CONTRACT_WANTED,
        hours_sql=hours_sql,
        available_now=AVAILABLE_NOW,
        available_soon=AVAILABLE_SOON,
        licence_sql=licence_sql,
        open_states=", ".join(f"%(state{i})s" for i in range(len(OPEN_STATES))),
        landlords=", ".join(f"%(landlord{i})s" for i in range(len(landlord_ids))),
        # PostgreSQL: read only the profiles found in the index, by primary key, rather
        # than hash-joining every profile of the landlord.
        pk_hint=(
            "p.id = ANY(ARRAY(SELECT profile_id FROM r)) AND "
            if connection.vendor == "postgresql"
            else ""
        ),
    )
    return sql, params


def explain_candidates(offer: OfferFeatures, *, landlord_ids, today: date, analyze=False) -> str:
    """The PostgreSQL plan of the ranking query (the benchmark and a test read it)."""
    sql, params = candidate_sql(offer, landlord_ids=landlord_ids, today=today, limit=20)
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN (ANALYZE) " if analyze else "EXPLAIN ") + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def candidate_queryset(offer: OfferFeatures, *, landlord_ids, today: date, limit: int = 20):
    """Eligible profiles for an offer, best first, each with its parts as attributes."""
    sql, params = candidate_sql(offer, landlord_ids=landlord_ids, today=today, limit=limit)
    return JobProfile.objects.raw(sql, params)


def score_from_row(row, offer: OfferFeatures) -> Score:
    """A Score rebuilt from the SQL annotations of one profile."""
    parts = {
        "rome": row.p_rome,
        "experience": row.p_experience,
        "skills": row.p_skills,
        "distance": row.p_distance,
        "contract": row.p_contract,
        "hours": row.p_hours,
        "availability": row.p_availability,
        "licence": row.p_licence,
    }
    d2 = squared_km(offer, row.latitude, row.longitude)
    return Score(
        total=row.total,
        parts=parts,
        eligible=True,
        distance_km=math.sqrt(d2),
        common_skills=row.common_skills,
        penalty=row.penalty,
    )


def rank_candidates(offer: OfferFeatures, *, landlord_ids, today: date, limit: int = 20):
    """[(profile, Score)] best first, computed by the database."""
    rows = list(candidate_queryset(offer, landlord_ids=landlord_ids, today=today, limit=limit))
    return [(row, score_from_row(row, offer)) for row in rows]


# --- The plain-Python version -----------------------------------------------------------


def profile_features(profiles) -> list[ProfileFeatures]:
    """Load profiles with their ROME codes, skills and open-match counts (3 queries)."""
    profiles = list(profiles)
    pks = [p.pk for p in profiles]
    romes: dict[int, dict[str, tuple[bool, int]]] = {pk: {} for pk in pks}
    for pid, code, wished, years in ProfileRome.objects.filter(profile_id__in=pks).values_list(
        "profile_id", "rome_code", "wished", "experience_years"
    ):
        romes[pid][code] = (wished, years)
    skills: dict[int, set[str]] = {pk: set() for pk in pks}
    for pid, skill in ProfileSkill.objects.filter(profile_id__in=pks).values_list(
        "profile_id", "skill"
    ):
        skills[pid].add(skill)
    opened = dict(
        Match.objects.filter(tenant_id__in=[p.tenant_id for p in profiles], state__in=OPEN_STATES)
        .values("tenant_id")
        .annotate(n=Count("id"))
        .values_list("tenant_id", "n")
    )
    return [
        ProfileFeatures(
            pk=p.pk,
            latitude=p.latitude,
            longitude=p.longitude,
            max_distance_km=p.max_distance_km,
            romes=romes[p.pk],
            skills=frozenset(skills[p.pk]),
            contract_types=p.contract_types,
            hours_per_week=p.hours_per_week,
            available_from=p.available_from,
            has_driving_licence=p.has_driving_licence,
            is_qpv=p.is_qpv,
            open_matches=opened.get(p.tenant_id, 0),
        )
        for p in profiles
    ]


def rank_candidates_python(offer: OfferFeatures, *, landlord_ids, today: date, limit: int = 20):
    """The same ranking, the naive way: load every consenting profile and score it here."""
    profiles = JobProfile.objects.filter(
        matching_consent=True, landlord_id__in=list(landlord_ids)
    ).exclude(search_status=JobProfile.SearchStatus.NOT_SEARCHING)
    scored = []
    for features in profile_features(profiles):
        score = score_pair(offer, features, today=today)
        if score.eligible:
            scored.append((sort_key(score, features.pk, features.is_qpv), features, score))
    scored.sort(key=lambda item: item[0])
    return [(features, score) for _, features, score in scored[:limit]]
