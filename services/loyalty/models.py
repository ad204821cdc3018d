"""The points ledger (accounts, entries, lots) and the rewards catalogue.

Invariants kept by the database and the actions (see docs/loyalty.md):
- `Entry` rows are append-only; Σ entry.points == account.balance − account.debt.
- `Lot` rows hold earned points with an expiry; Σ lot.remaining == account.balance.
- balance, debt, remaining and stock never go below zero (check constraints).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Landlord, Tenant
from services.core.models import PublicModel


class Rule(models.TextChoices):
    """The activities that earn points. Nothing here reads or rewards rent payment."""

    VOLUNTEER_ATTENDANCE = "volunteer_attendance", _("Volunteer attendance")
    WELCOME_BONUS = "welcome_bonus", _("Welcome bonus")
    JOB_PROFILE_COMPLETED = "job_profile_completed", _("Job profile completed")
    FIRST_MATCH_INTRODUCTION = "first_match_introduction", _("First introduction to an employer")
    HIRE = "hire", _("Hired")
    TENANCY_ANNIVERSARY = "tenancy_anniversary", _("Tenancy anniversary")


# Points a rule gives when the landlord has not configured it.
DEFAULT_RULE_POINTS = {
    Rule.VOLUNTEER_ATTENDANCE: 10,
    Rule.WELCOME_BONUS: 50,
    Rule.JOB_PROFILE_COMPLETED: 30,
    Rule.FIRST_MATCH_INTRODUCTION: 20,
    Rule.HIRE: 200,
    Rule.TENANCY_ANNIVERSARY: 50,
}


class EarningRule(PublicModel):
    class Period(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    landlord = models.ForeignKey(Landlord, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40, choices=Rule.choices)
    points = models.PositiveIntegerField()
    # At most `cap_points` earned under this rule per `cap_period`; null = no cap.
    cap_points = models.PositiveIntegerField(null=True, blank=True)
    cap_period = models.CharField(max_length=5, choices=Period.choices, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["landlord", "code"], name="loyalty_rule_unique_code"),
            models.CheckConstraint(
                condition=Q(cap_points__isnull=True) | ~Q(cap_period=""),
                name="loyalty_rule_cap_has_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.landlord_id}:{self.code}={self.points}"


class Account(PublicModel):
    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, related_name="loyalty_account")
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    balance = models.IntegerField(default=0)  # spendable points = Σ lot.remaining
    debt = models.IntegerField(default=0)  # owed from over-reversals, repaid by future earnings

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_balance_gte_0"),
            models.CheckConstraint(condition=Q(debt__gte=0), name="loyalty_debt_gte_0"),
        ]

    def __str__(self) -> str:
        return f"account {self.tenant_id}: {self.balance} (debt {self.debt})"


class Reason(models.TextChoices):
    """Why an entry was written; the code is stable, the label is translated."""

    VOLUNTEER_ATTENDANCE = "volunteer_attendance", _("Volunteer attendance")
    WELCOME_BONUS = "welcome_bonus", _("Welcome bonus")
    JOB_PROFILE_COMPLETED = "job_profile_completed", _("Job profile completed")
    FIRST_MATCH_INTRODUCTION = "first_match_introduction", _("First introduction to an employer")
    HIRE = "hire", _("Hired")
    TENANCY_ANNIVERSARY = "tenancy_anniversary", _("Tenancy anniversary")
    REDEMPTION = "redemption", _("Reward redeemed")
    REDEMPTION_CANCELLED = "redemption_cancelled", _("Redemption cancelled")
    EXPIRY = "expiry", _("Points expired")
    STAFF_GRANT = "staff_grant", _("Granted by your landlord")
    STAFF_ADJUSTMENT = "staff_adjustment", _("Adjustment by your landlord")
    CORRECTION = "correction", _("Correction")


class Entry(PublicModel):
    """One line of the ledger. Never updated, never deleted: a correction is a new entry."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earned")
        SPEND = "spend", _("spent")
        EXPIRE = "expire", _("expired")
        REVERSE = "reverse", _("reversed")
        ADJUST = "adjust", _("adjusted")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.IntegerField()  # signed: + earn/adjust up/refund, − spend/expire/reverse
    reason = models.CharField(max_length=40, choices=Reason.choices)
    note = models.CharField(max_length=255, blank=True)  # staff's free-text reason
    issuer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )  # null = the system
    source_type = models.CharField(max_length=60, blank=True)  # "volunteering.signup"
    source_id = models.CharField(max_length=64, blank=True)  # its public id
    # NULL (not "") when absent, so the unique constraint only binds entries that have a key.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="loyalty_entry_unique_key"
            ),
            models.CheckConstraint(condition=~Q(points=0), name="loyalty_entry_points_nonzero"),
        ]
        indexes = [
            models.Index(fields=["account", "reason", "created_at"], name="loyalty_entry_cap_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d} ({self.reason})"


class Lot(models.Model):
    """Earned points that expire together; spending takes the oldest-expiring first."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lots")
    points = models.PositiveIntegerField()
    remaining = models.IntegerField()
    expires_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expires_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="loyalty_lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at"],
                condition=Q(remaining__gt=0),
                name="loyalty_lot_open_idx",
            ),
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0), name="loyalty_lot_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.remaining}/{self.points} until {self.expires_at:%Y-%m-%d}"


class Consumption(models.Model):
    """Which lots a spend took its points from, so a cancellation puts them back."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="consumptions")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="consumptions")
    points = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.points} from lot {self.lot_id}"


class Partner(PublicModel):
    """A local business that honours some of a landlord's rewards (the cinema, the shop).

    Its members validate, at their own counter (/partenaire/), the vouchers of the rewards
    linked to it, and nothing else. One landlord per partner: a business partnered with two
    landlords is two partners (each landlord's staff invite and see their own)."""

    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PartnerMember(PublicModel):
    """A person at a partner's counter. Their user has the role `employer` (an outside
    organisation's member: no app, signed in by magic link); this row, not the role, is what
    opens the partner pages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loyalty_partner_member"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="members")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


class Reward(PublicModel):
    class Kind(models.TextChoices):
        POOL_CODE = "pool_code", _("Voucher code from a pool")
        GENERATED_CODE = "generated_code", _("Generated voucher code")
        CHARGES_CREDIT = "charges_credit", _("Credit on charges")
        PICKUP = "pickup", _("Physical pick-up")

    class Category(models.TextChoices):
        CULTURE = "culture", _("Culture and leisure")
        FOOD = "food", _("Food")
        HOME = "home", _("Home")
        MOBILITY = "mobility", _("Mobility")
        SPORT = "sport", _("Sport")
        OTHER = "other", _("Other")

    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    image_url = models.URLField(blank=True)
    partner_name = models.CharField(max_length=200, blank=True)
    partner_address = models.CharField(max_length=255, blank=True)
    # The partner whose members may validate this reward's vouchers (staff always may).
    partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="rewards"
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERATED_CODE)
    cost_points = models.PositiveIntegerField()
    credit_cents = models.PositiveIntegerField(null=True, blank=True)  # charges credit, in cents
    stock = models.IntegerField(null=True, blank=True)  # units left; null = unlimited
    limit_per_tenant = models.PositiveIntegerField(null=True, blank=True)
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    validity_days = models.PositiveIntegerField(default=90)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["cost_points", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="loyalty_stock_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(cost_points__gt=0), name="loyalty_reward_cost_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VoucherCode(models.Model):
    """A partner's code uploaded by staff; each is handed out once, never reused."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="pool_codes")
    code = models.CharField(max_length=64)
    assigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reward", "code"], name="loyalty_pool_code_unique")
        ]
        indexes = [
            models.Index(
                fields=["reward", "id"],
                condition=Q(assigned_at__isnull=True),
                name="loyalty_pool_free_idx",
            )
        ]

    def __str__(self) -> str:
        return self.code


class Redemption(PublicModel):
    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        USED = "used", _("used")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    points = models.PositiveIntegerField()
    code = models.CharField(max_length=64)
    pool_code = models.OneToOneField(
        VoucherCode, on_delete=models.PROTECT, null=True, blank=True, related_name="redemption"
    )
    spend_entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="+")
    refund_entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Codes are typed at a counter: unique within a landlord, whatever the reward.
            models.UniqueConstraint(fields=["landlord", "code"], name="loyalty_redemption_code"),
        ]
        indexes = [
            models.Index(
                fields=["account", "reward", "status"], name="loyalty_redemption_limit_idx"
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="issued"),
                name="loyalty_redemption_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"
