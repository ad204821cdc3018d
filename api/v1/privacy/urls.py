from django.urls import path

from . import views

urlpatterns = [
    path("me/export/", views.ExportView.as_view(), name="me-export"),
    path("me/exports/<uuid:id>/", views.ExportStatusView.as_view(), name="me-export-status"),
    path(
        "me/exports/<uuid:id>/download/",
        views.ExportDownloadView.as_view(),
        name="me-export-download",
    ),
]
