"""/api/v1/: each area routes its own paths."""

from django.urls import include, path

urlpatterns = [
    path("", include("api.v1.accounts.urls")),
    path("", include("api.v1.notifications.urls")),
    path("", include("api.v1.jobs.urls")),
    path("", include("api.v1.volunteering.urls")),
    path("", include("api.v1.loyalty.urls")),
    path("", include("api.v1.privacy.urls")),
    path("", include("api.v1.home.urls")),
]
