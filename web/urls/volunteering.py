"""The volunteering section (admins and community officers): /console/volunteering/..."""

from django.urls import path

from ..views import volunteering as views

app_name = "volunteering"

urlpatterns = [
    path("", views.mission_list, name="index"),
    path("missions/", views.mission_list, name="missions"),
    path("missions/new/", views.mission_create, name="mission_create"),
    path("missions/<uuid:id>/", views.mission_detail, name="mission_detail"),
    path("missions/<uuid:id>/edit/", views.mission_edit, name="mission_edit"),
    path("missions/<uuid:id>/publish/", views.mission_publish, name="mission_publish"),
    path("missions/<uuid:id>/cancel/", views.mission_cancel, name="mission_cancel"),
    path("missions/<uuid:id>/slots/", views.slot_add, name="slot_add"),
    path("slots/<uuid:id>/", views.slot_detail, name="slot_detail"),
    path("slots/<uuid:id>/edit/", views.slot_edit, name="slot_edit"),
    path("slots/<uuid:id>/cancel/", views.slot_cancel, name="slot_cancel"),
    path("slots/<uuid:id>/attendance/", views.attendance, name="attendance"),
    path("slots/<uuid:id>/checkin/", views.checkin_code, name="checkin"),
    path("signups/", views.signup_list, name="signups"),
    path("initiatives/", views.initiative_list, name="initiatives"),
    path("initiatives/<uuid:id>/review/", views.initiative_review, name="initiative_review"),
    path("stats/", views.stats, name="stats"),
]
