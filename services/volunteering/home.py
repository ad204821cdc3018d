"""What the tenant app's first screen shows of volunteering (a fixed number of queries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from services.core import clock, stamps

from .models import Mission, Signup, Slot
from .selectors import signup_scope_for_user

if TYPE_CHECKING:
    from services.accounts.models import User


def home_signups(*, user: User) -> dict:
    """My next confirmed slot, and the places offered to me from a waitlist (soonest
    deadline first): one query."""
    rows = list(
        # Confirmed and offered places have no waitlist position: no need to compute one.
        _ahead(user, clock.now())
        .select_related("slot__mission")
        .order_by("slot__starts_at", "id")[:20]
    )
    for signup in rows:  # all mine: my profile, already loaded, instead of a join per row
        signup.tenant = user.tenant
    confirmed = [s for s in rows if s.status == Signup.Status.CONFIRMED]
    offered = sorted(
        (s for s in rows if s.status == Signup.Status.OFFERED),
        key=lambda s: (s.offer_expires_at, s.pk),
    )
    return {"next_confirmed": confirmed[0] if confirmed else None, "offered": offered[:5]}


def _ahead(user: User, now) -> QuerySet[Signup]:
    """My confirmed slots not started yet and the places offered to me still open."""
    return (
        signup_scope_for_user(user=user)
        .filter(
            status__in=[Signup.Status.CONFIRMED, Signup.Status.OFFERED], slot__starts_at__gt=now
        )
        .exclude(status=Signup.Status.OFFERED, offer_expires_at__lte=now)
    )


def home_stamps(*, user: User) -> dict:
    """The version of `_ahead`'s rows for the home screen's ETag, in hand-written SQL
    (`stamps.sql_version`). Only the sign-ups ahead show: a slot that starts or an offer
    that lapses leaves the screen with no row changed (the count moves), and each shows its
    slot's times and its mission's title (their edits move the newest)."""
    signup, slot, mission = (m._meta.db_table for m in (Signup, Slot, Mission))
    now = stamps.sql_datetime(clock.now())
    confirmed, offered = Signup.Status.CONFIRMED.value, Signup.Status.OFFERED.value
    sql = stamps.sql_version(
        f"{signup} INNER JOIN {slot} ON {signup}.slot_id = {slot}.id"
        f" INNER JOIN {mission} ON {slot}.mission_id = {mission}.id"
        f" WHERE {signup}.tenant_id = %s AND {slot}.starts_at > %s"
        f" AND {signup}.status IN (%s, %s)"
        f" AND NOT ({signup}.status = %s AND {signup}.offer_expires_at IS NOT NULL"
        f" AND {signup}.offer_expires_at <= %s)",
        f"{signup}.updated_at",
        f"{slot}.updated_at",
        f"{mission}.updated_at",
    )
    return {"signups_ahead": (sql, [user.tenant.pk, now, confirmed, offered, offered, now])}
