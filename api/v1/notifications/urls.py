from rest_framework.routers import SimpleRouter

from .views import AnnouncementViewSet, DeviceViewSet, NotificationViewSet

router = SimpleRouter(use_regex_path=False)
router.register("devices", DeviceViewSet, basename="device")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("announcements", AnnouncementViewSet, basename="announcement")

urlpatterns = router.urls
