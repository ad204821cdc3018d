"""Shapes only: no business rule lives here."""

from django.contrib.auth.password_validation import password_validators_help_texts
from rest_framework import serializers

from api.fields import BoundedDateField
from services.accounts.models import Employer, Residence, Tenancy, User


class AuthTokenInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class AuthTokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthRefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class AuthLogoutInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)
    device_token = serializers.CharField(
        max_length=4096, required=False, help_text="The app's push token, to stop pushes to it."
    )


class AuthActivateInput(serializers.Serializer):
    activation_code = serializers.CharField(max_length=64)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        write_only=True,
        help_text=" ".join(str(t) for t in password_validators_help_texts()) or None,
    )
    language = serializers.ChoiceField(choices=User.Language.choices, required=False, default="fr")


class AuthInvitationAcceptInput(serializers.Serializer):
    invitation_code = serializers.CharField(max_length=64)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=200)


class AccountsLandlordRefOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()


class AccountsResidenceRefOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    city = serializers.CharField()


class AccountsEmployerRefOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()


class AccountsMeOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.ChoiceField(choices=User.Language.choices)
    landlord = serializers.SerializerMethodField()
    residence = serializers.SerializerMethodField()
    employer = serializers.SerializerMethodField()
    staff_role = serializers.SerializerMethodField()

    def _link(self, user, *path):
        obj = user
        for name in path:
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return obj

    def get_landlord(self, user) -> AccountsLandlordRefOutput(allow_null=True):  # type: ignore[valid-type]
        landlord = self._link(user, "tenant", "landlord") or self._link(user, "staff", "landlord")
        return AccountsLandlordRefOutput(landlord).data if landlord else None

    def get_residence(self, user) -> AccountsResidenceRefOutput(allow_null=True):  # type: ignore[valid-type]
        residence = self._link(user, "tenant", "tenancy", "residence")
        return AccountsResidenceRefOutput(residence).data if residence else None

    def get_employer(self, user) -> AccountsEmployerRefOutput(allow_null=True):  # type: ignore[valid-type]
        employer = self._link(user, "employer_member", "employer")
        return AccountsEmployerRefOutput(employer).data if employer else None

    def get_staff_role(self, user) -> str | None:
        staff = self._link(user, "staff")
        return staff.role if staff else None


class AccountsMeUpdateInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.RegexField(r"^\+?[0-9 .\-]{6,20}$", required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)


class AccountsPasswordChangeInput(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AccountsEraseInput(serializers.Serializer):
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class AuthPasswordResetInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class AuthPasswordResetAcceptedOutput(serializers.Serializer):
    detail = serializers.CharField()


class AuthPasswordResetConfirmInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    code = serializers.CharField(max_length=64)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AccountsConsentInput(serializers.Serializer):
    # Checked by the domain (services.accounts.consents): the job purposes have their own route.
    purpose = serializers.CharField(max_length=20, help_text="`push_marketing`")
    granted = serializers.BooleanField()


class AccountsConsentOutput(serializers.Serializer):
    purpose = serializers.CharField()
    granted = serializers.BooleanField()
    version = serializers.CharField()
    at = serializers.DateTimeField()


class AccountsProfileViewOutput(serializers.Serializer):
    company = serializers.CharField()
    what = serializers.CharField()
    at = serializers.DateTimeField()


class AccountsResidenceOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Residence
        fields = [
            "id",
            "name",
            "address",
            "postcode",
            "city",
            "latitude",
            "longitude",
            "is_qpv",
            "updated_at",
        ]


class AccountsTenancyOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    residence = AccountsResidenceRefOutput()
    activated = serializers.SerializerMethodField()
    activation_code_expires_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Tenancy
        fields = [
            "id",
            "residence",
            "unit_reference",
            "tenant_reference",
            "holder_names",
            "start_date",
            "end_date",
            "activated",
            "activated_at",
            "activation_code_expires_at",
            "created_at",
            "updated_at",
        ]

    def get_activated(self, tenancy) -> bool:
        return tenancy.activated_at is not None


class AccountsTenancyCreatedOutput(AccountsTenancyOutput):
    activation_code = serializers.CharField(help_text="Shown once: only its hash is kept.")

    class Meta(AccountsTenancyOutput.Meta):
        fields = [*AccountsTenancyOutput.Meta.fields, "activation_code"]


class AccountsTenancyCreateInput(serializers.Serializer):
    residence = serializers.UUIDField()
    unit_reference = serializers.CharField(max_length=50)
    tenant_reference = serializers.CharField(max_length=50)
    holder_names = serializers.CharField(max_length=255)
    start_date = BoundedDateField(years_back=80, years_ahead=1)
    end_date = BoundedDateField(years_back=80, years_ahead=10, required=False, allow_null=True)


class AccountsTenancyImportInput(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV (UTF-8, ',' or ';'): "
        + ", ".join(
            (
                "residence",
                "unit_reference",
                "tenant_reference",
                "holder_names",
                "start_date",
                "end_date (optional)",
            )
        )
    )


class AccountsImportRowOutput(serializers.Serializer):
    line = serializers.IntegerField()
    tenant_reference = serializers.CharField()
    id = serializers.UUIDField(required=False)
    activation_code = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


class AccountsTenancyImportOutput(serializers.Serializer):
    created = AccountsImportRowOutput(many=True)
    rejected = AccountsImportRowOutput(many=True)


class AccountsEmployerOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Employer
        fields = [
            "id",
            "name",
            "siret",
            "address",
            "postcode",
            "city",
            "latitude",
            "longitude",
            "created_at",
            "updated_at",
        ]


class AccountsEmployerMemberOutput(serializers.Serializer):
    """A member of a partner employer, as a partner landlord's staff see it."""

    id = serializers.UUIDField(source="public_id")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    email = serializers.EmailField(source="user.email")
    joined_at = serializers.DateTimeField(source="created_at")
    has_access = serializers.BooleanField(
        help_text="Your landlord granted this member its partnership (invited or approved)."
    )


class AccountsEmployerCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    siret = serializers.RegexField(r"^\d{14}$", help_text="14 digits, checksum verified.")
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )


class AccountsInvitationCreateInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)


class AccountsInvitationOutput(serializers.Serializer):
    invitation_code = serializers.CharField()
    expires_at = serializers.DateTimeField()
    email = serializers.CharField(help_text="Where the invitation was e-mailed; empty if not.")


class AuthHouseholdJoinInput(serializers.Serializer):
    invitation_code = serializers.CharField(max_length=64)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    confirm_adult = serializers.BooleanField(
        help_text="The person confirms they are 18 or older (only adults join a household)."
    )
    language = serializers.ChoiceField(choices=User.Language.choices, required=False, default="fr")


class AccountsHouseholdMemberOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    is_holder = serializers.BooleanField()
    since = serializers.DateTimeField(source="created_at")
    is_you = serializers.SerializerMethodField()

    def get_is_you(self, member) -> bool:
        return member.pk == self.context.get("tenant_id")


class AccountsStandingOutput(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["active", "ended", "closed"],
        help_text="`ended`: read-only (no earning, sign-up or redemption) until `read_until`.",
    )
    last_day = serializers.DateField(
        allow_null=True, help_text="The membership's last day (the tenancy's end date)."
    )
    read_until = serializers.DateField(
        allow_null=True, help_text="The last day of read access; the account closes after it."
    )


class AccountsHouseholdOutput(serializers.Serializer):
    is_holder = serializers.BooleanField()
    members = AccountsHouseholdMemberOutput(many=True)
    max_members = serializers.IntegerField()


class AccountsHouseholdInvitationInput(serializers.Serializer):
    email = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="Send the code to this address; without it the code is returned, to give.",
    )


class AccountsHouseholdInvitationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class AccountsHouseholdInvitationCreatedOutput(AccountsHouseholdInvitationOutput):
    code = serializers.CharField(
        allow_null=True,
        help_text="Shown once, to give by hand; null when it was sent by e-mail.",
    )


class AccountsMyTenancyOutput(serializers.Serializer):
    standing = AccountsStandingOutput()
    job_support_offered = serializers.BooleanField(
        help_text="Your landlord lets former tenants keep their open job matches."
    )
    keep_job_support = serializers.BooleanField()


class AccountsMyTenancyInput(serializers.Serializer):
    keep_job_support = serializers.BooleanField()


class AccountsTenancyMemberOutput(serializers.Serializer):
    """A member of a tenancy's household, as its landlord's staff see it (no job data)."""

    id = serializers.UUIDField(source="public_id")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    email = serializers.EmailField(source="user.email")
    is_holder = serializers.BooleanField()
    since = serializers.DateTimeField(source="created_at")
    left_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class AccountsTenancyDetailOutput(AccountsTenancyOutput):
    household = AccountsTenancyMemberOutput(many=True, source="household_members")
    ended_at = serializers.DateTimeField(allow_null=True)

    class Meta(AccountsTenancyOutput.Meta):
        fields = [*AccountsTenancyOutput.Meta.fields, "ended_at", "household"]


class AccountsTenancyEndInput(serializers.Serializer):
    end_date = BoundedDateField(
        years_back=80, years_ahead=10, help_text="The tenancy's last day (today: it ends tonight)."
    )
