"""Account writes: onboarding tenants and employer members, profiles and sessions."""

import csv
import datetime
import hashlib
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from services.core import clock, extensions, ratelimit
from services.core.errors import (
    DomainError,
    NotFound,
    conflict,
    invalid,
    not_allowed,
    not_authenticated,
)

from . import codes, locks, policies
from .models import (
    Employer,
    EmployerInvitation,
    EmployerMember,
    KnownSignInClient,
    PartnerAccess,
    Residence,
    Tenancy,
    Tenant,
    User,
    normalize_email,
    siret_is_valid,
)
from .tokens import TOKEN_VERSION_CLAIM, issue_tokens

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


# --- Activation and invitations ------------------------------------------------------


@contextmanager
def _code_attempts(client_key: str):
    """Wrong one-time codes from one client are limited per hour. The attempt is counted
    (and committed) before the code is looked at, and given back when the code was valid."""
    limit = ratelimit.Limit(
        f"codes:{client_key or 'anonymous'}",
        settings.ACTIVATION_MAX_ATTEMPTS_PER_HOUR,
        timedelta(hours=1),
    )
    try:
        with ratelimit.attempt(limit, failures=(InvalidActivationCode, InvalidInvitationCode)):
            yield
    except ratelimit.LimitReached as reached:
        raise ActivationThrottled(extra={"retry_after": reached.retry_after}) from None


def _waiting_invitee(user: User) -> bool:
    """An account an employer invitation made for an address and nobody completed (no
    password, no company): it holds nothing, and must not keep the address from its owner."""
    return (
        user.role == User.Role.EMPLOYER
        and user.is_active
        and user.last_login is None
        and not user.has_usable_password()
        and not hasattr(user, "employer_member")
        and not hasattr(user, "loyalty_partner_member")
    )


def _new_user(*, email: str, password: str, role: str, **fields) -> User:
    email = normalize_email(email)
    existing = locks.lock_user(email=email)
    if existing is not None and not _waiting_invitee(existing):
        raise EmailTaken(fields={"email": [str(EmailTaken.default_message)]})
    user = User(email=email, role=role, **fields)
    _password_errors(password, user)
    if existing is not None:
        existing.delete()  # the person's own sign-up wins; the invitation can't be accepted
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise EmailTaken(fields={"email": [str(EmailTaken.default_message)]}) from None
    return user


def tenant_activate(
    *,
    activation_code: str,
    email: str,
    password: str,
    language: str = "fr",
    client_key: str = "",
) -> tuple[Tenant, dict]:
    """Turn a one-time tenancy code into a tenant account; used, expired and unknown codes
    all answer the same error."""
    with _code_attempts(client_key), transaction.atomic():
        tenancy = locks.lock_tenancy(activation_code_hash=codes.hash_code(activation_code))
        if (
            tenancy is None
            or tenancy.activation_code_expires_at is None
            or tenancy.activation_code_expires_at <= clock.now()
            or (tenancy.end_date is not None and tenancy.end_date < clock.today())
        ):
            raise InvalidActivationCode()
        first, _sep, last = tenancy.holder_names.partition(" ")
        user = _new_user(
            email=email,
            password=password,
            role=User.Role.TENANT,
            language=language if language in User.Language.values else "fr",
            first_name=first[:100],
            last_name=last[:100],
        )
        tenant = Tenant.objects.create(user=user, landlord=tenancy.landlord, tenancy=tenancy)
        tenancy.activation_code_hash = None
        tenancy.activation_code_expires_at = None
        tenancy.activated_at = clock.now()
        tenancy.save(
            update_fields=[
                "activation_code_hash",
                "activation_code_expires_at",
                "activated_at",
                "updated_at",
            ]
        )
        extensions.tenant_activated(tenant=tenant)  # e.g. loyalty's welcome bonus
    return tenant, issue_tokens(user)


EmployerExists = conflict(
    "employer_exists",
    _("This company is already registered. A platform administrator can partner it with you."),
)


@transaction.atomic
def employer_create(
    *,
    actor: User,
    name: str,
    siret: str,
    address: str = "",
    postcode: str = "",
    city: str = "",
    latitude=None,
    longitude=None,
) -> Employer:
    """Register a partner employer of the actor's landlord. A SIRET already registered is a
    409: partnering it would let this landlord invite members into another's partner."""
    if not policies.can_manage_employers(actor=actor):
        raise CannotManageEmployers()
    if not siret_is_valid(siret):
        raise InvalidSiret(fields={"siret": [str(InvalidSiret.default_message)]})
    if Employer.objects.filter(siret=siret).exists():
        raise EmployerExists(fields={"siret": [str(EmployerExists.default_message)]})
    try:
        with transaction.atomic():
            employer = Employer.objects.create(
                name=name,
                siret=siret,
                address=address,
                postcode=postcode,
                city=city,
                latitude=latitude,
                longitude=longitude,
            )
    except IntegrityError:
        raise EmployerExists(fields={"siret": [str(EmployerExists.default_message)]}) from None
    employer.landlords.add(actor.staff.landlord)
    return employer


@dataclass
class InvitationIssued:
    invitation: EmployerInvitation
    invitation_code: str


@transaction.atomic
def employer_invitation_create(*, actor: User, employer: Employer) -> InvitationIssued:
    if not policies.can_manage_employers(actor=actor):
        raise CannotManageEmployers()
    if not employer.landlords.filter(pk=actor.staff.landlord_id).exists():
        raise NotFound()
    code = codes.new_code()
    invitation = EmployerInvitation.objects.create(
        employer=employer,
        landlord=actor.staff.landlord,
        created_by=actor,
        code_hash=codes.hash_code(code),
        expires_at=clock.now() + timedelta(days=settings.EMPLOYER_INVITATION_TTL_DAYS),
    )
    return InvitationIssued(invitation=invitation, invitation_code=code)


def _grant(*, member: EmployerMember, landlord_id: int, by: User | None = None, invitation=None):
    access, _created = PartnerAccess.objects.get_or_create(
        member=member,
        landlord_id=landlord_id,
        defaults={
            "granted_by": by or (invitation.created_by if invitation else None),
            "invitation": invitation,
            "granted_at": clock.now(),
        },
    )
    return access


def _check_partner_staff(actor: User, member: EmployerMember) -> None:
    if not policies.can_manage_employers(actor=actor):
        raise CannotManageEmployers()
    if not member.employer.landlords.filter(pk=actor.staff.landlord_id).exists():
        raise NotFound()


@transaction.atomic
def partner_access_grant(*, actor: User, member: EmployerMember) -> PartnerAccess:
    """The actor's landlord approves a member of its partner employer (e.g. one another
    landlord invited): the member reaches this landlord's candidates and matches too."""
    _check_partner_staff(actor, member)
    return _grant(member=member, landlord_id=actor.staff.landlord_id, by=actor)


@transaction.atomic
def partner_access_revoke(*, actor: User, member: EmployerMember) -> None:
    """The actor's landlord withdraws its partnership from one member (the others keep it)."""
    _check_partner_staff(actor, member)
    PartnerAccess.objects.filter(member=member, landlord_id=actor.staff.landlord_id).delete()
    # A waiting invitation of this landlord to this member (a resent one) would grant it back.
    EmployerInvitation.objects.filter(
        employer_id=member.employer_id,
        landlord_id=actor.staff.landlord_id,
        email=member.user.email,
        accepted_at__isnull=True,
        expires_at__gt=clock.now(),
    ).update(expires_at=clock.now(), updated_at=clock.now())


def employer_invitation_accept(
    *, invitation_code: str, email: str, password: str, name: str, client_key: str = ""
) -> tuple[EmployerMember, dict]:
    with _code_attempts(client_key), transaction.atomic():
        invitation = locks.lock_employer_invitation(
            related=("employer",), code_hash=codes.hash_code(invitation_code)
        )
        if invitation is None or invitation.accepted_at or invitation.expires_at <= clock.now():
            raise InvalidInvitationCode()
        first, _sep, last = name.strip().partition(" ")
        user = _new_user(
            email=email,
            password=password,
            role=User.Role.EMPLOYER,
            first_name=first[:100],
            last_name=last[:100],
        )
        member = EmployerMember.objects.create(user=user, employer=invitation.employer)
        # The inviting landlord grants its own partnership, never the company's others.
        _grant(member=member, landlord_id=invitation.landlord_id, invitation=invitation)
        invitation.accepted_at = clock.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return member, issue_tokens(user)


# --- Sign-in and sessions ----------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _login_limits(email: str, client_key: str) -> tuple[ratelimit.Limit, ...]:
    """Failed sign-ins are limited per account and client (what a guesser hits), per client
    across accounts (what a password sprayer hits), and per account across clients with a
    ceiling high enough that a stranger guessing from one client cannot lock the tenant out.
    A caller that does not say who the client is gets the first limit per account alone (and
    no per-client limit, which would then lump all its users together)."""
    account = _digest(normalize_email(email))
    client = _digest(client_key or "unknown")
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    per_account_and_client = ratelimit.Limit(
        f"login:{account}:{client}", settings.LOGIN_MAX_FAILURES, window
    )
    ceiling = ratelimit.Limit(f"login:{account}", settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, window)
    if not client_key:
        return (per_account_and_client, ceiling)
    per_client = ratelimit.Limit(
        f"login-client:{client}", settings.LOGIN_MAX_FAILURES_PER_CLIENT, window
    )
    if _is_known_client(email, client):
        # Strangers can reach the ceiling from many addresses; the owner's own clients
        # stay under the per-account-and-client limit only.
        return (per_account_and_client, per_client)
    return (per_account_and_client, per_client, ceiling)


def _is_known_client(email: str, client: str) -> bool:
    since = clock.now() - timedelta(days=settings.LOGIN_KNOWN_CLIENT_DAYS)
    return KnownSignInClient.objects.filter(
        user__email=normalize_email(email), client=client, last_success_at__gte=since
    ).exists()


def _remember_client(user: User, client_key: str) -> None:
    if client_key:
        KnownSignInClient.objects.update_or_create(
            user=user, client=_digest(client_key), defaults={"last_success_at": clock.now()}
        )


@contextmanager
def _login_attempt(email: str, client_key: str, failure: type[DomainError]):
    try:
        with ratelimit.attempt(*_login_limits(email, client_key), failures=(failure,)):
            yield
    except ratelimit.LimitReached as reached:
        raise LoginLocked(extra={"retry_after": reached.retry_after}) from None


def login(*, email: str, password: str, client_key: str = "") -> tuple[User, dict]:
    """After LOGIN_MAX_FAILURES failures from one client an account is locked for that
    client for LOGIN_LOCKOUT_MINUTES, the right password included; see `_login_limits` for
    the others. Unknown e-mails count and answer like wrong passwords. The attempt is
    counted before the password is checked, so concurrent guesses cannot slip past."""
    from django.contrib.auth import authenticate

    with _login_attempt(email, client_key, InvalidCredentials):
        user = authenticate(email=normalize_email(email), password=password)
        if user is None or not user.is_active:
            raise InvalidCredentials()
    # This client knows the password: its own failures are forgiven (not the others').
    ratelimit.reset(_login_limits(email, client_key)[0].key)
    _remember_client(user, client_key)
    return user, issue_tokens(user)


def _decode_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError:
        raise InvalidToken() from None


def token_refresh(*, refresh: str) -> dict:
    """Rotate a refresh token. The old token's row is locked, so of N concurrent refreshes
    of one token exactly one wins (simplejwt's own serializer lets several through)."""
    token = _decode_refresh(refresh)
    with transaction.atomic():
        # simplejwt's table, not ours: locked here, the one place a refresh token rotates.
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=token["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidToken()
        user = User.objects.filter(public_id=token["sub"], is_active=True).first()
        if user is None or token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise InvalidToken()
        BlacklistedToken.objects.create(token=outstanding)
        return issue_tokens(user)


def logout(*, user: User, refresh: str, device_token: str | None = None) -> None:
    """Kills the given refresh token, and stops pushes to the app's device when it says which."""
    token = _decode_refresh(refresh)
    if str(token["sub"]) != str(user.public_id):
        raise InvalidToken()
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=token["jti"]).first()
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        if device_token:
            from notifications.services import device_deactivate_for_logout

            device_deactivate_for_logout(user=user, token=device_token)


def sessions_end_all(*, user: User) -> None:
    """Every access and refresh token issued so far stops working at its next use."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])


def password_change(
    *, user: User, current_password: str, new_password: str, client_key: str = ""
) -> dict:
    """Changes the password and ends every other session; returns this session's new tokens.
    Wrong current passwords count against the same limits as sign-in attempts."""
    with _login_attempt(user.email, client_key, WrongPassword):
        if not user.check_password(current_password):
            raise WrongPassword(fields={"current_password": [str(WrongPassword.default_message)]})
    _password_errors(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        sessions_end_all(user=user)
        from notifications.services import notify

        notify(recipients=[user], kind="account.password_changed")
    return issue_tokens(user)


def password_confirm(*, user: User, password: str, client_key: str = "") -> None:
    """A signed-in user's password, asked again before a grave act (erasing the account);
    wrong ones count against the sign-in limits, like `password_change`."""
    with _login_attempt(user.email, client_key, WrongPassword):
        if not user.check_password(password or ""):
            raise WrongPassword(fields={"password": [str(WrongPassword.default_message)]})


PROFILE_FIELDS = ("first_name", "last_name", "phone", "language")


@transaction.atomic
def profile_update(*, user: User, **changes) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ReadOnlyFields(fields={name: [str(_("Read-only field."))] for name in unknown})
    for name, value in changes.items():
        setattr(user, name, value)
    user.save(update_fields=[*changes.keys(), "updated_at"])
    return user
