"""Whether a proposal can reach anyone at the employer. Employers have no app: a proposal
reaches a company only by e-mail, so one that no member can receive would expire silently
after 21 days. Staff are told at proposal time instead."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notifications.services import email_enabled
from services.accounts.models import User
from services.core.errors import conflict

NoEmployerRecipient = conflict(
    "employer_unreachable",
    _(
        "Nobody at this employer can receive the proposal: no member with your landlord's "
        "access has an e-mail address with job e-mails on. Invite a member with an e-mail "
        "address, or grant your access to an existing member, then propose again."
    ),
)


def members_reached_by_email(members: list[User], *, category: str) -> list[User]:
    """The members among these (already scoped to the match's landlord) whom an e-mail of
    this category reaches: an address, and that category's e-mails not switched off."""
    return [
        user
        for user in members
        if user.is_active and user.email and email_enabled(user=user, category=category)
    ]
