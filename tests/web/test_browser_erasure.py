"""The console's erasure on a written request, in a real browser (French, keyboard-usable
labels), with its screenshot."""

import re

import pytest

from services.accounts.models import User
from services.privacy.actions import is_erased
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_community_officer_erases_a_tenant_on_their_written_request(
    page, live_server, world, console
):
    tenant = world.tenant_a
    sign_in(page, live_server, console.community_a.user)
    page.goto(f"/console/tenancies/{tenant.tenancy.public_id}/")
    page.get_by_role("link", name=re.compile(r"Effacer les données de .*demande écrite")).click()
    page.get_by_label("Référence de la demande écrite").fill("courrier du 3 mars")
    page.get_by_role("button", name="Effacer les données de ce locataire").click()
    assert page.locator("#id_confirm_error").is_visible()  # the confirmation, beside its box
    assert page.get_by_label("Référence de la demande écrite").input_value() == (
        "courrier du 3 mars"
    )
    screenshot(page, "tenancies-erase")
    page.get_by_label(re.compile("J'ai la demande écrite du locataire")).check()
    page.get_by_role("button", name="Effacer les données de ce locataire").click()
    page.wait_for_url(re.compile(r".*/tenancies/[0-9a-f-]{36}/$"))
    assert page.get_by_text("Les données personnelles du locataire ont été effacées.").is_visible()
    assert is_erased(User.objects.get(pk=tenant.user_id))
