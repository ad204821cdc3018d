"""The volunteering section in a real browser (Debian's Chromium), with its screenshots."""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import expect

from services.loyalty.models import Account
from services.volunteering import actions
from services.volunteering.models import Mission, Signup
from tests.factories import TenantFactory, UserFactory
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory, in_days
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(
    el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.name)"""


def _named_tenant(residence, first, last):
    return TenantFactory(
        residence=residence, user=UserFactory(role="tenant", first_name=first, last_name=last)
    )


def _fits_a_phone(page):
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_community_officer_creates_a_mission_publishes_it_and_takes_attendance(
    page, live_server, world, console
):
    amina = _named_tenant(world.residence_a, "Amina", "Diallo")
    bruno = _named_tenant(world.residence_a, "Bruno", "Martin")
    sign_in(page, live_server, console.community_a.user)

    page.goto("/console/volunteering/missions/new/")
    starts = in_days(2, hour=14)
    page.fill("#id_title", "Nettoyage des berges du canal")
    page.select_option("#id_category", "clean_up")
    page.fill("#id_place", "Canal de Marans, pont des Minimes")
    page.fill("#id_latitude", "46.15")
    page.fill("#id_longitude", "-1.15")
    page.fill("#id_points", "50")
    page.fill("#id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (starts - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_capacity", "6")
    page.get_by_role("button", name="Enregistrer en brouillon").click()
    # The domain refuses a slot that ends before it starts: beside the field, nothing lost.
    expect(page.locator("#id_starts_at_error")).to_be_visible()
    assert page.locator("#id_title").input_value() == "Nettoyage des berges du canal"
    screenshot(page, "volunteering-mission-form")
    page.fill("#id_ends_at", (starts + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Enregistrer en brouillon").click()
    expect(page.get_by_role("heading", name="Nettoyage des berges du canal")).to_be_visible()

    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Mission publiée")).to_be_visible()
    mission = Mission.objects.get(title="Nettoyage des berges du canal")
    assert mission.status == Mission.Status.PUBLISHED
    screenshot(page, "volunteering-mission")

    slot = mission.slots.get()
    for tenant in (amina, bruno):
        actions.signup_create(tenant=tenant, slot=slot)

    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=5), tick=True):
        page.goto(f"/console/volunteering/slots/{slot.public_id}/attendance/")
        row = page.locator(f"#signup-{slot.signups.get(tenant=amina).public_id}")
        row.get_by_role("button", name="Présent·e").click()
        # htmx redrew Amina's row only: pressed, and her points are there.
        expect(row.get_by_role("button", name="Présent·e")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(page.locator(".vol-points").first).to_have_text("50 points")
        page.locator(f"#signup-{slot.signups.get(tenant=bruno).public_id}").get_by_role(
            "button", name="Absent·e"
        ).click()
        expect(page.get_by_role("button", name="Bruno : absent·e")).to_have_attribute(
            "aria-pressed", "true"
        )
        _fits_a_phone(page)
        screenshot(page, "volunteering-attendance")

        page.goto(f"/console/volunteering/slots/{slot.public_id}/checkin/")
        expect(page.locator(".vol-code span")).to_have_text(
            actions.checkin_code_for(actor=console.community_a.user, slot=slot)["code"]
        )
        assert page.locator(".vol-qr svg").is_visible()
        screenshot(page, "volunteering-checkin")

    # The tenant's points appear on their loyalty page too.
    page.goto(f"/console/loyalty/tenants/{amina.public_id}/")
    expect(page.locator("#balance")).to_have_text("50")
    expect(page.locator("td.number", has_text="+50")).to_be_visible()
    assert Account.objects.get(tenant=amina).balance == 50
    statuses = dict(slot.signups.values_list("tenant_id", "status"))
    assert statuses == {amina.pk: Signup.Status.ATTENDED, bruno.pk: Signup.Status.NO_SHOW}


def test_volunteering_lists_and_chart_fit_a_phone(page, live_server, world, console):
    slot = SlotFactory(
        mission=MissionFactory(landlord=world.landlord_a, title="Repair café des Minimes"),
        starts_at=in_days(-20),
        ends_at=in_days(-20) + dt.timedelta(hours=3),
    )
    SignupFactory(slot=slot, tenant=world.tenant_a, status=Signup.Status.ATTENDED)
    SignupFactory(
        slot=SlotFactory(mission=slot.mission),
        tenant=world.tenant_a2,
        status=Signup.Status.WAITLISTED,
        waitlist_ticket=1,
    )
    MissionFactory(
        landlord=world.landlord_a,
        residence=world.residence_a,
        status=Mission.Status.PROPOSED,
        proposed_by=world.tenant_a,
        title="Boîte à livres dans le hall",
    )
    sign_in(page, live_server, console.admin_a.user)
    for path, name in (
        ("/console/volunteering/missions/", "volunteering-missions"),
        ("/console/volunteering/signups/?status=waitlisted", "volunteering-waitlist"),
        ("/console/volunteering/initiatives/", "volunteering-initiatives"),
        ("/console/volunteering/stats/", "volunteering-hours"),
    ):
        assert page.goto(path).status == 200
        _fits_a_phone(page)
        screenshot(page, name)
    assert (
        page.locator("table td.number", has_text="3.0").count()
        + page.locator("table td.number", has_text="3,0").count()
        >= 1
    )
