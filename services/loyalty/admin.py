"""Back-office views of the ledger (read-only: points only move through the actions)."""

from django.contrib import admin

from services.core.admin import LandlordScopedAdmin

from .models import Account, EarningRule, Entry, Redemption, Reward


class ReadOnlyMixin:
    staff_permissions = ("view",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("tenant", "balance", "debt", "updated_at")
    search_fields = ("tenant__user__email", "tenant__user__last_name")
    list_select_related = ("tenant__user",)


@admin.register(Entry)
class EntryAdmin(ReadOnlyMixin, LandlordScopedAdmin):
    landlord_path = "account__landlord"
    list_display = ("created_at", "account", "kind", "points", "reason", "note", "issuer")
    list_filter = ("kind", "reason")
    list_select_related = ("account__tenant__user", "issuer")
    search_fields = ("account__tenant__user__email", "idempotency_key")


@admin.register(Reward)
class RewardAdmin(LandlordScopedAdmin):
    landlord_path = "landlord"
    staff_permissions = ("view",)  # edited through the API, which checks stock and kind
    list_display = ("title", "partner_name", "kind", "cost_points", "stock", "is_active")
    list_filter = ("kind", "category", "is_active")
    search_fields = ("title", "partner_name")


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyMixin, LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("code", "reward", "tenant", "status", "points", "expires_at", "used_at")
    list_filter = ("status",)
    list_select_related = ("reward", "tenant__user")
    search_fields = ("code",)


@admin.register(EarningRule)
class EarningRuleAdmin(ReadOnlyMixin, LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("code", "points", "cap_points", "cap_period", "is_active")
