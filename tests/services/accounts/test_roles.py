"""services.accounts.roles: one answer to "who is this user", whatever the role says."""

import pytest
from django.contrib.auth.models import AnonymousUser

from services.accounts import roles
from services.accounts.models import User
from tests.factories.accounts import (
    EmployerMemberFactory,
    StaffFactory,
    TenantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_each_profile_is_found_under_its_own_role_only():
    tenant = TenantFactory()
    staff = StaffFactory()
    member = EmployerMemberFactory()
    assert roles.tenant_of(tenant.user) == tenant
    assert roles.staff_of(staff.user) == staff
    assert roles.member_of(member.user) == member
    for user in (tenant.user, staff.user, member.user):
        found = [roles.tenant_of(user), roles.staff_of(user), roles.member_of(user)]
        assert sum(profile is not None for profile in found) == 1


def test_a_role_without_its_profile_row_is_nobody():
    """A user whose role says staff but has no staff row (half-created, or the row deleted)
    must not pass any gate."""
    for role in User.Role.values:
        user = UserFactory(role=role)
        assert (roles.tenant_of(user), roles.staff_of(user), roles.member_of(user)) == (
            None,
            None,
            None,
        )
        assert roles.landlord_of(user) is None


def test_a_profile_under_another_role_does_not_count():
    """The role decides: a tenant row left on a user now marked staff is not a tenant."""
    tenant = TenantFactory()
    tenant.user.role = User.Role.STAFF
    assert roles.tenant_of(tenant.user) is None
    assert roles.staff_of(tenant.user) is None


def test_landlord_of_tenants_and_staff_but_not_employers():
    tenant = TenantFactory()
    staff = StaffFactory()
    assert roles.landlord_of(tenant.user) == tenant.landlord
    assert roles.landlord_of(staff.user) == staff.landlord
    assert roles.landlord_of(EmployerMemberFactory().user) is None


def test_anonymous_and_none_are_nobody():
    for user in (AnonymousUser(), None):
        assert roles.tenant_of(user) is None
        assert roles.staff_of(user) is None
        assert roles.member_of(user) is None
        assert roles.landlord_of(user) is None
