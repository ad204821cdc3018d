"""Exports asked for and built, and erasures: the tenant's, staff's on a written request,
and the retention task's (services/privacy/retention.py).

An erasure keeps what the landlord's statistics need (the ledger's amounts, the matches'
and sign-ups' states and dates) on the user and tenant rows, which become a pseudonym: a
random address under `ERASED_DOMAIN`, new public ids, no name, no phone, no password. The
`Erasure` log says when and by whom, and links to nobody.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from notifications.models import Device, Notification, Preference
from services.accounts.actions import password_confirm
from services.accounts.households import household_holder_hand_over
from services.accounts.models import (
    KnownSignInClient,
    PasswordResetCode,
    Tenancy,
    Tenant,
    User,
)
from services.core import clock
from services.core.errors import conflict, not_allowed
from services.core.models import IdempotencyRecord
from services.jobs.models import JobProfile, Match, MatchTransition
from services.loyalty.actions import redemption_cancel
from services.loyalty.models import Entry, Redemption
from services.volunteering.models import Mission, SignupTransition

from . import policies, register
from .export import export_build
from .models import Erasure, ExportRequest, InactivityWarning

logger = logging.getLogger("services.privacy")

ERASED_DOMAIN = "erased.invalid"

CannotExport = not_allowed("cannot_export", _("Only tenants can export their data here."))
CannotErase = not_allowed("cannot_erase", _("You may not erase this account."))
AlreadyErased = conflict("already_erased", _("This account has already been erased."))


def is_erased(user: User) -> bool:
    return user.email.endswith("@" + ERASED_DOMAIN)


# --- Export ------------------------------------------------------------------------------


def export_request(*, user: User) -> ExportRequest:
    """Ask for a background export; its file is built by the task `privacy.export_build`
    after commit. A request still being prepared is returned rather than doubled (a
    database constraint decides between two asked at the same instant)."""
    if not policies.can_export(actor=user):
        raise CannotExport()
    try:
        return _export_request_create(user=user)
    except IntegrityError:  # asked at the same instant: that one is being built (or is)
        return ExportRequest.objects.filter(user=user).order_by("-created_at", "-id").first()


@transaction.atomic
def _export_request_create(*, user: User) -> ExportRequest:
    pending = ExportRequest.objects.filter(user=user, status=ExportRequest.Status.PENDING).first()
    if pending is not None:
        return pending
    request = ExportRequest.objects.create(user=user)
    from celery import current_app

    request_id = request.pk
    transaction.on_commit(
        lambda: current_app.signature("privacy.export_build", args=[request_id]).delay()
    )
    return request


def export_file_build(*, request_id: int) -> ExportRequest | None:
    """Build the export's file (safe to run twice: a ready export is left alone)."""
    with transaction.atomic():
        request = (
            ExportRequest.objects.select_for_update().select_related("user").get(pk=request_id)
        )
        if request.status != ExportRequest.Status.PENDING:
            return request
        content = json.dumps(export_build(user=request.user), ensure_ascii=False).encode()
        request.file.save(f"{uuid.uuid4().hex}.json", ContentFile(content), save=False)
        now = clock.now()
        request.size_bytes = len(content)
        request.status = ExportRequest.Status.READY
        request.ready_at = now
        request.expires_at = now + timedelta(hours=settings.PRIVACY_EXPORT_LINK_HOURS)
        request.save()
        from notifications.services import notify

        notify(
            recipients=[request.user],
            kind="privacy.export_ready",
            params={"date": timezone.localtime(request.expires_at).strftime("%d/%m/%Y %H:%M")},
            link_id=request.public_id,
        )
    return request


def export_file_delete(request: ExportRequest, *, status: str) -> None:
    """Drop an export's file (expired, or its owner erased) once the transaction commits."""
    name, storage = (request.file.name, request.file.storage) if request.file else ("", None)
    request.file = ""
    request.status = status
    request.save(update_fields=["file", "status", "updated_at"])
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- Erasure -----------------------------------------------------------------------------


def account_erase(*, user: User, password: str, client_key: str = "") -> Erasure:
    """The tenant erases their own account, confirmed with their password (wrong ones count
    against the sign-in limits)."""
    tenant = Tenant.objects.filter(user=user).first()
    if tenant is None:
        raise CannotErase()
    password_confirm(user=user, password=password, client_key=client_key)
    return _erase(
        tenant_id=tenant.pk, origin=Erasure.Origin.TENANT, actor=user, request_reference=""
    )


def tenant_erase(*, actor: User, tenant: Tenant, request_reference: str) -> Erasure:
    """Staff erase a tenant on the tenant's written request (`request_reference`: the
    letter's date or reference, never a name); logged with who and when."""
    if not policies.can_erase_tenant(actor=actor, tenant=tenant) or actor.pk == tenant.user_id:
        raise CannotErase()
    return _erase(
        tenant_id=tenant.pk,
        origin=Erasure.Origin.STAFF,
        actor=actor,
        request_reference=request_reference.strip()[:200],
    )


def erased_vouchers_cancel(*, tenant: Tenant) -> None:
    """A voucher issued to a pseudonym (a redemption in flight at the instant of the
    erasure) is cancelled by the next retention run."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=tenant.user_id)
        _cancel_vouchers(tenant=tenant, user=user, now=clock.now())


def tenant_erase_for_retention(*, tenant: Tenant) -> Erasure:
    return _erase(
        tenant_id=tenant.pk, origin=Erasure.Origin.RETENTION, actor=None, request_reference=""
    )


@transaction.atomic
def _erase(*, tenant_id: int, origin: str, actor: User | None, request_reference: str) -> Erasure:
    tenant = Tenant.objects.select_related("tenancy").get(pk=tenant_id)
    user = User.objects.select_for_update().get(pk=tenant.user_id)
    if is_erased(user):
        raise AlreadyErased()
    now = clock.now()
    _cancel_vouchers(tenant=tenant, user=user, now=now)
    _erase_jobs(tenant=tenant, user=user)
    _erase_volunteering(tenant=tenant, user=user)
    Entry.objects.filter(account__tenant=tenant).exclude(note="").update(note="")
    _erase_account_traces(user=user, tenant=tenant)
    household_holder_hand_over(tenant=tenant)
    _erase_tenancy(tenant=tenant)

    user.email = f"erased-{secrets.token_hex(8)}@{ERASED_DOMAIN}"
    user.first_name = user.last_name = user.phone = ""
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.public_id = uuid.uuid4()
    user.token_version += 1  # every token still out there dies at its next use
    user.save()
    tenant.public_id = uuid.uuid4()
    tenant.save(update_fields=["public_id", "updated_at"])
    erasure = Erasure.objects.create(
        landlord_id=tenant.landlord_id,
        origin=origin,
        erased_by=actor if origin == Erasure.Origin.STAFF else None,
        request_reference=request_reference,
        at=now,
    )
    logger.info("privacy: account erased erasure=%s origin=%s", erasure.public_id, origin)
    return erasure


def _cancel_vouchers(*, tenant: Tenant, user: User, now) -> None:
    """Unused vouchers die. Those whose code the product made give their points back (the
    ledger stays whole); a partner's code already shown is only marked cancelled."""
    for redemption in Redemption.objects.filter(tenant=tenant, status=Redemption.Status.ISSUED):
        if redemption.pool_code_id is None and redemption.expires_at > now:
            redemption_cancel(actor=user, redemption=redemption, reason="")
        else:
            Redemption.objects.filter(pk=redemption.pk).update(
                status=Redemption.Status.CANCELLED, cancelled_at=now, updated_at=now
            )


def _erase_jobs(*, tenant: Tenant, user: User) -> None:
    profile = JobProfile.objects.filter(tenant=tenant).first()
    if profile is not None:
        if profile.cv:
            name, storage = profile.cv.name, profile.cv.storage
            transaction.on_commit(lambda: storage.delete(name))
        profile.delete()  # its trades, skills and consents go with it
    Match.objects.filter(tenant=tenant).update(reasons=[], **_blanks(Match))
    MatchTransition.objects.filter(match__tenant=tenant).exclude(note="").update(note="")
    MatchTransition.objects.filter(actor=user).update(actor=None)


def _blanks(model) -> dict[str, str]:
    """The model's personal free texts (the register's), each blanked."""
    prefix = model._meta.label + "."
    texts = {
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField))
    }
    return {
        name.removeprefix(prefix): ""
        for name in register.PERSONAL
        if name.startswith(prefix) and name.removeprefix(prefix) in texts
    }


def _erase_volunteering(*, tenant: Tenant, user: User) -> None:
    SignupTransition.objects.filter(actor=user).update(actor=None)
    # A proposal nobody published yet dies; a published mission is the landlord's now.
    Mission.objects.filter(proposed_by=tenant, status=Mission.Status.PROPOSED).update(
        status=Mission.Status.REJECTED, title="—", description="", review_note=""
    )
    Mission.objects.filter(proposed_by=tenant).update(proposed_by=None)


def _erase_account_traces(*, user: User, tenant: Tenant) -> None:
    # The inbox and its outboxes (push and e-mail): nothing more is sent.
    Notification.objects.filter(recipient=user).delete()
    Device.objects.filter(user=user).delete()
    Preference.objects.filter(user=user).delete()
    PasswordResetCode.objects.filter(user=user).delete()
    KnownSignInClient.objects.filter(user=user).delete()
    OutstandingToken.objects.filter(user=user).delete()
    IdempotencyRecord.objects.filter(scope=f"user:{user.public_id}").delete()
    InactivityWarning.objects.filter(user=user).delete()
    for request in ExportRequest.objects.filter(user=user):
        if request.file:
            name, storage = request.file.name, request.file.storage
            transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
    ExportRequest.objects.filter(user=user).delete()
    _erase_household(tenant=tenant)


def _erase_household(*, tenant: Tenant) -> None:
    from django.apps import apps

    try:
        invitation = apps.get_model("accounts", "HouseholdInvitation")
    except LookupError:
        return
    # The codes it gave and nobody used yet die with the account.
    invitation.objects.filter(
        invited_by=tenant, accepted_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=clock.now())
    invitation.objects.filter(invited_by=tenant).update(email="")
    invitation.objects.filter(accepted_by=tenant).update(email="")


def _erase_tenancy(*, tenant: Tenant) -> None:
    """The holders' names go when no member with an account is left on the tenancy (the
    landlord's own tenancy records live in its management system, not here)."""
    others = (
        Tenant.objects.filter(tenancy_id=tenant.tenancy_id)
        .exclude(pk=tenant.pk)
        .exclude(user__email__endswith="@" + ERASED_DOMAIN)
    )
    if not others.exists():
        Tenancy.objects.filter(pk=tenant.tenancy_id).update(holder_names="—")
