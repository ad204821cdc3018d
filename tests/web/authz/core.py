"""The console's own pages: sign-in, home, password, tenancies, announcements."""

from web.access import ADMIN, COMMUNITY

from .base import OK, Case, public, staff_only

EXPECTATIONS = {
    "/console/sign-in/": Case(expect=public()),
    # Sign-out is POST-only: a GET answers 405 to everyone, which is fine.
    "/console/sign-out/": Case(expect=public()),
    "/console/": Case(expect=staff_only()),
    "/console/password/": Case(expect=staff_only()),
    "/console/tenancies/": Case(expect=staff_only(ADMIN, COMMUNITY, other_landlord=OK)),
    "/console/announcements/": Case(expect=staff_only()),
}
