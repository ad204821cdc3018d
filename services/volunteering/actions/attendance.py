"""Attendance: marked by staff after the slot, or by the tenant's check-in code during it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Tenant, User
from services.core import clock, ratelimit
from services.core.errors import NotAllowed, conflict, invalid
from services.loyalty import actions as loyalty

from .. import checkin
from ..models import (
    Mission,
    Signup,
    Slot,
)
from ..policies import (
    can_mark_attendance,
)
from .places import CHECKIN_ATTEMPTS, CHECKIN_WINDOW, S, _lock_slot, _move
from .signups import SlotCancelled

# --- attendance -------------------------------------------------------------------------

AttendanceTooEarly = conflict(
    "attendance_too_early", _("Attendance can be marked once the slot has started.")
)
NotAttendable = conflict(
    "not_attendable", _("Only confirmed sign-ups can be marked attended or no-show.")
)
UnknownSignup = invalid("unknown_signup", _("This sign-up is not on this slot."))
DuplicateSignup = invalid("duplicate_signup", _("Each sign-up may be marked only once."))


def _attendance_key(signup: Signup) -> str:
    return f"volunteering:attendance:{signup.public_id}"


def _set_attendance(
    signup: Signup, *, attended: bool, actor: User, now: datetime, mission: Mission
) -> bool:
    """Award the points once on attendance; reverse them on a correction to no-show."""
    target = S.ATTENDED if attended else S.NO_SHOW
    if signup.status == target:
        return False
    previous = signup.status
    _move(signup, target, actor=actor, now=now, reason="attendance")
    signup.attendance_marked_at = now
    signup.attendance_marked_by = actor
    signup.save(
        update_fields=["status", "attendance_marked_at", "attendance_marked_by", "updated_at"]
    )
    if attended and mission.points:
        loyalty.points_award(
            tenant=signup.tenant,
            rule="volunteer_attendance",
            source=signup,
            idempotency_key=_attendance_key(signup),
            points=mission.points,
            issuer=actor,
        )
    elif not attended and previous == S.ATTENDED:
        loyalty.points_reverse(
            tenant=signup.tenant,
            idempotency_key=_attendance_key(signup),
            reason="attendance_corrected",
            issuer=actor,
        )
    return True


@transaction.atomic
def attendance_mark(*, actor: User, slot: Slot, marks: list[tuple[Any, bool]]) -> list[Signup]:
    """Staff mark attended / no-show in bulk, from the slot's start on; all or nothing."""
    slot = _lock_slot(slot.pk)
    mission = slot.mission
    if not can_mark_attendance(actor=actor, mission=mission):
        raise NotAllowed()
    if slot.status != Slot.Status.OPEN:
        raise SlotCancelled()
    now = clock.now()
    if now < slot.starts_at:
        raise AttendanceTooEarly()
    wanted = {str(public_id): attended for public_id, attended in marks}
    if len(wanted) != len(marks):
        counts = Counter(str(public_id) for public_id, _attended in marks)
        twice = sorted(public_id for public_id, n in counts.items() if n > 1)
        raise DuplicateSignup(fields={"signup": twice})
    signups = {
        str(s.public_id): s
        for s in Signup.objects.filter(slot=slot, public_id__in=list(wanted)).select_related(
            "tenant"
        )
    }
    unknown = sorted(set(wanted) - set(signups))
    if unknown:
        raise UnknownSignup(fields={"signup": unknown})
    result = []
    for public_id, attended in wanted.items():
        signup = signups[public_id]
        if signup.status not in (S.CONFIRMED, S.ATTENDED, S.NO_SHOW):
            raise NotAttendable(extra={"signup": public_id})
        _set_attendance(signup, attended=attended, actor=actor, now=now, mission=mission)
        result.append(signup)
    return result


CheckinClosed = conflict("checkin_closed", _("Check-in is only open during the slot."))
InvalidCheckinCode = invalid("invalid_checkin_code", _("This check-in code is not valid."))
TooManyCheckins = conflict(
    "too_many_attempts", _("Too many wrong codes. Please wait a few minutes.")
)
NotConfirmed = conflict("not_confirmed", _("You have no confirmed place on this slot."))


def signup_check_in(*, tenant: Tenant, slot: Slot, code: str) -> Signup:
    """A tenant on the slot types the organiser's rotating code during the slot: attended."""
    limit = ratelimit.Limit(f"volunteering:checkin:{tenant.pk}", CHECKIN_ATTEMPTS, CHECKIN_WINDOW)
    try:
        # Counted before the code is checked; given back unless the code was wrong.
        with ratelimit.attempt(limit, failures=(InvalidCheckinCode,)):
            return _check_in(tenant=tenant, slot=slot, code=code)
    except ratelimit.LimitReached as reached:
        raise TooManyCheckins(extra={"retry_after": reached.retry_after}) from None


@transaction.atomic
def _check_in(*, tenant: Tenant, slot: Slot, code: str) -> Signup:
    slot = _lock_slot(slot.pk)
    now = clock.now()
    if slot.status != Slot.Status.OPEN or not checkin.window_contains(
        slot.starts_at, slot.ends_at, now
    ):
        raise CheckinClosed()
    if not checkin.code_matches(slot.checkin_secret, code, now):
        raise InvalidCheckinCode(fields={"code": [str(InvalidCheckinCode.default_message)]})
    # A no-show marked early in the slot is corrected by a late arrival's check-in.
    signup = (
        Signup.objects.filter(
            slot=slot, tenant=tenant, status__in=(S.CONFIRMED, S.NO_SHOW, S.ATTENDED)
        )
        .select_related("tenant")
        .first()
    )
    if signup is None:
        raise NotConfirmed()
    if signup.status == S.ATTENDED:
        return signup
    _set_attendance(signup, attended=True, actor=tenant.user, now=now, mission=slot.mission)
    signup.checked_in_at = now
    signup.save(update_fields=["checked_in_at", "updated_at"])
    return signup


SlotOver = conflict("slot_over", _("This slot is over."))


def checkin_code_for(*, actor: User, slot: Slot) -> dict:
    """The code the organiser shows now, and when it rotates."""
    if not can_mark_attendance(actor=actor, mission=slot.mission):
        raise NotAllowed()
    if slot.status != Slot.Status.OPEN:
        raise SlotCancelled()
    now = clock.now()
    if now > slot.ends_at:
        raise SlotOver()
    return {
        "code": checkin.code_at(slot.checkin_secret, now),
        "rotates_at": checkin.step_ends_at(now),
        "valid_from": slot.starts_at,
        "valid_until": slot.ends_at,
    }
