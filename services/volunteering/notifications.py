"""The notification kinds volunteering sends (registered from VolunteeringConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register

PLACE_OFFERED = "volunteering.place_offered"
OFFER_LAPSED = "volunteering.offer_lapsed"
SIGNUP_CANCELLED = "volunteering.signup_cancelled"
MISSION_CANCELLED = "volunteering.mission_cancelled"
SLOT_CHANGED = "volunteering.slot_changed"
REMINDER = "volunteering.reminder"
FOLLOWUP = "volunteering.followup"
INITIATIVE_PROPOSED = "volunteering.initiative_proposed"
INITIATIVE_APPROVED = "volunteering.initiative_approved"
INITIATIVE_REJECTED = "volunteering.initiative_rejected"

KINDS = (
    NotificationKind(
        code=PLACE_OFFERED,
        category=Category.VOLUNTEERING,
        title=_("A place is free: {mission}"),
        body=_("A place opened on {start}. Accept it before {deadline}."),
        link_type="signup",
    ),
    NotificationKind(
        code=OFFER_LAPSED,
        category=Category.VOLUNTEERING,
        title=_("Offer lapsed: {mission}"),
        body=_("The place offered on {start} was not taken in time and went to the next person."),
        link_type="signup",
    ),
    NotificationKind(
        code=SIGNUP_CANCELLED,
        category=Category.VOLUNTEERING,
        title=_("Sign-up cancelled: {mission}"),
        body=_("The organiser cancelled your sign-up for {start}."),
        link_type="signup",
    ),
    NotificationKind(
        code=MISSION_CANCELLED,
        category=Category.VOLUNTEERING,
        title=_("Cancelled: {mission}"),
        body=_("The session on {start} is cancelled. Sorry for the change."),
        link_type="mission",
    ),
    NotificationKind(
        code=SLOT_CHANGED,
        category=Category.VOLUNTEERING,
        title=_("Change to {mission}"),
        body=_("New time or place: {start}, {place}."),
        link_type="mission",
    ),
    NotificationKind(
        code=REMINDER,
        category=Category.VOLUNTEERING,
        title=_("Tomorrow: {mission}"),
        body=_("See you on {start} at {place}."),
        link_type="signup",
    ),
    NotificationKind(
        code=FOLLOWUP,
        category=Category.VOLUNTEERING,
        title=_("How did it go? {mission}"),
        body=_("Thank you for taking part. Tell us how it went."),
        link_type="signup",
    ),
    NotificationKind(
        code=INITIATIVE_PROPOSED,
        category=Category.VOLUNTEERING,
        title=_("New initiative to review: {mission}"),
        body=_("A tenant of {residence} proposes a mission. Approve it to publish it."),
        link_type="initiative",
    ),
    NotificationKind(
        code=INITIATIVE_APPROVED,
        category=Category.VOLUNTEERING,
        title=_("Your initiative is published: {mission}"),
        body=_("Your neighbours can now sign up."),
        link_type="mission",
    ),
    NotificationKind(
        code=INITIATIVE_REJECTED,
        category=Category.VOLUNTEERING,
        title=_("Your initiative was not accepted: {mission}"),
        body=_("{note}"),
        link_type="mission",
    ),
)

register(*KINDS)
