"""An interview as a calendar event (RFC 5545, `icalendar`): the tenant adds the
appointment the employer proposed to the phone's calendar from the app."""

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
