"""The tenant's answer to the interview the employer planned: will come, will not come, or
asks for another time. The match stays at `interview` (planning another date,
interview → interview, clears the answer); the employer's members who may see the match
hear of it by e-mail (`jobs.interview_answered`)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import User
from services.core import clock, ratelimit
from services.core.errors import TooManyRequests, conflict, invalid, not_allowed

from . import notifications as kinds
from . import transitions
from .models import Match
from .policies import actor_kind, profile_of

MESSAGE_MAX = 500
# Each changed answer e-mails the employer's members: a few changes a day, not a flood.
CHANGES_PER_DAY = 5

InterviewAnswerNotAllowed = not_allowed(
    "interview_answer_not_allowed", _("Only the tenant of this match answers its interview.")
)
NoInterviewToAnswer = conflict(
    "no_interview_to_answer", _("No interview is planned for this match any more.")
)
InterviewPassed = conflict("interview_passed", _("This interview has already taken place."))
InvalidInterviewAnswer = invalid(
    "invalid_interview_answer", _("Answer accepted, declined or another_time.")
)


class TooManyAnswerChanges(TooManyRequests):
    default_message = _("You changed this answer too often today. Try again tomorrow.")


def match_interview_answer(
    *,
    user: User,
    match: Match,
    answer: str,
    message: str = "",
    expected_state: str | None = None,
) -> Match:
    """Record the tenant's answer and tell the employer's members. The same answer twice
    (a retried request) changes nothing and tells nobody again; a changed answer is told."""
    if answer not in Match.InterviewAnswer.values:
        raise InvalidInterviewAnswer(
            fields={"answer": [str(InvalidInterviewAnswer.default_message)]}
        )
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise InvalidInterviewAnswer(
            fields={"message": [gettext("At most %(n)d characters.") % {"n": MESSAGE_MAX}]}
        )
    current = (
        Match.objects.filter(pk=match.pk)
        .values_list("interview_answer", "interview_answer_message")
        .first()
    )
    if current != (answer, message):
        # Counted before the lock (the counter commits on its own); a replay is free.
        limit = ratelimit.Limit(
            f"jobs:interview-answer:{match.pk}", CHANGES_PER_DAY, timedelta(days=1)
        )
        try:
            ratelimit.take(limit)
        except ratelimit.LimitReached as reached:
            raise TooManyAnswerChanges(extra={"retry_after": reached.retry_after}) from None
    with transaction.atomic():
        locked = transitions._lock_match(match.pk)
        if actor_kind(actor=user, match=locked) != transitions.TENANT:
            raise InterviewAnswerNotAllowed()
        tenancy_end.require_active(locked.tenant, purpose=tenancy_end.JOBS)
        if expected_state is not None and locked.state != expected_state:
            raise transitions.StaleState(extra={"state": locked.state})
        if locked.state != Match.State.INTERVIEW or locked.interview_at is None:
            raise NoInterviewToAnswer(extra={"state": locked.state})
        if locked.interview_at <= clock.now():
            raise InterviewPassed()
        if (locked.interview_answer, locked.interview_answer_message) == (answer, message):
            return locked
        locked.interview_answer = answer
        locked.interview_answer_message = message
        locked.interview_answered_at = clock.now()
        locked.save(
            update_fields=[
                "interview_answer",
                "interview_answer_message",
                "interview_answered_at",
                "updated_at",
            ]
        )
        _tell_the_employer(locked)
    return locked


def _tell_the_employer(match: Match) -> None:
    """`jobs.interview_answered` to the members the match's landlord granted, in each one's
    language. The tenant's own words go along only while the tenant agrees to be introduced
    (they may name or give a phone number); otherwise the answer alone."""
    profile = profile_of(match.tenant)
    words = match.interview_answer_message if profile and profile.introduction_consent else ""
    members = transitions._employer_members(match)
    for language in sorted({member.language or "fr" for member in members}):
        group = [member for member in members if (member.language or "fr") == language]
        with translation.override(language):
            answer = str(Match.InterviewAnswer(match.interview_answer).label)
            said = " " + gettext("Their message: “%(text)s”") % {"text": words} if words else ""
        notify(
            recipients=group,
            kind=kinds.INTERVIEW_ANSWERED,
            params={
                "offer": match.offer.title,
                "when": transitions._in_language(group[0], match.interview_at),
                "answer": answer,
                "message": said,
            },
            link_id=match.public_id,
            sender=match.landlord.name,
        )
