"""Volunteering routes × roles. Missions and slots belong to landlord A, open to all its
tenants; sign-ups and initiatives to tenant_a."""

from tests.api.authz.base import STAFF, TENANTS, Case, allow
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

SLOT = {
    "starts_at": "2030-01-10T10:00:00+01:00",
    "ends_at": "2030-01-10T12:00:00+01:00",
    "capacity": 5,
}


def _mission(world):
    return MissionFactory(landlord=world.landlord_a)


def mission_id(world):
    return {"id": _mission(world).public_id}


def slot_id(world):
    return {"id": SlotFactory(mission=_mission(world)).public_id}


def initiative_id(world):
    mission = MissionFactory(
        landlord=world.landlord_a,
        residence=world.residence_a,
        status="proposed",
        proposed_by=world.tenant_a,
    )
    SlotFactory(mission=mission)
    return {"id": mission.public_id}


def signup_id(world):
    slot = SlotFactory(mission=_mission(world))
    return {"id": SignupFactory(slot=slot, tenant=world.tenant_a).public_id}


# tenant_a only (own rows); another tenant of the same landlord sees a 404
OWN_TENANT = allow("tenant_a", "staff_a", hidden=("tenant_a2", "tenant_b", "staff_b"))
LANDLORD_A = allow("tenant_a", "tenant_a2", "staff_a", hidden=("tenant_b", "staff_b"))
TENANTS_A = allow("tenant_a", "tenant_a2", hidden=("tenant_b",))
STAFF_A = allow("staff_a", hidden=("staff_b",))

EXPECTATIONS = {
    ("GET", "/volunteering/missions/"): Case(expect=allow(*TENANTS, *STAFF)),
    ("GET", "/volunteering/missions/{id}/"): Case(make=mission_id, expect=LANDLORD_A),
    ("POST", "/volunteering/missions/"): Case(
        expect=allow(*STAFF),
        body={
            "title": "Nettoyage",
            "category": "clean_up",
            "place": "Plage de la Concurrence",
            "latitude": "46.155000",
            "longitude": "-1.160000",
            "slots": [SLOT],
        },
    ),
    ("PATCH", "/volunteering/missions/{id}/"): Case(
        make=mission_id, expect=STAFF_A, body={"title": "Nouveau titre"}
    ),
    ("GET", "/volunteering/initiatives/"): Case(expect=allow(*TENANTS, *STAFF)),
    ("POST", "/volunteering/initiatives/"): Case(
        expect=allow(*TENANTS),
        body={"title": "Compost", "category": "shared_garden", "slots": [SLOT]},
    ),
    ("GET", "/volunteering/initiatives/{id}/"): Case(make=initiative_id, expect=OWN_TENANT),
    ("POST", "/volunteering/initiatives/{id}/review/"): Case(
        make=initiative_id, expect=STAFF_A, body={"decision": "approve"}
    ),
    ("POST", "/volunteering/slots/{id}/signups/"): Case(make=slot_id, expect=TENANTS_A),
    ("POST", "/volunteering/slots/{id}/attendance/"): Case(make=slot_id, expect=STAFF_A, body=[]),
    ("POST", "/volunteering/slots/{id}/check-in/"): Case(
        make=slot_id, expect=TENANTS_A, body={"code": "123456"}
    ),
    ("GET", "/volunteering/slots/{id}/check-in-code/"): Case(make=slot_id, expect=STAFF_A),
    ("POST", "/volunteering/slots/{id}/cancel/"): Case(make=slot_id, expect=STAFF_A),
    ("GET", "/volunteering/signups/"): Case(expect=allow(*TENANTS, *STAFF)),
    ("GET", "/volunteering/signups/{id}/"): Case(make=signup_id, expect=OWN_TENANT),
    ("POST", "/volunteering/signups/{id}/cancel/"): Case(make=signup_id, expect=OWN_TENANT),
    ("POST", "/volunteering/signups/{id}/accept-offer/"): Case(
        make=signup_id, expect=allow("tenant_a", hidden=("tenant_a2", "tenant_b"))
    ),
    ("GET", "/volunteering/record/"): Case(expect=allow(*TENANTS)),
}
