"""The e-mail channel: written with the notification, sent after commit, once, in the
recipient's language, with the preferences switches; no tenant identity in it."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from notifications import email
from notifications.models import EmailDelivery, Preference
from notifications.services import notify, preferences_update
from notifications.tasks import send_emails
from services.accounts.models import User
from services.core import clock
from services.jobs import actions as jobs
from services.jobs.models import Match
from tests.factories import (
    EmployerFactory,
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenantFactory,
    UserFactory,
)
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    landlord: object
    staff: object
    member: object
    match: object
    tenant: object


@pytest.fixture
def world():
    landlord = LandlordFactory(name="Habitat Atlantique")
    staff = StaffFactory(landlord=landlord).user
    employer = EmployerFactory(name="Boulangerie Dupain", landlords=[landlord])
    member = EmployerMemberFactory(
        employer=employer, user__email="patron@boulangerie.example", user__language="fr"
    ).user
    tenant = TenantFactory(
        residence=ResidenceFactory(landlord=landlord),
        user__first_name="Zoé",
        user__last_name="Tenantissime",
        user__email="zoe.tenantissime@example.org",
    )
    JobProfileFactory(tenant=tenant)  # consents to be introduced (proposing requires it)
    offer = OfferFactory(employer=employer, title="Vendeur en boulangerie")
    match = MatchFactory(tenant=tenant, offer=offer, state=Match.State.INTERESTED)
    return World(landlord, staff, member, match, tenant)


def _propose(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.match_propose(user=world.staff, match=world.match)


def _whole(message) -> str:
    html = message.alternatives[0][0]
    headers = "\n".join(f"{k}: {v}" for k, v in message.extra_headers.items())
    return "\n".join([message.subject, message.body, html, headers])


def test_proposal_sends_one_email_in_french_with_landlord_link_and_unsubscribe(
    world, django_capture_on_commit_callbacks
):
    _propose(world, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["patron@boulangerie.example"]
    assert "Vendeur en boulangerie" in message.subject
    assert "Habitat Atlantique" in message.subject
    assert "Votre bailleur partenaire vous propose" in message.body
    assert "Habitat Atlantique" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="fr"' in html
    assert "/espace/lien/?sesame=" in message.body
    assert "next=%2Fespace%2Fcandidats%2F" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://localhost:8000/espace/e-mails/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in message.body  # the preferences link, in the text too
    delivery = EmailDelivery.objects.get()
    assert delivery.status == EmailDelivery.Status.SENT
    assert delivery.attempts == 1


def test_proposal_email_names_nobody_before_the_tenant_is_introduced(
    world, django_capture_on_commit_callbacks
):
    _propose(world, django_capture_on_commit_callbacks)

    text = _whole(mail.outbox[0])
    for identity in ("Zoé", "Tenantissime", "zoe.tenantissime", str(world.tenant.public_id)):
        assert identity not in text
    assert world.tenant.user.email not in text


def test_rollback_writes_and_sends_nothing(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        jobs.match_propose(user=world.staff, match=world.match)
        assert EmailDelivery.objects.count() == 1  # written in the caller's transaction
        raise RuntimeError("the caller fails after proposing")
    assert callbacks == []
    assert EmailDelivery.objects.count() == 0
    assert mail.outbox == []


def test_recipient_language_english(world, django_capture_on_commit_callbacks):
    User.objects.filter(pk=world.member.pk).update(language="en")
    _propose(world, django_capture_on_commit_callbacks)

    message = mail.outbox[0]
    assert "Your partner landlord proposes a candidate" in message.body
    assert 'lang="en"' in message.alternatives[0][0]


def test_switched_off_email_sends_nothing_but_keeps_the_inbox(
    world, django_capture_on_commit_callbacks
):
    preferences_update(
        user=world.member, switches=[{"category": "jobs", "channel": "email", "enabled": False}]
    )
    # A colleague keeps e-mails on: a proposal nobody can receive is refused (reach.py).
    colleague = EmployerMemberFactory(
        employer=world.match.offer.employer, user__email="colleague@dupain.example"
    ).user
    _propose(world, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert EmailDelivery.objects.count() == 1
    assert world.member.notifications.filter(kind="jobs.match_proposed").count() == 1


def test_email_off_by_default_for_other_categories(django_capture_on_commit_callbacks):
    from notifications.registry import Category, NotificationKind, register

    register(
        NotificationKind(
            code="loyalty.test_email_default",
            category=Category.LOYALTY,
            title="Offre",
            body="Une offre",
            channels=("inbox", "email"),
        )
    )
    quiet, keen = UserFactory(), UserFactory()
    Preference.objects.create(user=keen, category="loyalty", channel="email", enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[quiet, keen], kind="loyalty.test_email_default")

    assert [m.to for m in mail.outbox] == [[keen.email]]


def test_sending_twice_sends_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        jobs.match_propose(user=world.staff, match=world.match)
    ids = list(EmailDelivery.objects.values_list("pk", flat=True))

    send_emails(ids)
    send_emails(ids)

    assert len(mail.outbox) == 1


def test_a_claimed_email_is_not_sent_by_another_worker(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        jobs.match_propose(user=world.staff, match=world.match)
    ids = list(EmailDelivery.objects.values_list("pk", flat=True))

    assert len(email.claim(ids)) == 1  # a worker holds it (its lease runs)
    assert email.deliver(ids) == {}
    assert mail.outbox == []


def test_an_employer_with_no_address_gets_no_email_row(django_capture_on_commit_callbacks):
    landlord = LandlordFactory()
    member = EmployerMemberFactory(employer=EmployerFactory(landlords=[landlord])).user
    User.objects.filter(pk=member.pk).update(email="")
    member.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[member], kind="jobs.match_proposed", params={"offer": "x", "employer": "y"}
        )
    assert EmailDelivery.objects.count() == 0


def test_a_reminder_after_seven_days_is_emailed_to_the_members(
    world, django_capture_on_commit_callbacks
):
    _propose(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with (
        time_machine.travel(clock.now() + timedelta(days=7, hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert jobs.proposals_expire_and_remind()["reminded"] == 1

    assert [m.to for m in mail.outbox] == [["patron@boulangerie.example"]]
    assert "7 jours" in mail.outbox[0].body
    assert "Habitat Atlantique" in mail.outbox[0].subject
