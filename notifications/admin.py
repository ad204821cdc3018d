"""Read-only back-office views: writes go through the API and its actions (one door)."""

from django.contrib import admin

from services.core.admin import LandlordScopedAdmin

from .models import Announcement, Delivery, Device, Notification

RECIPIENT_LANDLORD = ("recipient__tenant__landlord", "recipient__staff__landlord")
USER_LANDLORD = ("user__tenant__landlord", "user__staff__landlord")


class ReadOnlyScopedAdmin(LandlordScopedAdmin):
    staff_permissions = ("view",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyScopedAdmin):
    landlord_path = "landlord"
    list_display = ("title", "landlord", "status", "recipients_count", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    ordering = ("-created_at", "-id")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    landlord_path = RECIPIENT_LANDLORD
    list_display = ("title", "recipient", "kind", "category", "read_at", "created_at")
    list_filter = ("category", "kind")
    search_fields = ("recipient__email", "title")
    list_select_related = ("recipient",)
    ordering = ("-created_at", "-id")


@admin.register(Device)
class DeviceAdmin(ReadOnlyScopedAdmin):
    landlord_path = USER_LANDLORD
    list_display = (
        "user",
        "platform",
        "app_version",
        "is_active",
        "deactivation_reason",
        "last_seen_at",
    )
    list_filter = ("platform", "is_active", "deactivation_reason")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    ordering = ("-last_seen_at", "-id")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyScopedAdmin):
    landlord_path = (
        "notification__recipient__tenant__landlord",
        "notification__recipient__staff__landlord",
    )
    list_display = (
        "pk",
        "notification",
        "device",
        "status",
        "attempts",
        "error_code",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "error_code")
    list_select_related = ("notification", "device")
    ordering = ("-id",)
