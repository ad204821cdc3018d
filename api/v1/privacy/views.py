"""A tenant's data: the export (inline when small, else built in the background)."""

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import idempotent
from api.permissions import TENANT, roles
from services.core import clock
from services.core.errors import conflict
from services.privacy import actions, export, selectors
from services.privacy.models import ExportRequest

from . import serializers as s

ExportTooLarge = conflict(
    "export_too_large",
    _("Your data is too large to send at once: ask for a download link (POST /me/export/)."),
)
ExportNotReady = conflict("export_not_ready", _("This export is still being prepared."))


class ExportView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "Everything the product holds about me, as JSON (format `voisinage.personal-data-"
            "export`, version 1; docs/privacy.md). Answered inline up to 1000 rows and a CV of "
            "1 MB; beyond, 409 `export_too_large`: ask for a download link with POST."
        ),
    )
    def get(self, request):
        if not selectors.export_is_small(user=request.user):
            raise ExportTooLarge()
        response = Response(export.export_build(user=request.user))
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        tags=["me"],
        request=None,
        responses={202: s.PrivacyExportRequestOutput},
        description=(
            "Asks for the export as a file, built in the background; the answer's `id` gives "
            "its status, then its download link (valid 72 hours, for this account only). "
            "Asking again while one is being prepared returns that one."
        ),
    )
    @idempotent
    def post(self, request):
        row = actions.export_request(user=request.user)
        row.refresh_from_db()
        return Response(s.PrivacyExportRequestOutput(row).data, status=status.HTTP_202_ACCEPTED)


class ExportStatusView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(tags=["me"], responses={200: s.PrivacyExportRequestOutput})
    def get(self, request, id):
        row = selectors.export_request_for_user(user=request.user, public_id=id)
        return Response(s.PrivacyExportRequestOutput(row).data)


class ExportDownloadView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        responses={(200, "application/json"): OpenApiTypes.BINARY},
        description="The export's file, for its owner only, until it expires (then 410).",
    )
    def get(self, request, id):
        row = selectors.export_request_for_user(user=request.user, public_id=id)
        if row.status == ExportRequest.Status.EXPIRED or (
            row.expires_at is not None and row.expires_at <= clock.now()
        ):
            raise selectors.ExportExpired()
        if row.status != ExportRequest.Status.READY or not row.file:
            raise ExportNotReady()
        response = FileResponse(
            row.file.open("rb"),
            as_attachment=True,
            filename=f"voisinage-export-{row.created_at:%Y%m%d}.json",
            content_type="application/json",
        )
        response["Cache-Control"] = "no-store"
        return response
