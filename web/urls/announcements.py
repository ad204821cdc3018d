"""Announcements: write one to some residences, see how it was delivered."""

from django.urls import path

from ..views import announcements

app_name = "announcements"

urlpatterns = [
    path("", announcements.announcement_list, name="list"),
    path("new/", announcements.announcement_create, name="create"),
    path("<uuid:id>/", announcements.announcement_detail, name="detail"),
]
