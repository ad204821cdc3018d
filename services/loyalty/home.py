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
    # The ledger is append-only and every balance change writes an entry; the account row
    # carries the debt (`pending`).
    entries = Entry.objects.filter(account__tenant__user=user)
    account = Account.objects.filter(tenant__user=user)
    # Lots leave the balance when they expire, and join "expiring" within the horizon, with
    # no row written at that instant.
    now = clock.now()
    lots = Lot.objects.filter(account__tenant__user=user, remaining__gt=0, expires_at__gt=now)
    horizon = now + datetime.timedelta(days=EXPIRING_HORIZON_DAYS)
    return {
        "entries": stamps.version(entries, "created_at"),
        "account": stamps.version(account),
        "lots_alive": stamps.version(lots, "expires_at"),
        "lots_expiring": stamps.version(lots.filter(expires_at__lte=horizon), "expires_at"),
    }
