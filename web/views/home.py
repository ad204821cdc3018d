"""The console's home: what waits for the signed-in staff member today, as numbers that link
to the lists. Each number comes from its area's selector, which answers None when the
viewer's role has nothing to do with it (the tile is then not shown)."""

import datetime

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications import selectors as notifications
from services.core import clock
from services.jobs import selectors as jobs
from services.loyalty import selectors as loyalty
from services.volunteering import selectors as volunteering

from ..access import staff_required


def _link(name: str, query: str, fallback: str) -> str:
    """The list a number stands for; the section's index until that list exists."""
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return reverse(fallback)


def _week_start() -> datetime.datetime:
    today = timezone.localtime(clock.now()).date()
    monday = today - datetime.timedelta(days=today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))


@staff_required()
def home(request):
    user = request.user
    since = _week_start()
    tiles = []
    job_counts = jobs.match_counts_waiting_for_staff(user=user)
    if job_counts is not None:
        tiles += [
            {
                "label": _("Proposals without an employer answer"),
                "count": job_counts["awaiting_employer"],
                "url": _link("web:jobs:matches", "?state=proposed", "web:jobs:index"),
            },
            {
                "label": _("Interested tenants to propose"),
                "count": job_counts["interested"],
                "url": _link("web:jobs:matches", "?state=interested", "web:jobs:index"),
            },
        ]
    volunteering_counts = volunteering.staff_waiting_counts(user=user)
    if volunteering_counts is not None:
        tiles += [
            {
                "label": _("Sign-ups on a waiting list"),
                "count": volunteering_counts["waitlisted"],
                "url": _link(
                    "web:volunteering:signups", "?status=waitlisted", "web:volunteering:index"
                ),
            },
            {
                "label": _("Initiatives to approve"),
                "count": volunteering_counts["initiatives_to_review"],
                "url": _link("web:volunteering:initiatives", "", "web:volunteering:index"),
            },
        ]
    vouchers = loyalty.redemption_count_since(user=user, since=since)
    if vouchers is not None:
        tiles.append(
            {
                "label": _("Vouchers issued this week"),
                "count": vouchers,
                "url": _link("web:loyalty:redemptions", "", "web:loyalty:index"),
            }
        )
    tiles.append(
        {
            "label": _("Announcements sent this week"),
            "count": notifications.announcement_count_since(user=user, since=since),
            "url": reverse("web:announcements:list"),
        }
    )
    return render(request, "web/home.html", {"section": "home", "tiles": tiles})
