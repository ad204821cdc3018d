"""Tenancies and their activation codes, managed by the landlord's staff."""

import csv
import datetime
import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from services.core import clock
from services.core.errors import (
    DomainError,
    NotFound,
    invalid,
    not_allowed,
    not_authenticated,
)

from .. import codes, locks, policies
from ..models import (
    Residence,
    Tenancy,
    User,
)

InvalidActivationCode = invalid(
    "invalid_activation_code",
    _("This activation code is not valid. Ask your landlord for a new one."),
)
InvalidInvitationCode = invalid(
    "invalid_invitation_code", _("This invitation code is not valid. Ask for a new one.")
)
EmailTaken = invalid("email_taken", _("An account already exists with this e-mail."))
InvalidCredentials = invalid("invalid_credentials", _("E-mail or password is incorrect."))
# 401 like an expired access token: the app's answer to both is to sign in again.
InvalidToken = not_authenticated("token_not_valid", _("This token is invalid or expired."))
WrongPassword = invalid("wrong_password", _("The current password is incorrect."))
TenancyExists = invalid("tenancy_exists", _("A tenancy with this tenant reference already exists."))
CannotManageTenancies = not_allowed(
    "permission_denied", _("Only administrators and community officers manage tenancies.")
)
CannotManageEmployers = not_allowed(
    "permission_denied", _("Only administrators and job advisors manage employers.")
)


class LoginLocked(DomainError):
    status = 429
    code = "login_locked"
    default_message = _("Too many failed sign-in attempts. Try again in 15 minutes.")


class ActivationThrottled(DomainError):
    status = 429
    code = "throttled"
    default_message = _("Too many attempts. Please try again later.")


WeakPassword = invalid("invalid_password", _("This password is too weak."))
EndBeforeStart = invalid("invalid_dates", _("The end date is before the start date."))
UnreadableCsv = invalid("invalid_csv", _("The file is not a readable CSV text file."))
InvalidSiret = invalid("invalid_siret", _("Enter a valid 14-digit SIRET number."))
ReadOnlyFields = invalid("invalid", _("These fields cannot be changed."))
TenancyAlreadyActivated = invalid(
    "tenancy_already_activated", _("This tenancy is already activated.")
)


def _password_errors(password: str, user: User | None = None, *, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise WeakPassword(fields={field: list(exc.messages)}) from None


# --- Tenancies and activation codes -------------------------------------------------


def _issue_activation_code(tenancy: Tenancy) -> str:
    code = codes.new_code()
    tenancy.activation_code_hash = codes.hash_code(code)
    tenancy.activation_code_expires_at = clock.now() + timedelta(
        days=settings.ACTIVATION_CODE_TTL_DAYS
    )
    return code


@dataclass
class TenancyCreated:
    tenancy: Tenancy
    activation_code: str


def _check_tenancy_manager(actor: User) -> None:
    if not policies.can_manage_tenancies(actor=actor):
        raise CannotManageTenancies()


@transaction.atomic
def tenancy_create(
    *,
    actor: User,
    residence: Residence,
    unit_reference: str,
    tenant_reference: str,
    holder_names: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> TenancyCreated:
    _check_tenancy_manager(actor)
    landlord = actor.staff.landlord
    if residence.landlord_id != landlord.pk:
        raise NotFound(fields={"residence": [str(_("Unknown residence."))]})
    if end_date and end_date < start_date:
        raise EndBeforeStart(fields={"end_date": [str(EndBeforeStart.default_message)]})
    tenancy = Tenancy(
        landlord=landlord,
        residence=residence,
        unit_reference=unit_reference.strip(),
        tenant_reference=tenant_reference.strip(),
        holder_names=holder_names.strip(),
        start_date=start_date,
        end_date=end_date,
    )
    code = _issue_activation_code(tenancy)
    try:
        with transaction.atomic():
            tenancy.save()
    except IntegrityError:
        raise TenancyExists(
            fields={"tenant_reference": [str(TenancyExists.default_message)]}
        ) from None
    return TenancyCreated(tenancy=tenancy, activation_code=code)


@transaction.atomic
def tenancy_reissue_activation_code(*, actor: User, tenancy: Tenancy) -> TenancyCreated:
    if not actor.is_superuser:
        _check_tenancy_manager(actor)
    tenancy = locks.lock_tenancy(pk=tenancy.pk)
    if not actor.is_superuser and tenancy.landlord_id != actor.staff.landlord_id:
        raise NotFound()
    if tenancy.activated_at is not None:
        raise TenancyAlreadyActivated()
    code = _issue_activation_code(tenancy)
    tenancy.save(update_fields=["activation_code_hash", "activation_code_expires_at", "updated_at"])
    return TenancyCreated(tenancy=tenancy, activation_code=code)


IMPORT_COLUMNS = (
    "residence",
    "unit_reference",
    "tenant_reference",
    "holder_names",
    "start_date",
    "end_date",
)


@dataclass
class ImportReport:
    created: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


# The same window as the API's tenancy dates (api/v1/accounts/serializers.py): year 1 or
# 9999 from a file is as absurd as from the app.
IMPORT_DATE_DAYS_BACK, IMPORT_DATE_DAYS_AHEAD = 80 * 366, 10 * 366


def _parse_date(value: str) -> datetime.date:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if not -IMPORT_DATE_DAYS_BACK <= (day - clock.today()).days <= IMPORT_DATE_DAYS_AHEAD:
            raise ValueError(value)
        return day
    raise ValueError(value)


def tenancy_import_csv(*, actor: User, content: bytes) -> ImportReport:
    """Create a tenancy per valid row; every other row is reported with its line and reason.

    A row whose tenant reference already exists is rejected, so a re-import creates nothing
    twice. Each row is its own transaction: one bad row loses nothing else.
    """
    _check_tenancy_manager(actor)
    landlord = actor.staff.landlord
    report = ImportReport()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableCsv() from None
    if "\x00" in text:
        raise UnreadableCsv()
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)  # the header names the columns
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c != "end_date" and c not in headers]
    if missing:
        raise UnreadableCsv(
            message=str(_("Missing columns: {columns}.")).format(columns=", ".join(missing))
        )
    reader.fieldnames = headers
    residences = {
        key: r
        for r in Residence.objects.filter(landlord=landlord)
        for key in (r.name.strip().lower(), str(r.public_id))
    }
    seen: set[str] = set()
    try:
        for row in reader:
            _import_row(actor, reader.line_num, row, residences, seen, report)
    except csv.Error as exc:
        report.rejected.append(
            {"line": reader.line_num, "tenant_reference": "", "reason": str(exc)}
        )
    return report


IMPORT_MAX_LENGTHS = {"unit_reference": 50, "tenant_reference": 50, "holder_names": 255}


def _import_row(
    actor: User, line: int, row: dict, residences: dict, seen: set, report: ImportReport
) -> None:
    row = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
    reference = row.get("tenant_reference", "")

    def reject(reason: str, _line: int = line, _ref: str = reference) -> None:
        report.rejected.append({"line": _line, "tenant_reference": _ref, "reason": reason})

    residence = residences.get(row.get("residence", "").lower())
    if residence is None:
        reject(str(_("Unknown residence.")))
        return
    if not reference or not row.get("unit_reference") or not row.get("holder_names"):
        reject(str(_("tenant_reference, unit_reference and holder_names are required.")))
        return
    too_long = [k for k, n in IMPORT_MAX_LENGTHS.items() if len(row.get(k, "")) > n]
    if too_long:
        reject(str(_("Too long: {fields}.")).format(fields=", ".join(too_long)))
        return
    if reference in seen:
        reject(str(_("This tenant reference appears twice in the file.")))
        return
    seen.add(reference)
    try:
        start = _parse_date(row.get("start_date", ""))
        end = _parse_date(row["end_date"]) if row.get("end_date") else None
    except ValueError:
        reject(str(_("Dates must be YYYY-MM-DD or DD/MM/YYYY.")))
        return
    try:
        created = tenancy_create(
            actor=actor,
            residence=residence,
            unit_reference=row["unit_reference"],
            tenant_reference=reference,
            holder_names=row["holder_names"],
            start_date=start,
            end_date=end,
        )
    except DomainError as exc:
        reject(str(exc.message))
        return
    report.created.append(
        {
            "line": line,
            "tenant_reference": reference,
            "id": str(created.tenancy.public_id),
            "activation_code": created.activation_code,
        }
    )
