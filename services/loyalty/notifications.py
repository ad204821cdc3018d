"""The notification kinds loyalty sends (registered from LoyaltyConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register

POINTS_EXPIRING = "loyalty.points_expiring"
REDEMPTION_ISSUED = "loyalty.redemption_issued"
POINTS_GRANTED = "loyalty.points_granted"

KINDS = (
    NotificationKind(
        code=POINTS_EXPIRING,
        category=Category.LOYALTY,
        title=_("{points} points expire soon"),
        body=_("Use them before {date}: the rewards catalogue is waiting."),
        link_type="loyalty_account",
    ),
    NotificationKind(
        code=REDEMPTION_ISSUED,
        category=Category.LOYALTY,
        title=_("Your reward: {reward}"),
        body=_("Your code {code} is valid until {date}."),
        link_type="redemption",
    ),
    NotificationKind(
        code=POINTS_GRANTED,
        category=Category.LOYALTY,
        title=_("You received {points} points"),
        body=_("{reason}"),
        link_type="loyalty_account",
    ),
)

register(*KINDS)
