"""Loyalty shapes. Input serializers check shape only; the actions decide."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import BoundedDateTimeField
from services.loyalty import selectors
from services.loyalty.actions import REWARD_FIELDS, CodesRequired
from services.loyalty.models import Account, EarningRule, Entry, Reason, Redemption, Reward, Rule


class LoyaltyExpiringOutput(serializers.Serializer):
    points = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class LoyaltyAccountOutput(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True, help_text="Null until the first points arrive.")
    balance = serializers.IntegerField(help_text="Spendable points now.")
    pending = serializers.IntegerField(
        help_text="Points owed after a correction larger than the balance; taken from the "
        "next points earned before they become spendable."
    )
    expiring = LoyaltyExpiringOutput(
        many=True, help_text="Points expiring within the next 90 days, grouped by date."
    )


class LoyaltyStaffAccountOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    tenant = serializers.UUIDField(source="tenant.public_id", read_only=True)
    tenant_name = serializers.CharField(source="tenant.user.full_name", read_only=True)
    pending = serializers.IntegerField(source="debt", read_only=True)

    class Meta:
        model = Account
        fields = ("id", "tenant", "tenant_name", "balance", "pending", "created_at", "updated_at")


class LoyaltyEntryOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    label = serializers.SerializerMethodField()
    tenant = serializers.UUIDField(source="account.tenant.public_id", read_only=True)
    reverses = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = (
            "id",
            "tenant",
            "kind",
            "points",
            "reason",
            "label",
            "note",
            "source_type",
            "source_id",
            "reverses",
            "created_at",
        )

    def get_label(self, obj) -> str:
        return str(Reason(obj.reason).label) if obj.reason in Reason.values else obj.reason

    @extend_schema_field(
        serializers.UUIDField(
            allow_null=True, help_text="The entry this one corrects (reversal or refund)."
        )
    )
    def get_reverses(self, obj):
        return obj.reverses.public_id if obj.reverses_id else None


class LoyaltyRewardOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    affordable = serializers.SerializerMethodField(
        help_text="Tenants only: whether my balance covers the cost (null for staff)."
    )
    available = serializers.SerializerMethodField()

    class Meta:
        model = Reward
        fields = ("id", *REWARD_FIELDS, "available", "affordable", "created_at", "updated_at")

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_affordable(self, obj):
        balance = self.context.get("balance")
        if balance is None:
            return None
        return balance >= obj.cost_points

    def get_available(self, obj) -> bool:
        return selectors.reward_is_available(reward=obj)


class LoyaltyRewardCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    image_url = serializers.URLField(
        max_length=200, required=False, allow_blank=True, default=""
    )  # the column's length: longer is a 400, not a database error
    partner_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    partner_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Reward.Category.choices, required=False)
    kind = serializers.ChoiceField(choices=Reward.Kind.choices, default=Reward.Kind.GENERATED_CODE)
    cost_points = serializers.IntegerField(min_value=1, max_value=1_000_000)
    credit_cents = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, allow_null=True
    )
    stock = serializers.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        allow_null=True,
        help_text="Units left; null = unlimited. A code pool's stock is its codes left.",
    )
    limit_per_tenant = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True
    )
    available_from = BoundedDateTimeField(
        years_back=5, years_ahead=10, required=False, allow_null=True
    )
    available_until = BoundedDateTimeField(
        years_back=5, years_ahead=10, required=False, allow_null=True
    )
    validity_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    is_active = serializers.BooleanField(required=False)


class LoyaltyRewardUpdateInput(LoyaltyRewardCreateInput):
    kind = serializers.ChoiceField(choices=Reward.Kind.choices, required=False)


class LoyaltyRedemptionRewardOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Reward
        fields = ("id", "title", "kind", "partner_name", "partner_address", "credit_cents")


class LoyaltyRedemptionOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    reward = LoyaltyRedemptionRewardOutput(read_only=True)
    tenant = serializers.UUIDField(source="tenant.public_id", read_only=True)

    class Meta:
        model = Redemption
        fields = (
            "id",
            "reward",
            "tenant",
            "status",
            "points",
            "code",
            "expires_at",
            "used_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        )


class LoyaltyRedemptionCancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="Required from staff to cancel a partner code that was shown.",
    )


class LoyaltyValidateInput(serializers.Serializer):
    code = serializers.CharField(max_length=64)


class LoyaltyGrantInput(serializers.Serializer):
    tenant = serializers.UUIDField(help_text="The tenant's id (or its user id).")
    points = serializers.IntegerField(
        min_value=-100_000, max_value=100_000, help_text="> 0 grants, < 0 adjusts down."
    )
    reason = serializers.CharField(max_length=255)


class LoyaltyEarningRuleOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    label = serializers.SerializerMethodField()

    class Meta:
        model = EarningRule
        fields = (
            "id",
            "code",
            "label",
            "points",
            "cap_points",
            "cap_period",
            "is_active",
            "updated_at",
        )

    def get_label(self, obj) -> str:
        return str(Rule(obj.code).label)


class LoyaltyEarningRuleInput(serializers.Serializer):
    code = serializers.ChoiceField(choices=Rule.choices)
    points = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    cap_points = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, allow_null=True
    )
    cap_period = serializers.ChoiceField(
        choices=EarningRule.Period.choices, required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(required=False)


class LoyaltyEarningRuleUpdateInput(LoyaltyEarningRuleInput):
    code = None


class LoyaltyCodesUploadInput(serializers.Serializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        max_length=10_000,
        required=False,
    )
    file = serializers.FileField(
        required=False, help_text="A text or CSV file: one code per line (first column)."
    )

    def validate(self, attrs):
        if not attrs.get("codes") and not attrs.get("file"):
            message = CodesRequired.default_message  # translated in services/loyalty/locale
            raise serializers.ValidationError({"codes": [message]})
        return attrs


class LoyaltyCodesUploadOutput(serializers.Serializer):
    added = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    invalid = serializers.ListField(child=serializers.CharField())
    stock = serializers.IntegerField()


class LoyaltyMonthOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    issued = serializers.IntegerField()
    spent = serializers.IntegerField(help_text="Net of cancelled redemptions.")
    expired = serializers.IntegerField()
    reversed = serializers.IntegerField()
    adjusted_down = serializers.IntegerField()


class LoyaltyMonthlyReportOutput(serializers.Serializer):
    since = serializers.CharField()
    until = serializers.CharField()
    months = LoyaltyMonthOutput(many=True)


class LoyaltyRewardReportRowOutput(serializers.Serializer):
    reward = serializers.UUIDField()
    title = serializers.CharField()
    partner_name = serializers.CharField()
    cost_points = serializers.IntegerField()
    stock = serializers.IntegerField(allow_null=True)
    issued = serializers.IntegerField()
    used = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    expired = serializers.IntegerField()
    points_spent = serializers.IntegerField()


class LoyaltyRewardReportOutput(serializers.Serializer):
    rewards = LoyaltyRewardReportRowOutput(many=True)


# YYYY-MM within 2000-2099: year 0 or 9999 would overflow the date arithmetic of a report.
REPORT_MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"


class LoyaltyReportQueryInput(serializers.Serializer):
    since = serializers.RegexField(REPORT_MONTH, required=False, help_text="YYYY-MM")
    until = serializers.RegexField(REPORT_MONTH, required=False, help_text="YYYY-MM")
