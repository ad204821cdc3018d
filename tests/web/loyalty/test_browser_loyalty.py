"""The loyalty section in a real browser (Debian's Chromium), with its screenshots."""

import pytest
from playwright.sync_api import expect

from services.loyalty import actions
from services.loyalty.models import Redemption, Reward
from tests.factories import TenantFactory, UserFactory
from tests.factories.loyalty import RewardFactory, give_points
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(
    el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.name)"""


def _fits_a_phone(page):
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_admin_validates_a_voucher_once(page, live_server, world, console):
    tenant = TenantFactory(
        residence=world.residence_a,
        user=UserFactory(role="tenant", first_name="Amina", last_name="Diallo"),
    )
    reward = RewardFactory(
        landlord=world.landlord_a, title="Place de cinéma CGR Dragon", cost_points=100
    )
    give_points(tenant, 150)
    voucher = actions.reward_redeem(tenant=tenant, reward=reward)
    sign_in(page, live_server, console.admin_a.user)

    page.goto("/console/loyalty/counter/")
    page.get_by_label("Code du bon").fill(voucher.code.lower())  # typed as it comes
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_role("heading", name="Bon valable")).to_be_visible()
    expect(page.get_by_text("Place de cinéma CGR Dragon")).to_be_visible()
    _fits_a_phone(page)
    screenshot(page, "loyalty-counter")

    page.get_by_role("button", name="Valider (une seule fois)").click()
    expect(page.get_by_role("heading", name="Bon validé")).to_be_visible()
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.USED

    # The same code again (a second cashier, a replayed form): refused, with the first time.
    page.goto("/console/loyalty/counter/")
    page.get_by_label("Code du bon").fill(voucher.code)
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_role("button", name="Valider (une seule fois)")).to_have_count(0)
    page.go_back()
    page.go_back()  # the page with the validate button, as it was before the first validation
    page.get_by_role("button", name="Valider (une seule fois)").click()
    verdict = page.get_by_role("alert")
    expect(verdict).to_contain_text("Refusé")
    expect(verdict).to_contain_text("Il a été validé le")
    _fits_a_phone(page)
    screenshot(page, "loyalty-counter-refused")
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.USED


def test_catalogue_grant_and_reports(page, live_server, world, console):
    tenant = TenantFactory(
        residence=world.residence_a,
        user=UserFactory(role="tenant", first_name="Bruno", last_name="Martin"),
    )
    pool = RewardFactory(
        landlord=world.landlord_a,
        title="Bon d'achat Biocoop",
        kind=Reward.Kind.POOL_CODE,
        stock=0,
        partner_name="Biocoop La Rochelle",
    )
    RewardFactory(landlord=world.landlord_a, title="Entrée aquarium", cost_points=300)
    give_points(tenant, 200)
    sign_in(page, live_server, console.community_a.user)

    page.goto("/console/loyalty/rewards/")
    _fits_a_phone(page)
    screenshot(page, "loyalty-catalogue")

    page.goto(f"/console/loyalty/rewards/{pool.public_id}/")
    page.get_by_label("Fichier CSV de codes").set_input_files(
        files=[{"name": "codes.csv", "mimeType": "text/csv", "buffer": b"BIO-001\nBIO-002\n"}]
    )
    page.get_by_role("button", name="Envoyer les codes").click()
    expect(page.get_by_text("2 codes ajoutés")).to_be_visible()
    screenshot(page, "loyalty-reward")

    page.goto("/console/loyalty/rewards/new/")
    page.get_by_label("Titre").fill("Entrée piscine")
    page.get_by_label("Coût en points").fill("80")
    page.get_by_label("Disponible à partir du").fill("2027-02-01T09:00")
    page.get_by_label("Disponible jusqu’au").fill("2027-01-01T09:00")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#id_available_until_error")).to_be_visible()
    assert page.get_by_label("Titre").input_value() == "Entrée piscine"
    screenshot(page, "loyalty-reward-form")

    page.goto(f"/console/loyalty/tenants/{tenant.public_id}/")
    page.fill("#id_points", "25")
    page.fill("#id_reason", "Aide à la fête des voisins")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#balance")).to_have_text("225")
    screenshot(page, "loyalty-tenant")

    page.goto("/console/loyalty/reports/")
    _fits_a_phone(page)
    screenshot(page, "loyalty-reports")
