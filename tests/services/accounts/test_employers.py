"""Employer members and their company (services/accounts/employers.py): invitations by
e-mail from staff and from colleagues, accepting once, approval by each landlord's staff,
contact details, a member's password."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from services.accounts import actions, employers
from services.accounts.models import EmployerInvitation, EmployerMember, PartnerAccess, User
from services.core import clock
from services.core.errors import DomainError, NotFound
from services.jobs.selectors import match_list_for_user
from tests.conftest import tamper
from tests.factories import (
    EmployerFactory,
    EmployerMemberFactory,
    LandlordFactory,
    StaffFactory,
    TenantFactory,
)

pytestmark = pytest.mark.django_db
PASSWORD = "Un-mot-de-passe-42"


@pytest.fixture
def world(db):
    landlord_a = LandlordFactory(name="Habitat Atlantique")
    landlord_b = LandlordFactory(name="Logis Charentais")
    company = EmployerFactory(name="Boulangerie Dupain", landlords=[landlord_a, landlord_b])
    other = EmployerFactory(name="Nettoyage Éclat", landlords=[landlord_a])
    return type(
        "World",
        (),
        {
            "landlord_a": landlord_a,
            "landlord_b": landlord_b,
            "company": company,
            "other": other,
            "advisor_a": StaffFactory(landlord=landlord_a, role="job_advisor").user,
            "advisor_b": StaffFactory(landlord=landlord_b, role="job_advisor").user,
            "member": EmployerMemberFactory(
                employer=company, user__email="chef@dupain.example", grants=[landlord_a]
            ),
        },
    )


def _token(message) -> str:
    return re.search(r"/espace/invitation/([^/\s]+)/", message.body).group(1)


def _invite(world, email, django_capture_on_commit_callbacks, actor=None):
    with django_capture_on_commit_callbacks(execute=True):
        issued = employers.employer_invitation_send(
            actor=actor or world.advisor_a, employer=world.company, email=email
        )
    return issued, _token(mail.outbox[-1])


def test_staff_invitation_is_emailed_in_the_landlords_name_and_keeps_its_code(
    world, django_capture_on_commit_callbacks
):
    issued, token = _invite(world, " Nouveau@Dupain.example ", django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["nouveau@dupain.example"]
    assert "Habitat Atlantique" in message.subject
    assert "Boulangerie Dupain" in message.body
    assert "sesame" not in message.body  # an acceptance page, not a sign-in link
    assert "vous connecte" not in message.body  # nor does it say it signs anyone in
    assert issued.invitation.email == "nouveau@dupain.example"
    assert issued.invitation_code  # the API's clients still get the code
    # The token names the invitation and is not stored anywhere.
    assert employers.invitation_read(token) == issued.invitation
    assert not EmployerInvitation.objects.filter(code_hash__contains=token[:10]).exists()
    invitee = User.objects.get(email="nouveau@dupain.example")
    assert not invitee.has_usable_password() and not hasattr(invitee, "employer_member")


def test_accepting_makes_a_member_with_the_inviting_landlords_access_only(
    world, django_capture_on_commit_callbacks
):
    issued, token = _invite(world, "nouveau@dupain.example", django_capture_on_commit_callbacks)
    user = employers.invitation_accept(
        token=token, first_name="Léa", last_name="Fournil", password=PASSWORD
    )
    member = user.employer_member
    assert member.employer == world.company
    assert user.check_password(PASSWORD) and user.full_name == "Léa Fournil"
    assert set(PartnerAccess.objects.filter(member=member).values_list("landlord", flat=True)) == {
        world.landlord_a.pk
    }
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_by == user


def test_a_link_cannot_be_replayed_after_acceptance(world, django_capture_on_commit_callbacks):
    _issued, token = _invite(world, "nouveau@dupain.example", django_capture_on_commit_callbacks)
    employers.invitation_accept(token=token, first_name="L", last_name="F", password=PASSWORD)
    with pytest.raises(employers.InvitationUsed):
        employers.invitation_accept(
            token=token, first_name="X", last_name="Y", password="Autre-mot-de-passe-99"
        )
    user = User.objects.get(email="nouveau@dupain.example")
    assert user.check_password(PASSWORD) and user.first_name == "L"


def test_an_expired_invitation_is_refused(world, django_capture_on_commit_callbacks):
    issued, token = _invite(world, "nouveau@dupain.example", django_capture_on_commit_callbacks)
    with (
        time_machine.travel(issued.invitation.expires_at + timedelta(seconds=1)),
        pytest.raises(employers.InvitationExpired),
    ):
        employers.invitation_accept(token=token, first_name="L", last_name="F", password=PASSWORD)
    with time_machine.travel(issued.invitation.expires_at - timedelta(seconds=1)):
        employers.invitation_accept(token=token, first_name="L", last_name="F", password=PASSWORD)


def test_an_altered_token_names_nothing(world, django_capture_on_commit_callbacks):
    _issued, token = _invite(world, "nouveau@dupain.example", django_capture_on_commit_callbacks)
    assert employers.invitation_read(tamper(token)) is None
    assert employers.invitation_read("") is None
    with pytest.raises(employers.InvitationInvalid):
        employers.invitation_accept(token=token + "A", first_name="L", last_name="F")


def test_weak_password_or_missing_name_changes_nothing(world, django_capture_on_commit_callbacks):
    issued, token = _invite(world, "nouveau@dupain.example", django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as weak:
        employers.invitation_accept(token=token, first_name="L", last_name="F", password="123")
    assert "new_password" in weak.value.fields
    with pytest.raises(employers.NameRequired):
        employers.invitation_accept(token=token, first_name=" ", last_name="F", password=PASSWORD)
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_at is None
    assert not EmployerMember.objects.filter(user__email="nouveau@dupain.example").exists()


def test_an_existing_member_is_recognised_and_granted_the_second_landlord(
    world, django_capture_on_commit_callbacks
):
    member = world.member
    _issued, token = _invite(
        world, member.user.email, django_capture_on_commit_callbacks, actor=world.advisor_b
    )
    assert employers.invitee_is_member(employers.invitation_read(token))
    user = employers.invitation_accept(token=token)  # no name, no password asked
    assert user == member.user
    assert PartnerAccess.objects.filter(member=member, landlord=world.landlord_b).exists()
    # Already granted by landlord A: inviting again is a clear conflict, no e-mail.
    sent = len(mail.outbox)
    with pytest.raises(employers.AlreadyGranted):
        employers.employer_invitation_send(
            actor=world.advisor_a, employer=world.company, email=member.user.email
        )
    assert len(mail.outbox) == sent


@pytest.mark.parametrize("who", ["tenant", "other_company", "staff"])
def test_another_kind_of_account_cannot_be_invited(world, who):
    address = {
        "tenant": lambda: TenantFactory().user.email,
        "other_company": lambda: EmployerMemberFactory(employer=world.other).user.email,
        "staff": lambda: world.advisor_b.email,
    }[who]()
    with pytest.raises(employers.EmailInUse):
        employers.employer_invitation_send(
            actor=world.advisor_a, employer=world.company, email=address
        )
    assert not EmployerInvitation.objects.filter(email=address).exists()


def test_staff_of_a_landlord_that_is_not_a_partner_cannot_invite(world):
    stranger = StaffFactory(role="admin").user
    with pytest.raises(NotFound):
        employers.employer_invitation_send(
            actor=stranger, employer=world.company, email="x@dupain.example"
        )
    community = StaffFactory(landlord=world.landlord_a, role="community").user
    with pytest.raises(actions.CannotManageEmployers):
        employers.employer_invitation_send(
            actor=community, employer=world.company, email="x@dupain.example"
        )


def test_a_colleague_gets_no_landlord_access_until_each_landlords_staff_approve(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = employers.colleague_invite(
            actor=world.member.user, email="collegue@dupain.example"
        )
    assert invitation.landlord is None and invitation.employer == world.company
    assert "Dupain" in mail.outbox[-1].subject
    user = employers.invitation_accept(
        token=_token(mail.outbox[-1]), first_name="Sam", last_name="Levain", password=PASSWORD
    )
    colleague = user.employer_member
    assert colleague.employer == world.company
    assert not PartnerAccess.objects.filter(member=colleague).exists()
    assert not match_list_for_user(user=user).exists()
    # Landlord A's staff approve: A's access only; B's staff still have to decide.
    actions.partner_access_grant(actor=world.advisor_a, member=colleague)
    assert list(
        PartnerAccess.objects.filter(member=colleague).values_list("landlord", flat=True)
    ) == [world.landlord_a.pk]


def test_wrong_landlord_staff_cannot_approve(world):
    colleague = EmployerMemberFactory(employer=world.other, grants=[])
    with pytest.raises(NotFound):  # landlord B is not a partner of that company
        actions.partner_access_grant(actor=world.advisor_b, member=colleague)
    assert not PartnerAccess.objects.filter(member=colleague).exists()


def test_a_member_cannot_invite_into_another_company_or_a_member_twice(world):
    with pytest.raises(employers.AlreadyMember):
        employers.colleague_invite(actor=world.member.user, email="chef@dupain.example")
    foreign = EmployerMemberFactory(employer=world.other).user
    # Another company's member: answered like any address (a member learns nothing of who
    # else uses the product), sent nowhere, and it cannot be accepted.
    invitation = employers.colleague_invite(actor=world.member.user, email=foreign.email)
    with pytest.raises(employers.InvitationInvalid):
        employers.invitation_accept(token=employers.invitation_token(invitation.public_id))
    with pytest.raises(employers.NotAMember):
        employers.colleague_invite(actor=world.advisor_a, email="x@dupain.example")
    with pytest.raises(employers.InvalidAddress):
        employers.colleague_invite(actor=world.member.user, email="pas une adresse")


def test_colleague_invitations_are_limited_per_day(world):
    for n in range(employers.COLLEAGUE_INVITATIONS_PER_DAY):
        employers.colleague_invite(actor=world.member.user, email=f"c{n}@dupain.example")
    with pytest.raises(employers.TooManyInvitations) as refused:
        employers.colleague_invite(actor=world.member.user, email="encore@dupain.example")
    assert refused.value.status == 429
    assert not User.objects.filter(email="encore@dupain.example").exists()
    with time_machine.travel(clock.now() + timedelta(days=1, minutes=1)):
        employers.colleague_invite(actor=world.member.user, email="encore@dupain.example")


def test_contact_details_are_the_members_own_company_only(world):
    other_member = EmployerMemberFactory(employer=world.other)
    employers.employer_contact_update(
        actor=world.member.user,
        contact_email="contact@dupain.example",
        phone="05 46 00 00 00",
        website="https://dupain.example",
    )
    world.company.refresh_from_db()
    world.other.refresh_from_db()
    assert world.company.contact_email == "contact@dupain.example"
    assert world.other.contact_email == ""
    with pytest.raises(actions.ReadOnlyFields):
        employers.employer_contact_update(actor=other_member.user, name="Renamed", siret="1")
    with pytest.raises(employers.InvalidContact) as bad:
        employers.employer_contact_update(actor=world.member.user, website="javascript:alert(1)")
    assert "website" in bad.value.fields
    with pytest.raises(employers.NotAMember):
        employers.employer_contact_update(actor=world.advisor_a, phone="1")


def test_a_member_sets_a_first_password_then_changes_it_with_the_current_one(world):
    user = world.member.user
    user.set_unusable_password()
    user.save()
    version = user.token_version
    employers.member_password_set(user=user, new_password=PASSWORD)
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.token_version == version + 1
    with pytest.raises(actions.WrongPassword):
        employers.member_password_set(
            user=user, current_password="faux", new_password="Encore-un-autre-77"
        )
    employers.member_password_set(
        user=user, current_password=PASSWORD, new_password="Encore-un-autre-77"
    )
    user.refresh_from_db()
    assert user.check_password("Encore-un-autre-77")
    logged_in, _tokens = actions.login(email=user.email, password="Encore-un-autre-77")
    assert logged_in == user


def test_the_demo_has_one_waiting_colleague_invitation_whatever_the_runs(
    db, django_capture_on_commit_callbacks
):
    import io

    from demo import accounts as demo

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            return super().write(text + "\n")

    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(out=Out())
    waiting = EmployerInvitation.objects.get(landlord=None)
    assert waiting.accepted_at is None and waiting.email.startswith("collegue@")
    assert [m.to for m in mail.outbox] == [[waiting.email]]
    with time_machine.travel(waiting.expires_at + timedelta(days=1)):
        demo.seed(out=Out())
        waiting.refresh_from_db()
        assert waiting.expires_at > clock.now()
    assert EmployerInvitation.objects.count() == 1
    assert employers.invitation_problem(waiting) is None
