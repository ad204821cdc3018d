"""Who an announcement reaches, asked of the area that knows tenancies.

`notifications` sits below the areas and never imports them (not even accounts): the area
that knows a landlord's residences and current tenants (accounts) registers an audience
here from its AppConfig.ready(), as areas register their notification kinds in registry.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class AnnouncementAudience(Protocol):
    def residence_ids(self, *, landlord_id: int, public_ids: Collection[uuid.UUID]) -> list[int]:
        """Primary keys of the landlord's residences among `public_ids` (others left out)."""

    def user_ids_after(
        self,
        *,
        landlord_id: int,
        residence_ids: Sequence[int],
        after_user_id: int,
        limit: int,
        marketing: bool = False,
    ) -> list[int]:
        """The next `limit` user ids, in order, after `after_user_id`, of the landlord's
        current tenants (of those residences when some are given); with `marketing`, only
        those whose latest push-marketing consent is a grant."""


_audience: AnnouncementAudience | None = None


def register(audience: AnnouncementAudience) -> None:
    global _audience
    _audience = audience


def get() -> AnnouncementAudience:
    if _audience is None:
        raise ImproperlyConfigured("no announcement audience registered (services.accounts)")
    return _audience
