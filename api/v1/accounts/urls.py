from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(use_regex_path=False)
router.register("residences", views.ResidenceViewSet, basename="residence")
router.register("tenancies", views.TenancyViewSet, basename="tenancy")
router.register("employers", views.EmployerViewSet, basename="employer")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/activate/", views.ActivateView.as_view(), name="auth-activate"),
    path(
        "auth/employer-invitations/accept/",
        views.InvitationAcceptView.as_view(),
        name="auth-invitation-accept",
    ),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/household/join/", views.HouseholdJoinView.as_view(), name="auth-household-join"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/tenancy/", views.MyTenancyView.as_view(), name="me-tenancy"),
    path("me/household/", views.HouseholdView.as_view(), name="me-household"),
    path(
        "me/household/members/<uuid:id>/",
        views.HouseholdMemberView.as_view(),
        name="me-household-member",
    ),
    path(
        "me/household/invitations/",
        views.HouseholdInvitationsView.as_view(),
        name="me-household-invitations",
    ),
    path(
        "me/household/invitations/<uuid:id>/",
        views.HouseholdInvitationView.as_view(),
        name="me-household-invitation",
    ),
    path("me/password/", views.PasswordChangeView.as_view(), name="me-password"),
    path("me/consents/", views.ConsentsView.as_view(), name="me-consents"),
    path("me/profile-views/", views.ProfileViewsView.as_view(), name="me-profile-views"),
    path("me/sessions/revoke/", views.SessionsRevokeView.as_view(), name="me-sessions-revoke"),
    *router.urls,
]
