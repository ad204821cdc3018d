"""The notification kinds loyalty sends (registered from LoyaltyConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register

POINTS_EXPIRING = "loyalty.points_expiring"
REDEMPTION_ISSUED = "loyalty.redemption_issued"
POINTS_GRANTED = "loyalty.points_granted"
PARTNER_INVITATION = "loyalty.partner_invitation"
PARTNER_SIGN_IN_LINK = "loyalty.partner_sign_in_link"
# Magic links to the partner pages carry this scope: they open /partenaire/ and nothing else.
PARTNER_SCOPE = "partenaire"
_PARTNER_LINK = {
    "email_path": "/partenaire/",
    "magic_link_path": "/partenaire/lien/",
    "magic_link_scope": PARTNER_SCOPE,
}

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
    # Partners' members have no app: e-mail only, with a sign-in link to /partenaire/.
    NotificationKind(
        code=PARTNER_INVITATION,
        category=Category.ACCOUNT,
        title=_("You can now validate vouchers for {partner}"),
        body=_(
            "{landlord} invited you to validate its tenants' vouchers at your counter. "
            "Use the button below to sign in."
        ),
        switchable=False,
        channels=("email",),
        ttl_seconds=24 * 3600,
        extra=_PARTNER_LINK,
    ),
    NotificationKind(
        code=PARTNER_SIGN_IN_LINK,
        category=Category.ACCOUNT,
        title=_("Your sign-in link"),
        body=_("You asked for a link to your voucher counter. Use the button below."),
        switchable=False,
        channels=("email",),
        ttl_seconds=3600,
        extra=_PARTNER_LINK,
    ),
)

register(*KINDS)
