"""An interview as a calendar event (RFC 5545, `icalendar`): the tenant adds the
appointment the employer proposed to the phone's calendar from the app, and the employer's
members get it attached to the confirmation e-mail (`jobs.interview_planned`)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from icalendar import Calendar, Event

from services.accounts.models import User
from services.core import clock
from services.core.errors import not_found

from .models import Match
from .policies import actor_kind

INTERVIEW_LENGTH = timedelta(hours=1)

NoInterview = not_found("no_interview", _("No interview is planned for this match."))


def interview_calendar(*, user: User, match: Match) -> bytes:
    """The match's interview as an .ics file, for the tenant of the match (the caller found
    the match through `match_list_for_user`). Only while the interview is the match's step."""
    if actor_kind(actor=user, match=match) != "tenant":
        raise NoInterview()
    if match.state != Match.State.INTERVIEW or match.interview_at is None:
        raise NoInterview()
    with translation.override(user.language or "fr"):
        summary = gettext("Interview: %(offer)s") % {"offer": match.offer.title}
        description = gettext("Interview with %(employer)s for the offer %(offer)s.") % {
            "employer": match.offer.employer.name,
            "offer": match.offer.title,
        }
    return _calendar(match, summary=summary, description=description)


def interview_email_attachments(*, notification) -> list[tuple[str, bytes, str]]:
    """The .ics attached to the employer's confirmation e-mail (`jobs.interview_planned`,
    called by notifications/email.py at send time, in the recipient's language). The event
    names the offer and the landlord, never the tenant: e-mails carry no tenant identity.
    Nothing once the match has left the interview step (hired meanwhile, withdrawn)."""
    match = (
        Match.objects.select_related("offer__employer", "landlord")
        .filter(public_id=notification.link_id or None, state=Match.State.INTERVIEW)
        .exclude(interview_at=None)
        .first()
    )
    if match is None:
        return []
    summary = gettext("Interview: %(offer)s") % {"offer": match.offer.title}
    description = gettext(
        "Interview with a candidate proposed by %(landlord)s for the offer %(offer)s. "
        "Their contact details are on your candidate page."
    ) % {"landlord": match.landlord.name, "offer": match.offer.title}
    body = _calendar(match, summary=summary, description=description)
    return [(gettext("interview.ics"), body, "text/calendar")]


def _calendar(match: Match, *, summary: str, description: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Voisinage//jobs//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    # A stable UID: a rescheduled interview replaces the event in the calendar.
    event.add("uid", f"interview-{match.public_id}@voisinage")
    event.add("dtstamp", clock.now())
    event.add("dtstart", match.interview_at)
    event.add("dtend", match.interview_at + INTERVIEW_LENGTH)
    event.add("summary", summary)
    event.add("location", match.interview_place)
    event.add("description", description)
    calendar.add_component(event)
    return calendar.to_ical()
