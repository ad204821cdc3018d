"""Forgotten password and the printed reset letter in a real browser, with screenshots."""

import re

import pytest
from django.core import mail

from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW = "Another-Strong-Pass-77"


def test_staff_member_resets_a_forgotten_password_by_keyboard_and_e_mail(
    page, live_server, console
):
    user = console.admin_a.user
    page.goto("/console/sign-in/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("E-mail").fill(user.email)
    screenshot(page, "password-reset-request")
    page.get_by_label("E-mail").press("Enter")
    page.wait_for_url(re.compile(r".*/password-reset/confirm/$"))
    assert page.get_by_role("status").count() or page.get_by_text("Si un compte existe").count()
    code = re.search(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}", mail.outbox[-1].body).group(0)
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Code reçu").fill("AAAA-BBBB-CCCC-DDDD")
    page.locator("#id_new_password").fill(NEW)
    page.locator("#id_new_password_again").fill(NEW)
    page.get_by_role("button", name="Modifier le mot de passe").click()
    assert page.locator("#id_code_error").is_visible()
    assert page.get_by_label("E-mail").input_value() == user.email  # nothing typed is lost
    screenshot(page, "password-reset-confirm-error")
    page.get_by_label("Code reçu").fill(code)
    page.locator("#id_new_password").fill(NEW)
    page.locator("#id_new_password_again").fill(NEW)
    page.get_by_role("button", name="Modifier le mot de passe").click()
    page.wait_for_url(re.compile(r".*/sign-in/$"))
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_admin_prints_a_reset_letter_for_a_tenant(page, live_server, world, console):
    tenant = world.tenant_a
    sign_in(page, live_server, console.admin_a.user)
    page.goto(f"/console/tenancies/{tenant.tenancy.public_id}/")
    page.get_by_role(
        "button", name="Créer un code de réinitialisation et imprimer le courrier"
    ).click()
    page.wait_for_url(re.compile(r".*/reset-letter/$"))
    code = page.get_by_test_id("reset-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}", code), code
    screenshot(page, "tenancies-reset-letter")
    page.emulate_media(media="print")
    assert page.get_by_test_id("reset-code").is_visible()
    assert not page.get_by_role("button", name="Imprimer le courrier").is_visible()
    page.emulate_media(media="screen")
    page.reload()
    assert page.get_by_test_id("reset-code").count() == 0
