"""The console's frame in a real browser: the landing page, signing in through the form,
the navigation a role sees, and keyboard access to the content."""

import pytest

from services.accounts.models import Staff
from tests.factories import StaffFactory
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_landing_page_in_french_links_to_the_console(page, live_server):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Ouvrir la console du personnel").is_visible()
    screenshot(page, "landing")


def test_admin_signs_in_with_the_form_and_sees_every_section(page, live_server):
    staff = StaffFactory(role=Staff.Role.ADMIN, user__email="admin@example.org")
    staff.user.set_password(PASSWORD)
    staff.user.save()
    page.goto("/console/")
    assert page.url.endswith("/console/sign-in/?next=/console/")
    screenshot(page, "sign-in")
    page.get_by_label("Adresse e-mail").fill("admin@example.org")
    page.get_by_label("Mot de passe").fill("wrong")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("E-mail ou mot de passe incorrect").is_visible()
    assert page.get_by_label("Adresse e-mail").input_value() == "admin@example.org"
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/console/")
    nav = page.get_by_role("navigation", name="Menu principal")
    for section in ("Accueil", "Emplois", "Bénévolat", "Fidélité", "Baux", "Annonces"):
        assert nav.get_by_role("link", name=section).is_visible()


def test_job_advisor_sees_only_their_sections_and_a_403_page_elsewhere(page, live_server):
    staff = StaffFactory(role=Staff.Role.JOB_ADVISOR)
    sign_in(page, live_server, staff.user)
    page.goto("/console/")
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Emplois").is_visible()
    assert nav.get_by_role("link", name="Bénévolat").count() == 0
    response = page.goto("/console/volunteering/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Accès refusé").is_visible()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page, live_server):
    staff = StaffFactory()
    sign_in(page, live_server, staff.user)
    page.goto("/console/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_console_fits_a_360_px_phone(page, live_server):
    staff = StaffFactory()
    sign_in(page, live_server, staff.user)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/console/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_language_can_be_switched_to_english_and_back(page, live_server):
    staff = StaffFactory()
    sign_in(page, live_server, staff.user)
    page.goto("/console/")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Today").is_visible()
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    assert page.get_by_role("heading", name="Aujourd’hui").is_visible()


CONSOLE_PAGES = (
    "/console/",
    "/console/password/",
    "/console/tenancies/",
    "/console/tenancies/new/",
    "/console/tenancies/import/",
    "/console/announcements/",
    "/console/announcements/new/",
)

UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(
    el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.name)"""


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_page_is_labelled_titled_and_fits_a_phone(page, live_server, world, path):
    sign_in(page, live_server, world.staff_a.user)
    page.set_viewport_size({"width": 360, "height": 740})
    response = page.goto(path)
    assert response.status == 200
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
