"""Reads for the privacy routes: a user's own export requests, and how big an export is."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from services.accounts.models import User
from services.core.errors import DomainError, not_found

from .export import export_row_count
from .models import ExportRequest

UnknownExport = not_found("not_found", _("Not found."))


class ExportExpired(DomainError):
    status = 410
    code = "export_expired"
    default_message = _("This download link has expired: ask for a new export.")


def export_request_for_user(*, user: User, public_id) -> ExportRequest:
    """One of the user's own export requests; anybody else's is simply absent (404)."""
    request = ExportRequest.objects.filter(user=user, public_id=public_id).first()
    if request is None:
        raise UnknownExport()
    return request


def export_is_small(*, user: User) -> bool:
    """Whether GET /me/export/ answers inline (docs/privacy.md, "The export")."""
    if export_row_count(user=user) > settings.PRIVACY_EXPORT_INLINE_MAX_ROWS:
        return False
    profile = getattr(getattr(user, "tenant", None), "job_profile", None)
    if profile is None or not profile.cv:
        return True
    try:
        return profile.cv.size <= settings.PRIVACY_EXPORT_INLINE_MAX_CV_BYTES
    except OSError:
        return True
