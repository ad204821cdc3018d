"""At 21 days without an answer the employer's members hear the proposal closed, by e-mail
too (they have no app), and only those the match's landlord granted."""

import datetime

import pytest
import time_machine
from django.core import mail

from notifications.models import Notification
from services.jobs import tasks
from services.jobs.models import Match
from tests.factories import EmployerMemberFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def test_the_members_get_the_expiry_notice_by_email(
    world, django_capture_on_commit_callbacks, settings
):
    world.employer_a.landlords.add(world.landlord_b)
    other_landlords_member = EmployerMemberFactory(
        employer=world.employer_a, grants=[world.landlord_b], user__email="b@example.org"
    ).user
    JobProfileFactory(tenant=world.tenant_a)
    with time_machine.travel(T0, tick=False):
        match = MatchFactory(
            tenant=world.tenant_a,
            offer=OfferFactory(employer=world.employer_a, title="Agent de propreté"),
            state=Match.State.PROPOSED,
        )
    member = world.employer_member.user
    with (
        time_machine.travel(T0 + datetime.timedelta(days=21), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.proposals_expire_and_remind()["expired"] == 1
    notice = Notification.objects.get(recipient=member, kind="jobs.proposal_expired")
    assert "Agent de propreté" in notice.title
    assert not Notification.objects.filter(recipient=other_landlords_member).exists()
    sent = [m for m in mail.outbox if m.to == [member.email]]
    assert len(sent) == 1
    assert "/espace/lien/?sesame=" in sent[0].body and str(match.public_id) in sent[0].body
    assert all(m.to != [other_landlords_member.email] for m in mail.outbox)
