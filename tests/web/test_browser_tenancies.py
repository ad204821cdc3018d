"""Tenancies, announcements and the home page in a real browser, with their screenshots."""

import re

import pytest
from django.urls import reverse

from services.accounts.models import Tenancy
from tests.factories import TenancyFactory
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_a_tenancy_and_the_printed_letter_shows_its_code(
    page, live_server, world, console
):
    for n in range(3):
        TenancyFactory(residence=world.residence_a, tenant_reference=f"LOC-10{n}")
    sign_in(page, live_server, console.admin_a.user)
    page.goto("/console/tenancies/")
    screenshot(page, "tenancies-list")
    page.get_by_role("link", name="Nouveau bail").click()
    page.get_by_label("Résidence").select_option(value=str(world.residence_a.public_id))
    page.get_by_label("Référence du logement").fill("B-204")
    page.get_by_label("Référence locataire").fill("LOC-990001")
    page.get_by_label("Noms des titulaires").fill("Awa Diallo")
    page.get_by_label("Date de début").fill("2026-09-01")
    page.get_by_label("Date de fin").fill("2026-01-01")  # before the start: refused
    page.get_by_role("button", name="Créer et imprimer le courrier").click()
    assert page.locator("#id_end_date_error").is_visible()
    assert page.get_by_label("Noms des titulaires").input_value() == "Awa Diallo"
    screenshot(page, "tenancies-form-error")
    page.get_by_label("Date de fin").fill("")
    page.get_by_role("button", name="Créer et imprimer le courrier").click()
    page.wait_for_url(re.compile(r".*/letter/$"))
    code = page.get_by_test_id("activation-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", code), code
    screenshot(page, "tenancies-letter")
    page.emulate_media(media="print")
    assert page.get_by_test_id("activation-code").is_visible()
    assert page.get_by_text("Awa Diallo").is_visible()
    assert not page.get_by_role("navigation", name="Menu principal").is_visible()
    assert not page.get_by_role("button", name="Imprimer le courrier").is_visible()
    page.pdf(path="/tmp/voisinage-letter.pdf")  # the print layout renders
    page.emulate_media(media="screen")
    page.reload()
    assert page.get_by_test_id("activation-code").count() == 0
    assert Tenancy.objects.filter(tenant_reference="LOC-990001").exists()


def test_staff_of_another_landlord_cannot_open_a_tenancy_by_url(page, live_server, world, console):
    tenancy = world.tenant_a.tenancy
    sign_in(page, live_server, console.admin_b.user)
    for url in (
        reverse("web:tenancies:detail", kwargs={"id": tenancy.public_id}),
        reverse("web:tenancies:letter", kwargs={"id": tenancy.public_id}),
    ):
        response = page.goto(url)
        assert response.status == 404
        assert page.get_by_role("heading", name="Page non trouvée").is_visible()
        assert tenancy.holder_names not in page.content()


def test_job_advisor_is_refused_tenancies(page, live_server, console):
    sign_in(page, live_server, console.advisor_a.user)
    response = page.goto("/console/tenancies/")
    assert response.status == 403


def test_staff_writes_an_announcement_to_one_residence(page, live_server, world, console):
    sign_in(page, live_server, console.community_a.user)
    page.goto("/console/announcements/new/")
    page.get_by_label("Titre").fill("Fête des voisins")
    page.get_by_label("Message").fill("Samedi à 18 h dans la cour, chacun apporte un plat.")
    page.get_by_label("Les Minimes").check()
    screenshot(page, "announcements-form")
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url(re.compile(r".*/announcements/[0-9a-f-]{36}/$"))
    assert page.get_by_role("heading", name="Fête des voisins").is_visible()
    assert page.get_by_text("remises dans une boîte de réception").is_visible()
    screenshot(page, "announcements-detail")


def test_home_shows_what_waits_today(page, live_server, world, console, busy_day):
    sign_in(page, live_server, console.admin_a.user)
    page.goto("/console/")
    link = page.get_by_role("link", name=re.compile("Propositions sans réponse"))
    # The label, then its number (the tile reads "Propositions sans réponse… 1").
    assert link.locator(".count").inner_text() == "1"
    assert page.get_by_role("link", name=re.compile("Annonces envoyées")).is_visible()
    screenshot(page, "home")


def test_typing_a_search_updates_the_list_without_a_click(page, live_server, world, console):
    TenancyFactory(residence=world.residence_a, tenant_reference="LOC-ALPHA")
    TenancyFactory(residence=world.residence_a, tenant_reference="LOC-BETA")
    sign_in(page, live_server, console.admin_a.user)
    page.goto("/console/tenancies/")
    page.get_by_label("Rechercher").fill("alpha")
    page.wait_for_url(re.compile(r".*\?q=alpha$"))
    assert page.get_by_role("link", name="LOC-ALPHA").is_visible()
    assert page.get_by_role("link", name="LOC-BETA").count() == 0
