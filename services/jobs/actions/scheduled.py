"""What runs on a schedule: proposal reminders and expiry, idle offers."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction

from notifications.services import notify
from services.accounts.models import Staff
from services.core import clock, periodic

from .. import matching, transitions, unreachable
from .. import notifications as kinds
from ..models import (
    JobProfile,
    Match,
    Offer,
)
from .profile import (
    OFFER_IDLE_DAYS,
    OFFER_WARNING_DAYS,
    PROPOSAL_EXPIRY_DAYS,
    PROPOSAL_REMINDER_DAYS,
)

# --- Periodic work (called by tasks.py) --------------------------------------------------


def proposals_expire_and_remind() -> dict[str, int]:
    """Proposed/postponed matches: a reminder to the employer at 7 and 14 days without an
    answer, expiry (tenant told) at 21 days. Safe to run twice: reminders are counted."""
    now = clock.now()
    done = {"expired": 0, "reminded": 0}
    loop = periodic.Loop("jobs.proposals_expire_and_remind")
    waiting = Match.objects.filter(state__in=transitions.AWAITING_EMPLOYER).order_by("id")
    for match in waiting.filter(state_changed_at__lte=now - timedelta(days=PROPOSAL_EXPIRY_DAYS)):
        with loop.item(match.pk, skip=transitions.StaleState):
            transitions.match_transition(
                match=match,
                actor=None,
                to=Match.State.EXPIRED,
                expected_state=match.state,
                note=f"no answer after {PROPOSAL_EXPIRY_DAYS} days",
            )
            done["expired"] += 1
    for index, days in enumerate(PROPOSAL_REMINDER_DAYS, start=1):
        due = waiting.filter(
            state_changed_at__lte=now - timedelta(days=days),
            state_changed_at__gt=now - timedelta(days=PROPOSAL_EXPIRY_DAYS),
            reminders_sent__lt=index,
        ).select_related("offer__employer", "landlord")
        for match in due:
            with loop.item(match.pk):
                updated = Match.objects.filter(
                    pk=match.pk, reminders_sent__lt=index, state=match.state
                ).update(reminders_sent=index)
                if not updated:
                    continue
                members = transitions._employer_members(match)
                notify(
                    recipients=members,
                    kind=kinds.PROPOSAL_REMINDER,
                    params={"offer": match.offer.title, "days": days},
                    link_id=match.public_id,
                    sender=match.landlord.name,
                )
                # Nobody there to read it: the proposer hears of it (never expires unseen).
                unreachable.proposer_told_if_unreachable(match, members=members, days=days)
                done["reminded"] += 1
    return done


def offers_expire_and_warn() -> dict[str, int]:
    """Published offers untouched for 90 days close; the employer is told 7 days before."""
    now = clock.now()
    done = {"closed": 0, "warned": 0}
    loop = periodic.Loop("jobs.offers_expire_and_warn")
    idle = Offer.objects.filter(status=Offer.Status.PUBLISHED).order_by("id")
    for offer in idle.filter(last_activity_at__lte=now - timedelta(days=OFFER_IDLE_DAYS)):
        with loop.item(offer.pk):
            locked = transitions._lock_offer(offer.pk)
            if locked.status != Offer.Status.PUBLISHED:
                continue
            locked.status = Offer.Status.CLOSED
            locked.save(update_fields=["status", "updated_at"])
            transitions.close_open_matches(offer=locked, note="offer expired")
            done["closed"] += 1
    warn_before = now - timedelta(days=OFFER_IDLE_DAYS - OFFER_WARNING_DAYS)
    for offer in idle.filter(
        last_activity_at__lte=warn_before,
        last_activity_at__gt=now - timedelta(days=OFFER_IDLE_DAYS),
        expiry_warned_at__isnull=True,
    ).select_related("employer"):
        with loop.item(offer.pk):
            if not Offer.objects.filter(pk=offer.pk, expiry_warned_at__isnull=True).update(
                expiry_warned_at=now
            ):
                continue
            closes_on = (offer.last_activity_at + timedelta(days=OFFER_IDLE_DAYS)).date()
            members = transitions.offer_members(offer)
            notify(
                recipients=members,
                kind=kinds.OFFER_EXPIRING,
                params={"offer": offer.title, "date": closes_on.isoformat()},
                link_id=offer.public_id,
                sender=", ".join(
                    offer.target_landlords.order_by("name").values_list("name", flat=True)
                ),
            )
            done["warned"] += 1
    return done


def _suggest_for(offer: Offer, *, today, limit: int) -> list[tuple[int, Match]]:
    """The `suggested` matches started for one offer's strong candidates: (profile id, match)."""
    features = matching.OfferFeatures.of(offer)
    landlord_ids = [landlord.pk for landlord in offer.target_landlords.all()]
    ranked = matching.rank_candidates(features, landlord_ids=landlord_ids, today=today, limit=limit)
    taken = set(
        Match.objects.filter(
            offer=offer, tenant_id__in=[p.tenant_id for p, _s in ranked]
        ).values_list("tenant_id", flat=True)
    )
    started = []
    for profile, score in ranked:
        if score.total < matching.STRONG_MATCH or profile.tenant_id in taken:
            continue
        score.reasons = matching.reasons_for(score=score, rome_label=offer.title, offer=features)
        try:
            with transaction.atomic():
                match = transitions.match_start(
                    tenant=profile.tenant,
                    offer=offer,
                    state=Match.State.SUGGESTED,
                    actor=None,
                    score=score.total,
                    reasons=score.reasons,
                )
        except IntegrityError:
            continue
        started.append((profile.pk, match))
    return started


def matches_suggest_and_digest(*, limit_per_offer: int = 20) -> dict[str, int]:
    """Daily: strong candidates of each published offer get a `suggested` match, and each
    tenant with new suggestions gets at most one digest a day."""
    today = clock.today()
    new: dict[int, list[Match]] = {}
    loop = periodic.Loop("jobs.matches_suggest_and_digest")
    offers = Offer.objects.filter(status=Offer.Status.PUBLISHED).prefetch_related(
        "target_landlords"
    )
    for offer in offers.order_by("id"):
        with loop.item(offer.pk):  # one offer's suggestions stand or fall together
            started = _suggest_for(offer, today=today, limit=limit_per_offer)
            for profile_id, match in started:
                new.setdefault(profile_id, []).append(match)
    digests = 0
    for profile in JobProfile.objects.filter(pk__in=list(new)).select_related("tenant__user"):
        with loop.item(profile.pk):
            if (
                not JobProfile.objects.filter(pk=profile.pk)
                .exclude(last_digest_on=today)
                .update(last_digest_on=today)
            ):
                continue
            matches = sorted(new[profile.pk], key=lambda m: -m.score)
            notify(
                recipients=[profile.tenant.user],
                kind=kinds.NEW_MATCHES,
                params={"count": len(matches), "best": matches[0].offer.title},
            )
            digests += 1
    return {"suggested": sum(len(v) for v in new.values()), "digests": digests}


def staff_weekly_digest() -> int:
    """Weekly: each job advisor/admin learns how many interested tenants wait for them."""
    sent = 0
    loop = periodic.Loop("jobs.staff_weekly_digest")
    waiting = {}
    for landlord_id in Match.objects.filter(state=Match.State.INTERESTED).values_list(
        "landlord_id", flat=True
    ):
        waiting[landlord_id] = waiting.get(landlord_id, 0) + 1
    staff = Staff.objects.filter(
        landlord_id__in=list(waiting), role__in=("admin", "job_advisor"), user__is_active=True
    ).select_related("user")
    for member in staff.order_by("id"):
        with loop.item(member.pk):
            notify(
                recipients=[member.user],
                kind=kinds.STAFF_WEEKLY,
                params={"count": waiting[member.landlord_id]},
            )
            sent += 1
    return sent
