"""Devices, the inbox, preferences and announcements: parse, authorise, one call."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import sync
from api.conditional import ConditionalGetMixin
from api.filters import UpdatedSinceFilter
from api.idempotency import idempotent
from api.permissions import STAFF, IsAnyRole, PerAction
from notifications import selectors, services
from notifications.models import Announcement, Device, Notification
from notifications.sync import notification_sync_for_user

from .serializers import (
    NotificationsAnnouncementInput,
    NotificationsAnnouncementOutput,
    NotificationsDeviceInput,
    NotificationsDeviceOutput,
    NotificationsNotificationOutput,
    NotificationsPreferencesInput,
    NotificationsPreferencesOutput,
    NotificationsReadAllOutput,
    NotificationsUnreadCountOutput,
)


class DeviceViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The signed-in user's active push devices."""

    permission_classes = [IsAnyRole]
    serializer_class = NotificationsDeviceOutput
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    ordering = ("-last_seen_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Device.objects.none()
        return selectors.device_list_for_user(user=self.request.user)

    @extend_schema(
        request=NotificationsDeviceInput,
        responses={
            201: NotificationsDeviceOutput,
            200: OpenApiResponse(NotificationsDeviceOutput, description="Already known."),
        },
        description="Upsert by token: 201 for a new token, 200 for a known one. A token "
        "registered by another user moves to you; at most 10 devices stay active.",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = NotificationsDeviceInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        device, created = services.device_register(
            user=request.user,
            identifier=values["token"],
            platform=values["platform"],
            kind=values["kind"],
            app_version=values.get("app_version", ""),
            locale=values.get("locale", ""),
        )
        return Response(
            NotificationsDeviceOutput(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses={204: None}, description="Stop pushing to this device.")
    def destroy(self, request, *args, **kwargs):
        services.device_deactivate(device=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        method="filter_unread", label="Only unread notifications when true."
    )
    updated_since = UpdatedSinceFilter(
        field_name="updated_at", label="Changed at or after (ISO 8601; at most 50 years ago)."
    )

    class Meta:
        model = Notification
        fields = ["unread", "updated_since"]

    def filter_unread(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)


class NotificationViewSet(
    ConditionalGetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The inbox, newest first: the source of truth that push copies. One item by its id
    (`GET /notifications/{id}/`): where an inbox item's deep link starts."""

    permission_classes = [IsAnyRole]
    serializer_class = NotificationsNotificationOutput
    filterset_class = NotificationFilter
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return selectors.notification_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=sync.SYNC_PARAMETERS,
        responses=sync.responses(
            sync.list_schema(NotificationsNotificationOutput, name="NotificationsInbox")
        ),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            source = notification_sync_for_user(user=request.user)
            return sync.respond(
                request, source, lambda rows: NotificationsNotificationOutput(rows, many=True).data
            )
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationsNotificationOutput)
    @action(detail=True, methods=["post"])
    def read(self, request, *args, **kwargs):
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(NotificationsNotificationOutput(notification).data)

    @extend_schema(request=None, responses=NotificationsReadAllOutput)
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request, *args, **kwargs):
        count = services.notification_mark_all_read(user=request.user)
        return Response(NotificationsReadAllOutput({"count": count}).data)

    @extend_schema(responses=NotificationsUnreadCountOutput)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None)
    def unread_count(self, request, *args, **kwargs):
        count = selectors.notification_unread_count(user=request.user)
        return Response(NotificationsUnreadCountOutput({"count": count}).data)

    @extend_schema(
        methods=["GET"],
        responses=NotificationsPreferencesOutput,
        description="One switch per category × channel; account messages cannot be switched off.",
    )
    @extend_schema(
        methods=["PUT"],
        request=NotificationsPreferencesInput,
        responses=NotificationsPreferencesOutput,
        description="Set the switches named; the others keep their state.",
    )
    @action(detail=False, methods=["get", "put"], filterset_class=None)
    def preferences(self, request, *args, **kwargs):
        if request.method == "PUT":
            data = NotificationsPreferencesInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.preferences_update(
                user=request.user, switches=data.validated_data["preferences"]
            )
        switches = selectors.preference_list_for_user(user=request.user)
        return Response(NotificationsPreferencesOutput({"preferences": switches}).data)


class AnnouncementViewSet(ConditionalGetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff tell their landlord's tenants (or some residences') something; whoever received
    one opens it by its id (where an announcement push's deep link leads)."""

    permission_classes = [PerAction]
    action_roles = {"create": (STAFF,)}
    serializer_class = NotificationsAnnouncementOutput
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Announcement.objects.none()
        return selectors.announcement_list_readable(user=self.request.user).prefetch_related(
            "residences"
        )

    @extend_schema(
        request=NotificationsAnnouncementInput,
        responses={202: NotificationsAnnouncementOutput},
        description="Answers 202 at once whatever the audience size; the worker writes "
        "the inbox rows and pushes.",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = NotificationsAnnouncementInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        announcement = services.announcement_create(
            author=request.user,
            title=values["title"],
            body=values["body"],
            residence_ids=values.get("residences", []),
            marketing=values.get("marketing", False),
        )
        return Response(
            NotificationsAnnouncementOutput(announcement).data, status=status.HTTP_202_ACCEPTED
        )
