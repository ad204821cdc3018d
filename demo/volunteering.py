"""Demo missions for Immobilière Atlantic Aménagement (slug "iaa"), safe to load again.

Missions are found by (landlord, title); slots are added only when a mission has no upcoming
slot left, so the demo always shows the coming weeks. Sign-ups go through the real action
(capacity, waitlist). Without the accounts demo data, nothing is done.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from services.accounts.models import Landlord, Residence, Staff, Tenant
from services.core import clock
from services.core.errors import DomainError
from services.volunteering import actions
from services.volunteering.models import Mission, Signup, Slot

MISSIONS = (
    {
        "title": "Jardin partagé des Minimes",
        "category": Mission.Category.SHARED_GARDEN,
        "residence": "Les Minimes",
        "description": "Semis d'automne, paillage et récolte des dernières courges au jardin "
        "partagé, au pied de la résidence. Outils et gants fournis.",
        "place": "Jardin partagé, allée des Minimes, La Rochelle",
        "latitude": "46.147800",
        "longitude": "-1.163200",
        "points": 40,
        "slots": ((5, 9, 3, 8), (12, 9, 3, 8), (19, 9, 3, 8)),  # (days ahead, hour, hours, places)
    },
    {
        "title": "Nettoyage de la plage de la Concurrence",
        "category": Mission.Category.CLEAN_UP,
        "residence": None,
        "description": "Ramassage des déchets sur la plage et le long du front de mer avec "
        "l'association Surfrider. Sacs et pinces prêtés sur place.",
        "place": "Plage de la Concurrence, La Rochelle",
        "latitude": "46.155200",
        "longitude": "-1.160500",
        "points": 30,
        "slots": ((8, 14, 2, 15), (22, 14, 2, 15)),
    },
    {
        "title": "Visites de convivialité aux voisins âgés",
        "category": Mission.Category.ELDERLY,
        "residence": "Petit-Marseille",
        "description": "Un après-midi de discussion, de jeux de société ou de petites courses "
        "avec des voisins âgés isolés, en binôme avec la chargée de proximité.",
        "place": "Local associatif, résidence Petit-Marseille, Rochefort",
        "latitude": "45.936600",
        "longitude": "-0.963300",
        "points": 25,
        "requires_charter": True,
        "slots": ((3, 15, 2, 4), (10, 15, 2, 4), (17, 15, 2, 4)),
    },
    {
        "title": "Repair café de Mireuil",
        "category": Mission.Category.REPAIR_CAFE,
        "residence": None,
        "description": "Accueillir les voisins et réparer ensemble petit électroménager, vélos "
        "et vêtements. Bricoleurs débutants bienvenus.",
        "place": "Maison de quartier de Mireuil, La Rochelle",
        "latitude": "46.174000",
        "longitude": "-1.155000",
        "points": 30,
        "slots": ((6, 10, 3, 2), (20, 10, 3, 6)),
    },
)


def _at(days: int, hour: int) -> dt.datetime:
    day = clock.today() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def seed(*, out) -> None:
    landlord = Landlord.objects.filter(slug="iaa").first()
    if landlord is None:
        return
    creator = (
        Staff.objects.filter(landlord=landlord, role=Staff.Role.COMMUNITY)
        .select_related("user")
        .first()
    )
    missions = []
    for spec in MISSIONS:
        residence = None
        if spec["residence"]:
            residence = Residence.objects.filter(landlord=landlord, name=spec["residence"]).first()
            if residence is None:
                continue
        mission, _created = Mission.objects.get_or_create(
            landlord=landlord,
            title=spec["title"],
            defaults={
                "residence": residence,
                "category": spec["category"],
                "description": spec["description"],
                "place": spec["place"],
                "latitude": Decimal(spec["latitude"]),
                "longitude": Decimal(spec["longitude"]),
                "points": spec["points"],
                "requires_charter": spec.get("requires_charter", False),
                "status": Mission.Status.PUBLISHED,
                "created_by": creator.user if creator else None,
            },
        )
        if not mission.slots.filter(starts_at__gt=clock.now()).exists():
            for days, hour, hours, places in spec["slots"]:
                start = _at(days, hour)
                Slot.objects.create(
                    mission=mission,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=hours),
                    capacity=places,
                )
        missions.append(mission)

    signed = 0
    for mission in missions:
        slot = mission.slots.filter(starts_at__gt=clock.now()).order_by("starts_at").first()
        if slot is None:
            continue
        tenants = Tenant.objects.filter(landlord=landlord).select_related("user", "tenancy")
        if mission.residence_id:
            tenants = tenants.filter(tenancy__residence_id=mission.residence_id)
        for tenant in tenants.order_by("id")[:3]:
            if Signup.objects.filter(slot=slot, tenant=tenant).exists():
                continue
            try:
                actions.signup_create(tenant=tenant, slot=slot, accept_charter=True)
                signed += 1
            except DomainError:
                continue  # e.g. an overlapping slot: the demo keeps the rules
    out.write(f"Volunteering: {len(missions)} missions, {signed} new sign-ups.")
