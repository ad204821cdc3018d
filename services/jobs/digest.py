"""At most one e-mail a day about new proposals, per employer member.

The first proposal of a member's day (Europe/Paris) is e-mailed at once
(`jobs.match_proposed`); the later ones of that day reach the inbox only
(`jobs.match_proposed_later`, the same texts), and the next morning one e-mail
(`jobs.proposals_digest`, `proposals_digest_send`, declared in tasks.PERIODIC_TASKS) lists
those still waiting for an answer. Decided per member: two colleagues granted by different
landlords may each get their own first e-mail.

Who was e-mailed today is read from the notifications written (the inbox rows), so nothing
new is stored. Two proposals to one member committed at the same instant may both be
"the first" (two e-mails that day): accepted, proposals are made by hand.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone, translation

from notifications.models import Notification
from notifications.services import notify
from services.accounts.models import User
from services.core import clock, periodic

from . import notifications as kinds
from .models import Match
from .selectors import match_list_for_user


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def proposal_recipients(members: list[User]) -> tuple[list[User], list[User]]:
    """(e-mailed now, left to tomorrow's digest): the members who already received a
    proposal e-mail today wait for the digest."""
    start, _end = _day_bounds(clock.today())
    already = set(
        Notification.objects.filter(
            recipient_id__in=[member.pk for member in members],
            kind=kinds.MATCH_PROPOSED,
            created_at__gte=start,
        ).values_list("recipient_id", flat=True)
    )
    return (
        [member for member in members if member.pk not in already],
        [member for member in members if member.pk in already],
    )


def proposals_digest_send(*, day: datetime.date | None = None) -> dict[str, int]:
    """One e-mail per member for the proposals of `day` (yesterday by default) that were not
    e-mailed at once and still wait for an answer, as the member's pages show them now
    (a landlord's grant withdrawn since, or an answer given, takes them out). Safe to run
    twice: a member's digest for a day is written once."""
    day = day or clock.today() - datetime.timedelta(days=1)
    start, end = _day_bounds(day)
    later = Notification.objects.filter(
        kind=kinds.MATCH_PROPOSED_LATER, created_at__gte=start, created_at__lt=end
    )
    loop = periodic.Loop("jobs.proposals_digest_send")
    sent = 0
    members = User.objects.filter(
        pk__in=later.values("recipient_id"), is_active=True, role=User.Role.EMPLOYER
    )
    for member in members.order_by("pk"):
        with loop.item(member.pk):
            if Notification.objects.filter(
                recipient=member, kind=kinds.PROPOSALS_DIGEST, data__day=day.isoformat()
            ).exists():
                continue
            ids = [i for i in later.filter(recipient=member).values_list("link_id", flat=True) if i]
            waiting = list(
                match_list_for_user(user=member)
                .filter(public_id__in=ids, state=Match.State.PROPOSED)
                .order_by("proposed_at", "id")
            )
            if not waiting:
                continue
            offers = list(dict.fromkeys(match.offer.title for match in waiting))
            landlords = list(dict.fromkeys(match.landlord.name for match in waiting))
            with translation.override(member.language or "fr"):
                shown_day = formats.date_format(day, "DATE_FORMAT")
            notify(
                recipients=[member],
                kind=kinds.PROPOSALS_DIGEST,
                params={"count": len(waiting), "day": shown_day, "offers": ", ".join(offers)},
                data={"day": day.isoformat()},
                sender=", ".join(landlords),
            )
            sent += 1
    return {"digests": sent}
