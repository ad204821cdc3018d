"""Loyalty reads, always scoped to who asks: another landlord's rows are simply not there."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from services.accounts import roles
from services.accounts.models import Tenant, User
from services.core import clock

from .models import Account, EarningRule, Entry, Lot, Redemption, Reward
from .policies import can_manage_loyalty

# The account screen lists what expires within this horizon, grouped by date.
EXPIRING_HORIZON_DAYS = 90


_tenant_of = roles.tenant_of


def _staff_landlord_id(user: User) -> int | None:
    staff = roles.staff_of(user)
    return staff.landlord_id if staff is not None else None


def account_balance(*, tenant: Tenant) -> int:
    """Spendable points now: open lots not yet expired (the nightly run catches up the row)."""
    return (
        Lot.objects.filter(
            account__tenant_id=tenant.pk, remaining__gt=0, expires_at__gt=clock.now()
        ).aggregate(total=Sum("remaining"))["total"]
        or 0
    )


@dataclass
class AccountSummary:
    id: object
    balance: int
    pending: int
    expiring: list[dict] = field(default_factory=list)


def account_summary(*, tenant: Tenant) -> AccountSummary:
    """Balance, points owed (`pending`: debt taken from the next earnings) and what expires."""
    now = clock.now()
    account = Account.objects.filter(tenant_id=tenant.pk).first()
    if account is None:
        return AccountSummary(id=None, balance=0, pending=0)
    lots = list(
        Lot.objects.filter(account=account, remaining__gt=0, expires_at__gt=now)
        .order_by("expires_at", "id")
        .values_list("remaining", "expires_at")
    )
    horizon = now + datetime.timedelta(days=EXPIRING_HORIZON_DAYS)
    # Grouped by local date (lots earned at 10:00 and 15:00 expire "on the same day"); each
    # group shows its first instant, when the first of its points go.
    grouped: dict[datetime.date, dict] = {}
    for remaining, expires_at in lots:
        if expires_at <= horizon:
            day = timezone.localtime(expires_at).date()
            group = grouped.setdefault(day, {"points": 0, "expires_at": expires_at})
            group["points"] += remaining
    return AccountSummary(
        id=account.public_id,
        balance=sum(remaining for remaining, _ in lots),
        pending=account.debt,
        expiring=list(grouped.values()),
    )


def account_list_for_user(*, user: User, tenant: uuid.UUID | None = None) -> QuerySet[Account]:
    """Staff: the loyalty accounts of their landlord's tenants (balance and points owed);
    `tenant` (a tenant's public id) for one."""
    landlord_id = _staff_landlord_id(user)
    if landlord_id is None:
        return Account.objects.none()
    qs = (
        Account.objects.filter(landlord_id=landlord_id)
        .select_related("tenant__user")
        .order_by("-created_at", "-id")
    )
    return qs.filter(tenant__public_id=tenant) if tenant is not None else qs


def entry_list_for_user(*, user: User, tenant: uuid.UUID | None = None) -> QuerySet[Entry]:
    """A tenant's own ledger; staff: their landlord's, `tenant` (a public id) for one."""
    qs = Entry.objects.select_related("account__tenant", "reverses").order_by("-created_at", "-id")
    own = _tenant_of(user)
    if own is not None:
        return qs.filter(account__tenant_id=own.pk)
    landlord_id = _staff_landlord_id(user)
    if landlord_id is not None:
        qs = qs.filter(account__landlord_id=landlord_id)
        return qs.filter(account__tenant__public_id=tenant) if tenant is not None else qs
    return qs.none()


def reward_list_for_user(*, user: User) -> QuerySet[Reward]:
    """Tenants see the active catalogue of their landlord; staff see all of it."""
    qs = Reward.objects.select_related("landlord").order_by("cost_points", "id")
    tenant = _tenant_of(user)
    if tenant is not None:
        now = clock.now()
        return qs.filter(landlord_id=tenant.landlord_id, is_active=True).filter(
            Q(available_from__isnull=True) | Q(available_from__lte=now),
            Q(available_until__isnull=True) | Q(available_until__gt=now),
        )
    landlord_id = _staff_landlord_id(user)
    if landlord_id is not None:
        return qs.filter(landlord_id=landlord_id)
    return qs.none()


def reward_is_available(*, reward: Reward, now: datetime.datetime | None = None) -> bool:
    """Open for redemption now: active, inside its window, a unit (or a code) left. The
    stock read may be stale: the redemption's conditional UPDATE decides."""
    now = now or clock.now()
    return (
        reward.is_active
        and (reward.available_from is None or reward.available_from <= now)
        and (reward.available_until is None or reward.available_until > now)
        and reward.stock != 0
    )


def reward_for_redeem(*, user: User, public_id) -> Reward | None:
    """A tenant may try any reward of its landlord: an inactive one answers not_available."""
    tenant = _tenant_of(user)
    if tenant is None:
        return None
    return Reward.objects.filter(landlord_id=tenant.landlord_id, public_id=public_id).first()


def redemption_list_for_user(*, user: User) -> QuerySet[Redemption]:
    qs = Redemption.objects.select_related("reward", "tenant").order_by("-created_at", "-id")
    tenant = _tenant_of(user)
    if tenant is not None:
        return qs.filter(tenant_id=tenant.pk)
    landlord_id = _staff_landlord_id(user)
    if landlord_id is not None:
        return qs.filter(landlord_id=landlord_id)
    return qs.none()


def earning_rule_list_for_user(*, user: User) -> QuerySet[EarningRule]:
    landlord_id = _staff_landlord_id(user)
    if landlord_id is None:
        return EarningRule.objects.none()
    return EarningRule.objects.filter(landlord_id=landlord_id).order_by("code", "id")


def tenant_for_staff(*, user: User, public_id) -> Tenant | None:
    """A tenant of the staff's landlord, named by its tenant id or its user id."""
    landlord_id = _staff_landlord_id(user)
    if landlord_id is None:
        return None
    return (
        Tenant.objects.select_related("user")
        .filter(landlord_id=landlord_id)
        .filter(Q(public_id=public_id) | Q(user__public_id=public_id))
        .first()
    )


# --- reporting -----------------------------------------------------------------------------


def _signed_sum(condition: Q):
    value = Case(When(condition, then="points"), default=Value(0), output_field=IntegerField())
    total = Coalesce(Sum(value), Value(0))
    return total


# The columns of each report row, in the order the CSV exports (API and console) write them.
POINTS_REPORT_COLUMNS = ["month", "issued", "spent", "expired", "reversed", "adjusted_down"]
REWARDS_REPORT_COLUMNS = [
    "reward",
    "title",
    "partner_name",
    "cost_points",
    "stock",
    "issued",
    "used",
    "cancelled",
    "expired",
    "points_spent",
]


def points_report_monthly(
    *, landlord_id: int, since: datetime.date, until: datetime.date
) -> list[dict]:
    """Points issued, spent (net of cancellations), expired, reversed and adjusted per month."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(since.replace(day=1), datetime.time.min, tzinfo=tz)
    end_month = until.replace(day=1)
    nxt = (end_month + datetime.timedelta(days=32)).replace(day=1)
    end = datetime.datetime.combine(nxt, datetime.time.min, tzinfo=tz)
    kind = Entry.Kind
    rows = (
        Entry.objects.filter(
            account__landlord_id=landlord_id, created_at__gte=start, created_at__lt=end
        )
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(
            issued=_signed_sum(Q(kind=kind.EARN) | Q(kind=kind.ADJUST, points__gt=0)),
            spent=_signed_sum(Q(kind=kind.SPEND)),
            refunded=_signed_sum(Q(kind=kind.REVERSE, points__gt=0)),
            expired=_signed_sum(Q(kind=kind.EXPIRE)),
            reversed=_signed_sum(Q(kind=kind.REVERSE, points__lt=0)),
            adjusted=_signed_sum(Q(kind=kind.ADJUST, points__lt=0)),
        )
        .order_by("month")
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        key = month.date() if isinstance(month, datetime.datetime) else month
        by_month[key.strftime("%Y-%m")] = row
    result = []
    cursor = since.replace(day=1)
    while cursor <= end_month:
        label = cursor.strftime("%Y-%m")
        row = by_month.get(label, {})
        spent = -(row.get("spent") or 0)
        refunded = row.get("refunded") or 0
        result.append(
            {
                "month": label,
                "issued": row.get("issued") or 0,
                "spent": spent - refunded,
                "expired": -(row.get("expired") or 0),
                "reversed": -(row.get("reversed") or 0),
                "adjusted_down": -(row.get("adjusted") or 0),
            }
        )
        cursor = (cursor + datetime.timedelta(days=32)).replace(day=1)
    return result


def redemption_report_by_reward(*, landlord_id: int) -> list[dict]:
    """Redemptions per reward and status, with the stock left."""
    status = Redemption.Status
    rows = (
        Reward.objects.filter(landlord_id=landlord_id)
        .annotate(
            issued=Count("redemptions", filter=Q(redemptions__status=status.ISSUED)),
            used=Count("redemptions", filter=Q(redemptions__status=status.USED)),
            cancelled=Count("redemptions", filter=Q(redemptions__status=status.CANCELLED)),
            expired=Count("redemptions", filter=Q(redemptions__status=status.EXPIRED)),
            points=Coalesce(
                Sum(
                    "redemptions__points",
                    filter=Q(redemptions__status__in=[status.ISSUED, status.USED, status.EXPIRED]),
                ),
                Value(0),
            ),
        )
        .order_by("title", "id")
    )
    return [
        {
            "reward": r.public_id,
            "title": r.title,
            "partner_name": r.partner_name,
            "cost_points": r.cost_points,
            "stock": r.stock,
            "issued": r.issued,
            "used": r.used,
            "cancelled": r.cancelled,
            "expired": r.expired,
            "points_spent": r.points,
        }
        for r in rows
    ]


def ledger_audit() -> list[dict]:
    """Accounts whose row disagrees with its entries (Σ entries = balance − debt) or its lots
    (Σ remaining = balance). An empty list means the ledger is sound."""
    entries = dict(
        Entry.objects.values("account_id")
        .annotate(total=Sum("points"))
        .values_list("account_id", "total")
    )
    lots = dict(
        Lot.objects.values("account_id")
        .annotate(total=Sum("remaining"))
        .values_list("account_id", "total")
    )
    problems = []
    for account_id, balance, debt, tenant_id in Account.objects.order_by("id").values_list(
        "id", "balance", "debt", "tenant_id"
    ):
        ledger = entries.get(account_id, 0) or 0
        open_points = lots.get(account_id, 0) or 0
        if ledger != balance - debt or open_points != balance or balance < 0 or debt < 0:
            problems.append(
                {
                    "account_id": account_id,
                    "tenant_id": tenant_id,
                    "balance": balance,
                    "debt": debt,
                    "entries_sum": ledger,
                    "lots_sum": open_points,
                }
            )
    return problems


def redemption_count_since(*, user: User, since: datetime.datetime) -> int | None:
    """Vouchers issued to the landlord's tenants since `since` (the console home). None for
    users who are not the landlord's loyalty managers."""
    landlord_id = _staff_landlord_id(user)
    if landlord_id is None or not can_manage_loyalty(actor=user, landlord_id=landlord_id):
        return None
    return Redemption.objects.filter(landlord_id=landlord_id, created_at__gte=since).count()
