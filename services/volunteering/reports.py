"""Volunteering reads for the staff console: filtered lists, a slot's sheet, hours per month.

Every function starts from a selector scoped to the viewer (`selectors.*_for_user`), so
another landlord's rows are never there, whatever the filters say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from services.accounts.models import User
from services.core import clock

from . import selectors
from .models import Mission, Signup, Slot


def mission_search_for_user(
    *, user: User, q: str = "", status: str = "", category: str = ""
) -> QuerySet[Mission]:
    """The landlord's missions, newest first, with their slots prefetched (`slot_list`)."""
    qs = selectors.mission_list_for_user(user=user, status=status or None, category=category)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(place__icontains=q))
    return qs.order_by("-created_at", "-id")


def slot_for_user(*, user: User, public_id) -> Slot | None:
    """One slot of a mission the viewer may see, with `taken` and `places_left`."""
    return selectors.slot_list_for_user(user=user).filter(public_id=public_id).first()


def signup_search_for_user(*, user: User, status: str = "", slot: Slot | None = None):
    """Sign-ups to the landlord's missions; the waitlist comes in ticket order."""
    qs = selectors.signup_list_for_user(user=user).select_related(
        "slot__mission", "tenant__user", "tenant__tenancy__residence"
    )
    if slot is not None:
        qs = qs.filter(slot=slot)
    if status:
        qs = qs.filter(status=status)
    if status == Signup.Status.WAITLISTED:
        return qs.order_by("slot__starts_at", "waitlist_ticket", "id")
    return qs.order_by("-created_at", "-id")


def slot_sheet(*, user: User, slot: Slot) -> dict[str, list[Signup]]:
    """A slot's people in two lists: holding a place (confirmed, offered, marked) and the
    waitlist in its order. The tenant's loyalty account rides along (points shown at the door).
    """
    rows = list(
        selectors.signup_list_for_user(user=user)
        .filter(slot=slot)
        .exclude(status=Signup.Status.CANCELLED)
        .select_related("tenant__user", "tenant__tenancy__residence", "tenant__loyalty_account")
        .order_by("tenant__user__last_name", "tenant__user__first_name", "id")
    )
    waiting = sorted(
        (s for s in rows if s.status == Signup.Status.WAITLISTED),
        key=lambda s: (s.waitlist_ticket or 0, s.pk),
    )
    holding = [s for s in rows if s.status != Signup.Status.WAITLISTED]
    return {"holding": holding, "waitlist": waiting}


def signups_cancelled_with(*, mission: Mission) -> int:
    """How many tenants a cancellation of the mission would tell (sign-ups still pending
    on slots that have not started)."""
    return Signup.objects.filter(
        slot__mission=mission,
        slot__status=Slot.Status.OPEN,
        slot__starts_at__gt=clock.now(),
        status__in=(Signup.Status.CONFIRMED, Signup.Status.WAITLISTED, Signup.Status.OFFERED),
    ).count()


@dataclass(frozen=True)
class MonthlyHours:
    months: list[dt.date]  # first day of each month, oldest first
    hours: list[float]
    sessions: list[int]


def _month_starts(months: int, today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    result = [first]
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        result.append(first)
    return list(reversed(result))


def hours_by_month(*, user: User, months: int = 12) -> MonthlyHours:
    """Validated (attended) volunteer hours per month of the slot's start, the last `months`
    months including this one, for the viewer's landlord."""
    tz = timezone.get_current_timezone()
    starts = _month_starts(months, clock.today())
    since = dt.datetime.combine(starts[0], dt.time.min, tzinfo=tz)
    rows = (
        selectors.signup_list_for_user(user=user)
        .filter(status=Signup.Status.ATTENDED, slot__starts_at__gte=since)
        .order_by()
        .values_list("slot__starts_at", "slot__ends_at")
    )
    index = {month: i for i, month in enumerate(starts)}
    hours = [0.0] * months
    sessions = [0] * months
    for starts_at, ends_at in rows:
        month = timezone.localtime(starts_at, tz).date().replace(day=1)
        if month in index:
            hours[index[month]] += (ends_at - starts_at).total_seconds() / 3600
            sessions[index[month]] += 1
    return MonthlyHours(months=starts, hours=[round(h, 1) for h in hours], sessions=sessions)
