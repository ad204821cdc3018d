"""Shapes only: the rules live in notifications.services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.models import Announcement, Device, Notification, Preference
from notifications.registry import Category


class NotificationsDeviceInput(serializers.Serializer):
    token = serializers.CharField(max_length=512, help_text="The FCM registration token.")
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    kind = serializers.ChoiceField(
        choices=Device.Kind.choices,
        default=Device.Kind.TOKEN,
        help_text="What `token` is: an FCM registration token or a Firebase installation id.",
    )
    app_version = serializers.CharField(max_length=40, required=False, allow_blank=True)
    locale = serializers.CharField(max_length=16, required=False, allow_blank=True)


class NotificationsDeviceOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    token = serializers.CharField(source="identifier")

    class Meta:
        model = Device
        fields = [
            "id",
            "token",
            "kind",
            "platform",
            "app_version",
            "locale",
            "is_active",
            "created_at",
            "last_seen_at",
        ]


class NotificationsLinkOutput(serializers.Serializer):
    type = serializers.CharField(help_text="The app screen to open, e.g. `mission`.")
    id = serializers.CharField(help_text="The object's id (a UUID).", allow_blank=True)


class NotificationsNotificationOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    link = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()
    data = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "category",
            "title",
            "body",
            "link",
            "data",
            "read",
            "read_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(NotificationsLinkOutput(allow_null=True))
    def get_link(self, obj):
        if not obj.link_type:
            return None
        return {"type": obj.link_type, "id": obj.link_id}

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationsUnreadCountOutput(serializers.Serializer):
    count = serializers.IntegerField()


class NotificationsReadAllOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many notifications were marked read.")


class NotificationsPreferenceOutput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.ALL)
    label = serializers.CharField()
    channel = serializers.ChoiceField(choices=Preference.Channel.choices)
    enabled = serializers.BooleanField()
    switchable = serializers.BooleanField(
        help_text="False for account and security messages, which always reach you."
    )


class NotificationsPreferencesOutput(serializers.Serializer):
    preferences = NotificationsPreferenceOutput(many=True)


class NotificationsPreferenceInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.ALL)
    channel = serializers.ChoiceField(choices=Preference.Channel.choices)
    enabled = serializers.BooleanField()


class NotificationsPreferencesInput(serializers.Serializer):
    preferences = NotificationsPreferenceInput(
        many=True, help_text="The switches to set; switches not named keep their state."
    )


class NotificationsAnnouncementInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=2000)
    residences = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=500,
        help_text="Only these residences' tenants; all the landlord's tenants when absent.",
    )
    marketing = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Not a service message: only tenants who consented to push marketing.",
    )


class NotificationsAnnouncementOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    residences = serializers.SerializerMethodField()

    class Meta:
        model = Announcement
        fields = ["id", "title", "body", "residences", "marketing", "status", "created_at"]

    def get_residences(self, obj) -> list[str]:
        return [str(r.public_id) for r in obj.residences.all()]
