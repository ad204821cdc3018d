"""Each periodic jobs task goes on past one poisoned item: logged with its id, counted, the
others processed (issue 10 §4)."""

import datetime

import pytest
import time_machine

from notifications.models import Notification
from services.jobs import tasks
from services.jobs.models import Match, Offer
from tests.factories.accounts import StaffFactory, TenantFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.poison import failed_ids, refuse

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def _at(delta):
    return time_machine.travel(T0 + delta, tick=False)


@pytest.fixture
def two_proposed(world):
    matches = []
    for tenant in (world.tenant_a, world.tenant_a2):
        JobProfileFactory(tenant=tenant)
        with _at(datetime.timedelta(0)):
            matches.append(
                MatchFactory(
                    tenant=tenant,
                    offer=OfferFactory(employer=world.employer_a),
                    state=Match.State.PROPOSED,
                )
            )
    return matches


def test_proposal_expiry_goes_on_past_a_match_the_database_refuses(two_proposed, caplog):
    poisoned, healthy = two_proposed
    refuse(Match, on="UPDATE", when=f"OLD.id = {poisoned.pk}")

    with _at(datetime.timedelta(days=21)):
        assert tasks.proposals_expire_and_remind() == {"expired": 1, "reminded": 0}

    poisoned.refresh_from_db()
    healthy.refresh_from_db()
    assert (poisoned.state, healthy.state) == (Match.State.PROPOSED, Match.State.EXPIRED)
    assert failed_ids(caplog, "jobs.proposals_expire_and_remind") == [str(poisoned.pk)]


def test_proposal_reminders_go_on_past_a_match_the_database_refuses(two_proposed, caplog):
    poisoned, healthy = two_proposed
    refuse(Match, on="UPDATE", when=f"OLD.id = {poisoned.pk}")

    with _at(datetime.timedelta(days=7)):
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 1}

    assert Match.objects.get(pk=healthy.pk).reminders_sent == 1
    assert Match.objects.get(pk=poisoned.pk).reminders_sent == 0
    assert failed_ids(caplog, "jobs.proposals_expire_and_remind") == [str(poisoned.pk)]


@pytest.mark.parametrize(("days", "done"), [(83, {"closed": 0, "warned": 1}), (90, None)])
def test_offer_expiry_and_warning_go_on_past_an_offer_the_database_refuses(
    world, caplog, days, done
):
    with _at(datetime.timedelta(0)):
        poisoned = OfferFactory(employer=world.employer_a)
        healthy = OfferFactory(employer=world.employer_a)
    refuse(Offer, on="UPDATE", when=f"OLD.id = {poisoned.pk}")

    with _at(datetime.timedelta(days=days)):
        result = tasks.offers_expire_and_warn()

    poisoned.refresh_from_db()
    healthy.refresh_from_db()
    if done:  # the warning, 7 days before
        assert result == done
        assert (poisoned.expiry_warned_at, healthy.expiry_warned_at is not None) == (None, True)
    else:
        assert result == {"closed": 1, "warned": 0}
        assert (poisoned.status, healthy.status) == (Offer.Status.PUBLISHED, Offer.Status.CLOSED)
    assert failed_ids(caplog, "jobs.offers_expire_and_warn") == [str(poisoned.pk)]


def test_daily_suggestions_go_on_past_an_offer_the_matching_cannot_read(world, caplog):
    # A skill stored as a number (a row written before the API validated skills): the
    # matching cannot normalise it. Offers after it still get their suggestions and the
    # digest still goes out.
    JobProfileFactory(tenant=world.tenant_a)
    poisoned = OfferFactory(employer=world.employer_a, required_skills=[42])
    OfferFactory(employer=world.employer_a, title="Agent de propreté")

    with _at(datetime.timedelta(0)):
        assert tasks.matches_suggest_and_digest() == {"suggested": 1, "digests": 1}

    assert list(Match.objects.values_list("offer__title", flat=True)) == ["Agent de propreté"]
    assert Notification.objects.filter(kind="jobs.new_matches").count() == 1
    assert failed_ids(caplog, "jobs.matches_suggest_and_digest") == [str(poisoned.pk)]


def test_the_digest_goes_on_past_a_profile_the_database_refuses(world, caplog):
    from services.jobs.models import JobProfile

    poisoned = JobProfileFactory(tenant=world.tenant_a)
    JobProfileFactory(tenant=world.tenant_a2)
    OfferFactory(employer=world.employer_a)
    refuse(JobProfile, on="UPDATE", when=f"OLD.id = {poisoned.pk}")

    with _at(datetime.timedelta(0)):
        result = tasks.matches_suggest_and_digest()

    assert result["digests"] == 1
    told = Notification.objects.filter(kind="jobs.new_matches").values_list("recipient", flat=True)
    assert list(told) == [world.tenant_a2.user_id]
    assert failed_ids(caplog, "jobs.matches_suggest_and_digest") == [str(poisoned.pk)]


def test_the_staff_digest_goes_on_past_a_member_the_database_refuses(world, caplog):
    other = StaffFactory(landlord=world.landlord_a, role="job_advisor")
    JobProfileFactory(tenant=world.tenant_a)
    MatchFactory(tenant=world.tenant_a, offer=OfferFactory(employer=world.employer_a))
    refuse(Notification, on="INSERT", when=f"NEW.recipient_id = {world.staff_a.user_id}")

    assert tasks.staff_weekly_digest() == 1

    told = Notification.objects.filter(kind="jobs.staff_weekly").values_list("recipient", flat=True)
    assert list(told) == [other.user_id]
    assert failed_ids(caplog, "jobs.staff_weekly_digest") == [str(world.staff_a.pk)]


def test_the_proposals_digest_goes_on_past_a_member_the_database_refuses(world, caplog):
    from services.jobs import actions as jobs
    from tests.factories.accounts import EmployerFactory, EmployerMemberFactory

    other = EmployerMemberFactory(employer=EmployerFactory(landlords=[world.landlord_a])).user
    poisoned = world.employer_member.user
    with _at(datetime.timedelta(0)):
        for employer in (world.employer_a, other.employer_member.employer):
            for _index in range(2):  # the second of the day waits for the digest
                tenant = TenantFactory(residence=world.residence_a)
                JobProfileFactory(tenant=tenant)
                match = MatchFactory(
                    tenant=tenant,
                    offer=OfferFactory(employer=employer),
                    state=Match.State.INTERESTED,
                )
                jobs.match_propose(user=world.staff_a.user, match=match)
    refuse(Notification, on="INSERT", when=f"NEW.recipient_id = {poisoned.pk}")

    with _at(datetime.timedelta(days=1)):
        assert tasks.proposals_digest_send() == {"digests": 1}

    told = Notification.objects.filter(kind="jobs.proposals_digest")
    assert list(told.values_list("recipient", flat=True)) == [other.pk]
    assert failed_ids(caplog, "jobs.proposals_digest_send") == [str(poisoned.pk)]


def test_a_tenant_without_trouble_is_not_logged(world, caplog):
    TenantFactory(residence=world.residence_a)
    tasks.staff_weekly_digest()
    tasks.matches_suggest_and_digest()
    assert [r for r in caplog.records if r.name == "services.periodic"] == []
