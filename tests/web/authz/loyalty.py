"""The loyalty section's pages (placeholder until the section is built: replace freely)."""

from web.access import ADMIN, COMMUNITY

from .base import Case, staff_only

EXPECTATIONS = {
    "/console/loyalty/": Case(expect=staff_only(ADMIN, COMMUNITY)),
}
