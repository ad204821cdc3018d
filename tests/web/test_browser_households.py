"""A tenancy's household and its end in a real browser (360 px phone too), with screenshots."""

import pytest

from services.accounts.households import household_invitation_create, household_join
from services.accounts.models import Tenancy
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_household_and_end_the_tenancy(page, live_server, world, console):
    issued = household_invitation_create(tenant=world.tenant_a)
    household_join(
        invitation_code=issued.code,
        email="yanis@example.org",
        password="Un-Mot-De-Passe-Solide-42",
        first_name="Yanis",
        last_name="Lefèvre",
        confirm_adult=True,
    )
    tenancy = world.tenant_a.tenancy
    sign_in(page, live_server, console.community_a.user)
    page.goto(f"/console/tenancies/{tenancy.public_id}/")
    table = page.get_by_role("table", name="Foyer")
    assert table.is_visible()
    assert "Yanis Lefèvre" in table.inner_text() and "Membre du foyer" in table.inner_text()
    screenshot(page, "tenancy-household")

    field = page.get_by_label("Dernier jour du bail")
    field.fill("1999-01-01")  # before the start: refused beside the field, kept
    page.get_by_role("button", name="Enregistrer la fin du bail").click()
    assert page.locator("#id_end_date_error").is_visible()
    assert page.get_by_label("Dernier jour du bail").input_value() == "1999-01-01"
    screenshot(page, "tenancy-end-error")

    page.get_by_label("Dernier jour du bail").fill("2026-12-31")
    page.get_by_label("Dernier jour du bail").press("Enter")  # the keyboard submits
    page.wait_for_url(f"**/console/tenancies/{tenancy.public_id}/")
    assert page.get_by_role("status").get_by_text("foyer prévenu").is_visible()
    assert str(Tenancy.objects.get(pk=tenancy.pk).end_date) == "2026-12-31"

    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.get_by_role("heading", name="Foyer").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
