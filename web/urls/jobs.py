"""The jobs section (admins and job advisors): /console/jobs/..."""

from django.urls import path

from ..views import jobs

app_name = "jobs"

urlpatterns = [
    path("", jobs.offer_list, name="index"),
    path("offers/", jobs.offer_list, name="offers"),
    path("offers/new/", jobs.offer_create, name="offer_create"),
    path("offers/<uuid:id>/", jobs.offer_detail, name="offer_detail"),
    path("offers/<uuid:id>/edit/", jobs.offer_edit, name="offer_edit"),
    path("offers/<uuid:id>/status/", jobs.offer_status, name="offer_status"),
    path("offers/<uuid:id>/untarget/", jobs.offer_untarget, name="offer_untarget"),
    path("offers/<uuid:id>/candidates/", jobs.offer_candidates, name="offer_candidates"),
    path(
        "offers/<uuid:id>/candidates/<uuid:profile_id>/suggest/",
        jobs.candidate_suggest,
        name="candidate_suggest",
    ),
    path("rome/", jobs.rome_search, name="rome_search"),
    path("matches/", jobs.pipeline, name="matches"),
    path("matches/<uuid:id>/", jobs.match_detail, name="match_detail"),
    path("matches/<uuid:id>/propose/", jobs.match_propose, name="match_propose"),
    path("employers/", jobs.employer_list, name="employers"),
    path("employers/new/", jobs.employer_create, name="employer_create"),
    path("employers/<uuid:id>/", jobs.employer_detail, name="employer_detail"),
    path("employers/<uuid:id>/invite/", jobs.employer_invite, name="employer_invite"),
    path(
        "employers/<uuid:id>/members/<uuid:member_id>/access/",
        jobs.employer_member_access,
        name="employer_member_access",
    ),
    path("stats/", jobs.stats, name="stats"),
]
