"""Account-wide consents (push marketing), kept like the job consents: an append-only log
of grants and withdrawals, each with its date and the version of the text agreed to. The
current state of a purpose is its latest row; no row means not granted."""

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from services.core import clock
from services.core.errors import invalid

from .models import Consent, User

# The version of the consent text the app shows; bump it when the text changes.
MARKETING_CONSENT_VERSION = "2026-12"
VERSIONS = {Consent.Purpose.PUSH_MARKETING: MARKETING_CONSENT_VERSION}


UnknownPurpose = invalid("invalid_purpose", _("Unknown consent purpose."))


@transaction.atomic
def consent_set(*, user: User, purpose: str, granted: bool) -> Consent:
    if purpose not in VERSIONS:
        raise UnknownPurpose(fields={"purpose": [str(UnknownPurpose.default_message)]})
    return Consent.objects.create(
        user=user, purpose=purpose, granted=granted, version=VERSIONS[purpose], at=clock.now()
    )


def consent_list_for_user(*, user: User) -> list[Consent]:
    """The user's own consent history, newest first."""
    return list(Consent.objects.filter(user=user).order_by("-at", "-id"))


def latest_granted(purpose: str, user_ref: str = "user_id") -> Subquery:
    """The latest answer for `purpose` of the user `user_ref` points at (None: never asked),
    for filtering an audience in one query."""
    return Subquery(
        Consent.objects.filter(user_id=OuterRef(user_ref), purpose=purpose)
        .order_by("-at", "-id")
        .values("granted")[:1]
    )
