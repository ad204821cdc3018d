"""A proposal nobody at the employer can receive any more (e-mails switched off, access
withdrawn after the proposal) does not wait unseen: at each reminder the staff member who
proposed it is told, by e-mail too."""

import datetime

import pytest
import time_machine
from django.core import mail

from notifications.models import Notification
from notifications.services import preferences_update
from services.accounts.models import User
from services.jobs import actions as jobs
from services.jobs import tasks
from services.jobs.models import Match
from tests.factories import StaffFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def proposed(world, django_capture_on_commit_callbacks):
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a, title="Agent de propreté"),
        state=Match.State.INTERESTED,
    )
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        jobs.match_propose(user=world.staff_a.user, match=match)
    mail.outbox.clear()
    return match


def _remind(days, capture):
    with (
        time_machine.travel(T0 + datetime.timedelta(days=days), tick=False),
        capture(execute=True),
    ):
        return tasks.proposals_expire_and_remind()


def _told(user):
    return Notification.objects.filter(recipient=user, kind="jobs.proposal_unreachable")


def test_the_proposer_is_told_when_nobody_can_read_it_any_more(
    world, proposed, django_capture_on_commit_callbacks
):
    preferences_update(
        user=world.employer_member.user,
        switches=[{"category": "jobs", "channel": "email", "enabled": False}],
    )
    assert _remind(7, django_capture_on_commit_callbacks)["reminded"] == 1

    proposer = world.staff_a.user
    notice = _told(proposer).get()
    assert "Océan Propreté" in notice.body and "7" in notice.body
    [message] = [m for m in mail.outbox if m.to == [proposer.email]]
    assert "Personne ne peut lire votre proposition : Agent de propreté" in message.subject
    assert f"/console/jobs/matches/{proposed.public_id}/" in message.body
    assert "sesame" not in message.body  # staff get no sign-in link
    assert mail.outbox == [message]  # the member switched e-mails off

    _remind(14, django_capture_on_commit_callbacks)
    assert _told(proposer).count() == 2


def test_nobody_is_bothered_while_a_member_can_read_it(
    world, proposed, django_capture_on_commit_callbacks
):
    _remind(7, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind="jobs.proposal_unreachable").exists()
    assert [m.to for m in mail.outbox] == [[world.employer_member.user.email]]


def test_the_landlords_job_staff_are_told_when_the_proposer_left(
    world, proposed, django_capture_on_commit_callbacks
):
    world.employer_member.accesses.all().delete()
    User.objects.filter(pk=world.staff_a.user_id).update(is_active=False)
    advisor = StaffFactory(landlord=world.landlord_a, role="job_advisor").user
    StaffFactory(landlord=world.landlord_b, role="admin")  # another landlord's: not told
    _remind(7, django_capture_on_commit_callbacks)
    told = Notification.objects.filter(kind="jobs.proposal_unreachable")
    assert list(told.values_list("recipient", flat=True)) == [advisor.pk]
