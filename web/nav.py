"""The console's sections and which staff roles see them in the navigation.

Add a section: one `Section` here, with the roles its views let in (`web.access`). Labels
have a context so that another app's catalogue (e.g. "Jobs" -> "Emploi") does not win.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from .access import ADMIN, ALL_STAFF, COMMUNITY, JOB_ADVISOR, staff_role


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    roles: tuple[str, ...]


SECTIONS = (
    Section("home", pgettext_lazy("console section", "Home"), "web:home", ALL_STAFF),
    Section(
        "jobs", pgettext_lazy("console section", "Jobs"), "web:jobs:index", (ADMIN, JOB_ADVISOR)
    ),
    Section(
        "volunteering",
        pgettext_lazy("console section", "Volunteering"),
        "web:volunteering:index",
        (ADMIN, COMMUNITY),
    ),
    Section(
        "loyalty",
        pgettext_lazy("console section", "Loyalty"),
        "web:loyalty:index",
        (ADMIN, COMMUNITY),
    ),
    Section(
        "tenancies",
        pgettext_lazy("console section", "Tenancies"),
        "web:tenancies:list",
        (ADMIN, COMMUNITY),
    ),
    Section(
        "announcements",
        pgettext_lazy("console section", "Announcements"),
        "web:announcements:list",
        ALL_STAFF,
    ),
)


def nav(request) -> dict:
    """Context processor: the sections the signed-in staff member may open."""
    role = staff_role(getattr(request, "user", None))
    if role is None or not request.path.startswith("/console/"):
        return {}
    items = [
        {"key": s.key, "label": s.label, "url": reverse(s.url_name)}
        for s in SECTIONS
        if role in s.roles
    ]
    return {"web_nav": items, "web_role": role}
