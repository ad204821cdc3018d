"""The jobs lists a phone keeps (offers, matches) as sync sources (`services.core.sync`):
visibility is the selectors'; here, what a change and a removal are for each list."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.db.models.signals import m2m_changed, pre_delete

from services.accounts.models import EmployerMember, PartnerAccess, User
from services.accounts.sync import employer_landlord_scope, viewer_scopes
from services.core import clock, sync
from services.core.sync import scope

from . import selectors
from .models import JobProfile, Match, Offer
from .policies import tenant_of

OFFERS = "jobs.offers"
MATCHES = "jobs.matches"


def offer_sync_for_user(*, user: User, live: QuerySet[Offer] | None = None) -> sync.Source:
    """A tenant's feed: published offers targeting its landlord. One leaves when it is no
    longer published (closed, filled, paused, back to draft) or no longer targets the
    landlord (logged when the target goes); a change of the tenant's job profile changes
    every offer's score, so the whole feed is sent again."""
    live = selectors.offer_list_for_user(user=user) if live is None else live
    tenant = tenant_of(user)
    if tenant is None:
        return sync.Source(OFFERS, live, viewer_scopes(user=user))

    def changed(since) -> Q:
        if JobProfile.objects.filter(tenant=tenant, updated_at__gte=since).exists():
            return Q(pk__isnull=False)  # every row (an empty Q would vanish in an OR)
        return Q(updated_at__gte=since)

    def gone(since) -> QuerySet[Offer]:
        return (
            Offer.objects.filter(
                target_landlords=tenant.landlord_id,
                published_at__isnull=False,
                updated_at__gte=since,
            )
            .exclude(status=Offer.Status.PUBLISHED)
            .annotate(removed_at=F("updated_at"))
        )

    return sync.Source(OFFERS, live, viewer_scopes(user=user), changed=changed, gone=gone)


def match_sync_for_user(*, user: User, live: QuerySet[Match] | None = None) -> sync.Source:
    """Every side keeps its matches in every state (an obsolete match is a change, not a
    removal); a deleted one is logged for its tenant, its landlord's staff and, once
    proposed, the employer's members that landlord granted."""
    live = selectors.match_list_for_user(user=user) if live is None else live
    return sync.Source(MATCHES, live, viewer_scopes(user=user))


def _offer_audiences(offer: Offer, landlord_ids) -> list[str]:
    scopes = []
    for landlord_id in landlord_ids:
        scopes += [
            scope("landlord", landlord_id),
            employer_landlord_scope(offer.employer_id, landlord_id),
        ]
    return scopes


def _offer_deleted_audiences(offer: Offer) -> list[str]:
    targets = list(
        Offer.target_landlords.through.objects.filter(offer_id=offer.pk).values_list(
            "landlord_id", flat=True
        )
    )
    scopes = [*_offer_audiences(offer, targets), scope("employer", offer.employer_id)]
    if offer.owner_landlord_id:
        scopes.append(scope("staff", offer.owner_landlord_id))
    return scopes


def _match_audiences(match: Match) -> list[str]:
    scopes = [scope("tenant", match.tenant_id), scope("staff", match.landlord_id)]
    if match.proposed_at is not None:
        scopes.append(employer_landlord_scope(match.offer.employer_id, match.landlord_id))
    return scopes


def _targets_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """An offer that stops targeting a landlord leaves its tenants' feeds (and its staff's
    list, unless that landlord owns it): logged, since no row of the offer changes."""
    if action == "pre_clear":
        through = Offer.target_landlords.through.objects
        key = "landlord_id" if not reverse else "offer_id"
        filt = {"offer_id": instance.pk} if not reverse else {"landlord_id": instance.pk}
        instance._sync_cleared = set(through.filter(**filt).values_list(key, flat=True))
        return
    if action == "post_add":
        # Targeted (again): the tenants' feeds get it as a change, even after its tombstone.
        offer_ids = pk_set if reverse else [instance.pk]
        Offer.objects.filter(pk__in=offer_ids or ()).update(updated_at=clock.now())
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_sync_cleared", set())
    elif action != "post_remove":
        return
    pairs = (
        [(instance, landlord_id) for landlord_id in pk_set or ()]
        if not reverse
        else [(offer, instance.pk) for offer in Offer.objects.filter(pk__in=pk_set or ())]
    )
    for offer, landlord_id in pairs:
        sync.record_removed(
            list_name=OFFERS,
            public_id=offer.public_id,
            created_at=offer.created_at,
            scopes=_offer_audiences(offer, [landlord_id]),
        )


def _access_withdrawn(sender, instance, **kwargs) -> None:
    """A landlord withdraws a member's access (or the member goes): that landlord's matches
    and offers leave the member's lists (an offer another grant still shows stays: a
    tombstone never names a row the viewer still sees)."""
    member = EmployerMember.objects.filter(pk=instance.member_id).first()
    if member is None:
        return
    scopes = [scope("user", member.user_id)]
    matches = Match.objects.filter(
        offer__employer_id=member.employer_id,
        landlord_id=instance.landlord_id,
        proposed_at__isnull=False,
    )
    offers = Offer.objects.filter(
        employer_id=member.employer_id, target_landlords=instance.landlord_id
    )
    for list_name, rows in ((MATCHES, matches), (OFFERS, offers)):
        sync.record_removed_rows(
            list_name=list_name,
            rows=rows.values_list("public_id", "created_at"),
            scopes=scopes,
        )


def register() -> None:
    """Called once from the app's ready()."""
    sync.track_deletes(Offer, OFFERS, _offer_deleted_audiences)
    sync.track_deletes(Match, MATCHES, _match_audiences)
    pre_delete.connect(
        _access_withdrawn, sender=PartnerAccess, weak=False, dispatch_uid="sync-partner-access"
    )
    m2m_changed.connect(
        _targets_changed,
        sender=Offer.target_landlords.through,
        weak=False,
        dispatch_uid="sync-offer-targets",
    )
