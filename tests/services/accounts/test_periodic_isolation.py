"""The nightly moving-out task goes on past one member the database refuses: logged with
its id, counted, the other members ended and closed (docs/ARCHITECTURE.md, periodic tasks)."""

import datetime

import pytest
import time_machine

from services.accounts.models import Tenancy, Tenant
from services.accounts.tasks import moving_out
from tests.factories import TenantFactory
from tests.poison import failed_ids, refuse

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 6, 30)


def _at(day):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def two_ended(db):
    tenants = [TenantFactory(), TenantFactory()]
    Tenancy.objects.filter(pk__in=[t.tenancy_id for t in tenants]).update(end_date=END)
    return tenants


def test_ending_goes_on_past_a_member_the_database_refuses(two_ended, caplog):
    poisoned, healthy = two_ended
    refuse(Tenant, on="UPDATE", when=f"OLD.id = {poisoned.pk}")
    with _at(END + datetime.timedelta(days=1)):
        report = moving_out()
    assert (report["ended"], report["failed"]) == (1, 1)
    assert Tenant.objects.get(pk=healthy.pk).moved_out_at is not None
    assert Tenant.objects.get(pk=poisoned.pk).moved_out_at is None
    assert failed_ids(caplog, "accounts.moving_out") == [f"end:{poisoned.pk}"]


def test_closing_goes_on_past_a_member_the_database_refuses(two_ended, caplog):
    poisoned, healthy = two_ended
    with _at(END + datetime.timedelta(days=1)):
        moving_out()
    refuse(Tenant, on="UPDATE", when=f"OLD.id = {poisoned.pk}")
    with _at(END + datetime.timedelta(days=91)):
        report = moving_out()
    assert (report["closed"], report["failed"]) == (1, 1)
    healthy.user.refresh_from_db()
    poisoned.user.refresh_from_db()
    assert (healthy.user.is_active, poisoned.user.is_active) == (False, True)
    assert failed_ids(caplog, "accounts.moving_out") == [f"close:{poisoned.pk}"]


def test_notices_go_on_past_a_tenancy_the_database_refuses(two_ended, caplog):
    poisoned, healthy = two_ended
    refuse(Tenancy, on="UPDATE", when=f"OLD.id = {poisoned.tenancy_id}")
    with _at(END - datetime.timedelta(days=30)):
        report = moving_out()
    assert (report["told"], report["failed"]) == (1, 1)
    assert Tenancy.objects.get(pk=healthy.tenancy_id).end_notice_for == END
    assert failed_ids(caplog, "accounts.moving_out") == [f"tenancy:{poisoned.tenancy_id}"]
