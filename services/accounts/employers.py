"""Employer members and their company (issue 13): invitations sent by e-mail, from a
landlord's staff or from a member inviting a colleague; accepting one from its link; the
company's contact details; a member's own password.

Who reaches which landlord's candidates stays the landlords' decision (`PartnerAccess`):
- a staff invitation grants, on acceptance, the inviting landlord's partnership, never the
  company's other landlords';
- a colleague invited by a member gets no landlord's access at all: each partner landlord's
  staff see the new member as waiting for approval on the employer's console page and
  approve it there (`actions.partner_access_grant`). A member never hands out access.

The invitee has no account yet, and notifications address users: the invitation creates an
account without a password (role employer, no company, so it opens nothing: no magic link,
no password sign-in) that the acceptance completes. The e-mail's button is a link signed
here at send time (`invitation_token`), never stored; the invitation dies when accepted or
at `expires_at`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register
from notifications.services import notify
from services.core import clock, ratelimit
from services.core.errors import DomainError, conflict, invalid, not_allowed

from . import actions, codes, locks
from .models import Employer, EmployerInvitation, EmployerMember, PartnerAccess, User
from .roles import member_of

STAFF_INVITATION = "accounts.employer_invitation"
COLLEAGUE_INVITATION = "accounts.employer_colleague_invitation"
INVITATION_SALT = "accounts.employer_invitation"
INVITATION_PATH = "/espace/invitation/{token}/"
# A member may invite this many colleagues a day (each is an e-mail to any address).
COLLEAGUE_INVITATIONS_PER_DAY = 20
CONTACT_FIELDS = ("contact_email", "phone", "website")

InvalidAddress = invalid("invalid_email", _("Enter a valid e-mail address."))
EmailInUse = conflict(
    "email_in_use",
    _("This address belongs to another kind of account, or to another company's member."),
)
AlreadyMember = conflict("already_member", _("This person is already a member of the company."))
AlreadyGranted = conflict(
    "already_granted", _("This member already reaches your landlord's candidates.")
)
NotAMember = not_allowed("not_a_member", _("Only the company's members may do this."))
InvitationInvalid = invalid(
    "invitation_invalid", _("This invitation link is not valid. Ask for a new invitation.")
)
InvitationUsed = conflict(
    "invitation_used", _("This invitation was already accepted. Sign in to your pages.")
)
InvitationExpired = invalid(
    "invitation_expired", _("This invitation has expired. Ask for a new invitation.")
)
NameRequired = invalid("name_required", _("Give your first and last name."))
InvalidContact = invalid("invalid_contact", _("Check the highlighted fields."))


class TooManyInvitations(DomainError):
    status = 429
    code = "throttled"
    default_message = _("Too many invitations today. Try again tomorrow.")


# --------------------------------------------------------------------------- the link


def invitation_token(invitation_public_id) -> str:
    return signing.dumps(str(invitation_public_id), salt=INVITATION_SALT)


def _invitation_path(notification) -> str:
    """The e-mail button (notifications calls it at send time: the token is never stored)."""
    return INVITATION_PATH.format(token=invitation_token(notification.link_id))


_LINK = {"email_url": _invitation_path}
register(
    NotificationKind(
        code=STAFF_INVITATION,
        category=Category.ACCOUNT,
        title=_("{landlord} invites you to answer its candidates for {company}"),
        body=_(
            "{landlord} proposes candidates among its tenants to {company}. Accept this "
            "invitation before {date} to receive them and answer on your company's pages."
        ),
        switchable=False,
        channels=("email",),  # the invitee has no account, let alone an app
        ttl_seconds=24 * 3600,
        extra=_LINK,
    ),
    NotificationKind(
        code=COLLEAGUE_INVITATION,
        category=Category.ACCOUNT,
        title=_("{inviter} invites you to join {company}"),
        body=_(
            "{inviter} invites you to join {company}'s team on Voisinage, to answer the "
            "candidates proposed by its partner landlords. Accept before {date}."
        ),
        switchable=False,
        channels=("email",),
        ttl_seconds=24 * 3600,
        extra=_LINK,
    ),
)


def invitation_read(token: str) -> EmployerInvitation | None:
    """The invitation a link names (whatever its state: the page says used or expired),
    None for an altered or foreign link."""
    try:
        public_id = signing.loads(token or "", salt=INVITATION_SALT)
    except signing.BadSignature:
        return None
    return (
        EmployerInvitation.objects.select_related("employer", "landlord", "created_by")
        .filter(public_id=public_id)
        .first()
    )


def invitation_problem(invitation: EmployerInvitation) -> type[DomainError] | None:
    if invitation.accepted_at is not None:
        return InvitationUsed
    if invitation.expires_at <= clock.now():
        return InvitationExpired
    return None


def invitee_is_member(invitation: EmployerInvitation) -> bool:
    """The invitee already has an account as a member of that company (the acceptance then
    asks for no name or password)."""
    return EmployerMember.objects.filter(
        user__email=invitation.email, employer_id=invitation.employer_id
    ).exists()


# --------------------------------------------------------------------------- inviting


def _address(email: str) -> str:
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidAddress(fields={"email": [str(InvalidAddress.default_message)]}) from None
    if len(address) > 254:
        raise InvalidAddress(fields={"email": [str(InvalidAddress.default_message)]})
    return address


def _invitee(address: str, employer: Employer) -> User:
    """The account the e-mail goes to: a member of this company, or an account without a
    password waiting for this acceptance (made now if needed). Any other account is refused:
    one person, one role, one company."""
    user = locks.lock_user(email=address)
    if user is None:
        user = User(email=address, role=User.Role.EMPLOYER)
        user.set_unusable_password()
        try:
            with transaction.atomic():  # two invitations of one new address at once
                user.save()
        except IntegrityError:
            raise EmailInUse(fields={"email": [str(EmailInUse.default_message)]}) from None
        return user
    member = getattr(user, "employer_member", None)
    if (
        user.role != User.Role.EMPLOYER
        or not user.is_active
        or hasattr(user, "loyalty_partner_member")
        or (member is not None and member.employer_id != employer.pk)
        or (member is None and user.has_usable_password())
    ):
        raise EmailInUse(fields={"email": [str(EmailInUse.default_message)]})
    return user


def _date(invitation: EmployerInvitation) -> str:
    return formats.date_format(invitation.expires_at, "SHORT_DATE_FORMAT")


@transaction.atomic
def employer_invitation_send(
    *, actor: User, employer: Employer, email: str
) -> actions.InvitationIssued:
    """Staff invite someone to their partner employer by e-mail, in their landlord's name.
    On acceptance the person becomes a member with this landlord's partnership (an existing
    member of the company is simply granted it). The code is still returned, for the API's
    clients that pass it on by hand."""
    issued = actions.employer_invitation_create(actor=actor, employer=employer)
    address = _address(email)
    user = _invitee(address, employer)
    member = member_of(user)
    landlord = actor.staff.landlord
    if (
        member is not None
        and PartnerAccess.objects.filter(member=member, landlord=landlord).exists()
    ):
        raise AlreadyGranted(fields={"email": [str(AlreadyGranted.default_message)]})
    invitation = issued.invitation
    invitation.email = address
    invitation.save(update_fields=["email", "updated_at"])
    notify(
        recipients=[user],
        kind=STAFF_INVITATION,
        params={"landlord": landlord.name, "company": employer.name, "date": _date(invitation)},
        link_id=invitation.public_id,
        sender=landlord.name,
    )
    return issued


def colleague_invite(*, actor: User, email: str) -> EmployerInvitation:
    """A member invites a colleague to their own company. The invitation carries no
    landlord: the colleague reaches no landlord's candidates until that landlord's staff
    approve them. Limited per member and day (each one is an e-mail to any address)."""
    member = member_of(actor)
    if member is None:
        raise NotAMember()
    address = _address(email)
    try:
        ratelimit.take(
            ratelimit.Limit(
                f"colleague-invite:{member.pk}", COLLEAGUE_INVITATIONS_PER_DAY, timedelta(days=1)
            )
        )
    except ratelimit.LimitReached as reached:
        raise TooManyInvitations(extra={"retry_after": reached.retry_after}) from None
    return colleague_invitation_write(actor=actor, member=member, address=address)


@transaction.atomic
def colleague_invitation_write(
    *, actor: User, member: EmployerMember, address: str
) -> EmployerInvitation:
    """The invitation and its e-mail, after the limit was counted (the demo calls it too)."""
    employer = Employer.objects.get(pk=member.employer_id)
    try:
        user = _invitee(address, employer)
    except EmailInUse:
        # A tenant's, staff's or another company's address: answered like any other (a
        # member must not learn who is a tenant), recorded, and sent nowhere; it cannot be
        # accepted (`invitation_accept` refuses an account of another kind).
        user = None
    if user is not None and member_of(user) is not None:
        raise AlreadyMember(fields={"email": [str(AlreadyMember.default_message)]})
    invitation = EmployerInvitation.objects.create(
        employer=employer,
        landlord=None,
        created_by=actor,
        email=address,
        # Never shown: a colleague's invitation is accepted from its link only.
        code_hash=codes.hash_code(codes.new_code()),
        expires_at=clock.now() + timedelta(days=settings.EMPLOYER_INVITATION_TTL_DAYS),
    )
    if user is None:
        return invitation
    notify(
        recipients=[user],
        kind=COLLEAGUE_INVITATION,
        params={
            "inviter": actor.full_name or actor.email,
            "company": employer.name,
            "date": _date(invitation),
        },
        link_id=invitation.public_id,
        sender=employer.name,
    )
    return invitation


def colleague_invitations(*, user: User):
    """The invitations this member's company sent or received lately (the team page)."""
    member = member_of(user)
    if member is None:
        return EmployerInvitation.objects.none()
    return (
        EmployerInvitation.objects.filter(employer_id=member.employer_id)
        .exclude(email="")
        .select_related("landlord", "created_by")
        .order_by("-created_at", "-id")
    )


def team_for_user(*, user: User):
    """The members of the viewer's company (names and addresses only)."""
    member = member_of(user)
    if member is None:
        return EmployerMember.objects.none()
    return (
        EmployerMember.objects.filter(employer_id=member.employer_id, user__is_active=True)
        .select_related("user")
        .order_by("created_at", "id")
    )


# --------------------------------------------------------------------------- accepting


def invitation_accept(
    *, token: str, first_name: str = "", last_name: str = "", password: str = ""
) -> User:
    """Accept an invitation from its link: the account without a password gets a name and a
    password and becomes a member; an existing member of that company is recognised (no
    name or password asked). A staff invitation grants its landlord's partnership; a
    colleague's none. Once: a second acceptance (a replayed link) is refused."""
    found = invitation_read(token)
    if found is None:
        raise InvitationInvalid()
    with transaction.atomic():
        invitation = locks.lock_employer_invitation(related=("employer",), pk=found.pk)
        problem = invitation_problem(invitation)
        if problem is not None:
            raise problem()
        user = locks.lock_user(email=invitation.email)
        if user is None or not user.is_active or user.role != User.Role.EMPLOYER:
            raise InvitationInvalid()
        member = getattr(user, "employer_member", None)
        if member is not None and member.employer_id != invitation.employer_id:
            raise InvitationInvalid()
        if member is None:
            if user.has_usable_password() or hasattr(user, "loyalty_partner_member"):
                raise InvitationInvalid()
            member = _new_member(user, invitation.employer, first_name, last_name, password)
        if invitation.landlord_id is not None:
            actions._grant(member=member, landlord_id=invitation.landlord_id, invitation=invitation)
        invitation.accepted_at = clock.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return user


def _new_member(user: User, employer: Employer, first: str, last: str, password: str):
    first, last = (first or "").strip(), (last or "").strip()
    if not first or not last:
        missing = [
            name for name, value in (("first_name", first), ("last_name", last)) if not value
        ]
        raise NameRequired(fields={name: [str(NameRequired.default_message)] for name in missing})
    user.first_name, user.last_name = first[:100], last[:100]
    actions._password_errors(password, user, field="new_password")
    user.set_password(password)
    user.save(update_fields=["first_name", "last_name", "password", "updated_at"])
    try:
        with transaction.atomic():
            return EmployerMember.objects.create(user=user, employer=employer)
    except IntegrityError:  # two invitations of one person accepted at once
        raise InvitationUsed() from None


# --------------------------------------------------------------------------- the company


@transaction.atomic
def employer_contact_update(*, actor: User, **changes) -> Employer:
    """A member edits their own company's contact details (never its name, SIRET or
    address: staff keep those, the address places the offers)."""
    member = member_of(actor)
    if member is None:
        raise NotAMember()
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise actions.ReadOnlyFields(
            fields={name: [str(_("Read-only field."))] for name in unknown}
        )
    employer = locks.lock_employer(pk=member.employer_id)
    for name, value in changes.items():
        setattr(employer, name, (value or "").strip())
    try:
        employer.full_clean(
            exclude=[f.name for f in Employer._meta.fields if f.name not in changes]
        )
    except ValidationError as exc:
        raise InvalidContact(
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        ) from None
    employer.save(update_fields=[*changes, "updated_at"])
    return employer


# --------------------------------------------------------------------------- password


def member_password_set(
    *, user: User, new_password: str, current_password: str = "", client_key: str = ""
) -> None:
    """A member's password, for the sign-in page beside the e-mailed links. A first password
    needs none (the member came in by a link to their mailbox); changing one asks for the
    current password, with the sign-in limits (`actions.password_change`). Either way the
    other sessions and links end."""
    if member_of(user) is None:
        raise NotAMember()
    if user.has_usable_password():
        actions.password_change(
            user=user,
            current_password=current_password,
            new_password=new_password,
            client_key=client_key,
        )
        return
    actions._password_errors(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        actions.sessions_end_all(user=user)
        notify(recipients=[user], kind="account.password_changed")
