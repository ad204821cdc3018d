"""What runs on a schedule: missions completed, reminders and follow-ups sent."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef

from notifications.services import notify
from services.core import clock, periodic

from .. import notifications as kinds
from ..models import (
    Mission,
    Signup,
    Slot,
)
from .places import FOLLOWUP_WITHIN, REMINDER_AHEAD, S, _lock_mission, _params

# --- completion -------------------------------------------------------------------------


def missions_complete(*, now: datetime | None = None) -> int:
    """Published missions whose last open slot has ended become `completed` (periodic task;
    safe to rerun). A mission whose slots were all cancelled is left to staff."""
    now = now or clock.now()
    open_slots = Slot.objects.filter(mission=OuterRef("pk"), status=Slot.Status.OPEN)
    over = (
        Mission.objects.filter(status=Mission.Status.PUBLISHED)
        .filter(Exists(open_slots))
        .exclude(Exists(open_slots.filter(ends_at__gte=now)))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    completed = 0
    loop = periodic.Loop("volunteering.missions_complete")
    for mission_id in list(over):
        with loop.item(mission_id):
            mission = _lock_mission(mission_id)
            ongoing = mission.slots.filter(status=Slot.Status.OPEN, ends_at__gte=now).exists()
            if mission.status != Mission.Status.PUBLISHED or ongoing:
                continue
            mission.status = Mission.Status.COMPLETED
            mission.save(update_fields=["status", "updated_at"])
            completed += 1
    return completed


# --- reminders --------------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """A push 24 h before each confirmed slot; each sign-up is claimed once (safe to rerun)."""
    now = now or clock.now()
    due = Signup.objects.filter(
        status=S.CONFIRMED,
        reminder_sent_at__isnull=True,
        slot__status=Slot.Status.OPEN,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + REMINDER_AHEAD,
    ).select_related("slot__mission", "tenant__user")
    sent = 0
    loop = periodic.Loop("volunteering.reminders")
    for signup in due.order_by("id"):
        with loop.item(signup.pk):
            claimed = Signup.objects.filter(pk=signup.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed:
                notify(
                    recipients=[signup.tenant.user],
                    kind=kinds.REMINDER,
                    params=_params(signup.slot, place=signup.slot.mission.place),
                    link_id=signup.public_id,
                )
                sent += 1
    return sent


def followups_send(*, now: datetime | None = None) -> int:
    """After the slot, ask each tenant who took part how it went (once, within 48 h)."""
    now = now or clock.now()
    due = Signup.objects.filter(
        status__in=(S.CONFIRMED, S.ATTENDED),
        followup_sent_at__isnull=True,
        slot__status=Slot.Status.OPEN,
        slot__ends_at__lte=now,
        slot__ends_at__gt=now - FOLLOWUP_WITHIN,
    ).select_related("slot__mission", "tenant__user")
    sent = 0
    loop = periodic.Loop("volunteering.followups")
    for signup in due.order_by("id"):
        with loop.item(signup.pk):
            claimed = Signup.objects.filter(pk=signup.pk, followup_sent_at__isnull=True).update(
                followup_sent_at=now
            )
            if claimed:
                notify(
                    recipients=[signup.tenant.user],
                    kind=kinds.FOLLOWUP,
                    params=_params(signup.slot),
                    link_id=signup.public_id,
                )
                sent += 1
    return sent
