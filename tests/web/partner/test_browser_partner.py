"""A partner's member follows the invitation e-mail's link (a scanner's GET first: nothing
happens), presses Continue, looks a voucher up, validates it; a second try from another
tab is refused on the page with the time of the first. Screenshots in
docs/screenshots/partner-*.png."""

import re
import urllib.request

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone

from services.loyalty.models import Redemption
from tests.web.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _invitation_link(world, live_server) -> str:
    """The link in the invitation e-mail that staff's invitation sent (after commit)."""
    (sent,) = [m for m in mail.outbox if m.to == [world.member.email]]
    url = re.search(r"http://\S+/partenaire/lien/\?\S+", sent.body).group(0)
    return url.replace(settings.SITE_URL, live_server.url)


def test_a_partner_validates_a_voucher_and_the_second_try_is_refused(page, live_server, world):
    link = _invitation_link(world, live_server)

    # A mail scanner opens the link: a page, no session.
    with urllib.request.urlopen(link) as answer:
        assert answer.status == 200
        assert "Continuer" in answer.read().decode()
    assert Session.objects.count() == 0

    page.goto(link)
    screenshot(page, "partner-magic-link")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(re.compile(r".*/partenaire/$"))

    code = world.voucher.code
    page.locator("#id_code").fill(code.lower())
    page.locator("form.loy-counter button").click()
    assert page.get_by_text("Place de cinéma").is_visible()
    screenshot(page, "partner-counter")

    # The same voucher open in a second tab (another cashier, a double tap later).
    other = page.context.new_page()
    other.goto(f"{live_server.url}/partenaire/?code={code}")

    page.locator("button.loy-validate").click()
    page.locator(".loy-verdict--done").wait_for()
    assert Redemption.objects.get(pk=world.voucher.pk).status == "used"

    other.locator("button.loy-validate").click()
    verdict = other.locator(".loy-verdict--refused[role=alert]")
    verdict.wait_for()
    used_at = timezone.localtime(Redemption.objects.get(pk=world.voucher.pk).used_at)
    assert used_at.strftime("%H:%M") in verdict.inner_text()
    screenshot(other, "partner-refused")

    # Another partner's voucher is simply unknown here.
    other.goto(f"{live_server.url}/partenaire/?code={world.other_voucher.code}")
    assert other.locator(".loy-verdict").count() == 0
    assert other.get_by_text("Panier de fruits").count() == 0

    page.goto(f"{live_server.url}/partenaire/historique/")
    assert page.get_by_role("cell", name=code).is_visible()
    screenshot(page, "partner-history")
