"""Loyalty reads for the staff console: filtered catalogue and vouchers, a tenant's points,
the voucher a code names (for the validation counter), points earned vs spent per month.

Every function starts from the viewer's landlord (`selectors._staff_landlord_id`, the
`*_for_user` selectors), so another landlord's reward, tenant or voucher is never there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from services.accounts.models import Tenant, User
from services.core import clock

from . import selectors
from .models import Entry, Redemption, Reward
from .policies import can_view_loyalty_reports


def reward_search_for_user(
    *, user: User, q: str = "", kind: str = "", active: str = ""
) -> QuerySet[Reward]:
    """The landlord's catalogue, with the pool codes still free (`codes_left`) counted."""
    qs = selectors.reward_list_for_user(user=user)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(partner_name__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if active in ("yes", "no"):
        qs = qs.filter(is_active=active == "yes")
    return qs.annotate(
        codes_left=Count("pool_codes", filter=Q(pool_codes__assigned_at__isnull=True))
    ).order_by("title", "id")


def tenant_search_for_user(*, user: User, q: str = "") -> QuerySet[Tenant]:
    """The landlord's tenants (name, e-mail or residence containing `q`) with their account."""
    landlord_id = selectors._staff_landlord_id(user)
    if landlord_id is None:
        return Tenant.objects.none()
    qs = Tenant.objects.filter(landlord_id=landlord_id).select_related(
        "user", "tenancy__residence", "loyalty_account"
    )
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(user__email__icontains=q)
            | Q(tenancy__residence__name__icontains=q)
        )
    return qs.order_by("user__last_name", "user__first_name", "id")


def tenant_entries(*, user: User, tenant: Tenant) -> QuerySet[Entry]:
    """A tenant's ledger lines, newest first, with who issued them."""
    return (
        selectors.entry_list_for_user(user=user)
        .filter(account__tenant_id=tenant.pk)
        .select_related("issuer")
    )


def voucher_lookup(*, user: User, code: str) -> Redemption | None:
    """The voucher a code names, for the counter (as typed, then upper-cased, like the
    validation): its reward, its validity, whether and when it was used."""
    code = (code or "").strip()[:64]
    if not code or selectors._staff_landlord_id(user) is None:
        return None
    qs = selectors.redemption_list_for_user(user=user).select_related(
        "tenant__user", "validated_by"
    )
    return qs.filter(code=code).first() or qs.filter(code=code.upper()).first()


def voucher_is_valid(*, redemption: Redemption) -> bool:
    return redemption.status == Redemption.Status.ISSUED and redemption.expires_at > clock.now()


def redemption_search_for_user(*, user: User, status: str = "", q: str = ""):
    qs = selectors.redemption_list_for_user(user=user).select_related("tenant__user")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(code__iexact=q.strip())
            | Q(reward__title__icontains=q)
            | Q(tenant__user__last_name__icontains=q)
        )
    return qs


@dataclass(frozen=True)
class MonthlyPoints:
    months: list[dt.date]
    earned: list[int]
    spent: list[int]
    rows: list[dict]  # the report's own rows (month, issued, spent, expired, ...)


def points_by_month(*, user: User, months: int = 12) -> MonthlyPoints | None:
    """Points earned (issued) and spent (net of cancellations) per month, the last `months`
    months; None for a viewer who may not see the landlord's reports."""
    landlord_id = selectors._staff_landlord_id(user)
    if landlord_id is None or not can_view_loyalty_reports(actor=user, landlord_id=landlord_id):
        return None
    until = clock.today()
    since = until.replace(day=1)
    for _ in range(months - 1):
        since = (since - dt.timedelta(days=1)).replace(day=1)
    rows = selectors.points_report_monthly(landlord_id=landlord_id, since=since, until=until)
    return MonthlyPoints(
        months=[dt.date.fromisoformat(row["month"] + "-01") for row in rows],
        earned=[row["issued"] for row in rows],
        spent=[row["spent"] for row in rows],
        rows=rows,
    )


def rewards_report(*, user: User) -> list[dict] | None:
    landlord_id = selectors._staff_landlord_id(user)
    if landlord_id is None or not can_view_loyalty_reports(actor=user, landlord_id=landlord_id):
        return None
    return selectors.redemption_report_by_reward(landlord_id=landlord_id)
