from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.exceptions import api_not_found
from backend.observability import health
from backend.observability.metrics import metrics_view
from web.views.landing import landing

urlpatterns = [
    path("", landing, name="landing"),
    path("console/", include("web.urls")),
    path("espace/", include("web.urls.employer")),  # employers, by magic link
    path("partenaire/", include("web.urls.partner")),  # loyalty partners, by magic link
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include("api.v1.urls")),
    re_path(r"^api/", api_not_found),  # last: JSON 404 under /api/, even with DEBUG on
]

handler400 = "backend.errors.handler400"
handler403 = "backend.errors.handler403"
handler404 = "backend.errors.handler404"
handler500 = "backend.errors.handler500"
