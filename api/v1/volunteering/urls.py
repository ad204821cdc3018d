from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(use_regex_path=False)
router.register("volunteering/missions", views.MissionViewSet, basename="volunteering-mission")
router.register(
    "volunteering/initiatives", views.InitiativeViewSet, basename="volunteering-initiative"
)
router.register("volunteering/slots", views.SlotViewSet, basename="volunteering-slot")
router.register("volunteering/signups", views.SignupViewSet, basename="volunteering-signup")

urlpatterns = [
    path("volunteering/record/", views.RecordView.as_view(), name="volunteering-record"),
    *router.urls,
]
