"""Console test fixtures: staff of each role in a two-landlord world, Django test clients
signed in as them, and a real Chromium (Debian's /usr/bin/chromium) for `browser` tests.

Playwright's sync API runs an event loop in the test's thread, so each browser test starts
and stops its own Playwright (no session-wide loop that would make every later ORM call
"async unsafe"), with DJANGO_ALLOW_ASYNC_UNSAFE set for that test only.
"""

import os
from dataclasses import dataclass

import pytest
from django.test import Client

from notifications.services import announcement_create
from services.accounts.models import Staff
from services.jobs.models import Match
from services.loyalty.actions import reward_redeem
from services.volunteering.models import Mission, Signup
from tests.factories import StaffFactory
from tests.factories.jobs import MatchFactory, OfferFactory
from tests.factories.loyalty import RewardFactory, give_points
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@dataclass
class Console:
    """Landlord A's admin, job advisor and community officer; landlord B's admin."""

    admin_a: Staff
    advisor_a: Staff
    community_a: Staff
    admin_b: Staff

    def users(self, world) -> dict:
        """Every role the web authorisation matrix asks: name -> user (None: anonymous)."""
        return {
            "anonymous": None,
            "tenant_a": world.tenant_a.user,
            "employer": world.employer_member.user,
            "admin_a": self.admin_a.user,
            "advisor_a": self.advisor_a.user,
            "community_a": self.community_a.user,
            "admin_b": self.admin_b.user,
        }


@pytest.fixture
def console(world) -> Console:
    return Console(
        admin_a=world.staff_a,  # StaffFactory's default role is admin
        advisor_a=StaffFactory(landlord=world.landlord_a, role=Staff.Role.JOB_ADVISOR),
        community_a=StaffFactory(landlord=world.landlord_a, role=Staff.Role.COMMUNITY),
        admin_b=world.staff_b,
    )


def web_client_for(user) -> Client:
    """A Django test client with a console session for `user` (anonymous for None)."""
    from web.access import SESSION_TOKEN_VERSION

    client = Client()
    if user is not None:
        client.force_login(user)
        session = client.session
        session[SESSION_TOKEN_VERSION] = user.token_version
        session.save()
    return client


@pytest.fixture
def web_client():
    return web_client_for


@pytest.fixture
def busy_day(world, console):
    """One of each to-do for landlord A (and some for B, which A must not count)."""
    offer = OfferFactory(employer=world.employer_a)
    MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    MatchFactory(tenant=world.tenant_a2, offer=offer, state=Match.State.INTERESTED)
    MatchFactory(tenant=world.tenant_b, offer=OfferFactory(), state=Match.State.PROPOSED)
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a), capacity=1)
    SignupFactory(slot=slot, tenant=world.tenant_a, status=Signup.Status.CONFIRMED)
    SignupFactory(slot=slot, tenant=world.tenant_a2, status=Signup.Status.WAITLISTED)
    MissionFactory(
        landlord=world.landlord_a, status=Mission.Status.PROPOSED, proposed_by=world.tenant_a
    )
    give_points(world.tenant_a, 500)
    reward_redeem(tenant=world.tenant_a, reward=RewardFactory(landlord=world.landlord_a))
    give_points(world.tenant_b, 500)
    reward_redeem(tenant=world.tenant_b, reward=RewardFactory(landlord=world.landlord_b))
    announcement_create(author=console.admin_a.user, title="Fête", body="Samedi")
    announcement_create(author=console.admin_b.user, title="Autre", body="B")


# --- Browser -----------------------------------------------------------------------------


@pytest.fixture
def chromium(monkeypatch):
    """A headless Debian Chromium for this test only."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A French desktop page on the live server (overrides pytest-playwright's `page`)."""
    context = chromium.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=DESKTOP, timezone_id="Europe/Paris"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def pytest_terminal_summary(terminalreporter):
    if os.path.exists(CHROMIUM):
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} browser tests skipped: Chromium not found at {CHROMIUM} "
            "(apt-get install chromium)",
            yellow=True,
        )
