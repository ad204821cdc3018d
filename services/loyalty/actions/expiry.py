"""The nightly expiry of points lots."""

from __future__ import annotations

import calendar
from datetime import timedelta

from django.db.models import Q

from notifications.services import notify
from services.accounts.models import Tenant
from services.core import clock, periodic

from .. import notifications as kinds
from ..models import (
    Account,
    Lot,
    Rule,
)
from .earning import points_award
from .ledger import EXPIRY_WARNING_DAYS, _expire_due, _localtime, _lock_account

# --- expiry (nightly) ----------------------------------------------------------------------


def points_expire_due() -> int:
    """Expire every due lot; one short transaction per account. Returns points expired."""
    now = clock.now()
    account_ids = (
        Lot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )
    total = 0
    loop = periodic.Loop("loyalty.points_expire")
    for account in Account.objects.filter(pk__in=list(account_ids)).select_related("tenant"):
        with loop.item(account.pk):
            entry = _expire_due(_lock_account(tenant=account.tenant))
            total += -entry.points if entry else 0
    return total


def points_expiry_warn() -> int:
    """Push once per lot, 30 days before it expires. Returns the number of tenants told."""
    now = clock.now()
    horizon = now + timedelta(days=EXPIRY_WARNING_DAYS)
    account_ids = sorted(
        set(
            Lot.objects.filter(
                remaining__gt=0, warned_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon
            ).values_list("account_id", flat=True)
        )
    )
    told = 0
    loop = periodic.Loop("loyalty.points_expiry_warn")
    for account in Account.objects.filter(pk__in=account_ids).select_related("tenant__user"):
        with loop.item(account.pk):
            locked = _lock_account(tenant=account.tenant)
            lots = list(
                Lot.objects.filter(
                    account=locked,
                    remaining__gt=0,
                    warned_at__isnull=True,
                    expires_at__gt=now,
                    expires_at__lte=horizon,
                ).order_by("expires_at", "id")
            )
            if not lots:
                continue
            Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(warned_at=now)
            first = _localtime(lots[0].expires_at)
            notify(
                recipients=[account.tenant.user],
                kind=kinds.POINTS_EXPIRING,
                params={
                    "points": sum(lot.remaining for lot in lots),
                    "date": first.strftime("%d/%m/%Y"),
                },
                link_id=account.public_id,
            )
            told += 1
    return told


def tenancy_anniversaries_award() -> int:
    """Award the anniversary rule to tenants whose tenancy started on this day in a past year."""
    today = clock.today()
    on_this_day = Q(tenancy__start_date__month=today.month, tenancy__start_date__day=today.day)
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        # A tenancy started on 29 February has its anniversary on the 28th in other years.
        on_this_day |= Q(tenancy__start_date__month=2, tenancy__start_date__day=29)
    tenants = (
        Tenant.objects.filter(
            on_this_day,
            tenancy__start_date__year__lt=today.year,
            user__is_active=True,
        )
        .filter(Q(tenancy__end_date__isnull=True) | Q(tenancy__end_date__gte=today))
        .order_by("pk")
    )
    count = 0
    loop = periodic.Loop("loyalty.tenancy_anniversaries")
    for tenant in tenants:
        with loop.item(tenant.pk):
            entry = points_award(
                tenant=tenant,
                rule=Rule.TENANCY_ANNIVERSARY,
                source=tenant.tenancy,
                idempotency_key=f"tenancy_anniversary:{today.year}",
            )
            count += entry is not None
    return count
