"""PostgreSQL: workers racing for the same e-mails send each one once."""

import pytest
from django.core import mail

from notifications import email
from notifications.models import EmailDelivery
from notifications.services import notify
from tests.concurrency import run_concurrently
from tests.factories import EmployerFactory, EmployerMemberFactory, LandlordFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_workers_racing_send_each_email_once():
    landlord = LandlordFactory()
    employer = EmployerFactory(landlords=[landlord])
    members = [EmployerMemberFactory(employer=employer).user for _ in range(30)]
    notify(
        recipients=members,
        kind="jobs.match_proposed",
        params={"offer": "Vendeur", "employer": employer.name},
        sender=landlord.name,
    )  # autocommit: sent at once in eager mode; put them back to pending to race for them
    mail.outbox.clear()
    EmailDelivery.objects.update(status="pending", claimed_until=None, claim_token=None)
    ids = list(EmailDelivery.objects.values_list("pk", flat=True))

    results = run_concurrently([lambda: email.deliver(ids) for _ in range(4)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.get("sent", 0) for r in results) == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in members)
    assert EmailDelivery.objects.filter(status="sent").count() == 30
