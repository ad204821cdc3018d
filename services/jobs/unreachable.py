"""A proposal that nobody at the employer can receive any more (the member's access
withdrawn, e-mails switched off, the member deactivated after the proposal): the staff
member who proposed it hears of it at each reminder, instead of the proposal expiring
unseen. At proposal time such a proposal is refused (reach.py)."""

from __future__ import annotations

from notifications.services import notify
from services.accounts.models import Staff, User

from . import notifications as kinds
from . import reach
from .models import Match, MatchTransition


def proposer_told_if_unreachable(match: Match, *, members: list[User], days: int) -> bool:
    """`jobs.proposal_unreachable` to whoever proposed `match` (still that landlord's staff),
    or else to the landlord's job staff, when none of `members` gets job e-mails."""
    if reach.members_reached_by_email(members, category="jobs"):
        return False
    proposal = (
        MatchTransition.objects.filter(match=match, to_state=Match.State.PROPOSED)
        .order_by("-at", "-id")
        .first()
    )
    staff = Staff.objects.filter(landlord_id=match.landlord_id, user__is_active=True)
    proposer = staff.filter(user_id=proposal.actor_id).first() if proposal else None
    if proposer is not None:
        recipients = [proposer.user]
    else:
        job_staff = staff.filter(role__in=("admin", "job_advisor")).select_related("user")
        recipients = [member.user for member in job_staff.order_by("id")]
    notify(
        recipients=recipients,
        kind=kinds.PROPOSAL_UNREACHABLE,
        params={"offer": match.offer.title, "employer": match.offer.employer.name, "days": days},
        link_id=match.public_id,
        sender=match.landlord.name,
    )
    return bool(recipients)
