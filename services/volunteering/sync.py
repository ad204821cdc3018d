"""The volunteering lists a phone keeps (missions, sign-ups) as sync sources
(`services.core.sync`): visibility is the selectors'; here, what a change and a removal are."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.db.models.signals import pre_save

from services.accounts.models import Residence, User
from services.accounts.sync import viewer_scopes
from services.core import sync
from services.core.sync import scope

from . import selectors
from .models import Mission, Signup, Slot

MISSIONS = "volunteering.missions"
SIGNUPS = "volunteering.signups"

# A published mission a tenant saw leaves its list in one of these (unpublished, done, called off).
_LEFT = [Mission.Status.DRAFT, Mission.Status.COMPLETED, Mission.Status.CANCELLED]


def _mission_changed(since) -> Q:
    # A sign-up elsewhere changes a slot's places_left: the slot's stamp counts too.
    changed_slots = Slot.objects.filter(updated_at__gte=since).values("mission_id")
    return Q(updated_at__gte=since) | Q(pk__in=changed_slots)


def mission_sync_for_user(*, user: User, live: QuerySet[Mission] | None = None) -> sync.Source:
    """A tenant keeps the published missions open to it: one leaves when it is unpublished,
    completed or cancelled (its residence's or the landlord-wide ones only). Staff keep every
    mission of their landlord: only a deletion removes one."""
    live = selectors.mission_list_for_user(user=user) if live is None else live
    tenant = selectors._tenant(user)
    if tenant is None:
        return sync.Source(MISSIONS, live, viewer_scopes(user=user), changed=_mission_changed)

    def gone(since) -> QuerySet[Mission]:
        return (
            Mission.objects.filter(
                landlord_id=tenant.landlord_id, status__in=_LEFT, updated_at__gte=since
            )
            .filter(Q(residence__isnull=True) | Q(residence_id=tenant.tenancy.residence_id))
            .annotate(removed_at=F("updated_at"))
        )

    return sync.Source(
        MISSIONS, live, viewer_scopes(user=user), changed=_mission_changed, gone=gone
    )


def signup_sync_for_user(*, user: User, live: QuerySet[Signup] | None = None) -> sync.Source:
    """Sign-ups stay in their owner's and the staff's lists in every status (a cancelled one
    is a change); only a deletion removes one."""
    live = selectors.signup_list_for_user(user=user) if live is None else live
    return sync.Source(SIGNUPS, live, viewer_scopes(user=user))


def _mission_audiences(mission: Mission) -> list[str]:
    shown = (
        scope("residence", mission.residence_id)
        if mission.residence_id
        else scope("landlord", mission.landlord_id)
    )
    return [scope("staff", mission.landlord_id), shown]


def _signup_audiences(signup: Signup) -> list[str]:
    landlord_id = Mission.objects.filter(slots=signup.slot_id).values_list("landlord_id", flat=True)
    return [scope("tenant", signup.tenant_id)] + [scope("staff", pk) for pk in landlord_id]


def _mission_moved(sender, instance, raw=False, **kwargs) -> None:
    """A published mission moved to another residence (or from every residence to one)
    leaves the tenants who saw it there: logged, since its row only says where it is now."""
    if raw or instance.pk is None:
        return
    before = Mission.objects.filter(pk=instance.pk).values("residence_id", "status").first()
    if before is None or before["residence_id"] == instance.residence_id:
        return
    if before["status"] != Mission.Status.PUBLISHED:
        return
    old = before["residence_id"]
    if old is None:  # shown to the whole landlord before: its other residences lose it
        scopes = [
            scope("residence", pk)
            for pk in Residence.objects.filter(landlord_id=instance.landlord_id)
            .exclude(pk=instance.residence_id)
            .values_list("pk", flat=True)
        ]
    else:
        scopes = [scope("residence", old)]
    sync.record_removed(
        list_name=MISSIONS,
        public_id=instance.public_id,
        created_at=instance.created_at,
        scopes=scopes,
    )


def register() -> None:
    """Called once from the app's ready()."""
    pre_save.connect(_mission_moved, sender=Mission, weak=False, dispatch_uid="sync-mission-moved")
    sync.track_deletes(Mission, MISSIONS, _mission_audiences)
    sync.track_deletes(Signup, SIGNUPS, _signup_audiences)
