"""Redemptions: a tenant redeems a reward, cancels a voucher; a counter validates it."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import Tenant, User
from services.core import clock, periodic

from .. import notifications as kinds
from .. import policies
from ..models import (
    Account,
    Consumption,
    Entry,
    Lot,
    Reason,
    Redemption,
    Reward,
)
from .ledger import (
    CODE_ALPHABET,
    CODE_LENGTH,
    AlreadyUsed,
    CannotCancel,
    CannotValidate,
    CodeRevealed,
    InsufficientPoints,
    LimitReached,
    NotAvailable,
    NotCancellable,
    OutOfStock,
    ReasonRequired,
    RewardNotFound,
    UnknownCode,
    VoucherCancelled,
    VoucherExpired,
    _expire_due,
    _localtime,
    _lock_account,
    _lock_redemption,
    _move,
    _open_lots,
    _pool_code_claim,
    _reward_release_one,
    _reward_reserve_one,
    _reward_take_one,
    _save_remaining,
    _short_key,
    _take,
    logger,
)

# --- redemption ----------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _limit_count(*, account_id: int | None, reward: Reward) -> int:
    """Redemptions that count against the per-tenant limit: every code the tenant has seen,
    except a generated code cancelled before use (it died with the cancellation). A
    partner's pool code cancelled by staff still counts: its value left with the tenant."""
    return (
        Redemption.objects.filter(account_id=account_id, reward=reward)
        .exclude(status=Redemption.Status.CANCELLED, pool_code__isnull=True)
        .count()
    )


def _check_available(reward: Reward, now: datetime) -> None:
    if (
        not reward.is_active
        or (reward.available_from and reward.available_from > now)
        or (reward.available_until and reward.available_until <= now)
    ):
        raise NotAvailable()


class _Replayed(Exception):
    """Control flow: the same key committed meanwhile; roll back and return the first."""


def reward_redeem(
    *, tenant: Tenant, reward: Reward, idempotency_key: str | None = None
) -> Redemption:
    """Spend the points, take one unit of stock and issue a unique code, all or nothing.

    The hot locks are held as briefly as possible (docs/loyalty.md, "The redemption hot
    path"): everything that can be is read, rendered and written before the account row is
    locked, and points are decided last. A reward the caller read as sold out or unavailable
    is refused before any statement. Called outside a transaction (the API), the unit of
    stock is reserved first by one autocommit statement, so the reward's row is never held
    across a round trip and a reward sold out since that read is refused at once; the unit
    is given back if the redemption then fails. Inside a caller's transaction, the stock is
    taken by the last statement and the caller's commit decides.
    """
    if tenant.landlord_id != reward.landlord_id:
        raise RewardNotFound()
    now = clock.now()
    key = f"redeem:{_short_key(idempotency_key)}" if idempotency_key else None
    if key:
        done = _redemption_replay(tenant_id=tenant.pk, key=key)
        if done is not None:
            return done
    tenancy_end.require_active(tenant)  # 403 tenancy_ended after moving out
    # Refusals from the reward as the caller read it (the API reads it for this request),
    # before any statement: they may only refuse, never grant (the reservation decides).
    _check_available(reward, now)
    if reward.stock == 0:
        raise OutOfStock()
    connection = transaction.get_connection()
    outermost = not connection.in_atomic_block
    reserved = False
    if outermost:  # a reward sold out meanwhile is refused by this first statement
        if not _reward_reserve_one(reward=reward):
            raise OutOfStock()
        reserved = reward.stock is not None or reward.kind == Reward.Kind.POOL_CODE
    try:
        # Unlocked reads of committed state: refusals that need no lock (the locked
        # re-checks decide; these spare a doomed request the writes).
        with connection.cursor() as cursor:
            cursor.execute(_ACCOUNT_PRE_READ, [tenant.pk])
            account_id, balance = cursor.fetchone() or (None, 0)
        if balance < reward.cost_points:
            raise InsufficientPoints(extra={"balance": balance, "cost": reward.cost_points})
        limit = reward.limit_per_tenant
        if limit is not None and _limit_count(account_id=account_id, reward=reward) >= limit:
            raise LimitReached()
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    return _redeem(
                        tenant=tenant,
                        reward=reward,
                        account_id=account_id,
                        key=key,
                        now=now,
                        take_stock=not outermost,
                    )
            except IntegrityError as exc:
                constraint = _constraint_name(exc)
                if constraint == "loyalty_entry_unique_key":  # the same key, committed meanwhile
                    raise _Replayed() from exc
                if constraint != "loyalty_redemption_code":
                    raise
                # A generated code that clashed (1 in 10^15), or a partner code committed by
                # another pool meanwhile (seen, then burnt, by the next attempt): try again.
        raise OutOfStock()
    except _Replayed:
        if reserved:
            _reward_release_one(reward=reward)
        return _redemption_replay(tenant_id=tenant.pk, key=key)
    except BaseException:
        if reserved:
            _reward_release_one(reward=reward)
        raise


def _redeem(
    *, tenant: Tenant, reward: Reward, account_id: int, key: str | None, now, take_stock: bool
) -> Redemption:
    """The redemption's writes, in one transaction; the account row is locked only for the
    points (the last reads and writes before the commit)."""
    pool_code = _pool_code_claim(reward=reward, now=now)
    code = pool_code.code if pool_code else _new_code()
    expires_at = now + timedelta(days=reward.validity_days)
    public_id = uuid.uuid4()
    # Rendered and written first, outside the account's lock; a rollback removes the row
    # and drops the push scheduled on commit.
    notify(
        recipients=[tenant.user],
        kind=kinds.REDEMPTION_ISSUED,
        params={
            "reward": reward.title,
            "code": code,
            "date": _localtime(expires_at).strftime("%d/%m/%Y"),
        },
        link_id=public_id,
    )
    cost = reward.cost_points
    # The unique (account, key) makes a second request with the same key wait here for the
    # first one's commit, then fail: exactly once, decided by the database.
    spend = _insert(
        Entry(
            account_id=account_id,
            kind=Entry.Kind.SPEND,
            points=-cost,
            reason=Reason.REDEMPTION,
            source_type="loyalty.reward",
            source_id=str(reward.public_id),
            idempotency_key=key,
        )
    )
    redemption = _insert(
        Redemption(
            public_id=public_id,
            account_id=account_id,
            tenant=tenant,
            landlord_id=reward.landlord_id,
            reward=reward,
            points=cost,
            code=code,
            pool_code=pool_code,
            spend_entry=spend,
            expires_at=expires_at,
        )
    )
    _redemption_points(tenant=tenant, account_id=account_id, spend=spend, reward=reward)
    # Inside a caller's transaction: the hot reward row is locked last, by this one UPDATE.
    if take_stock and not _reward_take_one(reward=reward):
        raise OutOfStock()  # the atomic block rolls back everything above
    return redemption


_ACCOUNT_PRE_READ = f"SELECT id, balance FROM {Account._meta.db_table} WHERE tenant_id = %s"  # noqa: S608
_INSERT_PLANS: dict[tuple[type, str], tuple[str, list]] = {}


def _insert(obj):
    """INSERT a new row as `save()` would (the same columns, defaults, `auto_now` values and
    database conversions, Django's own field methods) without the queryset machinery: for the
    redemption's entry and voucher, 1.1 ms of CPU per redemption through `create()`, in a
    process whose other requests wait for the GIL meanwhile. Falls back to `save()` where the
    database cannot return the new id or a column has a database default."""
    connection = transaction.get_connection()
    model = type(obj)
    plan = _INSERT_PLANS.get((model, connection.vendor))
    if plan is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        if (
            meta.auto_field is None
            or not connection.features.can_return_columns_from_insert
            or any(f.generated or f.has_db_default() for f in fields)
        ):
            plan = ("", [])
        else:
            quote = connection.ops.quote_name
            plan = (
                f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
                f"({', '.join(quote(f.column) for f in fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))}) "
                f"RETURNING {quote(meta.auto_field.column)}",
                fields,
            )
        _INSERT_PLANS[(model, connection.vendor)] = plan
    sql, fields = plan
    if not sql:
        obj.save(force_insert=True)
        return obj
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (obj.pk,) = cursor.fetchone()
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


def _redemption_points(*, tenant: Tenant, account_id: int, spend: Entry, reward: Reward) -> None:
    """Lock the account and spend the reward's cost from its lots, oldest expiry first: the
    redemption's last reads and writes before its commit, the only time it holds the row.

    Written by hand (five statements): through the ORM the same work cost 3.4 ms of CPU per
    redemption out of 8.2, under the account's lock and in a process whose other requests
    wait for the GIL. The rules are `_take`'s and `_expire_due`'s: a lot whose date has come
    is never spent, and when one is due those ORM primitives take over (rare: the nightly
    job expires lots first)."""
    cost = reward.cost_points
    connection = transaction.get_connection()
    quote, at = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    account_table = quote(Account._meta.db_table)
    lot_table = quote(Lot._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT balance FROM {account_table} WHERE id = %s AND tenant_id = %s{lock}",  # noqa: S608
            [account_id, tenant.pk],
        )
        (balance,) = cursor.fetchone()
        limit = reward.limit_per_tenant  # this redemption included, hence ">"
        if limit is not None and _limit_count(account_id=account_id, reward=reward) > limit:
            raise LimitReached()
        now = clock.now()
        cursor.execute(
            f"SELECT id, remaining, expires_at > %s FROM {lot_table} "  # noqa: S608
            "WHERE account_id = %s AND remaining > 0 ORDER BY expires_at, id",
            [at(now), account_id],
        )
        lots = cursor.fetchall()
        if not all(live for _id, _remaining, live in lots):
            account = Account.objects.get(pk=account_id)  # locked above
            open_lots = _open_lots(account)
            _expire_due(account, open_lots)
            if account.balance < cost:
                raise InsufficientPoints(extra={"balance": account.balance, "cost": cost})
            _take(account, entry=spend, points=cost, lots=open_lots)
            _move(account, balance=-cost)
            return
        if balance < cost:
            raise InsufficientPoints(extra={"balance": balance, "cost": cost})
        need, used = cost, []
        for lot_id, remaining, _live in lots:
            take = min(remaining, need)
            need -= take
            used.append((lot_id, take))
            if need == 0:
                break
        for lot_id, take in used:
            cursor.execute(
                f"UPDATE {lot_table} SET remaining = remaining - %s WHERE id = %s",  # noqa: S608
                [take, lot_id],
            )
        values = ", ".join(["(%s, %s, %s)"] * len(used))
        if used:  # always, while Σ lot.remaining == balance (the audit's invariant)
            cursor.execute(
                f"INSERT INTO {quote(Consumption._meta.db_table)} (entry_id, lot_id, points) "  # noqa: S608
                f"VALUES {values}",
                [value for lot_id, take in used for value in (spend.pk, lot_id, take)],
            )
        cursor.execute(
            f"UPDATE {account_table} SET balance = balance - %s, updated_at = %s "  # noqa: S608
            "WHERE id = %s",
            [cost, at(now), account_id],
        )


def _redemption_replay(*, tenant_id: int, key: str) -> Redemption | None:
    return (
        Redemption.objects.filter(tenant_id=tenant_id, spend_entry__idempotency_key=key)
        .order_by("id")
        .first()
    )


def _constraint_name(exc: IntegrityError) -> str:
    """The violated constraint's name (PostgreSQL reports it; SQLite names its columns)."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    text = str(exc)
    if "loyalty_entry.account_id, loyalty_entry.idempotency_key" in text:
        return "loyalty_entry_unique_key"
    if "loyalty_redemption.landlord_id, loyalty_redemption.code" in text:
        return "loyalty_redemption_code"
    return ""


@transaction.atomic
def redemption_cancel(*, actor: User, redemption: Redemption, reason: str = "") -> Redemption:
    """Return the points (a reverse entry, back into the same lots) and the stock.

    A partner's pool code has value outside the project once shown: only staff cancel it,
    with a reason (kept as the refund entry's note, and logged), and the code never goes
    back to the pool. A code the project generated dies with the cancellation."""
    if not policies.can_cancel_redemption(actor=actor, redemption=redemption):
        raise CannotCancel()
    reason = (reason or "").strip()
    account = _lock_account(tenant=redemption.tenant)
    locked = _lock_redemption(pk=redemption.pk)
    now = clock.now()
    if locked.status != Redemption.Status.ISSUED:
        raise NotCancellable()
    if locked.expires_at <= now:  # DOMAIN: an expired voucher's points are not returned
        raise NotCancellable()
    revealed = locked.pool_code_id is not None
    if revealed:
        if not policies.is_staff_of(actor=actor, landlord_id=locked.landlord_id):
            raise CodeRevealed()
        if not reason:
            raise ReasonRequired(fields={"reason": [str(_("A reason is required."))]})
    refund = Entry.objects.create(
        account=account,
        kind=Entry.Kind.REVERSE,
        points=locked.points,
        reason=Reason.REDEMPTION_CANCELLED,
        note=reason[:255],
        issuer=actor,
        source_type="loyalty.redemption",
        source_id=str(locked.public_id),
        idempotency_key=f"cancel:{locked.public_id}",
        reverses_id=locked.spend_entry_id,
    )
    # Points owed (a reversal larger than the balance) are repaid first, as by any earning:
    # otherwise a cancel would hand back spendable points the tenant no longer owns.
    repay = min(account.debt, locked.points)
    spendable = locked.points - repay
    consumptions = list(
        Consumption.objects.filter(entry_id=locked.spend_entry_id)
        .select_related("lot")
        .order_by("-lot__expires_at", "-id")
    )
    lots, left = [], spendable
    for used in consumptions:  # back into the same lots, the longest-lived first
        give = min(used.points, left)
        if give <= 0:
            break
        used.lot.remaining += give
        left -= give
        lots.append(used.lot)
    _save_remaining(lots)
    _move(account, balance=spendable, debt=-repay)
    _expire_due(account)  # points given back into an already-expired lot expire again
    if locked.reward.kind != Reward.Kind.POOL_CODE and locked.reward.stock is not None:
        # A pool code was shown to the tenant: it is never handed out again.
        Reward.objects.filter(pk=locked.reward_id).update(stock=F("stock") + 1)
    locked.status = Redemption.Status.CANCELLED
    locked.cancelled_at = now
    locked.cancelled_by = actor
    locked.refund_entry = refund
    locked.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "refund_entry", "updated_at"]
    )
    if revealed:
        logger.warning(
            "loyalty: revealed partner code cancelled by staff redemption=%s reward=%s "
            "staff_user=%s reason=%r",
            locked.public_id,
            locked.reward.public_id,
            actor.pk,
            reason,
        )
    return locked


@transaction.atomic
def redemption_validate(*, actor: User, landlord_id: int, code: str) -> Redemption:
    """Mark a voucher used at the counter, once."""
    # Staff: every voucher of their landlord. A partner's member: only the vouchers of the
    # rewards their partner honours; any other code is "unknown", as if it did not exist.
    scope = policies.redemption_validation_scope(actor=actor, landlord_id=landlord_id)
    if scope is None:
        raise CannotValidate()
    code = (code or "").strip()
    locked = _lock_redemption(landlord_id=landlord_id, code=code, **scope) or _lock_redemption(
        landlord_id=landlord_id, code=code.upper(), **scope
    )
    if locked is None:
        raise UnknownCode()
    if locked.status == Redemption.Status.USED:
        raise AlreadyUsed(extra={"used_at": locked.used_at.isoformat()})
    if locked.status == Redemption.Status.CANCELLED:
        raise VoucherCancelled()
    if locked.status == Redemption.Status.EXPIRED or locked.expires_at <= clock.now():
        raise VoucherExpired()
    locked.status = Redemption.Status.USED
    locked.used_at = clock.now()
    locked.validated_by = actor
    locked.save(update_fields=["status", "used_at", "validated_by", "updated_at"])
    return locked


def vouchers_expire() -> int:
    """Unused codes past their validity expire; their points are not returned. Set-based,
    a batch at a time: a batch the database refuses is retried voucher by voucher."""
    now = clock.now()
    due = Redemption.objects.filter(status=Redemption.Status.ISSUED, expires_at__lte=now)

    def expire(ids: list[int]) -> int:
        return due.filter(pk__in=ids).update(status=Redemption.Status.EXPIRED, updated_at=now)

    ids = list(due.order_by("pk").values_list("pk", flat=True))
    expired, _loop = periodic.each_in_batches(ids, expire, task="loyalty.vouchers_expire")
    return expired
