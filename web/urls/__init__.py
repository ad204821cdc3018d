"""The console's URLs, mounted at /console/ (namespace `web`). One module per section."""

from django.urls import include, path
from django.views.i18n import set_language

from ..views import auth, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", auth.login_view, name="login"),
    path("sign-out/", auth.logout_view, name="logout"),
    path("password/", auth.password_change_view, name="password_change"),
    path("password-reset/", auth.password_reset_request_view, name="password_reset"),
    path(
        "password-reset/confirm/",
        auth.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path("language/", set_language, name="set_language"),
    path("tenancies/", include("web.urls.tenancies")),
    path("announcements/", include("web.urls.announcements")),
    path("jobs/", include("web.urls.jobs")),
    path("volunteering/", include("web.urls.volunteering")),
    path("loyalty/", include("web.urls.loyalty")),
]
