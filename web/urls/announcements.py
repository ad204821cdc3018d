"""Announcements: write one to some residences, see how it was delivered."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from ..views.placeholder import coming_soon

app_name = "announcements"

urlpatterns = [
    path("", coming_soon(_("Announcements")), name="list"),
]
