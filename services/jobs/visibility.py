"""A match as one viewer may see it: every redaction decided here, once, for the API's
serializers and the web pages alike, which render what they are given and decide nothing.

- the tenant sees itself, and the employer's decline reason and message only when the
  employer chose to show them;
- its landlord's job staff see everything but never decide for the employer;
- an employer member sees an anonymised card (a pseudonym per offer and workplace) until
  the tenant agreed to be introduced, then the name and contact; never the tenant's own
  reason for withdrawing.

Reading is pure (`matches_as_seen`); showing a revealed identity to an employer is logged
by the action that shows it (`actions.matches_show`), explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.accounts.models import User

from .models import Match
from .policies import (
    actor_kind,
    candidate_pseudonym,
    identity_revealed,
    profile_of,
    withdraw_reason_shown,
)
from .transitions import allowed_targets


@dataclass(frozen=True)
class CandidateSeen:
    id: str | None
    revealed: bool
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    has_cv: bool

    @property
    def name(self) -> str | None:
        if not self.revealed:
            return None
        return f"{self.first_name or ''} {self.last_name or ''}".strip()


@dataclass(frozen=True)
class MatchSeen:
    match: Match
    side: str | None  # tenant | staff | employer
    candidate: CandidateSeen
    decline_reason: str | None
    employer_message: str | None
    withdraw_reason: str | None
    allowed_transitions: list[str]

    @property
    def logs_a_view(self) -> bool:
        """Showing this to the viewer is a view of a revealed profile the tenant can read."""
        return self.side == "employer" and self.candidate.revealed


def _candidate(match: Match, side: str | None) -> CandidateSeen:
    revealed = side in ("tenant", "staff") or (
        side == "employer" and identity_revealed(match=match)
    )
    user = match.tenant.user
    profile = profile_of(match.tenant)
    pseudonym = (
        str(candidate_pseudonym(profile=profile, offer=match.offer, side=side)) if profile else None
    )
    return CandidateSeen(
        id=pseudonym,
        revealed=revealed,
        first_name=user.first_name if revealed else None,
        last_name=user.last_name if revealed else None,
        email=user.email if revealed else None,
        phone=user.phone if revealed else None,
        has_cv=bool(profile and profile.cv) if revealed else False,
    )


def match_as_seen(*, viewer: User, match: Match) -> MatchSeen:
    side = actor_kind(actor=viewer, match=match)
    employer_texts_shown = side != "tenant" or match.reason_visible_to_tenant
    return MatchSeen(
        match=match,
        side=side,
        candidate=_candidate(match, side),
        decline_reason=(match.decline_reason or None) if employer_texts_shown else None,
        employer_message=(match.employer_message or None) if employer_texts_shown else None,
        withdraw_reason=(
            (match.withdraw_reason or None) if withdraw_reason_shown(side=side) else None
        ),
        allowed_transitions=allowed_targets(state=match.state, side=side),
    )


def matches_as_seen(*, viewer: User, matches: Iterable[Match]) -> list[MatchSeen]:
    return [match_as_seen(viewer=viewer, match=match) for match in matches]
