"""Back-office views of volunteering; staff see only their landlord's rows.

Sign-ups are read-only here: their state machine (places, waitlist, points) runs through
`actions`, never through a form.
"""

from django.contrib import admin

from services.core.admin import LandlordScopedAdmin

from .models import Mission, Signup, SignupTransition, Slot


class SlotInline(admin.TabularInline):
    """New slots may be added here; existing ones change through the API, which tells the
    tenants and offers freed places."""

    model = Slot
    extra = 0
    fields = ("starts_at", "ends_at", "capacity", "status")
    readonly_fields = ("status",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Mission)
class MissionAdmin(LandlordScopedAdmin):
    landlord_path = "landlord"
    list_display = ("title", "category", "residence", "status", "points", "created_at")
    list_filter = ("status", "category", "residence")
    search_fields = ("title", "place")
    readonly_fields = ("proposed_by", "reviewed_by", "reviewed_at", "created_by")
    inlines = [SlotInline]

    def get_readonly_fields(self, request, obj=None):
        # A status change cancels sign-ups and tells tenants: the API's actions do it.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "status") if obj is not None else fields


@admin.register(Slot)
class SlotAdmin(LandlordScopedAdmin):
    landlord_path = "mission__landlord"
    staff_permissions = ("view",)
    list_display = ("mission", "starts_at", "ends_at", "capacity", "status")
    list_filter = ("status",)
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False


class SignupTransitionInline(admin.TabularInline):
    model = SignupTransition
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "reason", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Signup)
class SignupAdmin(LandlordScopedAdmin):
    landlord_path = "slot__mission__landlord"
    staff_permissions = ("view",)
    list_display = ("tenant", "slot", "status", "waitlist_ticket", "offer_expires_at")
    list_filter = ("status",)
    inlines = [SignupTransitionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
