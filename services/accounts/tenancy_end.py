"""Moving out: when a member's tenancy ends, and what they may still do.

A member's membership ends on the tenancy's `end_date` (the last day of the tenancy,
inclusive), or earlier when the holder removed them from the household (`Tenant.left_at`:
the day of the removal is already outside). From the next day the member keeps read access
for `TENANCY_READ_ACCESS_DAYS` (90) days: their record, their points history, an export.
They can no longer earn, sign up or redeem: `require_active()` is the one check the areas'
write actions call, and `api.permissions.TenancyActive` the API's (403 `tenancy_ended`).
After the read-only days the nightly task closes the account (deactivated, every session
ended). Members are told `TENANCY_END_NOTICE_DAYS` (30) days before the end date, and at
once when staff end a tenancy.

Open job matches: closed when the membership ends, unless the member asked to keep job
support (`Tenant.keep_job_support`, offered when `Landlord.job_support_after_move_out`); then
they stay open, and the jobs writes stay allowed, until the account is closed. Accounts
never imports jobs: it announces both moments through `services.core.extensions`.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register
from services.core import clock, extensions, periodic
from services.core.errors import NotFound, invalid, not_allowed

from . import locks, policies
from .actions import CannotManageTenancies, sessions_end_all
from .models import Tenancy, Tenant, User

logger = logging.getLogger(__name__)

ACTIVE = "active"
ENDED = "ended"  # read-only
CLOSED = "closed"

JOBS = "jobs"  # the purpose a member who kept job support may still write for

END_NOTICE_KIND = "account.tenancy_ending"
ENDED_KIND = "account.tenancy_ended"

register(
    NotificationKind(
        code=END_NOTICE_KIND,
        category=Category.ACCOUNT,
        title=_("Your tenancy ends on {date}"),
        body=_(
            "Your landlord told us your tenancy ends on {date}. After that day you can still "
            "read your account, your points history and download your data for {days} days; "
            "you can no longer earn or spend points or sign up. Spend your points before "
            "{date}: those left expire when the account is closed."
        ),
        switchable=False,
        channels=("inbox", "push", "email"),
        link_type="account",
        ttl_seconds=7 * 24 * 3600,
        extra={"email_path": "/"},
    ),
    NotificationKind(
        code=ENDED_KIND,
        category=Category.ACCOUNT,
        title=_("Your access is now read-only"),
        body=_(
            "Your membership of this tenancy has ended. Until {date} you can read your "
            "account and download your data; then the account is closed."
        ),
        switchable=False,
        channels=("inbox", "push", "email"),
        link_type="account",
        ttl_seconds=7 * 24 * 3600,
        extra={"email_path": "/"},
    ),
)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def read_access_days() -> int:
    return _setting("TENANCY_READ_ACCESS_DAYS", 90)


def end_notice_days() -> int:
    return _setting("TENANCY_END_NOTICE_DAYS", 30)


TenancyEnded = not_allowed(
    "tenancy_ended",
    _(
        "Your tenancy has ended: you can still read your account, but no longer earn, "
        "sign up or redeem."
    ),
)
AccountClosed = not_allowed("account_closed", _("This account is closed."))
InvalidEndDate = invalid("invalid_end_date", _("The end date must be on or after the start."))
JobSupportNotOffered = not_allowed(
    "job_support_not_offered", _("Your landlord does not offer job support after moving out.")
)


# --- Where a member stands ----------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    state: str  # ACTIVE, ENDED (read-only) or CLOSED
    last_day: datetime.date | None  # the membership's last day (None: no end known)
    read_until: datetime.date | None  # the last day of read access


def last_day(tenant: Tenant) -> datetime.date | None:
    """The membership's last day: the tenancy's end date, or the day before the removal."""
    days = [tenant.tenancy.end_date] if tenant.tenancy.end_date else []
    if tenant.left_at is not None:
        days.append(timezone.localdate(tenant.left_at) - timedelta(days=1))
    return min(days) if days else None


def standing(tenant: Tenant, *, today: datetime.date | None = None) -> Standing:
    today = today or clock.today()
    last = last_day(tenant)
    read_until = last + timedelta(days=read_access_days()) if last else None
    if tenant.closed_at is not None:
        state = CLOSED
    elif last is None or today <= last:
        state = ACTIVE
    elif today <= read_until:
        state = ENDED
    else:
        state = CLOSED  # due: the nightly task closes it
    return Standing(state=state, last_day=last, read_until=read_until)


def require_active(tenant: Tenant, *, purpose: str = "") -> None:
    """The one check before a tenant earns, signs up, redeems or writes (403 `tenancy_ended`).
    A member who kept job support may still write for `purpose=JOBS` while read-only."""
    state = standing(tenant).state
    if state == ACTIVE:
        return
    if state == ENDED and purpose == JOBS and tenant.keep_job_support:
        return
    raise TenancyEnded()


def may_earn(tenant: Tenant) -> bool:
    """Earning is silent: the activity a staff member validates still stands, no points."""
    return standing(tenant).state == ACTIVE


# --- The tenant's choice ------------------------------------------------------------------


@transaction.atomic
def job_support_set(*, tenant: Tenant, keep: bool) -> Tenant:
    """The member asks (or no longer asks) to keep their open matches when they move out."""
    tenant = locks.lock_tenant(related=("landlord", "tenancy"), pk=tenant.pk)
    if standing(tenant).state == CLOSED:
        raise AccountClosed()
    if keep and not tenant.landlord.job_support_after_move_out:
        raise JobSupportNotOffered()
    tenant.keep_job_support = keep
    tenant.save(update_fields=["keep_job_support", "updated_at"])
    return tenant


# --- Staff end a tenancy ------------------------------------------------------------------

END_DATE_DAYS_AHEAD = 10 * 366


def _members(tenancy: Tenancy):
    return (
        Tenant.objects.filter(tenancy=tenancy, left_at__isnull=True, closed_at__isnull=True)
        .select_related("user", "landlord", "tenancy")
        .order_by("pk")
    )


def _tell_ending(tenancy: Tenancy) -> None:
    from notifications.services import notify

    users = [m.user for m in _members(tenancy) if m.user.is_active]
    if users:
        notify(
            recipients=users,
            kind=END_NOTICE_KIND,
            params={
                "date": tenancy.end_date.strftime("%d/%m/%Y"),
                "days": read_access_days(),
            },
            sender=tenancy.landlord.name,
        )
    tenancy.end_notice_for = tenancy.end_date
    tenancy.save(update_fields=["end_notice_for", "updated_at"])


@transaction.atomic
def tenancy_end(*, actor: User, tenancy: Tenancy, end_date: datetime.date) -> Tenancy:
    """Staff (admins and community officers of its landlord) set a tenancy's last day, today
    or another day; its members are told at once. A day in the past ends it already."""
    if not policies.can_manage_tenancies(actor=actor):
        raise CannotManageTenancies()
    tenancy = locks.lock_tenancy(related=("landlord",), pk=tenancy.pk)
    if tenancy.landlord_id != actor.staff.landlord_id:
        raise NotFound()
    if end_date < tenancy.start_date or (end_date - clock.today()).days > END_DATE_DAYS_AHEAD:
        raise InvalidEndDate(fields={"end_date": [str(InvalidEndDate.default_message)]})
    tenancy.end_date = end_date
    tenancy.ended_by = actor
    tenancy.ended_at = clock.now()
    tenancy.save(update_fields=["end_date", "ended_by", "ended_at", "updated_at"])
    _tell_ending(tenancy)
    return tenancy


# --- The nightly task ---------------------------------------------------------------------


@dataclass
class MovingOutReport:
    told: int = 0
    ended: int = 0
    closed: int = 0
    failed: list = field(default_factory=list)  # the ids of the items that raised


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _ended_before(today: datetime.date) -> Q:
    """Members whose membership's last day is before `today` (a removal's day is outside)."""
    return Q(tenancy__end_date__lt=today) | Q(left_at__lt=_start_of(today + timedelta(days=1)))


@transaction.atomic
def membership_end(*, tenant_id: int) -> bool:
    """Process a membership that ended (the nightly task, or at once on a removal): open
    matches closed unless kept, the member told until when they can read. Once."""
    tenant = locks.lock_tenant(related=("user", "tenancy", "landlord"), pk=tenant_id)
    if tenant.moved_out_at is not None or standing(tenant).state == ACTIVE:
        return False
    tenant.moved_out_at = clock.now()
    tenant.save(update_fields=["moved_out_at", "updated_at"])
    extensions.tenant_moved_out(tenant=tenant, keep_job_support=tenant.keep_job_support)
    state = standing(tenant)
    if state.state == ENDED and tenant.user.is_active:
        from notifications.services import notify

        notify(
            recipients=[tenant.user],
            kind=ENDED_KIND,
            params={"date": state.read_until.strftime("%d/%m/%Y")},
            sender=tenant.landlord.name,
        )
    return True


def account_close(*, tenant: Tenant) -> bool:
    """Close a former member's account once their read access is over: deactivated, every
    session ended, its devices switched off, kept job matches closed. Points left stay in
    the ledger and expire on their lots' own dates; vouchers keep their own expiry."""
    return _close(tenant.pk)


@transaction.atomic
def _close(tenant_id: int) -> bool:
    tenant = locks.lock_tenant(related=("user", "tenancy"), pk=tenant_id)
    if tenant.closed_at is not None or standing(tenant).state != CLOSED:
        return False
    if tenant.moved_out_at is None:
        tenant.moved_out_at = clock.now()
    tenant.closed_at = clock.now()
    tenant.save(update_fields=["moved_out_at", "closed_at", "updated_at"])
    extensions.tenant_moved_out(tenant=tenant, keep_job_support=False, closed=True)
    user = tenant.user
    user.is_active = False
    user.save(update_fields=["is_active", "updated_at"])
    sessions_end_all(user=user)
    _devices_off(user)
    return True


def _devices_off(user: User) -> None:
    """Nothing more reaches the closed account's phones (a late points-expiry warning)."""
    from notifications.devices import devices_deactivate
    from notifications.models import Device

    ids = list(Device.objects.filter(user=user, is_active=True).values_list("pk", flat=True))
    if ids:
        devices_deactivate(device_ids=ids, reason=Device.Reason.LOGOUT)


def tenancies_moving_out() -> MovingOutReport:
    """Nightly: tell members of tenancies ending within the notice period, process the
    memberships that ended (open matches), close the accounts whose read access is over.
    Each member is its own item: one that fails is logged and the others go on."""
    today = clock.today()
    report = MovingOutReport()
    loop = periodic.Loop("accounts.moving_out")
    ending = (
        Tenancy.objects.filter(
            end_date__gte=today, end_date__lte=today + timedelta(days=end_notice_days())
        )
        .exclude(end_notice_for=F("end_date"))
        .select_related("landlord")
        .order_by("pk")
    )
    for tenancy in ending:
        with loop.item(f"tenancy:{tenancy.pk}"):  # its own transaction
            locked = locks.lock_tenancy(related=("landlord",), pk=tenancy.pk)
            if locked.end_notice_for != locked.end_date:
                _tell_ending(locked)
                report.told += 1
    to_end = (
        Tenant.objects.filter(_ended_before(today), moved_out_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for tenant_id in list(to_end):
        with loop.item(f"end:{tenant_id}"):
            report.ended += membership_end(tenant_id=tenant_id)
    cutoff = today - timedelta(days=read_access_days())
    to_close = (
        Tenant.objects.filter(
            Q(tenancy__end_date__lt=cutoff) | Q(left_at__lt=_start_of(cutoff + timedelta(days=1))),
            closed_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for tenant_id in list(to_close):
        with loop.item(f"close:{tenant_id}"):
            report.closed += _close(tenant_id)
    report.failed = list(loop.failed)
    return report
