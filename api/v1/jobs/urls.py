"""Jobs routes (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(use_regex_path=False)
router.register("jobs/offers", views.JobsOfferViewSet, basename="jobs-offer")
router.register("jobs/matches", views.JobsMatchViewSet, basename="jobs-match")

urlpatterns = [
    path("jobs/profile/", views.JobsProfileView.as_view(), name="jobs-profile"),
    path("jobs/profile/consents/", views.JobsConsentView.as_view(), name="jobs-consents"),
    path("jobs/profile/cv/", views.JobsCvView.as_view(), name="jobs-cv"),
    path("jobs/rome/", views.JobsRomeView.as_view(), name="jobs-rome"),
    path("jobs/stats/", views.JobsStatsView.as_view(), name="jobs-stats"),
    *router.urls,
]
