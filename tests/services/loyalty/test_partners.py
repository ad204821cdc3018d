"""Loyalty partners: a member validates only the vouchers of the rewards their partner
honours, through the staff's own action; anything else answers like an unknown code."""

from collections import Counter

import pytest

from notifications.models import EmailDelivery
from services.core.errors import DomainError
from services.loyalty import actions, partners
from services.loyalty.models import Partner, PartnerMember, Redemption
from tests.concurrency import run_concurrently
from tests.factories import (
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenantFactory,
)
from tests.factories.loyalty import RewardFactory, give_points


def make_partner(landlord, name="Cinéma Le Dragon", members=1):
    admin = StaffFactory(landlord=landlord, role="admin").user
    partner = partners.partner_create(actor=admin, name=name, address="1 rue du Port")
    people = [
        partners.partner_member_invite(
            actor=admin, partner=partner, email=f"caisse{i}-{partner.pk}@example.org"
        ).user
        for i in range(members)
    ]
    return partner, admin, people


def voucher(landlord, reward):
    tenant = TenantFactory(residence=ResidenceFactory(landlord=landlord))
    give_points(tenant, 500)
    return actions.reward_redeem(tenant=tenant, reward=reward)


def code_of(call) -> str:
    try:
        call()
    except DomainError as exc:
        return f"{exc.code}:{exc.status}:{exc.message}"
    return "ok"


@pytest.mark.django_db
def test_a_member_validates_a_voucher_of_a_reward_their_partner_honours_once():
    landlord = LandlordFactory()
    partner, admin, (member,) = make_partner(landlord)
    reward = RewardFactory(landlord=landlord)
    partners.partner_rewards_set(actor=admin, partner=partner, rewards=[reward])
    issued = voucher(landlord, reward)

    assert partners.voucher_lookup(user=member, code=issued.code.lower()) == issued
    used = partners.voucher_validate(actor=member, code=issued.code)

    assert used.status == Redemption.Status.USED and used.validated_by == member
    with pytest.raises(actions.AlreadyUsed) as second:
        partners.voucher_validate(actor=member, code=issued.code)
    assert second.value.extra["used_at"] == used.used_at.isoformat()
    assert list(partners.validated_history(user=member)) == [used]


@pytest.mark.django_db
def test_another_partners_or_another_landlords_voucher_answers_like_an_unknown_code():
    landlord, other_landlord = LandlordFactory(), LandlordFactory()
    cinema, admin, (member,) = make_partner(landlord)
    shop, _admin, _people = make_partner(landlord, name="Épicerie")
    other, other_admin, _p = make_partner(other_landlord, name="Cinéma ailleurs")
    own = RewardFactory(landlord=landlord)
    shops = RewardFactory(landlord=landlord)
    unlinked = RewardFactory(landlord=landlord)
    foreign = RewardFactory(landlord=other_landlord)
    partners.partner_rewards_set(actor=admin, partner=cinema, rewards=[own])
    partners.partner_rewards_set(actor=admin, partner=shop, rewards=[shops])
    partners.partner_rewards_set(actor=other_admin, partner=other, rewards=[foreign])
    vouchers = [
        voucher(landlord, shops),
        voucher(landlord, unlinked),
        voucher(other_landlord, foreign),
    ]

    unknown = code_of(lambda: partners.voucher_validate(actor=member, code="ZZZZZZZZZZ"))
    assert unknown.startswith("unknown_code")
    for v in vouchers:
        assert code_of(lambda v=v: partners.voucher_validate(actor=member, code=v.code)) == unknown
        assert partners.voucher_lookup(user=member, code=v.code) is None
        # Even naming the other landlord in the staff action's own arguments.
        assert (
            code_of(
                lambda v=v: actions.redemption_validate(
                    actor=member, landlord_id=v.landlord_id, code=v.code
                )
            )
            == unknown
        )
    assert Redemption.objects.filter(status="used").count() == 0
    # Staff of the landlord still validate every voucher of theirs.
    actions.redemption_validate(actor=admin, landlord_id=landlord.pk, code=vouchers[1].code)


@pytest.mark.django_db
def test_only_a_partner_member_or_staff_may_validate():
    landlord = LandlordFactory()
    reward = RewardFactory(landlord=landlord)
    issued = voucher(landlord, reward)
    employer_member = EmployerMemberFactory().user
    tenant_user = issued.tenant.user
    for actor in (employer_member, tenant_user):
        with pytest.raises(actions.CannotValidate):
            actions.redemption_validate(actor=actor, landlord_id=landlord.pk, code=issued.code)
        with pytest.raises(actions.CannotValidate):
            partners.voucher_validate(actor=actor, code=issued.code)
        assert partners.voucher_lookup(user=actor, code=issued.code) is None


@pytest.mark.django_db
def test_a_deactivated_member_can_no_longer_validate():
    landlord = LandlordFactory()
    partner, admin, (member,) = make_partner(landlord)
    reward = RewardFactory(landlord=landlord)
    partners.partner_rewards_set(actor=admin, partner=partner, rewards=[reward])
    issued = voucher(landlord, reward)
    member.is_active = False
    member.save()
    with pytest.raises(actions.CannotValidate):
        partners.voucher_validate(actor=member, code=issued.code)


@pytest.mark.django_db
def test_only_managers_create_partners_and_invite_and_rewards_stay_in_their_landlord():
    landlord, other = LandlordFactory(), LandlordFactory()
    partner, admin, _ = make_partner(landlord)
    advisor = StaffFactory(landlord=landlord, role="job_advisor").user
    with pytest.raises(partners.CannotManagePartners):
        partners.partner_create(actor=advisor, name="X")
    with pytest.raises(partners.CannotManagePartners):
        partners.partner_member_invite(actor=advisor, partner=partner, email="a@example.org")
    other_admin = StaffFactory(landlord=other, role="admin").user
    with pytest.raises(partners.CannotManagePartners):
        partners.partner_member_invite(actor=other_admin, partner=partner, email="b@example.org")
    foreign = RewardFactory(landlord=other)
    assert partners.partner_rewards_set(actor=admin, partner=partner, rewards=[foreign]) == 0
    assert partners.partner_list_for_user(user=other_admin).count() == 0
    assert list(partners.partner_list_for_user(user=admin)) == [partner]


@pytest.mark.django_db
def test_an_invitation_is_an_email_with_a_partner_sign_in_link():
    landlord = LandlordFactory(name="Habitat Atlantique")
    admin = StaffFactory(landlord=landlord, role="admin").user
    partner = partners.partner_create(actor=admin, name="Cinéma Le Dragon")
    tenant = TenantFactory()
    with pytest.raises(partners.EmailInUse):
        partners.partner_member_invite(actor=admin, partner=partner, email=tenant.user.email)

    member = partners.partner_member_invite(
        actor=admin, partner=partner, email="Caisse@Example.org", first_name="Léa"
    )

    assert member.user.role == "employer" and not member.user.has_usable_password()
    delivery = EmailDelivery.objects.get(notification__recipient=member.user)
    from notifications.email import build

    message = build(delivery)
    assert "Cinéma Le Dragon" in message.subject
    assert "/partenaire/lien/?sesame=" in message.body
    assert "next=%2Fpartenaire%2F" in message.body
    with pytest.raises(partners.AlreadyMember):
        partners.partner_member_invite(actor=admin, partner=partner, email="caisse@example.org")
    assert PartnerMember.objects.count() == 1 and Partner.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_validating_one_voucher_at_once_exactly_one_succeeds():
    landlord = LandlordFactory()
    partner, admin, people = make_partner(landlord, members=4)
    reward = RewardFactory(landlord=landlord)
    partners.partner_rewards_set(actor=admin, partner=partner, rewards=[reward])
    issued = voucher(landlord, reward)

    results = run_concurrently(
        [lambda m=m: partners.voucher_validate(actor=m, code=issued.code) for m in people * 2]
    )

    outcomes = Counter(
        "ok" if isinstance(r, Redemption) else getattr(r, "code", repr(r)) for r in results
    )
    assert outcomes == Counter({"ok": 1, "already_used": 7})
    assert Redemption.objects.get(pk=issued.pk).status == "used"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_invitations_of_one_address_make_one_member_and_no_500():
    landlord = LandlordFactory()
    partner, admin, _ = make_partner(landlord, members=0)
    other, _admin, _ = make_partner(landlord, name="Épicerie", members=0)

    results = run_concurrently(
        [
            lambda p=p: partners.partner_member_invite(
                actor=admin, partner=p, email="nouveau@example.org"
            )
            for p in (partner, other) * 3
        ]
    )

    outcomes = Counter(
        "ok" if isinstance(r, PartnerMember) else getattr(r, "code", repr(r)) for r in results
    )
    assert outcomes["ok"] == 1
    assert set(outcomes) <= {"ok", "email_in_use", "already_member"}, outcomes
    assert PartnerMember.objects.filter(user__email="nouveau@example.org").count() == 1
