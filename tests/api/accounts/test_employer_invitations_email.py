"""POST /employers/{id}/invitations/ with an e-mail (issue 13): the invitation is e-mailed,
the code still answered for the clients that pass it on by hand."""

import re

import pytest
from django.core import mail

from services.accounts.models import EmployerInvitation
from tests.conftest import client_for
from tests.factories import EmployerFactory, EmployerMemberFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_and_company(db):
    staff = StaffFactory(role="job_advisor").user
    company = EmployerFactory(name="Boulangerie Dupain", landlords=[staff.staff.landlord])
    return staff, company


def _url(company) -> str:
    return f"/api/v1/employers/{company.public_id}/invitations/"


def test_with_an_email_the_invitation_is_sent(
    staff_and_company, django_capture_on_commit_callbacks
):
    staff, company = staff_and_company
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(staff).post(
            _url(company), {"email": "Lea@Dupain.example"}, format="json"
        )
    assert answer.status_code == 201
    body = answer.json()
    assert body["email"] == "lea@dupain.example" and body["invitation_code"]
    assert [m.to for m in mail.outbox] == [["lea@dupain.example"]]
    assert re.search(r"/espace/invitation/[^/\s]+/", mail.outbox[0].body)


def test_without_an_email_the_code_path_is_unchanged(staff_and_company):
    staff, company = staff_and_company
    answer = client_for(staff).post(_url(company), format="json")
    assert answer.status_code == 201
    assert answer.json()["email"] == "" and answer.json()["invitation_code"]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "status", "code"),
    [
        ("pas une adresse", 400, None),
        ("a" * 300 + "@x.example", 400, None),
        ("tenant", 409, "email_in_use"),
        ("other_company", 409, "email_in_use"),
        ("member", 409, "already_granted"),
    ],
)
def test_refused_addresses_are_clear_answers(staff_and_company, email, status, code):
    staff, company = staff_and_company
    email = {
        "tenant": lambda: TenantFactory().user.email,
        "other_company": lambda: EmployerMemberFactory().user.email,
        "member": lambda: EmployerMemberFactory(employer=company).user.email,
    }.get(email, lambda: email)()
    answer = client_for(staff).post(_url(company), {"email": email}, format="json")
    assert answer.status_code == status
    if code:
        assert answer.json()["code"] == code
    assert "email" in answer.json()["fields"]
    assert not EmployerInvitation.objects.exists()
