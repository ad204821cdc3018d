"""The notification kinds privacy sends (registered from PrivacyConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register

INACTIVITY_WARNING = "privacy.inactivity_warning"
EXPORT_READY = "privacy.export_ready"

KINDS = (
    # Account messages: they cannot be switched off, and go by e-mail too (the person may
    # have uninstalled the app, which is why the account looks abandoned).
    NotificationKind(
        code=INACTIVITY_WARNING,
        category=Category.ACCOUNT,
        title=_("Your Voisinage account will be anonymised on {date}"),
        body=_(
            "You have not used your account for a long time. Sign in before {date} to keep "
            "it; otherwise your personal data will be erased and your points history kept "
            "without your name."
        ),
        switchable=False,
        channels=("inbox", "push", "email"),
        ttl_seconds=7 * 24 * 3600,
        extra={"email_path": "/"},
    ),
    NotificationKind(
        code=EXPORT_READY,
        category=Category.ACCOUNT,
        title=_("Your data export is ready"),
        body=_("Download it from your account screen before {date}."),
        switchable=False,
        ttl_seconds=24 * 3600,
    ),
)

register(*KINDS)
