"""The loyalty section (placeholder until it is built: replace this module's patterns)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from ..access import ADMIN, COMMUNITY
from ..views.placeholder import coming_soon

app_name = "loyalty"

urlpatterns = [
    path("", coming_soon(_("Loyalty"), ADMIN, COMMUNITY), name="index"),
]
