"""The loyalty section (admins and community officers): /console/loyalty/..."""

from django.urls import path

from ..views import loyalty as views

app_name = "loyalty"

urlpatterns = [
    path("", views.reward_list, name="index"),
    path("rewards/", views.reward_list, name="rewards"),
    path("rewards/new/", views.reward_create, name="reward_create"),
    path("rewards/<uuid:id>/", views.reward_detail, name="reward_detail"),
    path("rewards/<uuid:id>/edit/", views.reward_edit, name="reward_edit"),
    path("rewards/<uuid:id>/codes/", views.codes_upload, name="codes_upload"),
    path("tenants/", views.tenant_list, name="tenants"),
    path("tenants/<uuid:id>/", views.tenant_detail, name="tenant_detail"),
    path("counter/", views.counter, name="counter"),
    path("redemptions/", views.redemption_list, name="redemptions"),
    path("partners/", views.partner_list, name="partners"),
    path("partners/<uuid:id>/", views.partner_detail, name="partner_detail"),
    path("reports/", views.report, name="reports"),
    path("reports/points.csv", views.report_points_csv, name="report_points_csv"),
    path("reports/rewards.csv", views.report_rewards_csv, name="report_rewards_csv"),
]
