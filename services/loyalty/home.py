"""What the tenant app's first screen shows of loyalty (a fixed number of queries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.core import stamps

from .models import Account, Entry
from .selectors import AccountSummary, account_summary

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
    return {
        "entries": stamps.version(entries, "created_at"),
        "account": stamps.version(account),
    }
