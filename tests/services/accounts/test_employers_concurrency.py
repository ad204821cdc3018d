"""Accepting one invitation from two browsers at once (PostgreSQL, real transactions)."""

import re

import pytest
from django.core import mail

from services.accounts import employers
from services.accounts.models import EmployerMember, PartnerAccess
from services.core.errors import DomainError
from tests.concurrency import run_concurrently
from tests.factories import EmployerFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_acceptances_of_one_invitation_make_one_member():
    staff = StaffFactory(role="job_advisor").user
    company = EmployerFactory(landlords=[staff.staff.landlord])
    employers.employer_invitation_send(actor=staff, employer=company, email="lea@dupain.example")
    token = re.search(r"/espace/invitation/([^/\s]+)/", mail.outbox[-1].body).group(1)

    def accept(password):
        def run():
            try:
                return employers.invitation_accept(
                    token=token, first_name="Léa", last_name="Fournil", password=password
                )
            except DomainError as exc:
                return exc

        return run

    results = run_concurrently([accept(f"Mot-de-passe-{n}-42") for n in range(6)])
    winners = [r for r in results if not isinstance(r, DomainError)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1, results
    assert {e.code for e in losers} == {"invitation_used"}
    assert EmployerMember.objects.count() == 1
    assert PartnerAccess.objects.count() == 1
