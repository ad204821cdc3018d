"""Hostile clients against what was added on 2026-12-01: employer invitations and pages,
households, moving out, privacy (export, erasure) and interview answers.

Each test is one way around a rule that worked before its fix."""

import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from services.accounts import employers, households
from services.accounts.models import EmployerInvitation, Tenancy, User
from services.jobs.models import Match
from services.privacy import actions as privacy
from tests.conftest import client_for
from tests.factories import EmployerFactory, EmployerMemberFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.web.employer.conftest import signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "Un-Mot-De-Passe-Solide-42"
JOIN = "/api/v1/auth/household/join/"
INVITATIONS = "/api/v1/me/household/invitations/"
HOUSEHOLD = "/api/v1/me/household/"


# --------------------------------------------------------------------------- employers


def test_a_colleague_invitation_does_not_tell_a_member_who_is_a_tenant(world):
    """A member typing any address in "invite a colleague" must not learn that it belongs to
    a tenant (being a social landlord's tenant is what the product keeps from employers
    until the staff introduce them): the tenant's address answers like an unknown one."""
    client = signed_in(world.employer_member.user)
    unknown = client.post("/espace/equipe/", {"email": "personne@example.org"})
    tenant = client.post("/espace/equipe/", {"email": world.tenant_b.user.email})
    assert unknown.status_code == 302
    assert tenant.status_code == unknown.status_code
    # Nothing reaches the tenant's mailbox, nothing changes on their account.
    assert not [m for m in mail.outbox if world.tenant_b.user.email in m.to]
    world.tenant_b.user.refresh_from_db()
    assert world.tenant_b.user.role == User.Role.TENANT


def test_another_companys_member_is_not_revealed_either(world):
    other = EmployerMemberFactory(employer=EmployerFactory(landlords=[world.landlord_b])).user
    client = signed_in(world.employer_member.user)
    response = client.post("/espace/equipe/", {"email": other.email})
    assert response.status_code == 302


def test_an_invitation_to_a_tenants_address_cannot_be_accepted(world):
    invitation = employers.colleague_invite(
        actor=world.employer_member.user, email=world.tenant_b.user.email
    )
    token = employers.invitation_token(invitation.public_id)
    with pytest.raises(employers.InvitationInvalid):
        employers.invitation_accept(
            token=token, first_name="Eve", last_name="Hostile", password=PASSWORD
        )
    world.tenant_b.user.refresh_from_db()
    assert not hasattr(world.tenant_b.user, "employer_member")


def test_a_colleague_invitation_does_not_squat_a_future_tenants_address(world, api_client):
    """A member invites an address nobody uses yet (the invitation makes an account without
    a password): the person it belongs to must still be able to join their household."""
    victim = "voisine@example.org"
    employers.colleague_invite(actor=world.employer_member.user, email=victim)
    code = client_for(world.tenant_a.user).post(INVITATIONS, {}, format="json").json()["code"]
    joined = api_client.post(
        JOIN,
        {
            "invitation_code": code,
            "email": victim,
            "password": PASSWORD,
            "first_name": "Inès",
            "last_name": "Voisine",
            "confirm_adult": True,
        },
        format="json",
        REMOTE_ADDR="198.51.100.77",
    )
    assert joined.status_code == 201, joined.content
    user = User.objects.get(email=victim)
    assert user.role == User.Role.TENANT and user.tenant.tenancy_id == world.tenant_a.tenancy_id
    # The pending invitation dies with the account it waited for.
    invitation = EmployerInvitation.objects.get(email=victim)
    with pytest.raises(employers.InvitationInvalid):
        employers.invitation_accept(
            token=employers.invitation_token(invitation.public_id),
            first_name="Eve",
            last_name="Hostile",
            password=PASSWORD,
        )


def test_a_second_invitation_link_does_not_undo_a_withdrawn_access(world):
    """Staff sent the invitation twice (a resend); the person accepted the first, later the
    landlord withdrew their access: the second link, still within its 14 days, must not
    give the access back."""
    from services.accounts import actions as accounts
    from services.accounts.models import PartnerAccess

    staff = world.staff_a.user
    address = "recrue@example.org"
    first = employers.employer_invitation_send(
        actor=staff, employer=world.employer_a, email=address
    ).invitation
    second = employers.employer_invitation_send(
        actor=staff, employer=world.employer_a, email=address
    ).invitation
    user = employers.invitation_accept(
        token=employers.invitation_token(first.public_id),
        first_name="Rémi",
        last_name="Recrue",
        password=PASSWORD,
    )
    member = user.employer_member
    accounts.partner_access_revoke(actor=staff, member=member)
    assert not PartnerAccess.objects.filter(member=member).exists()

    with pytest.raises((employers.InvitationExpired, employers.InvitationUsed)):
        employers.invitation_accept(token=employers.invitation_token(second.public_id))
    assert not PartnerAccess.objects.filter(member=member).exists()


# --------------------------------------------------------------------------- households


def _join(api_client, holder, email):
    code = client_for(holder.user).post(INVITATIONS, {}, format="json").json()["code"]
    response = api_client.post(
        JOIN,
        {
            "invitation_code": code,
            "email": email,
            "password": PASSWORD,
            "first_name": email.split("@")[0].capitalize(),
            "last_name": "Martin",
            "confirm_adult": True,
        },
        format="json",
        REMOTE_ADDR="198.51.100.78",
    )
    assert response.status_code == 201, response.content
    return User.objects.get(email=email).tenant


def test_a_removed_member_no_longer_sees_who_lives_in_the_household(world, api_client):
    """The holder removed a member (e.g. after a separation): during their read-only days
    they keep their own data, not a view of the household and of who joins it after them."""
    holder = world.tenant_a
    removed = _join(api_client, holder, "ancien@example.org")
    households.household_member_remove(tenant=holder, member_id=removed.public_id)
    _join(api_client, holder, "nouvelle@example.org")

    response = client_for(removed.user).get(HOUSEHOLD)
    assert response.status_code == 200
    names = [m["first_name"] for m in response.json()["members"]]
    assert "Nouvelle" not in names
    assert holder.user.first_name not in names


def test_an_erased_holders_waiting_invitations_die_with_the_account(world, api_client):
    holder = world.tenant_a
    code = client_for(holder.user).post(INVITATIONS, {}, format="json").json()["code"]
    privacy.tenant_erase(actor=world.staff_a.user, tenant=holder, request_reference="lettre")
    world.staff_a.refresh_from_db()
    response = api_client.post(
        JOIN,
        {
            "invitation_code": code,
            "email": "tardif@example.org",
            "password": PASSWORD,
            "first_name": "Tardif",
            "last_name": "Martin",
            "confirm_adult": True,
        },
        format="json",
        REMOTE_ADDR="198.51.100.79",
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_invitation_code"


# --------------------------------------------------------------------------- moving out


def test_a_tenant_whose_tenancy_ended_cannot_answer_an_interview(world):
    """The tenancy ended yesterday and the nightly task has not closed the match yet: the
    interview answer is a job write like the others (403 tenancy_ended)."""
    tenant = world.tenant_a
    JobProfileFactory(tenant=tenant)
    offer = OfferFactory(employer=world.employer_a)
    match = MatchFactory(
        tenant=tenant,
        offer=offer,
        state=Match.State.INTERVIEW,
        interview_at=timezone.now() + timedelta(days=3),
    )
    Tenancy.objects.filter(pk=tenant.tenancy_id).update(
        start_date=datetime.date(2020, 1, 1),
        end_date=timezone.localdate() - timedelta(days=1),
    )
    response = client_for(tenant.user).post(
        f"/api/v1/jobs/matches/{match.public_id}/interview-answer/",
        {"answer": "accepted"},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "tenancy_ended"
    match.refresh_from_db()
    assert match.interview_answer == ""


# --------------------------------------------------------------------------- absurd values


def test_a_nul_byte_in_the_rome_search_is_not_a_500(world):
    """On PostgreSQL a NUL in a text parameter raised (500) from the member's ROME search
    as you type and from the offer form's chosen title (SQLite accepts it: run this test
    with DATABASE_URL on PostgreSQL to see it fail before the fix)."""
    client = signed_in(world.employer_member.user)
    assert client.get("/espace/offres/metiers/?q=ab%00cd").status_code == 200
    assert client.get("/espace/offres/metiers/?rome_search=K2%00204").status_code == 200
    form = client.post(
        "/espace/offres/nouvelle/",
        {"rome_lookup": "1", "rome_search": "K22\x0004", "appellation": "1\x002"},
    )
    assert form.status_code == 200


# --------------------------------------------------------------------------- floods


def test_a_tenant_flipping_the_interview_answer_does_not_flood_the_employer(
    world, django_capture_on_commit_callbacks
):
    tenant = world.tenant_a
    JobProfileFactory(tenant=tenant)
    match = MatchFactory(
        tenant=tenant,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.INTERVIEW,
        interview_at=timezone.now() + timedelta(days=3),
    )
    client = client_for(tenant.user)
    url = f"/api/v1/jobs/matches/{match.public_id}/interview-answer/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"answer": "accepted"}, format="json")
    assert first.status_code == 200, first.content
    member = world.employer_member.user
    told = member.notifications.filter(kind="jobs.interview_answered")
    assert told.count() == 1  # the employer hears of a real answer
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            client.post(url, {"answer": ("declined", "accepted")[n % 2]}, format="json").status_code
            for n in range(30)
        ]
    assert told.count() <= 10
    # Refused with a 429 once the day's changes are spent (a request that repeats the
    # current answer changes nothing and stays a 200).
    assert 429 in statuses
