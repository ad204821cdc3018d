"""The kinds `notifications` itself sends (account security, announcements, test pushes)."""

from django.utils.translation import gettext_lazy as _

from .registry import Category, NotificationKind, register

PASSWORD_CHANGED = "account.password_changed"
ANNOUNCEMENT = "announcements.announcement"
TEST_PUSH = "account.test_push"
SIGN_IN_LINK = "account.sign_in_link"

register(
    NotificationKind(
        code=PASSWORD_CHANGED,
        category=Category.ACCOUNT,
        title=_("Your password was changed"),
        body=_(
            "Your password was just changed and your other sessions were closed. "
            "If it was not you, contact your landlord at once."
        ),
        switchable=False,
        link_type="account",
        ttl_seconds=24 * 3600,
    ),
    NotificationKind(
        code=ANNOUNCEMENT,
        category=Category.ANNOUNCEMENTS,
        # Written by staff in their own words: shown as they wrote them, in every language.
        title="{title}",
        body="{body}",
        link_type="announcement",
        ttl_seconds=2 * 24 * 3600,
    ),
    NotificationKind(
        code=TEST_PUSH,
        category=Category.ACCOUNT,
        title=_("Test notification"),
        body=_("If you can read this, notifications reach this phone."),
        switchable=False,
        ttl_seconds=3600,
    ),
    NotificationKind(
        code=SIGN_IN_LINK,
        category=Category.ACCOUNT,
        title=_("Your sign-in link"),
        body=_("You asked for a link to your company's pages. Use the button below."),
        switchable=False,
        channels=("email",),  # only by e-mail: the person has no app
        ttl_seconds=3600,
        extra={"email_path": "/espace/"},
    ),
)

CATEGORY_LABELS = {
    Category.ACCOUNT: _("Account and security"),
    Category.ANNOUNCEMENTS: _("Announcements from your landlord"),
    Category.JOBS: _("Jobs"),
    Category.VOLUNTEERING: _("Volunteering"),
    Category.LOYALTY: _("Loyalty points"),
}

# Security and account messages always reach people, whatever their switches say.
LOCKED_CATEGORIES = frozenset({Category.ACCOUNT})

# E-mail, for the kinds that have that channel, when the person set no switch: on for
# account messages and jobs (employers have no app: e-mail is how they hear of a
# candidate), off for the rest (announcements and the like are not worth an e-mail unasked).
EMAIL_ON_BY_DEFAULT = frozenset({Category.ACCOUNT, Category.JOBS})
