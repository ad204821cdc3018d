"""Match transitions: the state machine (docs/jobs.md) and everything a step does.

`TRANSITIONS[(from, to)]` names which sides may take the step and what it must carry.
`match_transition` locks the match (the one `select_for_update` of Match), checks the
client's `expected_state` (409 when stale), the table and the side, writes the log, and then
does the step's side effects in the same transaction: the notifications to each side, points
where a step earns them, and the follow-ups (a hire makes the tenant's other open matches
obsolete and may fill the offer). Not pure: named for what it does, not a "workflow" table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts.models import User
from services.core import clock
from services.core.errors import conflict, invalid, not_allowed
from services.loyalty import actions as loyalty

from . import digest, reach
from . import notifications as kinds
from .models import OPEN_MATCH_STATES, Match, MatchTransition, Offer
from .policies import actor_kind, profile_of

S = Match.State
TENANT, STAFF, EMPLOYER, SYSTEM = "tenant", "staff", "employer", "system"

OPEN_STATES = OPEN_MATCH_STATES
AWAITING_EMPLOYER = (S.PROPOSED, S.POSTPONED)


@dataclass(frozen=True)
class Step:
    sides: frozenset[str]
    requires: tuple[str, ...] = ()


def _step(*sides: str, requires: tuple[str, ...] = ()) -> Step:
    return Step(frozenset(sides), requires)


TRANSITIONS: dict[tuple[str, str], Step] = {
    (S.SUGGESTED, S.INTERESTED): _step(TENANT),
    (S.SUGGESTED, S.NOT_INTERESTED): _step(TENANT),
    (S.NOT_INTERESTED, S.INTERESTED): _step(TENANT),
    (S.INTERESTED, S.PROPOSED): _step(STAFF),
    (S.PROPOSED, S.EMPLOYER_INTERESTED): _step(EMPLOYER),
    (S.PROPOSED, S.DECLINED): _step(EMPLOYER, requires=("decline_reason",)),
    (S.PROPOSED, S.POSTPONED): _step(EMPLOYER),
    (S.POSTPONED, S.EMPLOYER_INTERESTED): _step(EMPLOYER),
    (S.POSTPONED, S.DECLINED): _step(EMPLOYER, requires=("decline_reason",)),
    (S.EMPLOYER_INTERESTED, S.INTERVIEW): _step(
        EMPLOYER, STAFF, requires=("interview_at", "interview_place")
    ),
    # Another date (e.g. the tenant asked for another time): the tenant's answer starts over.
    (S.INTERVIEW, S.INTERVIEW): _step(
        EMPLOYER, STAFF, requires=("interview_at", "interview_place")
    ),
    (S.INTERVIEW, S.HIRED): _step(EMPLOYER, STAFF, requires=("hire_start_date",)),
    (S.INTERVIEW, S.NOT_HIRED): _step(EMPLOYER, STAFF),
    (S.PROPOSED, S.EXPIRED): _step(SYSTEM),
    (S.POSTPONED, S.EXPIRED): _step(SYSTEM),
    **{(state, S.WITHDRAWN): _step(TENANT, requires=("withdraw_reason",)) for state in OPEN_STATES},
    **{(state, S.OBSOLETE): _step(SYSTEM) for state in OPEN_STATES},
}

StaleState = conflict("stale_state", _("This match has changed meanwhile; reload it."))
InvalidTransition = conflict("invalid_transition", _("This match cannot go to that state now."))
TransitionNotAllowed = not_allowed(
    "transition_not_allowed", _("You may not move this match to that state.")
)
TransitionFieldRequired = invalid("transition_field_required", _("Some details are missing."))
IntroductionConsentRequired = conflict(
    "introduction_consent_required",
    _("Agree to be introduced to employers before saying you are interested."),
)
IntroductionConsentWithdrawn = conflict(
    "introduction_consent_withdrawn",
    _("The tenant no longer agrees to be introduced to employers."),
)

ALLOWED_FIELDS = {
    "decline_reason",
    "employer_message",
    "reason_visible_to_tenant",
    "interview_at",
    "interview_place",
    "hire_start_date",
    "withdraw_reason",
}


def allowed_targets(*, state: str, side: str | None) -> list[str]:
    """What this side may do next (the app shows these buttons)."""
    return [to for (frm, to), step in TRANSITIONS.items() if frm == state and side in step.sides]


def _lock_match(pk: int, *, cascade: Match | None = None) -> Match:
    """The one place match rows are locked.

    `cascade`: a hire also moves the tenant's other open matches and, when it fills the
    offer, the offer's open matches; all of them are locked here first, in id order, after
    the offer (see `match_transition`), so two hires, or a hire and a closing, wait for each
    other instead of deadlocking.
    """
    locking = Match.objects.select_for_update(of=("self",))
    if cascade is not None:
        rows = locking.filter(
            Q(pk=pk)
            | Q(tenant_id=cascade.tenant_id, state__in=OPEN_STATES)
            | Q(offer_id=cascade.offer_id, state__in=OPEN_STATES)
        )
        list(rows.order_by("id").values_list("id", flat=True))
    return locking.select_related("offer__employer", "tenant__user", "tenant__job_profile").get(
        pk=pk
    )


def _lock_offer(pk: int) -> Offer:
    """The one place an offer row is locked (before any of its matches)."""
    return Offer.objects.select_for_update().get(pk=pk)


def match_transition(
    *,
    match: Match,
    actor: User | None,
    to: str,
    expected_state: str | None = None,
    note: str = "",
    data: dict | None = None,
) -> Match:
    """Move `match` to `to` as `actor` (None = the system: expiry, cascades)."""
    with transaction.atomic():
        if to == S.HIRED:
            # Offer first, then matches (as closing an offer does): a hire may fill it.
            _lock_offer(match.offer_id)
            locked = _lock_match(match.pk, cascade=match)
        else:
            locked = _lock_match(match.pk)
        if expected_state is not None and locked.state != expected_state:
            raise StaleState(extra={"state": locked.state})
        step = TRANSITIONS.get((locked.state, to))
        if step is None:
            raise InvalidTransition(extra={"state": locked.state})
        side = actor_kind(actor=actor, match=locked)
        if side not in step.sides:
            raise TransitionNotAllowed()
        data = {k: v for k, v in (data or {}).items() if k in ALLOWED_FIELDS}
        missing = [name for name in step.requires if data.get(name) in (None, "")]
        if missing:
            raise TransitionFieldRequired(fields={name: [str(_("Required."))] for name in missing})
        _apply(locked, to=to, side=side, actor=actor, note=note, data=data)
    return locked


def _apply(match: Match, *, to: str, side: str, actor: User | None, note: str, data: dict):
    now = clock.now()
    previous = match.state
    if to == S.INTERESTED:
        profile = profile_of(match.tenant)
        if profile is None or not profile.introduction_consent:
            raise IntroductionConsentRequired()
        match.introduced_at = now
    elif to == S.PROPOSED:
        # Proposing is introducing: never once the tenant withdrew that consent.
        profile = profile_of(match.tenant)
        if profile is None or not profile.introduction_consent:
            raise IntroductionConsentWithdrawn()
        # Employers have no app: nobody to e-mail means a proposal that expires unseen.
        if not reach.members_reached_by_email(_employer_members(match), category="jobs"):
            raise reach.NoEmployerRecipient()
        match.proposed_at = now
        match.reminders_sent = 0
    elif previous in AWAITING_EMPLOYER and to in (S.EMPLOYER_INTERESTED, S.DECLINED, S.POSTPONED):
        match.answered_at = match.answered_at or now
        match.reminders_sent = 0
        if to == S.DECLINED:
            match.decline_reason = data["decline_reason"]
            match.employer_message = data.get("employer_message") or ""
            match.reason_visible_to_tenant = bool(data.get("reason_visible_to_tenant"))
        elif data.get("employer_message"):
            match.employer_message = data["employer_message"]
    elif to == S.INTERVIEW:
        match.interview_at = data["interview_at"]
        match.interview_place = data["interview_place"]
        match.interview_answer = ""
        match.interview_answer_message = ""
        match.interview_answered_at = None
    elif to == S.HIRED:
        match.hire_start_date = data["hire_start_date"]
    elif to == S.WITHDRAWN:
        match.withdraw_reason = data["withdraw_reason"]
    match.state = to
    match.state_changed_at = now
    match.save()
    MatchTransition.objects.create(
        match=match,
        actor=actor,
        actor_kind=side,
        from_state=previous,
        to_state=to,
        at=now,
        note=note,
    )
    if side == EMPLOYER:
        Offer.objects.filter(pk=match.offer_id).update(last_activity_at=now)
    _effects(match, previous=previous, actor=actor)


def _params(match: Match) -> dict:
    return {"offer": match.offer.title, "employer": match.offer.employer.name}


def _employer_members(match: Match) -> list[User]:
    """The members this match's landlord granted its partnership to (not the company's
    other members: they must not learn of another landlord's candidates)."""
    members = match.offer.employer.members.filter(
        accesses__landlord_id=match.landlord_id, employer__landlords=match.landlord_id
    )
    return [
        member.user
        for member in members.select_related("user").order_by("id")
        if member.user.is_active
    ]


def offer_members(offer: Offer) -> list[User]:
    """The employer's members who reach this offer (granted one of its targets)."""
    targets = offer.target_landlords.values("pk")
    members = offer.employer.members.filter(accesses__landlord_id__in=targets).distinct()
    return [
        member.user
        for member in members.select_related("user").order_by("id")
        if member.user.is_active
    ]


def _in_language(user: User, value) -> str:
    with translation.override(getattr(user, "language", None) or "fr"):
        if isinstance(value, datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(value, date):
            return formats.date_format(value, "DATE_FORMAT")
        return str(value)


ANSWER_TEXTS = {
    S.EMPLOYER_INTERESTED: _("the employer is interested; your advisor will call you."),
    S.POSTPONED: _("the employer will answer later."),
    S.DECLINED: _("your application was not retained this time."),
}


def _effects(match: Match, *, previous: str, actor: User | None) -> None:
    to = match.state
    tenant_user = match.tenant.user
    params = _params(match)
    link = match.public_id
    if to == S.PROPOSED:
        # At most one proposal e-mail a day per member, the others in tomorrow's digest.
        now_, later = digest.proposal_recipients(_employer_members(match))
        for kind, members in ((kinds.MATCH_PROPOSED, now_), (kinds.MATCH_PROPOSED_LATER, later)):
            notify(
                recipients=members,
                kind=kind,
                params=params,
                link_id=link,
                sender=match.landlord.name,
            )
        # Points in the same transaction as the step: both happen or neither (idempotent key).
        loyalty.points_award(
            tenant=match.tenant,
            rule="first_match_introduction",
            source=match,
            idempotency_key=f"jobs:first_match_introduction:{match.tenant.public_id}",
        )
    elif to in ANSWER_TEXTS and previous in AWAITING_EMPLOYER:
        answer = ANSWER_TEXTS[to]
        with translation.override(tenant_user.language or "fr"):
            text = str(answer)
            if to == S.DECLINED and match.reason_visible_to_tenant:
                text = f"{text} {Match.DeclineReason(match.decline_reason).label}."
        notify(
            recipients=[tenant_user],
            kind=kinds.EMPLOYER_ANSWERED,
            params={**params, "answer": text},
            link_id=link,
        )
    elif to == S.INTERVIEW:
        notify(
            recipients=[tenant_user],
            kind=kinds.INTERVIEW,
            params={
                **params,
                "when": _in_language(tenant_user, match.interview_at),
                "where": match.interview_place,
            },
            link_id=link,
            # The app offers "add to my calendar" from this authenticated API path.
            data={"ics": f"/api/v1/jobs/matches/{match.public_id}/interview.ics/"},
        )
        # The employer's members: a confirmation e-mail with the .ics (interviews.py).
        members = _employer_members(match)
        for language in sorted({member.language or "fr" for member in members}):
            group = [member for member in members if (member.language or "fr") == language]
            notify(
                recipients=group,
                kind=kinds.INTERVIEW_PLANNED,
                params={
                    **params,
                    "when": _in_language(group[0], match.interview_at),
                    "where": match.interview_place,
                },
                link_id=link,
                sender=match.landlord.name,
            )
    elif to == S.HIRED:
        notify(
            recipients=[tenant_user],
            kind=kinds.HIRED,
            params={**params, "start": _in_language(tenant_user, match.hire_start_date)},
            link_id=link,
        )
        # Points in the same transaction as the step: both happen or neither (idempotent key).
        loyalty.points_award(
            tenant=match.tenant,
            rule="hire",
            source=match,
            idempotency_key=f"jobs:hire:{match.public_id}",
        )
        others = Match.objects.filter(tenant_id=match.tenant_id, state__in=OPEN_STATES).exclude(
            pk=match.pk
        )
        for other in others.order_by("id"):
            match_transition(match=other, actor=None, to=S.OBSOLETE, note="tenant hired")
        offer = _lock_offer(match.offer_id)
        offer.hires = F("hires") + 1
        offer.save(update_fields=["hires", "updated_at"])
        offer.refresh_from_db(fields=["hires", "positions", "status"])
        if offer.hires >= offer.positions and offer.status in (
            Offer.Status.PUBLISHED,
            Offer.Status.PAUSED,
        ):
            offer.status = Offer.Status.FILLED
            offer.save(update_fields=["status", "updated_at"])
            close_open_matches(offer=offer, note="offer filled")
    elif to == S.EXPIRED:
        notify(recipients=[tenant_user], kind=kinds.MATCH_EXPIRED, params=params, link_id=link)
        notify(
            recipients=_employer_members(match),
            kind=kinds.PROPOSAL_EXPIRED,
            params=params,
            link_id=link,
            sender=match.landlord.name,
        )


def close_open_matches(*, offer: Offer, note: str) -> int:
    """An offer filled or closed: its open matches become obsolete."""
    count = 0
    for match in Match.objects.filter(offer=offer, state__in=OPEN_STATES).order_by("id"):
        match_transition(match=match, actor=None, to=S.OBSOLETE, note=note)
        count += 1
    return count


def match_start(
    *, tenant, offer: Offer, state: str, actor: User | None, score: int, reasons: list
) -> Match:
    """A new match (suggested by the engine, or interested when the tenant applies)."""
    now = clock.now()
    match = Match.objects.create(
        tenant=tenant,
        offer=offer,
        landlord_id=tenant.landlord_id,
        state=state,
        state_changed_at=now,
        score=score,
        reasons=reasons,
        introduced_at=now if state == S.INTERESTED else None,
    )
    MatchTransition.objects.create(
        match=match,
        actor=actor,
        actor_kind=TENANT if actor else SYSTEM,
        from_state="",
        to_state=state,
        at=now,
    )
    return match
