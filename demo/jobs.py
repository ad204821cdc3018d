"""Demo jobs data on top of the accounts demo: offers from the partner employers, profiles
for some tenants, and matches in various states. Idempotent; skips quietly without the
"iaa" landlord. Everything goes through the actions, as a real user's requests would."""

import datetime

from django.db import transaction

from services.accounts.models import Employer, Landlord, Staff, Tenant
from services.core import clock
from services.jobs import actions
from services.jobs.models import JobProfile, Match, Offer

# (employer, title, ROME code, contract, hours/week, skills, licence, monthly salary cents)
OFFERS = (
    ("Océan Propreté", "Agent·e de propreté (bureaux)", "K2204", "cdi", 24,
     ["Autolaveuse", "Vitrerie"], False, (175000, 185000)),
    ("Océan Propreté", "Laveur·se de vitres", "K2204", "cdd", 35,
     ["Vitrerie", "Travail en hauteur"], True, (185000, 195000)),
    ("Le Fournil Rochelais", "Vendeur·se en boulangerie", "D1106", "cdd", 30,
     ["Encaissement", "Accueil"], False, (180000, 180000)),
    ("Atlantique Logistique", "Préparateur·rice de commandes", "N1103", "interim", 35,
     ["CACES 1", "Scanner"], False, (182000, 190000)),
    ("Les Jardins d'Aunis", "Jardinier·ère paysagiste", "A1203", "iae", 26,
     ["Taille de haies", "Tonte"], True, (176000, 176000)),
    ("Aunis Aide à Domicile", "Aide à domicile", "K1304", "part_time", 20,
     ["Entretien du logement", "Repas"], True, (120000, 130000)),
    ("Rochefort Bâtiment Services", "Peintre en bâtiment", "F1606", "cdi", 35,
     ["Peinture", "Enduits"], True, (190000, 210000)),
    ("Restaurant de la Corderie", "Commis de cuisine", "G1602", "cdi", 35,
     ["HACCP", "Plonge"], False, (180000, 185000)),
)  # fmt: skip

# Profiles for the first tenants of each landlord: (ROME codes, skills, contracts, mode, value)
PROFILES = (
    (["K2204"], ["Autolaveuse", "Vitrerie", "Accueil"], ["cdi", "cdd"], "bike", 30),
    (["G1602", "K2204"], ["Plonge", "HACCP"], ["cdi"], "transit", 45),
    (["N1103"], ["CACES 1", "Scanner", "Inventaire"], ["interim", "cdd"], "car", 30),
    (["K1304", "K1302"], ["Repas", "Entretien du logement"], ["part_time", "iae"], "km", 8),
    (["A1203"], ["Tonte", "Taille de haies"], ["iae", "cdd"], "bike", 40),
    (["D1106"], ["Encaissement", "Accueil"], [], "walk", 30),
    (["F1606"], ["Peinture"], ["cdi", "interim"], "car", 45),
    (["K2204"], ["Vitrerie"], ["cdd", "interim"], "transit", 30),
)


def seed(*, out) -> None:
    landlord = Landlord.objects.filter(slug="iaa").first()
    if landlord is None:
        return
    now = clock.now()
    offers = _offers(now)
    profiles = _profiles()
    _matches(landlord, offers, profiles)
    out.write(
        f"jobs: {Offer.objects.count()} offers, {JobProfile.objects.count()} profiles, "
        f"{Match.objects.count()} matches"
    )


def _offers(now) -> list[Offer]:
    offers = []
    for name, title, code, contract, hours, skills, licence, (low, high) in OFFERS:
        employer = Employer.objects.filter(name=name).prefetch_related("landlords").first()
        if employer is None:
            continue
        offer = Offer.objects.filter(employer=employer, title=title).first()
        if offer is None:
            member = employer.members.select_related("user").order_by("id").first()
            if member is None:
                continue
            offer = actions.offer_create(
                actor=member.user,
                employer=employer,
                data={
                    "title": title,
                    "rome_code": code,
                    "description": f"{title} chez {name}, à {employer.city}.",
                    "contract_type": contract,
                    "hours_per_week": hours,
                    "salary_min_cents": low,
                    "salary_max_cents": high,
                    "address": employer.address,
                    "postcode": employer.postcode,
                    "city": employer.city,
                    "start_date": (now + datetime.timedelta(days=21)).date(),
                    "positions": 2 if contract == "interim" else 1,
                    "required_skills": skills,
                    "driving_licence_required": licence,
                    "status": Offer.Status.PUBLISHED,
                },
            )
        offers.append(offer)
    return offers


def _profiles() -> list[JobProfile]:
    profiles = []
    for slug in ("iaa", "glh"):
        tenants = list(
            Tenant.objects.filter(landlord__slug=slug)
            .select_related("tenancy__residence", "user")
            .order_by("id")[: len(PROFILES)]
        )
        for tenant, (codes, skills, contracts, mode, value) in zip(tenants, PROFILES, strict=False):
            existing = JobProfile.objects.filter(tenant=tenant, consents__isnull=False).first()
            if existing is not None:  # seeded before
                profiles.append(existing)
                continue
            actions.profile_update(
                tenant=tenant,
                data={
                    "search_status": JobProfile.SearchStatus.ACTIVE,
                    "wished_rome_codes": codes,
                    "skills": skills,
                    "experiences": [{"rome_code": codes[0], "years": 2}],
                    "languages": ["fr"],
                    "has_driving_licence": mode == "car",
                    "has_vehicle": mode == "car",
                    "travel_mode": mode,
                    "travel_value": value,
                    "hours_per_week": 35,
                    "available_days": ["mon", "tue", "wed", "thu", "fri"],
                    "contract_types": contracts,
                },
            )
            actions.consent_set(tenant=tenant, purpose="matching", granted=True)
            profiles.append(
                actions.consent_set(tenant=tenant, purpose="introduction", granted=True)
            )
    return profiles


def _matches(landlord: Landlord, offers: list[Offer], profiles: list[JobProfile]) -> None:
    """A pipeline to look at: suggested, interested, proposed, interview, declined, hired."""
    staff = (
        Staff.objects.filter(landlord=landlord, role__in=("job_advisor", "admin"))
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    iaa_profiles = [p for p in profiles if p.landlord_id == landlord.pk]
    if staff is None or not offers or not iaa_profiles:
        return
    by_code = {}
    for offer in offers:
        by_code.setdefault(offer.rome_code, []).append(offer)
    plan = (  # (profile index, ROME code, states to walk through)
        (0, "K2204", ["interested", "proposed", "employer_interested", "interview"]),
        (1, "G1602", ["interested", "proposed"]),
        (2, "N1103", ["interested", "proposed", "employer_interested", "interview", "hired"]),
        (3, "K1304", ["interested", "proposed", "declined"]),
        (4, "A1203", ["interested"]),
        (7, "K2204", ["suggested"]),
    )
    for index, code, path in plan:
        if index >= len(iaa_profiles) or code not in by_code:
            continue
        profile = iaa_profiles[index]
        offer = by_code[code][0]
        if Match.objects.filter(tenant_id=profile.tenant_id, offer=offer).exists():
            continue
        with transaction.atomic():
            _walk(profile, offer, path, staff.user)


def _walk(profile: JobProfile, offer: Offer, path: list[str], staff_user) -> None:
    tenant = profile.tenant
    if path[0] == "suggested":
        actions.match_suggest(user=staff_user, offer=offer, profile_id=profile.public_id)
        return
    match, _created = actions.match_express_interest(user=tenant.user, offer=offer)
    employer_user = offer.employer.members.select_related("user").order_by("id").first().user
    for state in path[1:]:
        if state == "proposed":
            actions.match_propose(user=staff_user, match=match, note="Profil motivé, dispo vite.")
        elif state == "employer_interested":
            actions.match_answer(user=employer_user, match=match, decision="interested")
        elif state == "declined":
            actions.match_answer(
                user=employer_user,
                match=match,
                decision="declined",
                reason="availability",
                message="Nous cherchons quelqu'un disponible le samedi.",
                reason_visible_to_tenant=True,
            )
        elif state == "interview":
            when = clock.now() + datetime.timedelta(days=5)
            actions.match_move(
                user=employer_user,
                match=match,
                to=state,
                expected_state=None,
                data={"interview_at": when, "interview_place": offer.address or offer.city},
            )
        elif state == "hired":
            actions.match_move(
                user=employer_user,
                match=match,
                to=state,
                expected_state=None,
                data={"hire_start_date": clock.today() + datetime.timedelta(days=14)},
            )
