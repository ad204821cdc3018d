"""Volunteering reads, always scoped to who asks: another landlord's rows are not there."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from math import cos, radians

from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest

from services.accounts import roles
from services.accounts.models import User
from services.core import clock

from .models import ACTIVE_STATUSES, Mission, Signup, Slot
from .policies import can_manage_missions

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
DISTANCE_SCALE = 1e10  # `distance` annotation: squared degrees × this, as an integer

TAKEN = Q(signups__status=Signup.Status.CONFIRMED) | Q(
    signups__status=Signup.Status.OFFERED, signups__offer_shared=False
)


_tenant = roles.tenant_of
_staff = roles.staff_of


def slots_with_places() -> QuerySet[Slot]:
    """Slots annotated with `taken` and `places_left` (one query however many slots)."""
    return (
        Slot.objects.annotate(taken=Count("signups", filter=TAKEN))
        .annotate(places_left=Greatest(F("capacity") - F("taken"), Value(0)))
        .order_by("starts_at", "id")
    )


def _visible_missions(user: User) -> QuerySet[Mission]:
    tenant = _tenant(user)
    if tenant is not None:
        return Mission.objects.filter(
            landlord_id=tenant.landlord_id, status=Mission.Status.PUBLISHED
        ).filter(Q(residence__isnull=True) | Q(residence_id=tenant.tenancy.residence_id))
    staff = _staff(user)
    if staff is not None:
        return Mission.objects.filter(landlord_id=staff.landlord_id)
    return Mission.objects.none()


def mission_list_for_user(
    *,
    user: User,
    category: str | None = None,
    residence: str | None = None,
    on_date: dt.date | None = None,
    near: tuple[Decimal, Decimal] | None = None,
    status: str | None = None,
    updated_since: dt.datetime | None = None,
) -> QuerySet[Mission]:
    """T: published missions open to the tenant; S: every mission of the landlord.

    Annotated with `next_start` (upcoming first) and, when `near` is given, `distance`
    (an equirectangular approximation, good enough to rank a town's missions).
    """
    now = clock.now()
    qs = _visible_missions(user)
    if category:
        qs = qs.filter(category=category)
    if residence:
        qs = qs.filter(residence__public_id=residence)
    if status:
        qs = qs.filter(status=status)
    if updated_since:
        # A sign-up elsewhere changes a slot's places_left: the slot's stamp counts too.
        changed_slots = Slot.objects.filter(updated_at__gte=updated_since).values("mission_id")
        qs = qs.filter(Q(updated_at__gte=updated_since) | Q(pk__in=changed_slots))
    if on_date:
        qs = qs.filter(slots__starts_at__date=on_date, slots__status=Slot.Status.OPEN).distinct()
    next_start = (
        Slot.objects.filter(mission=OuterRef("pk"), starts_at__gte=now, status=Slot.Status.OPEN)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    qs = qs.annotate(
        next_start=Coalesce(
            Subquery(next_start, output_field=DateTimeField()),
            Value(FAR_FUTURE, output_field=DateTimeField()),
        )
    )
    if near is not None:
        lat, lng = float(near[0]), float(near[1])
        k = cos(radians(lat))
        dlat = ExpressionWrapper(F("latitude") - Value(lat), output_field=FloatField())
        dlng = ExpressionWrapper(
            (F("longitude") - Value(lng)) * Value(k), output_field=FloatField()
        )
        # An integer key (squared degrees × 1e10, ~1 m resolution): a float would not survive
        # the cursor's string round trip exactly, and a page could repeat forever.
        squared = ExpressionWrapper(
            (dlat * dlat + dlng * dlng) * Value(DISTANCE_SCALE), output_field=FloatField()
        )
        qs = qs.annotate(distance=Cast(squared, BigIntegerField()))
    return qs.select_related("residence", "proposed_by__user").prefetch_related(
        Prefetch("slots", queryset=_slots_for(user), to_attr="slot_list")
    )


def _slots_for(user: User) -> QuerySet[Slot]:
    """Slots with their places; for a tenant, with their own live sign-up (`my_signups`)."""
    slots = slots_with_places()
    tenant = _tenant(user)
    if tenant is None:
        return slots
    mine = (
        Signup.objects.filter(tenant=tenant, status__in=ACTIVE_STATUSES)
        .annotate(waitlist_position=_waitlist_position())
        .order_by("id")
    )
    return slots.prefetch_related(Prefetch("signups", queryset=mine, to_attr="my_signups"))


def initiative_list_for_user(*, user: User) -> QuerySet[Mission]:
    """A tenant's own proposals (every status); staff see their landlord's initiatives."""
    tenant = _tenant(user)
    if tenant is not None:
        qs = Mission.objects.filter(proposed_by=tenant)
    elif (staff := _staff(user)) is not None:
        qs = Mission.objects.filter(landlord_id=staff.landlord_id, proposed_by__isnull=False)
    else:
        qs = Mission.objects.none()
    return (
        qs.select_related("residence", "proposed_by__user")
        .prefetch_related(Prefetch("slots", queryset=_slots_for(user), to_attr="slot_list"))
        .order_by("-created_at", "-id")
    )


def slot_list_for_user(*, user: User) -> QuerySet[Slot]:
    """Slots of the missions the user may see (a tenant: published ones open to them)."""
    return (
        slots_with_places()
        .filter(mission__in=_visible_missions(user))
        .select_related("mission__landlord", "mission__residence")
    )


def _waitlist_position() -> Subquery:
    ahead = (
        Signup.objects.filter(
            slot=OuterRef("slot"),
            status=Signup.Status.WAITLISTED,
            waitlist_ticket__lte=OuterRef("waitlist_ticket"),
        )
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(ahead, output_field=IntegerField())


def signup_scope_for_user(*, user: User) -> QuerySet[Signup]:
    """T: my sign-ups; S: sign-ups to the landlord's missions. The rows only: nothing joined
    or annotated (a version stamp counts them)."""
    tenant = _tenant(user)
    if tenant is not None:
        return Signup.objects.filter(tenant=tenant)
    if (staff := _staff(user)) is not None:
        return Signup.objects.filter(slot__mission__landlord_id=staff.landlord_id)
    return Signup.objects.none()


def signup_list_for_user(*, user: User) -> QuerySet[Signup]:
    """`signup_scope_for_user`, with `waitlist_position` annotated and the slot loaded."""
    return (
        signup_scope_for_user(user=user)
        .annotate(
            waitlist_position=_waitlist_position(),
        )
        .select_related("slot__mission", "tenant__user")
        .order_by("-created_at", "-id")
    )


def waitlist_position(*, signup: Signup) -> int | None:
    if signup.status != Signup.Status.WAITLISTED:
        return None
    return Signup.objects.filter(
        slot_id=signup.slot_id,
        status=Signup.Status.WAITLISTED,
        waitlist_ticket__lte=signup.waitlist_ticket,
    ).count()


def _attended(tenant_ids: Iterable[int]) -> QuerySet[Signup]:
    return Signup.objects.filter(tenant_id__in=tenant_ids, status=Signup.Status.ATTENDED)


def volunteer_hours_by_tenant(tenant_ids: Iterable[int]) -> dict[int, float]:
    """Validated hours by Tenant pk (the jobs candidate card asks through core.extensions)."""
    ids = list(tenant_ids)
    hours: dict[int, float] = defaultdict(float)
    rows = _attended(ids).values_list("tenant_id", "slot__starts_at", "slot__ends_at")
    for tenant_id, starts_at, ends_at in rows:
        hours[tenant_id] += (ends_at - starts_at).total_seconds() / 3600
    return {tenant_id: round(value, 2) for tenant_id, value in hours.items()}


def volunteer_record(*, tenant) -> dict:
    """Validated hours and missions, in total and by category, and the attended sessions."""
    rows = (
        _attended([tenant.pk]).select_related("slot__mission").order_by("-slot__starts_at", "-id")
    )
    by_category: dict[str, dict] = {}
    missions: set[int] = set()
    total = 0.0
    sessions = []
    for signup in rows:
        slot = signup.slot
        mission = slot.mission
        hours = slot.hours
        total += hours
        missions.add(mission.pk)
        entry = by_category.setdefault(
            mission.category,
            {"category": mission.category, "hours": 0.0, "missions": set(), "sessions": 0},
        )
        entry["hours"] += hours
        entry["missions"].add(mission.pk)
        entry["sessions"] += 1
        sessions.append(
            {
                "signup": signup.public_id,
                "mission": mission.public_id,
                "title": mission.title,
                "category": mission.category,
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
                "hours": round(hours, 2),
                "points": mission.points,
            }
        )
    categories = sorted(by_category.values(), key=lambda e: (-e["hours"], e["category"]))
    return {
        "hours": round(total, 2),
        "missions": len(missions),
        "sessions": len(sessions),
        "by_category": [
            {
                "category": e["category"],
                "hours": round(e["hours"], 2),
                "missions": len(e["missions"]),
                "sessions": e["sessions"],
            }
            for e in categories
        ],
        "attended": sessions,
    }


def slot_taken_places(*, slot: Slot) -> int:
    return slot.signups.filter(
        Q(status=Signup.Status.CONFIRMED) | Q(status=Signup.Status.OFFERED, offer_shared=False)
    ).count()


def staff_waiting_counts(*, user: User) -> dict[str, int] | None:
    """The console home's volunteering to-do: sign-ups waitlisted for slots still to come,
    and tenants' initiatives waiting for approval. None for staff who do not run missions."""
    if not can_manage_missions(actor=user):
        return None
    landlord_id = user.staff.landlord_id
    return {
        "waitlisted": Signup.objects.filter(
            slot__mission__landlord_id=landlord_id,
            status=Signup.Status.WAITLISTED,
            slot__starts_at__gt=clock.now(),
        ).count(),
        "initiatives_to_review": Mission.objects.filter(
            landlord_id=landlord_id,
            proposed_by__isnull=False,
            status=Mission.Status.PROPOSED,
        ).count(),
    }
