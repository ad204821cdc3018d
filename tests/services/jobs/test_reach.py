"""A proposal no member of the employer can receive is refused at proposal time."""

import pytest

from notifications.services import preferences_update
from services.accounts.models import PartnerAccess
from services.core.errors import DomainError
from services.jobs import actions
from services.jobs.models import Match
from tests.factories import EmployerFactory, EmployerMemberFactory, StaffFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def interested(world):
    JobProfileFactory(tenant=world.tenant_a)
    employer = EmployerFactory(name="Boulangerie Dupain", landlords=[world.landlord_a])
    offer = OfferFactory(employer=employer)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.INTERESTED)
    staff = StaffFactory(landlord=world.landlord_a, role="job_advisor").user
    return employer, match, staff


def _refused(match, staff):
    with pytest.raises(DomainError) as caught:
        actions.match_propose(user=staff, match=match, expected_state="interested")
    match.refresh_from_db()
    assert match.state == Match.State.INTERESTED and match.proposed_at is None
    return caught.value


def test_no_member_at_all(interested):
    _employer, match, staff = interested
    assert _refused(match, staff).code == "employer_unreachable"


def test_members_without_an_address_or_with_jobs_emails_off(interested):
    employer, match, staff = interested
    EmployerMemberFactory(employer=employer, user__email="")
    quiet = EmployerMemberFactory(employer=employer).user
    preferences_update(
        user=quiet, switches=[{"category": "jobs", "channel": "email", "enabled": False}]
    )
    assert _refused(match, staff).code == "employer_unreachable"


def test_a_member_granted_only_by_another_landlord_does_not_count(world, interested):
    employer, match, staff = interested
    employer.landlords.add(world.landlord_b)
    EmployerMemberFactory(employer=employer, grants=[world.landlord_b])
    assert _refused(match, staff).code == "employer_unreachable"


def test_an_inactive_member_does_not_count(interested):
    employer, match, staff = interested
    member = EmployerMemberFactory(employer=employer).user
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert _refused(match, staff).code == "employer_unreachable"


def test_one_reachable_member_is_enough(interested):
    employer, match, staff = interested
    EmployerMemberFactory(employer=employer, user__email="")
    EmployerMemberFactory(employer=employer, user__email="vente@dupain.example")
    actions.match_propose(user=staff, match=match, expected_state="interested")
    match.refresh_from_db()
    assert match.state == Match.State.PROPOSED


def test_withdrawing_the_access_makes_it_unreachable_again(interested):
    employer, match, staff = interested
    member = EmployerMemberFactory(employer=employer)
    PartnerAccess.objects.filter(member=member).delete()
    assert _refused(match, staff).code == "employer_unreachable"
