from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(use_regex_path=False)
router.register("loyalty/accounts", views.AccountViewSet, basename="loyalty-staff-account")
router.register("loyalty/entries", views.EntryViewSet, basename="loyalty-entry")
router.register("loyalty/rewards", views.RewardViewSet, basename="loyalty-reward")
router.register("loyalty/redemptions", views.RedemptionViewSet, basename="loyalty-redemption")
router.register("loyalty/earning-rules", views.EarningRuleViewSet, basename="loyalty-rule")

urlpatterns = [
    path("loyalty/account/", views.AccountView.as_view(), name="loyalty-account"),
    path("loyalty/grants/", views.GrantView.as_view(), name="loyalty-grants"),
    path(
        "loyalty/redemptions/<uuid:id>/qr.svg",
        views.RedemptionQRView.as_view(),
        name="loyalty-redemption-qr",
    ),
    path(
        "loyalty/reports/points/", views.MonthlyReportView.as_view(), name="loyalty-report-points"
    ),
    path(
        "loyalty/reports/points/export/",
        views.MonthlyReportExportView.as_view(),
        name="loyalty-report-points-export",
    ),
    path(
        "loyalty/reports/rewards/", views.RewardReportView.as_view(), name="loyalty-report-rewards"
    ),
    path(
        "loyalty/reports/rewards/export/",
        views.RewardReportExportView.as_view(),
        name="loyalty-report-rewards-export",
    ),
    *router.urls,
]
