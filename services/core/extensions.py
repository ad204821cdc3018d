"""Named extension points between areas that must not import each other.

Jobs shows a tenant's validated volunteer hours on candidate cards, but jobs and
volunteering never import each other: volunteering registers a provider here from its
AppConfig.ready(), and jobs asks through `volunteer_hours_for`.
"""

from collections.abc import Callable, Iterable

VolunteerHoursProvider = Callable[[Iterable[int]], dict[int, float]]

_volunteer_hours_provider: VolunteerHoursProvider | None = None


def register_volunteer_hours_provider(provider: VolunteerHoursProvider) -> None:
    global _volunteer_hours_provider
    _volunteer_hours_provider = provider


def volunteer_hours_for(tenant_ids: Iterable[int]) -> dict[int, float]:
    """Validated volunteer hours by Tenant pk; empty when volunteering is not installed."""
    if _volunteer_hours_provider is None:
        return {}
    return _volunteer_hours_provider(list(tenant_ids))
