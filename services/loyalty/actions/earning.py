"""Earning: points awarded by the areas, reversed, granted or adjusted by staff; the rules."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import Tenant, User
from services.core import clock
from services.core.errors import NotAllowed

from .. import notifications as kinds
from .. import policies
from ..models import (
    DEFAULT_RULE_POINTS,
    Account,
    Consumption,
    EarningRule,
    Entry,
    Lot,
    Reason,
    Rule,
)
from .ledger import (
    IdempotencyKeyRequired,
    InsufficientPoints,
    InvalidAdjustment,
    InvalidPoints,
    ReasonRequired,
    UnknownRule,
    _credit,
    _expire_due,
    _lock_account,
    _move,
    _period_start,
    _short_key,
    _take,
)

# --- earning -------------------------------------------------------------------------------


def _award_chain(account: Account, key: str) -> tuple[Entry | None, int]:
    """The latest earn entry under `key` (then `key#2`, `key#3`… after reversals), and how
    many there are. Read under the account lock."""
    chain = list(
        Entry.objects.filter(account=account, kind=Entry.Kind.EARN)
        .filter(Q(idempotency_key=key) | Q(idempotency_key__startswith=f"{key}#"))
        .order_by("-id")
    )
    return (chain[0] if chain else None), len(chain)


def _reversal_of(entry: Entry) -> Entry | None:
    return Entry.objects.filter(reverses=entry, kind=Entry.Kind.REVERSE).first()


@transaction.atomic
def points_award(
    *,
    tenant: Tenant,
    rule: str,
    source: Any,
    idempotency_key: str,
    points: int | None = None,
    issuer: User | None = None,
) -> Entry | None:
    """Earn points for a validated activity; the same idempotency_key twice is a no-op.

    Returns the entry (the existing one on a repeat), or None when the rule is switched off
    or its cap for the period is already reached. Once the award under a key was reversed
    (attendance corrected to a no-show), awarding it again earns again (attendance restored),
    under `key#2`, `key#3`…; `points_reverse` always targets the latest.
    """
    if rule not in Rule.values:
        raise UnknownRule()
    if points is not None and (not isinstance(points, int) or points <= 0):
        raise InvalidPoints()
    if not idempotency_key:
        raise IdempotencyKeyRequired()
    if not tenancy_end.may_earn(tenant):  # moved out: the activity stands, no points
        return None
    idempotency_key = _short_key(idempotency_key)
    account = _lock_account(tenant=tenant)
    latest, count = _award_chain(account, idempotency_key)
    if latest is not None and _reversal_of(latest) is None:
        return latest  # the award stands: a repeat is a no-op
    if latest is not None:  # awarded then reversed: the activity counts again (a new entry)
        idempotency_key = f"{idempotency_key}#{count + 1}"
    config = EarningRule.objects.filter(landlord_id=account.landlord_id, code=rule).first()
    if config is not None and not config.is_active:
        return None
    if points is None:
        points = config.points if config is not None else DEFAULT_RULE_POINTS[rule]
    if config is not None and config.cap_points is not None:
        since = _period_start(config.cap_period, clock.now())
        # What this period earned under the rule, net of its own reversals: reversing an
        # award of an earlier period frees nothing in this one.
        earned = (
            Entry.objects.filter(account=account)
            .filter(
                Q(kind=Entry.Kind.EARN, reason=rule, created_at__gte=since)
                | Q(
                    kind=Entry.Kind.REVERSE,
                    reverses__reason=rule,
                    reverses__kind=Entry.Kind.EARN,
                    reverses__created_at__gte=since,
                )
            )
            .aggregate(total=Sum("points"))["total"]
            or 0
        )
        points = min(points, config.cap_points - earned)
    if points <= 0:
        return None
    return _credit(
        account,
        kind=Entry.Kind.EARN,
        points=points,
        reason=rule,
        issuer=issuer,
        source=source,
        idempotency_key=idempotency_key,
    )


def welcome_bonus_award(*, tenant: Tenant) -> Entry | None:
    """The landlord's welcome bonus, once per tenant (called on activation)."""
    return points_award(
        tenant=tenant, rule=Rule.WELCOME_BONUS, source=tenant, idempotency_key="welcome_bonus"
    )


@transaction.atomic
def points_reverse(
    *, tenant: Tenant, idempotency_key: str, reason: str, issuer: User | None = None
) -> Entry | None:
    """Reverse the entry earned under `idempotency_key` (a correction, never a delete).

    Once: a second call returns the same reversal. Points are taken from that entry's own
    lot first, then the oldest-expiring ones; what the balance cannot cover becomes debt,
    repaid by future earnings. Points that already expired are not taken twice. Returns None
    when nothing was earned under that key.
    """
    account = _lock_account(tenant=tenant)
    original, _count = _award_chain(account, _short_key(idempotency_key))
    if original is None:
        return None
    done = _reversal_of(original)
    if done is not None:
        return done
    _expire_due(account)
    own_lots = list(Lot.objects.filter(entry=original).order_by("id"))
    expired = (
        Consumption.objects.filter(lot__in=own_lots, entry__kind=Entry.Kind.EXPIRE).aggregate(
            total=Sum("points")
        )["total"]
        or 0
    )
    amount = original.points - expired
    if amount <= 0:
        return None
    entry = Entry.objects.create(
        account=account,
        kind=Entry.Kind.REVERSE,
        points=-amount,
        reason=Reason.CORRECTION,
        note=(reason or "")[:255],
        issuer=issuer,
        source_type=original.source_type,
        source_id=original.source_id,
        idempotency_key=f"reverse:{original.idempotency_key}",
        reverses=original,
    )
    taken = _take(account, entry=entry, points=min(amount, account.balance), first=own_lots)
    _move(account, balance=-taken, debt=amount - taken)
    return entry


@transaction.atomic
def points_grant(*, actor: User, tenant: Tenant, points: int, reason: str) -> Entry:
    """A staff grant (points > 0) or adjustment (points < 0), with a reason, logged."""
    if not policies.can_manage_loyalty(actor=actor, landlord_id=tenant.landlord_id):
        raise NotAllowed(_("Only administrators and community officers grant points."))
    if not isinstance(points, int) or points == 0:
        raise InvalidAdjustment()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(fields={"reason": [str(_("A reason is required."))]})
    account = _lock_account(tenant=tenant)
    if points > 0:
        entry = _credit(
            account,
            kind=Entry.Kind.ADJUST,
            points=points,
            reason=Reason.STAFF_GRANT,
            note=reason,
            issuer=actor,
        )
        notify(
            recipients=[tenant.user],
            kind=kinds.POINTS_GRANTED,
            params={"points": points, "reason": reason},
            link_id=account.public_id,
        )
        return entry
    _expire_due(account)
    if account.balance < -points:
        raise InsufficientPoints(_("The tenant does not have that many points."))
    entry = Entry.objects.create(
        account=account,
        kind=Entry.Kind.ADJUST,
        points=points,
        reason=Reason.STAFF_ADJUSTMENT,
        note=reason[:255],
        issuer=actor,
    )
    _take(account, entry=entry, points=-points)
    _move(account, balance=points)
    return entry
