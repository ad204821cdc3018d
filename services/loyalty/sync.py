"""The loyalty lists a phone keeps (entries, redemptions, rewards) as sync sources
(`services.core.sync`): visibility is the selectors'; here, what a change and a removal are."""

from __future__ import annotations

from django.db.models import Case, F, Q, QuerySet, When

from services.accounts.models import User
from services.accounts.sync import viewer_scopes
from services.core import clock, sync
from services.core.sync import scope

from . import selectors
from .models import Entry, Redemption, Reward

ENTRIES = "loyalty.entries"
REDEMPTIONS = "loyalty.redemptions"
REWARDS = "loyalty.rewards"


def entry_sync_for_user(*, user: User, live: QuerySet[Entry] | None = None) -> sync.Source:
    """The ledger is append-only: entries never leave (a deletion would be logged)."""
    live = selectors.entry_list_for_user(user=user) if live is None else live
    return sync.Source(ENTRIES, live, viewer_scopes(user=user))


def redemption_sync_for_user(
    *, user: User, live: QuerySet[Redemption] | None = None
) -> sync.Source:
    """Vouchers stay listed in every status (cancelled, used, expired are changes)."""
    live = selectors.redemption_list_for_user(user=user) if live is None else live
    return sync.Source(REDEMPTIONS, live, viewer_scopes(user=user))


def _reward_changed(since) -> Q:
    # The stock moves by one-statement updates that leave `updated_at` alone (the redemption
    # hot path): rewards with a stock are always sent, a catalogue holds tens of them. A
    # reward whose window opened since then comes in without a write.
    now = clock.now()
    return (
        Q(updated_at__gte=since)
        | Q(stock__isnull=False)
        | Q(available_from__gte=since, available_from__lte=now)
    )


def reward_sync_for_user(*, user: User, live: QuerySet[Reward] | None = None) -> sync.Source:
    """Tenants keep their landlord's active catalogue: a reward leaves when it is switched off
    or its window closes (at `available_until`, without any write). Staff keep all of it."""
    live = selectors.reward_list_for_user(user=user) if live is None else live
    tenant = selectors._tenant_of(user)
    if tenant is None:
        return sync.Source(REWARDS, live, viewer_scopes(user=user), changed=_reward_changed)

    def gone(since) -> QuerySet[Reward]:
        now = clock.now()
        closed = Q(available_until__gte=since, available_until__lte=now)
        return (
            Reward.objects.filter(landlord_id=tenant.landlord_id)
            .filter(Q(updated_at__gte=since) | closed)
            .annotate(
                removed_at=Case(
                    When(
                        closed & Q(available_until__gt=F("updated_at")), then=F("available_until")
                    ),
                    default=F("updated_at"),
                )
            )
        )

    return sync.Source(REWARDS, live, viewer_scopes(user=user), changed=_reward_changed, gone=gone)


def _owned(tenant_id: int, landlord_id: int) -> list[str]:
    return [scope("tenant", tenant_id), scope("staff", landlord_id)]


def register() -> None:
    """Called once from the app's ready()."""
    sync.track_deletes(Entry, ENTRIES, lambda e: _owned(e.account.tenant_id, e.account.landlord_id))
    sync.track_deletes(Redemption, REDEMPTIONS, lambda r: _owned(r.tenant_id, r.landlord_id))
    sync.track_deletes(Reward, REWARDS, lambda r: [scope("landlord", r.landlord_id)])
