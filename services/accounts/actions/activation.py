"""Joining: a tenant activates a tenancy, a member accepts an employer's invitation by code."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from services.core import clock, extensions, ratelimit
from services.core.errors import (
    NotFound,
    conflict,
)

from .. import codes, locks, policies
from ..models import (
    Employer,
    EmployerInvitation,
    EmployerMember,
    PartnerAccess,
    Tenant,
    User,
    normalize_email,
    siret_is_valid,
)
from ..tokens import issue_tokens
from .tenancies import (
    ActivationThrottled,
    CannotManageEmployers,
    EmailTaken,
    InvalidActivationCode,
    InvalidInvitationCode,
    InvalidSiret,
    _password_errors,
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
