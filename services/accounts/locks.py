"""The one place each accounts row is locked (`select_for_update`), whichever module of the
area takes it: the dialect's `_lock_<entity>`, shared by actions, employers, households,
tenancy_end and password_reset. Each answers the row or None; `related` joins rows read
along (a tenancy's landlord), which PostgreSQL locks with it.

Order, when one transaction takes several: a user by e-mail (sign-ups and invitations racing
for one address), then a tenancy, then its tenants, then invitations and codes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model, QuerySet

from .models import (
    Employer,
    EmployerInvitation,
    HouseholdInvitation,
    PasswordResetCode,
    Tenancy,
    Tenant,
    User,
)


def _lock(
    queryset: QuerySet, related: Iterable[str], lookup: dict, order_by: Iterable[str] = ()
) -> Model | None:
    if order_by:
        queryset = queryset.order_by(*order_by)
    if related:
        # Never `select_related()` with no names: it joins every foreign key, and PostgreSQL
        # would lock those rows too (a tenant's user, a tenancy's landlord).
        queryset = queryset.select_related(*related)
    return queryset.select_for_update().filter(**lookup).first()


def lock_user(*, related: Iterable[str] = (), **lookup) -> User | None:
    return _lock(User.objects.all(), related, lookup)


def lock_tenancy(*, related: Iterable[str] = (), **lookup) -> Tenancy | None:
    return _lock(Tenancy.objects.all(), related, lookup)


def lock_tenant(
    *, related: Iterable[str] = (), order_by: Iterable[str] = (), **lookup
) -> Tenant | None:
    """The first tenant matching `lookup` (in `order_by`, else the model's order)."""
    return _lock(Tenant.objects.all(), related, lookup, order_by)


def lock_employer(*, related: Iterable[str] = (), **lookup) -> Employer | None:
    return _lock(Employer.objects.all(), related, lookup)


def lock_employer_invitation(*, related: Iterable[str] = (), **lookup) -> EmployerInvitation | None:
    return _lock(EmployerInvitation.objects.all(), related, lookup)


def lock_household_invitation(
    *, related: Iterable[str] = (), **lookup
) -> HouseholdInvitation | None:
    return _lock(HouseholdInvitation.objects.all(), related, lookup)


def lock_reset_code(*, related: Iterable[str] = (), **lookup) -> PasswordResetCode | None:
    return _lock(PasswordResetCode.objects.all(), related, lookup)
