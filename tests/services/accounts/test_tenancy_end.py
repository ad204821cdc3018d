"""Moving out at its edges, with a frozen clock: the tenancy's last day D still active, D+1
read-only (no earning, sign-up or redemption: 403 `tenancy_ended`), told 30 days before,
read access through D+90, the account closed on D+91; open matches kept only on request."""

import datetime

import pytest
import time_machine
from django.core import mail

from notifications.models import Notification
from services.accounts import tenancy_end
from services.accounts.households import household_invitation_create, household_join
from services.accounts.models import Tenancy, Tenant
from services.accounts.tasks import PERIODIC_TASKS, moving_out
from services.jobs.models import Match
from services.loyalty.actions import points_award, points_grant
from services.loyalty.models import Rule
from services.volunteering.actions import signup_create
from tests.conftest import client_for
from tests.factories import StaffFactory, TenantFactory
from tests.factories.jobs import MatchFactory
from tests.factories.loyalty import RewardFactory
from tests.factories.notifications import DeviceFactory
from tests.factories.volunteering import SlotFactory

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 6, 30)  # the tenancy's last day


def at(day: datetime.date, hour: int = 12):
    """The clock at noon (Paris) of `day`."""
    moment = datetime.datetime.combine(day, datetime.time(hour)).replace(
        tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    return time_machine.travel(moment, tick=False)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def household(world):
    """Landlord A's tenant (the holder) and a member who joined, tenancy ending on D."""
    with at(D - days(60)):
        holder = world.tenant_a
        issued = household_invitation_create(tenant=holder)
        member, _tokens = household_join(
            invitation_code=issued.code,
            email="jeune@example.org",
            password="Un-Mot-De-Passe-Solide-42",
            first_name="Yanis",
            last_name="Martin",
            confirm_adult=True,
        )
        Tenancy.objects.filter(pk=holder.tenancy_id).update(end_date=D)
        staff = StaffFactory(landlord=world.landlord_a)
        for tenant in (holder, member):
            points_grant(actor=staff.user, tenant=tenant, points=500, reason="test")
    return Tenant.objects.get(pk=holder.pk), Tenant.objects.get(pk=member.pk)


def _redeem(tenant, reward):
    return client_for(tenant.user).post(
        f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/", {}, format="json"
    )


@pytest.mark.parametrize(("day", "allowed"), [(D - days(1), True), (D, True), (D + days(1), False)])
def test_writes_around_the_last_day(world, household, day, allowed):
    holder, member = household
    reward = RewardFactory(landlord=world.landlord_a)
    with at(day):
        slot = SlotFactory(mission__landlord=world.landlord_a)
        for tenant in (holder, member):
            tenant = Tenant.objects.get(pk=tenant.pk)
            answer = _redeem(tenant, reward)
            earned = points_award(
                tenant=tenant,
                rule=Rule.VOLUNTEER_ATTENDANCE,
                source=tenant,
                idempotency_key=f"k{day}",
            )
            if allowed:
                assert answer.status_code == 201, answer.content
                assert earned is not None
                signup_create(tenant=tenant, slot=slot)
            else:
                assert (answer.status_code, answer.json()["code"]) == (403, "tenancy_ended")
                assert earned is None  # the activity stands; no points
                with pytest.raises(tenancy_end.TenancyEnded):
                    signup_create(tenant=tenant, slot=slot)
                # Reads stay.
                client = client_for(tenant.user)
                assert client.get("/api/v1/loyalty/account/").status_code == 200
                assert client.get("/api/v1/me/").status_code == 200
                invite = client.post("/api/v1/me/household/invitations/", {}, format="json")
                assert invite.status_code == 403


def test_told_thirty_days_before_once(household):
    holder, member = household
    with at(D - days(31)):
        assert moving_out()["told"] == 0
    with at(D - days(30)):
        assert moving_out()["told"] == 1
        assert moving_out()["told"] == 0  # twice in a night: once
    told = Notification.objects.filter(kind=tenancy_end.END_NOTICE_KIND)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [holder.user_id, member.user_id]
    )
    assert "30/06/2026" in told.first().body
    # A new end date is told again.
    Tenancy.objects.filter(pk=holder.tenancy_id).update(end_date=D + days(7))
    with at(D + days(7) - days(30)):
        assert moving_out()["told"] == 1


def test_the_member_is_read_only_then_closed_on_day_91(household, api_client):
    holder, member = household
    phone = DeviceFactory(user=member.user)
    with at(D + days(1)):
        report = moving_out()
        assert report["ended"] == 2 and report["closed"] == 0
        standing = client_for(member.user).get("/api/v1/me/tenancy/").json()["standing"]
        assert standing == {"state": "ended", "last_day": "2026-06-30", "read_until": "2026-09-28"}
    with at(D + days(90)):
        assert moving_out()["closed"] == 0
        assert client_for(member.user).get("/api/v1/me/").status_code == 200
    with at(D + days(91)):
        access = {t.pk: client_for(t.user) for t in (holder, member)}
        assert moving_out()["closed"] == 2
        assert moving_out()["closed"] == 0
        phone.refresh_from_db()
        assert not phone.is_active  # nothing more reaches the closed account's phone
        for tenant in (holder, member):
            tenant.user.refresh_from_db()
            assert not tenant.user.is_active
            assert access[tenant.pk].get("/api/v1/me/").status_code == 401
        signed_in = api_client.post(
            "/api/v1/auth/token/",
            {"email": "jeune@example.org", "password": "Un-Mot-De-Passe-Solide-42"},
            format="json",
        )
        assert signed_in.status_code == 400


def test_open_matches_close_at_the_end_unless_job_support_was_kept(world, household):
    holder, member = household
    world.landlord_a.job_support_after_move_out = True
    world.landlord_a.save()
    with at(D - days(2)):
        kept = MatchFactory(tenant=member)
        dropped = MatchFactory(tenant=holder)
        tenancy_end.job_support_set(tenant=member, keep=True)
    with at(D + days(1)):
        moving_out()
        kept.refresh_from_db()
        dropped.refresh_from_db()
        assert (kept.state, dropped.state) == (Match.State.INTERESTED, Match.State.OBSOLETE)
        # The member who kept job support still writes for jobs, and only for jobs.
        member = Tenant.objects.get(pk=member.pk)
        tenancy_end.require_active(member, purpose=tenancy_end.JOBS)
        with pytest.raises(tenancy_end.TenancyEnded):
            tenancy_end.require_active(member)
        with pytest.raises(tenancy_end.TenancyEnded):
            tenancy_end.require_active(Tenant.objects.get(pk=holder.pk), purpose=tenancy_end.JOBS)
    with at(D + days(91)):
        moving_out()
        kept.refresh_from_db()
        assert kept.state == Match.State.OBSOLETE


def test_job_support_is_asked_only_where_the_landlord_offers_it(household):
    _holder, member = household
    with at(D - days(5)):
        client = client_for(member.user)
        ask = {"keep_job_support": True}
        refused = client.patch("/api/v1/me/tenancy/", ask, format="json")
        assert (refused.status_code, refused.json()["code"]) == (403, "job_support_not_offered")
        member.landlord.job_support_after_move_out = True
        member.landlord.save()
        body = client.patch("/api/v1/me/tenancy/", ask, format="json").json()
        assert body["keep_job_support"] is True and body["job_support_offered"] is True


def test_staff_end_a_tenancy_and_its_members_are_told_at_once(
    world, household, django_capture_on_commit_callbacks
):
    holder, member = household
    Tenancy.objects.filter(pk=holder.tenancy_id).update(end_date=None)
    url = f"/api/v1/tenancies/{holder.tenancy.public_id}/end/"
    with at(D - days(10)):
        staff = client_for(world.staff_a.user)
        with django_capture_on_commit_callbacks(execute=True):
            ended = staff.post(url, {"end_date": str(D - days(10))}, format="json")
        assert ended.status_code == 200, ended.content
        assert ended.json()["end_date"] == str(D - days(10))
        assert {m.to[0] for m in mail.outbox} >= {holder.user.email, "jeune@example.org"}
        tenancy = Tenancy.objects.get(pk=holder.tenancy_id)
        assert tenancy.ended_by == world.staff_a.user and tenancy.end_notice_for == tenancy.end_date
        assert moving_out()["told"] == 0
        # Today is the last day: still active; tomorrow read-only.
        assert _redeem(holder, RewardFactory(landlord=world.landlord_a)).status_code == 201
    with at(D - days(9)):
        assert tenancy_end.standing(Tenant.objects.get(pk=member.pk)).state == "ended"
    staff = client_for(world.staff_a.user)
    before_start = staff.post(url, {"end_date": "2000-01-01"}, format="json")
    assert (before_start.status_code, before_start.json()["code"]) == (400, "invalid_end_date")
    other = client_for(world.staff_b.user).post(url, {"end_date": str(D)}, format="json")
    assert other.status_code == 404


def test_a_removed_member_closes_91_days_after_the_removal(world):
    holder = TenantFactory()
    with at(D):
        issued = household_invitation_create(tenant=holder)
        member, _tokens = household_join(
            invitation_code=issued.code,
            email="parti@example.org",
            password="Un-Mot-De-Passe-Solide-42",
            first_name="A",
            last_name="B",
            confirm_adult=True,
        )
        from services.accounts.households import household_member_remove

        household_member_remove(tenant=holder, member_id=member.public_id)
        member = Tenant.objects.get(pk=member.pk)
        assert member.moved_out_at is not None
        assert tenancy_end.standing(member).last_day == D - days(1)
    with at(D - days(1) + days(90)):
        assert moving_out()["closed"] == 0
    with at(D - days(1) + days(91)):
        assert moving_out()["closed"] == 1
    member.user.refresh_from_db()
    holder.user.refresh_from_db()
    assert not member.user.is_active and holder.user.is_active


def test_the_task_is_declared_for_beat():
    assert PERIODIC_TASKS["accounts moving out"]["task"] == "accounts.moving_out"
