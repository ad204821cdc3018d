"""The retention rules (docs/privacy.md, "Retention"), run nightly by `privacy.retention`:

- a tenant account nobody used for PRIVACY_INACTIVE_ACCOUNT_DAYS is anonymised (erased like
  on request), after a warning by e-mail and push PRIVACY_INACTIVITY_WARNING_DAYS before;
- a CV is deleted once its tenant has had no open match and no new CV for
  PRIVACY_CV_IDLE_DAYS;
- a line of "who saw my revealed profile" is deleted PRIVACY_VIEW_LOG_DAYS after the view;
- an export's file is deleted when its link expires;
- a voucher issued to an erased account (a redemption in flight at the instant of the
  erasure) is cancelled.

Activity: the latest of the account's creation, a sign-in or a token refresh (every one
issues a refresh token, whose row keeps its date) and a device seen by the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, Exists, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from notifications.models import Device
from services.accounts.models import Tenant, User
from services.core import clock, periodic
from services.jobs.models import OPEN_MATCH_STATES, JobProfile, Match, RevealedProfileView

from . import actions
from .models import ExportRequest, InactivityWarning

TASK = "privacy.retention"


@dataclass
class RetentionReport:
    warned: int = 0
    anonymised: int = 0
    cvs_deleted: int = 0
    views_deleted: int = 0
    exports_expired: int = 0
    failed: list = field(default_factory=list)


def _latest(model, user_field: str, date_field: str):
    return Subquery(
        model.objects.filter(**{user_field: OuterRef("pk")})
        .order_by()
        .values(user_field)
        .annotate(latest=Max(date_field))
        .values("latest")[:1],
        output_field=DateTimeField(),
    )


def with_last_activity(users):
    """`users` annotated with `last_activity_at` (see the module's docstring)."""
    return users.annotate(
        last_activity_at=Greatest(
            "date_joined",
            Coalesce("last_login", "date_joined"),
            Coalesce(_latest(OutstandingToken, "user", "created_at"), "date_joined"),
            Coalesce(_latest(Device, "user", "last_seen_at"), "date_joined"),
        )
    )


def _tenant_users():
    return User.objects.filter(role=User.Role.TENANT, tenant__isnull=False).exclude(
        email__endswith="@" + actions.ERASED_DOMAIN
    )


def inactive_accounts_process(now: datetime, report: RetentionReport) -> None:
    inactive = timedelta(days=settings.PRIVACY_INACTIVE_ACCOUNT_DAYS)
    notice = timedelta(days=settings.PRIVACY_INACTIVITY_WARNING_DAYS)
    # Used since their warning: that warning no longer counts (a later idleness is warned anew).
    stale = with_last_activity(User.objects.filter(privacy_warning__isnull=False)).filter(
        last_activity_at__gt=F("privacy_warning__last_activity_at")
    )
    InactivityWarning.objects.filter(user__in=stale.values("pk")).delete()
    due = with_last_activity(_tenant_users()).filter(last_activity_at__lte=now - inactive + notice)
    loop = periodic.Loop(TASK)
    for user in due.select_related("privacy_warning").order_by("pk").iterator(chunk_size=200):
        with loop.item(user.pk):
            warning = getattr(user, "privacy_warning", None)
            if warning is not None and warning.last_activity_at < user.last_activity_at:
                warning.delete()  # used since the last warning: that one no longer counts
                warning = None
            if warning is None:
                _warn(user, now)
                report.warned += 1
            elif warning.warned_at <= now - notice and user.last_activity_at <= now - inactive:
                actions.tenant_erase_for_retention(tenant=Tenant.objects.get(user=user))
                report.anonymised += 1
    report.failed += loop.failed


def _warn(user: User, now: datetime) -> None:
    from notifications.services import notify

    deadline = now + timedelta(days=settings.PRIVACY_INACTIVITY_WARNING_DAYS)
    InactivityWarning.objects.create(
        user=user, warned_at=now, last_activity_at=user.last_activity_at
    )
    notify(
        recipients=[user],
        kind="privacy.inactivity_warning",
        params={"date": timezone.localtime(deadline).strftime("%d/%m/%Y")},
    )


def idle_cvs_delete(now: datetime, report: RetentionReport) -> None:
    from services.jobs.actions import cv_delete

    since = now - timedelta(days=settings.PRIVACY_CV_IDLE_DAYS)
    matches = Match.objects.filter(tenant=OuterRef("tenant"))
    idle = (
        JobProfile.objects.exclude(cv="")
        .filter(cv_uploaded_at__lte=since)
        .exclude(Exists(matches.filter(state__in=OPEN_MATCH_STATES)))
        .exclude(Exists(matches.filter(state_changed_at__gt=since)))
        .select_related("tenant")
    )
    loop = periodic.Loop(TASK)
    for profile in idle.order_by("pk"):
        with loop.item(profile.pk):
            cv_delete(tenant=profile.tenant)
            report.cvs_deleted += 1
    report.failed += loop.failed


def view_logs_delete(now: datetime, report: RetentionReport) -> None:
    since = now - timedelta(days=settings.PRIVACY_VIEW_LOG_DAYS)
    ids = list(RevealedProfileView.objects.filter(at__lte=since).values_list("pk", flat=True))

    def delete(batch) -> int:
        return RevealedProfileView.objects.filter(pk__in=batch).delete()[0]

    deleted, loop = periodic.each_in_batches(ids, delete, task=TASK)
    report.views_deleted += deleted
    report.failed += loop.failed


def expired_exports_delete(now: datetime, report: RetentionReport) -> None:
    loop = periodic.Loop(TASK)
    due = ExportRequest.objects.filter(status=ExportRequest.Status.READY, expires_at__lte=now)
    for request in due.order_by("pk"):
        with loop.item(request.pk):
            actions.export_file_delete(request, status=ExportRequest.Status.EXPIRED)
            report.exports_expired += 1
    report.failed += loop.failed


def erased_vouchers_cancel(now: datetime, report: RetentionReport) -> None:
    from services.loyalty.models import Redemption

    tenants = Tenant.objects.filter(
        user__email__endswith="@" + actions.ERASED_DOMAIN,
        pk__in=Redemption.objects.filter(status=Redemption.Status.ISSUED).values("tenant"),
    )
    loop = periodic.Loop(TASK)
    for tenant in tenants.order_by("pk"):
        with loop.item(tenant.pk):
            actions.erased_vouchers_cancel(tenant=tenant)
    report.failed += loop.failed


def retention_run() -> RetentionReport:
    """Every retention rule, once (safe to run twice: what is done is not done again)."""
    now = clock.now()
    report = RetentionReport()
    view_logs_delete(now, report)
    idle_cvs_delete(now, report)
    expired_exports_delete(now, report)
    inactive_accounts_process(now, report)
    erased_vouchers_cancel(now, report)
    return report
