"""The volunteering section's pages: admins and community officers of the landlord; another
landlord's mission, slot or initiative is a 404 (reads and writes), other roles 403."""

from web.access import ADMIN, COMMUNITY

from .base import OK, Case, staff_only

VOL = staff_only(ADMIN, COMMUNITY, other_landlord=OK)
VOL_OBJECT = staff_only(ADMIN, COMMUNITY, other_landlord=404)


def _mission(world, console):
    from services.volunteering.models import Mission
    from tests.factories.volunteering import MissionFactory, SlotFactory

    mission = MissionFactory(landlord=world.landlord_a, status=Mission.Status.DRAFT)
    SlotFactory(mission=mission)
    return {"id": mission.public_id}


def _slot(world, console):
    from tests.factories.volunteering import MissionFactory, SlotFactory

    return {"id": SlotFactory(mission=MissionFactory(landlord=world.landlord_a)).public_id}


def _initiative(world, console):
    from services.volunteering.models import Mission
    from tests.factories.volunteering import MissionFactory, SlotFactory

    mission = MissionFactory(
        landlord=world.landlord_a,
        residence=world.residence_a,
        status=Mission.Status.PROPOSED,
        proposed_by=world.tenant_a,
    )
    SlotFactory(mission=mission)
    return {"id": mission.public_id}


EXPECTATIONS = {
    "/console/volunteering/": Case(expect=VOL),
    "/console/volunteering/missions/": Case(expect=VOL),
    "/console/volunteering/missions/new/": Case(expect=VOL),
    "/console/volunteering/missions/new/ POST": Case(expect=VOL, data={"title": ""}),
    "/console/volunteering/missions/{id}/": Case(expect=VOL_OBJECT, make=_mission),
    "/console/volunteering/missions/{id}/edit/": Case(expect=VOL_OBJECT, make=_mission),
    "/console/volunteering/missions/{id}/edit/ POST": Case(
        expect=VOL_OBJECT, make=_mission, data={"title": ""}
    ),
    # POST-only: a GET answers 405 past the role check; the POST proves the scoping.
    "/console/volunteering/missions/{id}/publish/": Case(expect=VOL, make=_mission),
    "/console/volunteering/missions/{id}/publish/ POST": Case(expect=VOL_OBJECT, make=_mission),
    "/console/volunteering/missions/{id}/cancel/": Case(expect=VOL_OBJECT, make=_mission),
    "/console/volunteering/missions/{id}/cancel/ POST": Case(expect=VOL_OBJECT, make=_mission),
    "/console/volunteering/missions/{id}/slots/": Case(expect=VOL, make=_mission),
    "/console/volunteering/missions/{id}/slots/ POST": Case(
        expect=VOL_OBJECT, make=_mission, data={"capacity": ""}
    ),
    "/console/volunteering/slots/{id}/": Case(expect=VOL_OBJECT, make=_slot),
    "/console/volunteering/slots/{id}/edit/": Case(expect=VOL_OBJECT, make=_slot),
    "/console/volunteering/slots/{id}/edit/ POST": Case(
        expect=VOL_OBJECT, make=_slot, data={"capacity": ""}
    ),
    "/console/volunteering/slots/{id}/cancel/": Case(expect=VOL, make=_slot),
    "/console/volunteering/slots/{id}/cancel/ POST": Case(expect=VOL_OBJECT, make=_slot),
    "/console/volunteering/slots/{id}/attendance/": Case(expect=VOL_OBJECT, make=_slot),
    "/console/volunteering/slots/{id}/attendance/ POST": Case(
        expect=VOL_OBJECT, make=_slot, data={"signup": "x", "attended": "1"}
    ),
    "/console/volunteering/slots/{id}/checkin/": Case(expect=VOL_OBJECT, make=_slot),
    "/console/volunteering/signups/": Case(expect=VOL),
    "/console/volunteering/initiatives/": Case(expect=VOL),
    "/console/volunteering/initiatives/{id}/review/": Case(expect=VOL, make=_initiative),
    "/console/volunteering/initiatives/{id}/review/ POST": Case(
        expect=VOL_OBJECT, make=_initiative, data={"decision": "refuse"}
    ),
    "/console/volunteering/stats/": Case(expect=VOL),
}
