"""The announcement audience notifications asks for (registered from AccountsConfig.ready()):
who a landlord's current tenants are is accounts' knowledge, not notifications'."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from django.db.models import Q

from services.core import clock

from .consents import latest_granted
from .models import Consent, Residence, Tenant


class TenantAudience:
    def residence_ids(self, *, landlord_id: int, public_ids: Collection[uuid.UUID]) -> list[int]:
        return list(
            Residence.objects.filter(landlord_id=landlord_id, public_id__in=public_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def user_ids_after(
        self,
        *,
        landlord_id: int,
        residence_ids: Sequence[int],
        after_user_id: int,
        limit: int,
        marketing: bool = False,
    ) -> list[int]:
        """By the (landlord, user) index; a tenancy that has ended is no longer an audience.
        A marketing announcement skips tenants whose latest push-marketing answer is not a
        grant (no answer: not granted)."""
        tenants = Tenant.objects.filter(
            Q(tenancy__end_date__isnull=True) | Q(tenancy__end_date__gte=clock.today()),
            landlord_id=landlord_id,
            user_id__gt=after_user_id,
        )
        if residence_ids:
            tenants = tenants.filter(tenancy__residence_id__in=residence_ids)
        if marketing:
            tenants = tenants.annotate(
                marketing_granted=latest_granted(Consent.Purpose.PUSH_MARKETING)
            ).filter(marketing_granted=True)
        return list(tenants.order_by("user_id").values_list("user_id", flat=True)[:limit])
