"""What the tenant app's first screen shows of loyalty (a fixed number of queries)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from services.core import clock, stamps

from .models import Account, Entry, Lot
from .selectors import EXPIRING_HORIZON_DAYS, AccountSummary, account_summary

if TYPE_CHECKING:
    from services.accounts.models import User


def home_account(*, user: User) -> AccountSummary:
    """Balance, pending and what expires (the first group is the next expiring lot)."""
    return account_summary(tenant=user.tenant)


def home_stamps(*, user: User) -> dict:
    """The versions of what `home_account` reads, for the home screen's ETag, in hand-written
    SQL (`stamps.sql_version`): the ledger is append-only and every balance change writes an
    entry; the account row carries the debt (`pending`); lots leave the balance when they
    expire, and join "expiring" within the horizon, with no row written at that instant."""
    tenant_id = user.tenant.pk
    now = clock.now()
    horizon = now + datetime.timedelta(days=EXPIRING_HORIZON_DAYS)
    account, entry, lot = (m._meta.db_table for m in (Account, Entry, Lot))
    lots = (
        f"{lot} INNER JOIN {account} ON {lot}.account_id = {account}.id"
        f" WHERE {account}.tenant_id = %s AND {lot}.remaining > 0 AND {lot}.expires_at > %s"
    )
    alive = [tenant_id, stamps.sql_datetime(now)]
    return {
        "entries": (
            stamps.sql_version(
                f"{entry} INNER JOIN {account} ON {entry}.account_id = {account}.id"
                f" WHERE {account}.tenant_id = %s",
                f"{entry}.created_at",
            ),
            [tenant_id],
        ),
        "account": (
            stamps.sql_version(
                f"{account} WHERE {account}.tenant_id = %s", f"{account}.updated_at"
            ),
            [tenant_id],
        ),
        "lots_alive": (stamps.sql_version(lots, f"{lot}.expires_at"), alive),
        "lots_expiring": (
            stamps.sql_version(f"{lots} AND {lot}.expires_at <= %s", f"{lot}.expires_at"),
            [*alive, stamps.sql_datetime(horizon)],
        ),
    }
