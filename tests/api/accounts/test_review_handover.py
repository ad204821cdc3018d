"""Review of the household hand-over on erasure: who may become the holder."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from services.accounts.models import Tenant, User
from services.privacy.actions import tenant_erase
from tests.factories import StaffFactory, TenantFactory


def _household(size: int) -> list[Tenant]:
    holder = TenantFactory()
    members = [TenantFactory(tenancy=holder.tenancy, is_holder=False) for _ in range(size - 1)]
    return [holder, *members]


def _holders(tenancy_id: int) -> list[Tenant]:
    return list(Tenant.objects.filter(tenancy_id=tenancy_id, is_holder=True))


@pytest.mark.django_db
def test_a_member_erased_before_the_holder_is_passed_over():
    holder, first, second = _household(3)
    staff = StaffFactory(landlord=holder.landlord)
    tenant_erase(actor=staff.user, tenant=first, request_reference="lettre 1")
    tenant_erase(actor=staff.user, tenant=holder, request_reference="lettre 2")
    assert _holders(holder.tenancy_id) == [second]


@pytest.mark.django_db
def test_erasing_the_new_holder_hands_over_again():
    holder, first, second = _household(3)
    staff = StaffFactory(landlord=holder.landlord)
    tenant_erase(actor=staff.user, tenant=holder, request_reference="lettre 1")
    tenant_erase(actor=staff.user, tenant=Tenant.objects.get(pk=first.pk), request_reference="2")
    assert _holders(holder.tenancy_id) == [second]


def _waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class _UserRowHeld:
    """Another transaction holds a user's row (a sign-in, a password change) until released."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.held, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                User.objects.select_for_update().get(pk=self.user_id)
                self.held.set()
                self.release.wait(HELD_AT_MOST)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


HELD_AT_MOST = 10  # seconds


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_hand_over_does_not_wait_for_the_successors_user_row():
    # The hand-over locks the tenancy, then tenants: never a user after them (the documented
    # order). It took every joined row, the successor's user included: an erasure of the
    # holder waited for a member's sign-in, and deadlocked with the member's own erasure.
    holder, first = _household(2)
    staff = StaffFactory(landlord=holder.landlord)
    with _UserRowHeld(first.user_id):
        started = time.monotonic()
        tenant_erase(actor=staff.user, tenant=holder, request_reference="lettre")
        took = time.monotonic() - started
    assert took < HELD_AT_MOST / 2
    assert _holders(holder.tenancy_id) == [first]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.xfail(
    strict=True,
    reason="review: the member's erasure read `is_holder` before the holder's hand-over "
    "committed; the erased member stays the holder (the fix needs a lock-order change)",
)
def test_the_first_member_erased_while_the_holder_is_erased_does_not_stay_holder():
    holder, first, second = _household(3)
    staff = StaffFactory(landlord=holder.landlord)
    errors: list[BaseException] = []

    def erase_first():
        try:
            tenant_erase(actor=staff.user, tenant=first, request_reference="lettre 1")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    erasing = threading.Thread(target=erase_first)
    # The member's erasure reads the member (not the holder yet), then waits for its user row.
    with _UserRowHeld(first.user_id):
        erasing.start()
        deadline = time.monotonic() + 30
        while _waiting_for_a_lock() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        # Meanwhile the holder is erased: the household goes to the member who joined first.
        tenant_erase(actor=staff.user, tenant=holder, request_reference="lettre 2")
    erasing.join(30)

    assert errors == []
    assert not User.objects.get(pk=first.user_id).is_active
    assert _holders(holder.tenancy_id) == [second]
