"""The jobs section (placeholder until it is built: replace this module's patterns)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from ..access import ADMIN, JOB_ADVISOR
from ..views.placeholder import coming_soon

app_name = "jobs"

urlpatterns = [
    path("", coming_soon(_("Jobs"), ADMIN, JOB_ADVISOR), name="index"),
]
