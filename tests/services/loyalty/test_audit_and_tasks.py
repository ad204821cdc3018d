import io

import pytest
from django.core.management import call_command

from notifications import registry
from services.loyalty import tasks
from services.loyalty.models import Account, Lot
from tests.factories.loyalty import give_points

pytestmark = pytest.mark.django_db


def test_audit_passes_on_a_sound_ledger(world):
    give_points(world.tenant_a, 40)
    out = io.StringIO()
    call_command("loyalty_audit", stdout=out)
    assert "balances" in out.getvalue()


def test_audit_exits_non_zero_on_any_difference(world):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 10)
    Account.objects.filter(tenant=world.tenant_a).update(balance=41)
    Lot.objects.filter(account__tenant=world.tenant_a2).update(remaining=9)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("loyalty_audit", stdout=io.StringIO(), stderr=err)
    assert exc.value.code == 1
    assert "2 account(s) out of balance" in err.getvalue()
    assert "balance 41, debt 0, entries 40, lots 40" in err.getvalue()


def test_nightly_tasks_run_and_are_registered(world):
    assert tasks.points_expire.delay().get() == 0
    assert tasks.points_expiry_warn.delay().get() == 0
    assert tasks.vouchers_expire.delay().get() == 0
    assert tasks.tenancy_anniversaries.delay().get() == 0
    codes = {kind.code for kind in registry.all_kinds()}
    assert {
        "loyalty.points_expiring",
        "loyalty.redemption_issued",
        "loyalty.points_granted",
    } <= codes


def test_nightly_tasks_are_scheduled_for_beat():
    from backend.celery import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule["loyalty expiry"]["task"] == "loyalty.points_expire"
    assert schedule["loyalty expiry warning"]["task"] == "loyalty.points_expiry_warn"
    assert schedule["loyalty voucher expiry"]["task"] == "loyalty.vouchers_expire"
    assert schedule["loyalty anniversaries"]["task"] == "loyalty.tenancy_anniversaries"
