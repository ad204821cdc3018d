"""Reads for the staff console's jobs pages: filtered lists, the pipeline's counts, the
weekly chart, what an actor may do with an offer, an employer's invitations. Each starts
from the scoped selectors (or checks the staff's landlord), so another landlord's rows are
never there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from services.accounts.models import Employer, EmployerInvitation, Landlord, User
from services.accounts.policies import can_manage_employers
from services.accounts.selectors import employer_list_for_user
from services.core import clock

from . import selectors
from .models import Match, MatchTransition, Offer, RomeAppellation
from .policies import (
    can_edit_offer,
    can_untarget_offer,
    employer_landlord_ids,
    job_staff_landlord_id,
)


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def offer_search_for_user(
    *, user: User, status: str = "", employer: str = "", q: str = ""
) -> QuerySet[Offer]:
    """The viewer's offers, newest first, by status, employer (public id) and title words."""
    qs = selectors.offer_list_for_user(user=user).order_by("-created_at", "-id")
    if status in Offer.Status.values:
        qs = qs.filter(status=status)
    employer_id = _uuid_or_none(employer) if employer else None
    if employer_id is not None:
        qs = qs.filter(employer__public_id=employer_id)
    for word in (q or "").split():
        qs = qs.filter(Q(title__icontains=word) | Q(city__icontains=word))
    return qs


@dataclass(frozen=True)
class OfferRights:
    edit: bool  # edit, publish, close: the offer's owners
    untarget: bool  # take one's landlord off its targets


def offer_rights(*, user: User, offer: Offer) -> OfferRights:
    """What the console offers this actor on the offer (the actions check it again)."""
    return OfferRights(
        edit=can_edit_offer(actor=user, offer=offer),
        untarget=can_untarget_offer(actor=user, offer=offer),
    )


def match_search_for_user(*, user: User, state: str = "", offer: str = "") -> QuerySet[Match]:
    """The viewer's matches (the pipeline), most recently moved first, by state and offer."""
    qs = selectors.match_list_for_user(user=user).order_by("-state_changed_at", "-id")
    if state in Match.State.values:
        qs = qs.filter(state=state)
    offer_id = _uuid_or_none(offer) if offer else None
    if offer_id is not None:
        qs = qs.filter(offer__public_id=offer_id)
    return qs


def match_counts_by_state(*, user: User, offer: str = "") -> dict[str, int]:
    """How many of the viewer's matches are in each state (every state, zeros included)."""
    qs = match_search_for_user(user=user, offer=offer).order_by()
    found = dict(qs.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {state: found.get(state, 0) for state in Match.State.values}


# The milestones the weekly chart follows: how many matches reached each one that week.
CHART_STATES = (
    Match.State.INTERESTED,
    Match.State.PROPOSED,
    Match.State.EMPLOYER_INTERESTED,
    Match.State.INTERVIEW,
    Match.State.HIRED,
    Match.State.DECLINED,
)


@dataclass
class WeeklyStates:
    states: tuple[str, ...]
    weeks: list[date]  # each week's Monday, oldest first
    counts: list[dict[str, int]]  # per week: state -> matches that reached it that week


def match_states_by_week(*, user: User, weeks: int = 12) -> WeeklyStates:
    """The landlord's matches reaching each milestone, week by week (Monday to Sunday, in
    the site's time zone), over the last `weeks` weeks including this one. One query."""
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is None:
        raise selectors.NotJobStaff()
    today = clock.today()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    rows = (
        MatchTransition.objects.filter(
            match__landlord_id=landlord_id, at__gte=start, to_state__in=CHART_STATES
        )
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day", "to_state")
        .annotate(n=Count("id"))
        .order_by()
    )
    mondays = [first + timedelta(weeks=i) for i in range(weeks)]
    counts = [dict.fromkeys(CHART_STATES, 0) for _ in mondays]
    for row in rows:
        index = (row["day"] - first).days // 7
        if 0 <= index < weeks:
            counts[index][row["to_state"]] += row["n"]
    return WeeklyStates(states=CHART_STATES, weeks=mondays, counts=counts)


def employer_invitations_for_user(*, user: User, employer: Employer) -> QuerySet:
    """The invitations the viewer's landlord issued for this partner employer (codes are
    only ever shown once, when issued)."""
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is None or not can_manage_employers(actor=user):
        return EmployerInvitation.objects.none()
    return (
        EmployerInvitation.objects.filter(employer=employer, landlord_id=landlord_id)
        .select_related("created_by", "accepted_by")
        .order_by("-created_at", "-id")
    )


def employer_search_for_user(*, user: User, q: str = "") -> QuerySet[Employer]:
    """The viewer's partner employers by name, SIRET or city, with their offer counts."""
    qs = employer_list_for_user(user=user)
    for word in (q or "").split():
        qs = qs.filter(Q(name__icontains=word) | Q(siret__icontains=word) | Q(city__icontains=word))
    visible = selectors.offer_list_for_user(user=user).values("pk")
    return qs.annotate(
        offer_count=Count("offers", filter=Q(offers__pk__in=visible), distinct=True),
        member_count=Count("members", distinct=True),
    )


def rome_title(*, code: str) -> dict | None:
    """One ROME job title by its code, shaped like a `selectors.rome_search` result."""
    if "\x00" in (code or ""):  # no title has one, and PostgreSQL refuses it
        return None
    appellation = RomeAppellation.objects.select_related("rome").filter(code=code).first()
    if appellation is None:
        return None
    return {
        "kind": "appellation",
        "code": appellation.code,
        "label": appellation.label,
        "rome_code": appellation.rome.code,
    }


# --- The employer pages (/espace/) ---------------------------------------------------------


def member_offer_list(*, user: User) -> QuerySet[Offer]:
    """A member's offers as `selectors.offer_list_for_user` scopes them, newest first, each
    with `candidate_count` (the candidates proposed on it that this member sees) and
    `waiting_count` (those still waiting for the company's answer)."""
    seen = selectors.match_list_for_user(user=user)
    waiting = seen.filter(state__in=(Match.State.PROPOSED, Match.State.POSTPONED))
    return (
        selectors.offer_list_for_user(user=user)
        .annotate(
            candidate_count=Count(
                "matches", filter=Q(matches__pk__in=seen.values("pk")), distinct=True
            ),
            waiting_count=Count(
                "matches", filter=Q(matches__pk__in=waiting.values("pk")), distinct=True
            ),
        )
        .order_by("-created_at", "-id")
    )


def member_target_landlords(*, user: User) -> QuerySet[Landlord]:
    """The landlords a member may target with an offer: those that granted it access and are
    still partners of its company (`offer_create`/`offer_update` check it again)."""
    return Landlord.objects.filter(pk__in=employer_landlord_ids(user)).order_by("name", "id")
