"""Tenancies: list, create, the activation letter, re-issue a code, CSV import."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from ..access import ADMIN, COMMUNITY
from ..views.placeholder import coming_soon

app_name = "tenancies"

urlpatterns = [
    path("", coming_soon(_("Tenancies"), ADMIN, COMMUNITY), name="list"),
]
