"""The jobs section's pages (placeholder until the section is built: replace freely)."""

from web.access import ADMIN, JOB_ADVISOR

from .base import Case, staff_only

EXPECTATIONS = {
    "/console/jobs/": Case(expect=staff_only(ADMIN, JOB_ADVISOR)),
}
