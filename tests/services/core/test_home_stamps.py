"""The home screen's ETag reads hand-written SQL (`stamps.sql_version`) for speed: each part
must count exactly the rows its selector shows and move with the same newest value, which
this test checks against the ORM's own version of those selectors, for tenants with rows in
every state, another landlord's tenant and a tenant with nothing."""

import datetime

import pytest
import time_machine

from notifications import selectors as inbox
from notifications.models import Notification
from services.core import clock, stamps
from services.jobs import home as jobs_home
from services.jobs.models import JobProfile, Match, Offer
from services.jobs.selectors import match_list_for_user, offer_list_for_user
from services.loyalty import home as loyalty_home
from services.loyalty.models import Account, Entry, Lot
from services.loyalty.selectors import EXPIRING_HORIZON_DAYS
from services.volunteering import home as volunteering_home
from services.volunteering.models import Signup
from tests.factories import TenantFactory
from tests.factories.accounts import EmployerFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.factories.loyalty import give_points
from tests.factories.notifications import NotificationFactory
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory, in_days


def _orm_versions(user) -> dict:
    """The same versions, from the selectors the home screen's body reads."""
    now = clock.now()
    lots = Lot.objects.filter(account__tenant__user=user, remaining__gt=0, expires_at__gt=now)
    horizon = now + datetime.timedelta(days=EXPIRING_HORIZON_DAYS)
    return stamps.read(
        inbox=stamps.version(inbox.notification_list_for_user(user=user)),
        entries=stamps.version(Entry.objects.filter(account__tenant__user=user), "created_at"),
        account=stamps.version(Account.objects.filter(tenant__user=user)),
        lots_alive=stamps.version(lots, "expires_at"),
        lots_expiring=stamps.version(lots.filter(expires_at__lte=horizon), "expires_at"),
        signups_ahead=stamps.version(
            volunteering_home._ahead(user, now),
            "updated_at",
            "slot__updated_at",
            "slot__mission__updated_at",
        ),
        matches=stamps.version(
            match_list_for_user(user=user),
            "updated_at",
            "offer__updated_at",
            "offer__employer__updated_at",
        ),
        offers=stamps.version(offer_list_for_user(user=user), "updated_at", "employer__updated_at"),
        profile=stamps.version(JobProfile.objects.filter(tenant__user=user)),
    )


def _sql_versions(user) -> dict:
    return stamps.read(
        **inbox.home_stamps(user=user),
        **loyalty_home.home_stamps(user=user),
        **volunteering_home.home_stamps(user=user),
        **jobs_home.home_stamps(user=user),
    )


def _fill(tenant, landlord, residence):
    """Rows in every state the parts filter on, some shown and some not."""
    NotificationFactory(recipient=tenant.user)
    NotificationFactory(recipient=tenant.user, read_at=clock.now())
    NotificationFactory(recipient=tenant.user, in_inbox=False)  # push only: not in the inbox
    give_points(tenant, 30)
    give_points(tenant, 20)
    lots = Lot.objects.filter(account__tenant=tenant).order_by("id")
    soon, later = lots
    Lot.objects.filter(pk=soon.pk).update(expires_at=clock.now() + datetime.timedelta(days=10))
    Lot.objects.filter(pk=later.pk).update(expires_at=clock.now() + datetime.timedelta(days=200))
    give_points(tenant, 5)
    expired = Lot.objects.filter(account__tenant=tenant).order_by("-id").first()
    Lot.objects.filter(pk=expired.pk).update(expires_at=clock.now() - datetime.timedelta(days=1))
    mission = MissionFactory(landlord=landlord, residence=residence)
    SignupFactory(slot=SlotFactory(mission=mission, starts_at=in_days(2)), tenant=tenant)
    SignupFactory(slot=SlotFactory(mission=mission, starts_at=in_days(-2)), tenant=tenant)
    SignupFactory(
        slot=SlotFactory(mission=mission, starts_at=in_days(3)),
        tenant=tenant,
        status=Signup.Status.OFFERED,
        offer_expires_at=clock.now() + datetime.timedelta(hours=5),
    )
    SignupFactory(  # a lapsed offer: no longer shown
        slot=SlotFactory(mission=mission, starts_at=in_days(4)),
        tenant=tenant,
        status=Signup.Status.OFFERED,
        offer_expires_at=clock.now() - datetime.timedelta(hours=1),
    )
    SignupFactory(
        slot=SlotFactory(mission=mission, starts_at=in_days(5)),
        tenant=tenant,
        status=Signup.Status.WAITLISTED,
    )
    SignupFactory(
        slot=SlotFactory(mission=mission, starts_at=in_days(6)),
        tenant=tenant,
        status=Signup.Status.CANCELLED,
    )
    employer = EmployerFactory(landlords=[landlord])
    published = OfferFactory(employer=employer)
    OfferFactory(employer=employer, status=Offer.Status.CLOSED)
    OfferFactory(employer=employer, status=Offer.Status.DRAFT)
    OfferFactory(employer=employer, targets=[])  # published, targeting nobody
    closed = OfferFactory(employer=employer, status=Offer.Status.CLOSED)
    MatchFactory(tenant=tenant, offer=published)
    MatchFactory(tenant=tenant, offer=closed, state=Match.State.PROPOSED)
    JobProfileFactory(tenant=tenant)


@pytest.mark.django_db
def test_each_hand_written_stamp_equals_its_selectors_version(world):
    with time_machine.travel(clock.now(), tick=False):
        _fill(world.tenant_a, world.landlord_a, world.residence_a)
        _fill(world.tenant_b, world.landlord_b, world.residence_b)
        empty = TenantFactory(residence=world.residence_a)
        # Offers shared by both landlords, an employer edited after its offers.
        shared = EmployerFactory(landlords=[world.landlord_a, world.landlord_b])
        OfferFactory(employer=shared)
        shared.save()
        OfferFactory(employer=world.employer_a)  # one more offer for landlord A's tenants

    for moment in (0, 7, 100):  # lots and slots come and go with the clock alone
        with time_machine.travel(clock.now() + datetime.timedelta(days=moment), tick=False):
            seen = {}
            for tenant in (world.tenant_a, world.tenant_b, world.tenant_a2, empty):
                user = type(tenant.user).objects.get(pk=tenant.user.pk)
                sql = _sql_versions(user)
                assert sql == _orm_versions(user), (moment, tenant)
                seen[tenant.pk] = sql
            # Not vacuous: a filled tenant has rows in every part, and another landlord's
            # tenant sees other offers.
            filled = seen[world.tenant_a.pk]
            if moment == 0:
                assert all(not v.startswith("0/") for v in filled.values()), filled
            assert filled["offers"] != seen[world.tenant_b.pk]["offers"]
            assert seen[empty.pk]["inbox"] == stamps.EMPTY


@pytest.mark.django_db
def test_the_stamps_statement_alone_is_prepared_on_postgresql(world):
    """Planning the nine subqueries was most of its database time: prepared once per
    connection. Other statements are not (a migration elsewhere could change their result)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no prepared statements")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()
    for _ in range(6):  # past psycopg's default threshold of 5, had it been set
        _sql_versions(world.tenant_a.user)
        list(Notification.objects.filter(recipient=world.tenant_a.user))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 1 and "notifications_notification.in_inbox" in prepared[0]
