"""Named extension points between areas that must not import each other.

Jobs shows a tenant's validated volunteer hours on candidate cards, but jobs and
volunteering never import each other: volunteering registers a provider here from its
AppConfig.ready(), and jobs asks through `volunteer_hours_for`.

Accounts, which every area builds on, never imports an area: when a tenant activates their
account it calls `tenant_activated`, and the areas that react (loyalty's welcome bonus)
register a receiver here from their AppConfig.ready().
"""

from collections.abc import Callable, Iterable
from typing import Any

VolunteerHoursProvider = Callable[[Iterable[int]], dict[int, float]]
TenantActivatedReceiver = Callable[..., Any]  # receiver(*, tenant)

_volunteer_hours_provider: VolunteerHoursProvider | None = None
_tenant_activated_receivers: list[TenantActivatedReceiver] = []


def register_volunteer_hours_provider(provider: VolunteerHoursProvider) -> None:
    global _volunteer_hours_provider
    _volunteer_hours_provider = provider


def volunteer_hours_for(tenant_ids: Iterable[int]) -> dict[int, float]:
    """Validated volunteer hours by Tenant pk; empty when volunteering is not installed."""
    if _volunteer_hours_provider is None:
        return {}
    return _volunteer_hours_provider(list(tenant_ids))


def register_tenant_activated_receiver(receiver: TenantActivatedReceiver) -> None:
    """`receiver(*, tenant)` runs inside the activation's transaction: if it raises, the
    activation rolls back with it. Registering the same receiver twice keeps one."""
    if receiver not in _tenant_activated_receivers:
        _tenant_activated_receivers.append(receiver)


def tenant_activated(*, tenant: Any) -> None:
    """A tenant has just activated their account (called by accounts, in its transaction)."""
    for receiver in _tenant_activated_receivers:
        receiver(tenant=tenant)


TenantMovedOutReceiver = Callable[..., Any]  # receiver(*, tenant, keep_job_support, closed)
_tenant_moved_out_receivers: list[TenantMovedOutReceiver] = []


def register_tenant_moved_out_receiver(receiver: TenantMovedOutReceiver) -> None:
    """`receiver(*, tenant, keep_job_support, closed)` runs in accounts' transaction when a
    household member's membership ends (`closed=False`) and when their account is closed
    after the read-only days (`closed=True`, `keep_job_support=False`)."""
    if receiver not in _tenant_moved_out_receivers:
        _tenant_moved_out_receivers.append(receiver)


def tenant_moved_out(*, tenant: Any, keep_job_support: bool, closed: bool = False) -> None:
    """A member moved out, or their account was closed (called by accounts)."""
    for receiver in _tenant_moved_out_receivers:
        receiver(tenant=tenant, keep_job_support=keep_job_support, closed=closed)
