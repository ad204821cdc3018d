"""People, landlords, residences, tenancies and partner employers."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.core.models import PublicModel


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """`prefix` followed by the one digit that makes the whole number Luhn-valid (how a
    SIREN and a SIRET end; the demo and the test factories make theirs with it)."""
    return next(prefix + check for check in "0123456789" if luhn_valid(prefix + check))


def siret_is_valid(siret: str) -> bool:
    """Luhn over the 14 digits; La Poste's establishments (SIREN 356000000) sum to x5."""
    if len(siret) != 14 or not siret.isdigit():
        return False
    if luhn_valid(siret):
        return True
    return siret.startswith("356000000") and sum(int(c) for c in siret) % 5 == 0


def validate_siret(value: str) -> None:
    if not siret_is_valid(value):
        raise ValidationError(_("Enter a valid 14-digit SIRET number."), code="invalid_siret")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True, role=User.Role.STAFF)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email: str):
        return self.get(email=normalize_email(email))


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        TENANT = "tenant", _("Tenant")
        STAFF = "staff", _("Landlord staff")
        EMPLOYER = "employer", _("Employer member")

    class Language(models.TextChoices):
        FR = "fr", "Français"
        EN = "en", "English"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Stored lower-cased (see save), so unique means unique whatever the case.
    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.FR)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text=_("May log into the admin back-office.")
    )
    # Bumped to end every session at once: tokens carry it and must match on each request.
    token_version = models.PositiveIntegerField(default=0)
    date_joined = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["tenant", "staff", "employer"]),
                name="user_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Landlord(PublicModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    points_validity_months = models.PositiveSmallIntegerField(default=24)
    # Whether tenants who move out may ask to keep their open job matches while they still
    # have read access (docs/privacy.md, "Moving out"): the landlord's policy.
    job_support_after_move_out = models.BooleanField(
        _("former tenants may keep their job support"), default=False
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Residence(PublicModel):
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="residences")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=255)
    postcode = models.CharField(max_length=10)
    city = models.CharField(max_length=120)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    is_qpv = models.BooleanField(_("in a priority neighbourhood (QPV)"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["landlord", "name"], name="residence_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class Tenancy(PublicModel):
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="tenancies")
    residence = models.ForeignKey(Residence, on_delete=models.PROTECT, related_name="tenancies")
    unit_reference = models.CharField(max_length=50)
    tenant_reference = models.CharField(max_length=50)
    holder_names = models.CharField(max_length=255)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    # Only a SHA-256 of the code is kept: the code is shown once, at creation or re-issue.
    activation_code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    activation_code_expires_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # Who ended the tenancy from the console or the API, and when (empty: the end date came
    # from the creation or the import); `end_notice_for`: the end date its members were told
    # of in advance (a changed end date is told again).
    ended_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_notice_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "tenancies"
        constraints = [
            models.UniqueConstraint(
                fields=["landlord", "tenant_reference"], name="tenancy_unique_reference"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="tenancy_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_reference} — {self.holder_names}"


class Tenant(PublicModel):
    """One member of a tenancy's household, with their own account: the holder (who
    activated the tenancy with its code) or an adult the holder invited
    (services/accounts/households.py). Membership ends with the tenancy, or earlier when the
    holder removes the member (`left_at`); see services/accounts/tenancy_end.py."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="tenant")
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="tenants")
    tenancy = models.ForeignKey(Tenancy, on_delete=models.PROTECT, related_name="tenants")
    is_holder = models.BooleanField(default=True)
    left_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Asked by the member, when the landlord offers it: open matches survive the move.
    keep_job_support = models.BooleanField(default=False)
    # Set by the moving-out task: the end was processed (matches), then the account closed.
    moved_out_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # An announcement walks one landlord's tenants in user order, a chunk at a time.
        indexes = [models.Index(fields=["landlord", "user"], name="tenant_landlord_user")]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def residence(self) -> Residence:
        return self.tenancy.residence


class Staff(PublicModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        JOB_ADVISOR = "job_advisor", _("Job advisor")
        COMMUNITY = "community", _("Community officer")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff")
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Employer(PublicModel):
    name = models.CharField(max_length=200)
    siret = models.CharField(max_length=14, unique=True, validators=[validate_siret])
    address = models.CharField(max_length=255, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=120, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    landlords = models.ManyToManyField(Landlord, related_name="employers", blank=True)
    # Contact details the company's members keep up to date from /espace/ (name, SIRET and
    # address stay with staff: the address places the company's offers for matching).
    contact_email = models.EmailField(_("contact e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class EmployerMember(PublicModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="employer_member")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="members")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.employer}"


class PartnerAccess(models.Model):
    """One landlord's partnership, granted to one member of the partner employer.

    A company partnered with several landlords does not share them between its members: a
    member reaches a landlord's candidates and matches only once that landlord's staff
    invited or approved it (and while the partnership lasts).
    """

    member = models.ForeignKey(EmployerMember, on_delete=models.CASCADE, related_name="accesses")
    landlord = models.ForeignKey(Landlord, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        "EmployerInvitation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["member_id", "landlord_id"]
        verbose_name_plural = "partner accesses"
        constraints = [
            models.UniqueConstraint(fields=["member", "landlord"], name="partner_access_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.landlord}"


class KnownSignInClient(models.Model):
    """A client (a digest of its address) that signed in to this account: the per-account
    ceiling of failed sign-ins, which strangers can reach, does not lock it out."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    client = models.CharField(max_length=64)
    last_success_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="known_sign_in_client_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} from {self.client[:8]}"


class EmployerInvitation(PublicModel):
    """An invitation to join a company's members: from a landlord's staff (`landlord`: the
    partnership it grants on acceptance) or from a member inviting a colleague (`landlord`
    empty: no landlord's access until that landlord's staff approve the new member).
    `email`: where it was sent (empty for the API's code-only invitations)."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="invitations")
    landlord = models.ForeignKey(
        Landlord, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    email = models.EmailField(max_length=254, blank=True)
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation to {self.employer}"


class PasswordResetCode(PublicModel):
    """A one-time password reset code: asked for by e-mail (`issued_by` empty) or issued by
    staff for a tenant without a mailbox (`issued_by`, `created_at`: who and when). Only a
    SHA-256 of the code is kept; it dies when used or at `expires_at`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"reset code for {self.user_id}"


class HouseholdInvitation(PublicModel):
    """A one-time code the holder of a tenancy gives an adult of the household (by hand, or
    by e-mail to `email`): whoever uses it first, before `expires_at`, becomes a member with
    their own account. Only a SHA-256 of the code is kept."""

    tenancy = models.ForeignKey(Tenancy, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(blank=True)
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"household invitation to {self.tenancy_id}"


class Consent(PublicModel):
    """Append-only, like the job consents: each grant or withdrawal of an account-wide
    purpose (push marketing), dated and with the version of the text agreed to."""

    class Purpose(models.TextChoices):
        PUSH_MARKETING = "push_marketing", _("Marketing announcements")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    version = models.CharField(max_length=20)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-at"], name="consent_user_purpose_at")]

    def __str__(self) -> str:
        return f"{self.purpose}={self.granted} ({self.version})"
