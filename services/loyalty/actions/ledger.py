"""The ledger engine: the named locks and the primitives that move points under them."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Landlord, Tenant, User
from services.core import clock
from services.core.errors import conflict, invalid, not_allowed, not_found

from ..models import (
    DEFAULT_RULE_POINTS,
    Account,
    Consumption,
    EarningRule,
    Entry,
    Lot,
    Reason,
    Redemption,
    Reward,
    VoucherCode,
)

logger = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 30

UnknownRule = invalid("unknown_rule", _("Unknown earning rule."))
InvalidPoints = invalid("invalid_points", _("Points must be a whole number above zero."))
InvalidAdjustment = invalid("invalid_points", _("Points must be a whole number other than zero."))
IdempotencyKeyRequired = invalid("idempotency_key_required", _("An idempotency key is required."))
NotAPool = conflict("not_a_pool", _("This reward does not use a pool of codes."))
CapPeriodRequired = invalid("cap_period_required", _("A cap needs a period: day, month or year."))
RewardNotFound = not_found("not_found", _("Not found."))
InsufficientPoints = conflict("insufficient_points", _("You do not have enough points."))
OutOfStock = conflict("out_of_stock", _("This reward is out of stock."))
LimitReached = conflict(
    "limit_reached", _("You have already redeemed this reward the maximum number of times.")
)
NotAvailable = conflict("not_available", _("This reward is not available at the moment."))
NotCancellable = conflict("not_cancellable", _("This redemption can no longer be cancelled."))
CodeRevealed = conflict(
    "code_revealed",
    _(
        "This partner code was shown to you and can be used at the partner's, so it cannot be "
        "cancelled. If it does not work, ask your landlord's staff."
    ),
)
AlreadyUsed = conflict("already_used", _("This voucher has already been used."))
VoucherCancelled = conflict("voucher_cancelled", _("This voucher was cancelled."))
VoucherExpired = conflict("voucher_expired", _("This voucher has expired."))
UnknownCode = not_found("unknown_code", _("No voucher with this code."))
RewardInvalid = invalid("invalid_reward", _("Some fields of this reward are invalid."))
ReasonRequired = invalid("reason_required", _("A reason is required."))
# Raised by the API while parsing loyalty input (declared here for their translations).
UnknownTenant = invalid("unknown_tenant", _("Unknown tenant."))
CodesRequired = invalid("codes_required", _("Send a list of codes or a file."))
FileTooLarge = invalid("file_too_large", _("The file is larger than 2 MB."))
InvalidFile = invalid("invalid_file", _("The file must be UTF-8 text."))
InvalidRange = invalid("invalid_range", _("Choose a range of 1 to 60 months."))
CannotCancel = not_allowed("permission_denied", _("You may not cancel this redemption."))
CannotValidate = not_allowed(
    "permission_denied", _("Only your landlord's staff validate vouchers.")
)
ReportsNotAllowed = not_allowed(
    "permission_denied", _("Only administrators and community officers see loyalty reports.")
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
CODE_LENGTH = 10


# --- locks: one named place per model ------------------------------------------------------


def _lock_account(*, tenant: Tenant) -> Account:
    """Lock (creating it on first use) the tenant's account: the first lock of every write
    but a redemption's (`_redemption_points` locks it by hand, last)."""
    account = Account.objects.select_for_update().filter(tenant_id=tenant.pk).first()
    if account is None:
        try:
            with transaction.atomic():
                Account.objects.create(tenant_id=tenant.pk, landlord_id=tenant.landlord_id)
        except IntegrityError:
            pass  # created meanwhile by a concurrent transaction
        account = Account.objects.select_for_update().get(tenant_id=tenant.pk)
    return account


def _lock_reward(*, pk: int) -> Reward:
    """Lock a reward row for a staff edit or a code upload (never before an account lock)."""
    return Reward.objects.select_for_update().get(pk=pk)


def _reward_take_one(*, reward: Reward) -> bool:
    """Take one unit of stock inside the caller's transaction (the UPDATE row-locks the
    reward until that commit: the last statement of a nested redemption)."""
    if reward.stock is None and reward.kind != Reward.Kind.POOL_CODE:
        return True
    return bool(Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1))


def _reward_reserve_one(*, reward: Reward) -> bool:
    """Reserve one unit of stock in autocommit, before the redemption's transaction: the
    row is locked for this one statement only, never while Python runs, so a sold-out
    reward is refused at once (0 rows). Given back by `_reward_release_one` if the
    redemption then fails. Unlimited stock reserves nothing."""
    if reward.stock is None and reward.kind != Reward.Kind.POOL_CODE:
        return True
    return _stock_move(reward_id=reward.pk, by=-1) == 1


def _reward_release_one(*, reward: Reward) -> None:
    """Give back a unit reserved by a redemption that failed (autocommit)."""
    _stock_move(reward_id=reward.pk, by=1)


def _stock_move(*, reward_id: int, by: int) -> int:
    """One autocommit UPDATE of the stock (never below zero); returns the rows changed.

    On PostgreSQL its commit does not wait for the WAL flush (`synchronous_commit = off`,
    for this statement only, sent in one round trip): the row's lock is released at once
    instead of after ~7 ms of fsync on the development machine, the whole of the hot row's
    hold. Safe: the redemption's own commit is synchronous and comes later in the WAL, so a
    redemption that survives a crash has its reservation too; a crash can at worst lose a
    reservation whose redemption was lost with it, or a give-back (one unit short)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        query = Reward.objects.filter(pk=reward_id, stock__isnull=False)
        if by < 0:
            query = query.filter(stock__gte=-by)
        return query.update(stock=F("stock") + by)
    table = connection.ops.quote_name(Reward._meta.db_table)
    guard = f"stock >= {-int(by)}" if by < 0 else "stock IS NOT NULL"
    # Integers and a quoted table name only: no parameters, so psycopg may send the four
    # statements as one simple-protocol message.
    sql = (
        "BEGIN; SET LOCAL synchronous_commit = off; "  # noqa: S608
        f"UPDATE {table} SET stock = stock + {int(by)} WHERE id = {int(reward_id)} "
        f"AND {guard}; COMMIT"
    )
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql)
            changed = 0
            while True:
                status = cursor.cursor.pgresult.command_status or b""
                if status.startswith(b"UPDATE "):
                    changed = int(status.split()[1])
                if not cursor.nextset():
                    return changed
        except BaseException:
            if connection.connection.info.transaction_status != 0:  # not idle: undo
                connection.connection.rollback()
            raise


def _lock_earning_rule(*, landlord: Landlord, code: str) -> EarningRule:
    """Lock a landlord's earning rule row, creating it with the default amount on first use
    (rolled back with the caller if its changes are refused)."""
    rule = EarningRule.objects.select_for_update().filter(landlord=landlord, code=code).first()
    if rule is None:
        try:
            with transaction.atomic():
                EarningRule.objects.create(
                    landlord=landlord, code=code, points=DEFAULT_RULE_POINTS[code]
                )
        except IntegrityError:
            pass  # created meanwhile by a concurrent transaction
        rule = EarningRule.objects.select_for_update().get(landlord=landlord, code=code)
    return rule


def _pool_code_claim(*, reward: Reward, now: datetime) -> VoucherCode | None:
    """Claim the oldest free code of a pool reward (the one place a VoucherCode is locked).

    SKIP LOCKED lets concurrent redemptions each claim a different code; the stock UPDATE
    that follows still decides whether a unit was left."""
    if reward.kind != Reward.Kind.POOL_CODE:
        return None
    code = (
        VoucherCode.objects.select_for_update(skip_locked=True)
        .filter(reward=reward, assigned_at__isnull=True)
        .order_by("id")
        .first()
    )
    if code is None:
        raise OutOfStock()
    VoucherCode.objects.filter(pk=code.pk).update(assigned_at=now)
    if Redemption.objects.filter(landlord_id=reward.landlord_id, code=code.code).exists():
        # A partner code uploaded to two pools of the landlord at once (each upload checks
        # the other pools, not a concurrent one): burnt, out of the stock, and the next one.
        Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1)
        return _pool_code_claim(reward=reward, now=now)
    return code


def _lock_redemption(**filters) -> Redemption | None:
    return (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("reward", "tenant__user")
        .filter(**filters)
        .first()
    )


# --- ledger primitives (called with the account locked) -------------------------------------

# Entry keys are 200 characters, with room kept for a prefix ("redeem:", "reverse:") or a
# "#n" suffix; a longer key is hashed, never cut, so two different keys never collide.
KEY_MAX = 180


def _short_key(key: str) -> str:
    if len(key) <= KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _source_ref(source: Any) -> tuple[str, str]:
    if source is None:
        return "", ""
    label = getattr(getattr(source, "_meta", None), "label_lower", type(source).__name__)
    ident = getattr(source, "public_id", None) or getattr(source, "pk", None) or source
    return label, str(ident)[:64]


def _move(account: Account, *, balance: int = 0, debt: int = 0) -> None:
    if not balance and not debt:
        return
    Account.objects.filter(pk=account.pk).update(
        balance=F("balance") + balance, debt=F("debt") + debt, updated_at=clock.now()
    )
    account.balance += balance
    account.debt += debt


def _validity(landlord_id: int) -> int:
    return Landlord.objects.values_list("points_validity_months", flat=True).get(pk=landlord_id)


def _credit(
    account: Account,
    *,
    kind: str,
    points: int,
    reason: str,
    note: str = "",
    issuer: User | None = None,
    source: Any = None,
    idempotency_key: str | None = None,
) -> Entry:
    """Write a positive entry; it repays debt first, the rest becomes a lot that expires."""
    source_type, source_id = _source_ref(source)
    entry = Entry.objects.create(
        account=account,
        kind=kind,
        points=points,
        reason=reason,
        note=note[:255],
        issuer=issuer,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
    )
    repay = min(account.debt, points)
    spendable = points - repay
    if spendable:
        Lot.objects.create(
            account=account,
            entry=entry,
            points=spendable,
            remaining=spendable,
            expires_at=clock.now() + relativedelta(months=_validity(account.landlord_id)),
        )
    _move(account, balance=spendable, debt=-repay)
    return entry


def _save_remaining(lots: list[Lot]) -> None:
    """Write lots' `remaining` (called under the account lock); one statement either way."""
    if len(lots) == 1:
        Lot.objects.filter(pk=lots[0].pk).update(remaining=lots[0].remaining)
    elif lots:
        Lot.objects.bulk_update(lots, ["remaining"])


def _open_lots(account: Account) -> list[Lot]:
    """The account's lots with points left, oldest expiry first (one query per write)."""
    return list(Lot.objects.filter(account=account, remaining__gt=0).order_by("expires_at", "id"))


def _take(
    account: Account,
    *,
    entry: Entry,
    points: int,
    first: list[Lot] | None = None,
    lots: list[Lot] | None = None,
) -> int:
    """Take up to `points` from open lots, oldest expiry first (after `first`); returns taken.

    `lots` may be passed when already read under the account lock (see `_open_lots`)."""
    now = clock.now()
    first = list(first or [])
    if lots is None:
        lots = _open_lots(account)
    skip = {lot.pk for lot in first}
    candidates = first + [lot for lot in lots if lot.pk not in skip]
    need, changed, used = points, [], []
    for lot in candidates:
        if need == 0:
            break
        if lot.expires_at <= now:
            continue
        take = min(lot.remaining, need)
        if take <= 0:
            continue
        lot.remaining -= take
        need -= take
        changed.append(lot)
        used.append(Consumption(entry=entry, lot=lot, points=take))
    if changed:
        _save_remaining(changed)
        Consumption.objects.bulk_create(used)
    return points - need


def _expire_due(account: Account, lots: list[Lot] | None = None) -> Entry | None:
    """Expire the account's lots whose date has come (nightly, and before any spend).

    With `lots` (from `_open_lots`), no query unless something is due; the list is updated."""
    now = clock.now()
    if lots is None:
        due = list(
            Lot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).order_by(
                "expires_at", "id"
            )
        )
    else:
        due = [lot for lot in lots if lot.remaining > 0 and lot.expires_at <= now]
    total = sum(lot.remaining for lot in due)
    if not total:
        return None
    entry = Entry.objects.create(
        account=account, kind=Entry.Kind.EXPIRE, points=-total, reason=Reason.EXPIRY
    )
    Consumption.objects.bulk_create(
        [Consumption(entry=entry, lot=lot, points=lot.remaining) for lot in due]
    )
    for lot in due:
        lot.remaining = 0
    _save_remaining(due)
    _move(account, balance=-total)
    return entry


def _period_start(period: str, now: datetime) -> datetime:
    start = _localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == EarningRule.Period.MONTH:
        start = start.replace(day=1)
    elif period == EarningRule.Period.YEAR:
        start = start.replace(month=1, day=1)
    return start


def _localtime(value: datetime) -> datetime:
    return timezone.localtime(value)
